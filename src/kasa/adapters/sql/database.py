"""Engines and the unit of work.

SQLite (the embedded default) takes the database's write lock when a transaction
begins (``BEGIN IMMEDIATE``), so transactions of several processes take turns. MariaDB and
MySQL run at READ COMMITTED with row locks (``SELECT … FOR UPDATE``) where use cases
change the same thing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import sqlalchemy as sa
from pymysql.constants import SERVER_STATUS
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from kasa.adapters.private import private_file
from kasa.adapters.sql import repositories as repos
from kasa.adapters.sql import schema as tables
from kasa.adapters.sql.flushing import flush
from kasa.adapters.sql.orm import before_flush, start_mappers
from kasa.adapters.sql.reads import SqlReads
from kasa.adapters.sql.replica import Replica, ReplicaReads
from kasa.adapters.sql.search import reindex
from kasa.application.repositories import (
    AuditRepository,
    CertificateSequence,
    CorrectionRepository,
    CounterRepository,
    DeviceRepository,
    FileRepository,
    IdentityRepository,
    MemberProgramRepository,
    MemberRepository,
    MessageRepository,
    NotificationRepository,
    NotificationSettingsRepository,
    OfficeSessionRepository,
    Outbox,
    PaymentRepository,
    ProgramRepository,
    ReminderLog,
    RequestRepository,
    SignInChallengeRepository,
    StaffRepository,
)
from kasa.application.retrying import Aborted
from kasa.domain.events import RecordsEvents

READ_ONLY = "kasa_read_only"
DEFAULT_POOL_SIZE = 8


def make_engine(url: str, *, reading: bool = False, **kwargs: Any) -> Engine:
    """An engine for a database URL, set up for Kasa's transactions; ``reading`` for the
    read side's engine on MariaDB/MySQL (autocommit: a read neither begins nor rolls
    back a transaction, so it costs only its own round trips)."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            private_file(Path(database))  # 0600: it holds members' personal data
        engine = sa.create_engine(url, connect_args={"timeout": 30}, **kwargs)

        @sa.event.listens_for(engine, "connect")
        def _connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # let SQLAlchemy's BEGIN below rule
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            if database and database != ":memory:":
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        @sa.event.listens_for(engine, "begin")
        def _begin(connection: Any) -> None:
            # a unit of work that changes things takes the write lock at once; one that
            # only reads takes none (in WAL mode it never holds up a writer)
            read_only = connection.get_execution_options().get(READ_ONLY, False)
            connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

        return engine
    # As many connections as the worker has threads, kept open: no connection is made
    # or closed per request (overflow connections are closed when they are given back,
    # which under load meant a new connection for most requests), and none is pinged
    # first (a round trip every request). A connection the server dropped (a restart, a
    # timeout) fails its first statement; SQLAlchemy then replaces it and every older
    # one, and the work runs again on a fresh connection: a unit of work that had not
    # begun to commit (``Aborted``, so its use case runs again), a read (see reads.py).
    kwargs.setdefault("pool_size", DEFAULT_POOL_SIZE)
    kwargs.setdefault("max_overflow", 0)
    kwargs.setdefault("pool_timeout", 30)
    kwargs.setdefault("pool_recycle", 3600)
    if reading:
        # nothing to reset when a connection comes back: it never holds a transaction
        reader = sa.create_engine(
            url,
            isolation_level="AUTOCOMMIT",
            pool_reset_on_return=None,
            skip_autocommit_rollback=True,
            **kwargs,
        )
        sa.event.listen(reader, "connect", gathering)
        return reader
    engine = sa.create_engine(
        url, isolation_level="READ COMMITTED", pool_reset_on_return=None, **kwargs
    )
    sa.event.listen(engine, "reset", reset_after_use)
    return engine


# what one value gathered from many rows may hold (MariaDB cuts it at 1 MiB by default;
# the server's largest packet, 16 MiB by default, bounds it anyway)
GATHERED_MAX = 16 * 1024 * 1024


def gathering(dbapi_connection: Any, _record: Any) -> None:
    """A page of an export read as one JSON array is never cut short."""
    cursor = dbapi_connection.cursor()
    cursor.execute(f"SET SESSION group_concat_max_len = {GATHERED_MAX}")
    cursor.close()


def reset_after_use(dbapi_connection: Any, _record: Any, state: Any) -> None:
    """A connection given back to the pool is rolled back only when it may still hold a
    transaction: one SQLAlchemy ended itself (a rollback) or the server reports ended (a
    commit's answer; PyMySQL keeps the server's status of its last answer) holds none, so
    the round trip a rollback costs is not paid after every committed unit of work."""
    if state.transaction_was_reset or state.terminate_only:
        return
    # PyMySQL's connection, or asyncmy's behind SQLAlchemy's asyncio adapter
    driver = getattr(dbapi_connection, "_connection", dbapi_connection)
    status = getattr(driver, "server_status", None)
    if status is None or status & SERVER_STATUS.SERVER_STATUS_IN_TRANS:
        dbapi_connection.rollback()


# MariaDB/MySQL: a deadlock, a lock wait timeout; the transaction was rolled back
ABORTING_ERRORS = {1213, 1205}
SQLITE_BUSY = ("database is locked", "database table is locked")


def raise_if_nothing_kept(exc: BaseException | None, *, committing: bool) -> None:
    """``Aborted`` (run it again) for a unit of work that failed with nothing of it kept:
    the database aborted it, or the connection was gone before the commit was sent (a
    dropped connection's transaction is rolled back); a lost connection while
    committing is not run again."""
    if isinstance(exc, sa.exc.DBAPIError) and (
        aborted_by_the_database(exc) or (exc.connection_invalidated and not committing)
    ):
        raise Aborted(str(exc.orig)) from exc


def aborted_by_the_database(error: sa.exc.DBAPIError) -> bool:
    """The database gave up on the transaction and kept none of it: running the unit of
    work again may succeed."""
    orig = error.orig
    if orig is None:
        return False
    code = orig.args[0] if orig.args else None
    if isinstance(code, int):
        return code in ABORTING_ERRORS
    return any(text in str(orig) for text in SQLITE_BUSY)


def write_outbox(session: Session) -> None:
    """The events the unit of work's entities recorded, written in its transaction (after
    the flush, so new rows have their ids)."""
    rows = outbox_rows(list(session.identity_map.values()))
    if rows:
        session.execute(sa.insert(tables.outbox), rows)


def outbox_rows(entities: list[Any]) -> list[dict[str, Any]]:
    """The outbox's rows of the events these entities recorded (taken from them)."""
    rows = []
    for entity in entities:
        if not isinstance(entity, RecordsEvents):
            continue
        for event in entity.pop_events():
            member_id, request_id, payment_id = entity.event_ids()
            rows.append(
                {
                    "kind": event.kind.value,
                    "member_id": member_id,
                    "request_id": request_id,
                    "payment_id": payment_id,
                    "data": dict(event.data),
                    "created_at": getattr(entity, "updated_at", None) or datetime.now(UTC),
                }
            )
    return rows


class UnitOfWorkSession(Session):
    """The session of a unit of work: what each flush checks and keeps in step (its
    listeners set once for the class, not for every session)."""


sa.event.listen(UnitOfWorkSession, "before_flush", before_flush)
sa.event.listen(UnitOfWorkSession, "after_flush", reindex)


class SqlUnitOfWork:
    """One database transaction; leaving without ``commit()`` rolls it back."""

    members: MemberRepository
    challenges: SignInChallengeRepository
    programs: ProgramRepository
    member_programs: MemberProgramRepository
    identities: IdentityRepository
    files: FileRepository
    requests: RequestRepository
    messages: MessageRepository
    payments: PaymentRepository
    staff: StaffRepository
    counters: CounterRepository
    audit: AuditRepository
    sent_reminders: ReminderLog
    corrections: CorrectionRepository
    certificates: CertificateSequence
    outbox: Outbox
    notifications: NotificationRepository
    devices: DeviceRepository
    notification_settings: NotificationSettingsRepository
    office_sessions: OfficeSessionRepository

    def __init__(self, engine: Engine, *, read_only: bool = False) -> None:
        self.engine = engine
        self.read_only = read_only
        self.committed = False
        self.committing = False

    def __enter__(self) -> Self:
        self.session = UnitOfWorkSession(self.engine, autoflush=True, expire_on_commit=False)
        args = (self.session,)
        self.members = repos.Members(*args)
        self.challenges = repos.Challenges(*args)
        self.programs = repos.Programs(*args)
        self.member_programs = repos.MemberPrograms(*args)
        self.identities = repos.Identities(*args)
        self.files = repos.Files(*args)
        self.requests = repos.Requests(*args)
        self.messages = repos.Messages(*args)
        self.payments = repos.Payments(*args)
        self.staff = repos.Staff(*args)
        self.counters = repos.Counters(*args)
        self.audit = repos.Audit(*args)
        self.sent_reminders = repos.SentReminders(*args)
        self.corrections = repos.Corrections(*args)
        self.certificates = repos.Certificates(*args)
        self.outbox = repos.Outbox(*args)
        self.notifications = repos.Notifications(*args)
        self.devices = repos.Devices(*args)
        self.notification_settings = repos.NotificationSettingsRepo(*args)
        self.office_sessions = repos.OfficeSessions(*args)
        self.committed = False
        self.committing = False
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # closing rolls back what was not committed and detaches the entities with
        # their state as loaded (a rollback would expire them)
        self.session.close()
        raise_if_nothing_kept(exc, committing=self.committing)

    def commit(self) -> None:
        if self.read_only:
            raise AssertionError("a read-only unit of work cannot commit")
        flush(self.session)
        write_outbox(self.session)
        self.committing = True
        self.session.commit()
        self.committed = True

    def rollback(self) -> None:
        self.session.rollback()


class SqlDatabase:
    """A database and the unit-of-work factory the use cases take; given ``read_url``, a
    replica of it that the lists may be read from while it trails by at most
    ``max_lag`` seconds."""

    def __init__(
        self, url: str, *, read_url: str = "", max_lag: float = 5, **engine_kwargs: Any
    ) -> None:
        start_mappers()
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        # the read-only units of work (SQLite: no write lock)
        self.read_only = self.engine.execution_options(**{READ_ONLY: True})
        # the read side: on SQLite the same deferred transactions, elsewhere its own
        # pool of autocommit connections
        self.reader: Engine = self.read_only
        if self.engine.dialect.name != "sqlite":
            self.reader = make_engine(url, reading=True, **engine_kwargs)
        self.replica: Replica | None = None
        if read_url:
            self.replica = Replica(make_engine(read_url, reading=True, **engine_kwargs), max_lag)

    def unit_of_work(self, *, read_only: bool = False) -> SqlUnitOfWork:
        if read_only:
            return SqlUnitOfWork(self.read_only, read_only=True)
        return SqlUnitOfWork(self.engine)

    def reads(self, *, programs_ttl: float = 0) -> SqlReads:
        return SqlReads(self.reader, programs_ttl=programs_ttl)

    def lists(self, *, programs_ttl: float = 0) -> SqlReads:
        """The reads a replica may give (the primary's when there is none)."""
        if self.replica is None:
            return self.reads(programs_ttl=programs_ttl)
        return ReplicaReads(self.replica, self.reader, programs_ttl=programs_ttl)

    def dispose(self) -> None:
        self.engine.dispose()
        if self.reader is not self.read_only:
            self.reader.dispose()
        if self.replica is not None:
            self.replica.engine.dispose()
