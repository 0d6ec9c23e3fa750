"""The repositories of the application's ports, on SQLAlchemy's session and the
entities mapped in ``orm.py``. They add and find; they never commit. A query first
flushes what the unit of work changed (the session's autoflush), so it sees it."""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from datetime import UTC, date, datetime
from typing import Any, TypeVar, cast

import attrs
import sqlalchemy as sa
from sqlalchemy.dialects.mysql import insert as mysql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from kasa.adapters.sql import ledger
from kasa.adapters.sql import schema as tables
from kasa.adapters.sql.flushing import flush
from kasa.application.repositories import OutboxEvent, ReminderSent
from kasa.domain.audit import AuditEvent
from kasa.domain.errors import Conflict
from kasa.domain.events import EventKind
from kasa.domain.files import StoredFile
from kasa.domain.identity import MemberIdentity
from kasa.domain.members import CorrectionReport, Member
from kasa.domain.money import Money
from kasa.domain.notifications import DeliveryState, Device, Notification, NotificationSettings
from kasa.domain.office import OfficeSession
from kasa.domain.payments import Payment
from kasa.domain.programs import MemberProgram, Program
from kasa.domain.requests import Request, RequestMessage, RequestStatus
from kasa.domain.signin import SignInChallenge
from kasa.domain.staff import StaffUser
from kasa.domain.throttle import Counter

E = TypeVar("E")
NAMES_AT_ONCE = 500  # stored names looked up in one statement


class _Repo:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _add(self, entity: E) -> E:
        """Insert at once, so that the entity has its id."""
        self.session.add(entity)
        flush(self.session)
        return entity

    def _one(self, kind: type[E], *where: Any, lock: bool = False) -> E | None:
        stmt = sa.select(kind).where(*where)
        if lock:
            stmt = stmt.with_for_update()
        return self.session.execute(stmt).scalar_one_or_none()

    def _all(self, kind: type[E], *where: Any, order_by: Any) -> Sequence[E]:
        stmt = sa.select(kind).where(*where).order_by(order_by)
        return self.session.execute(stmt).scalars().all()


class Members(_Repo):
    def add(self, member: Member) -> Member:
        return self._add(member)

    def get(self, member_id: int) -> Member | None:
        return self.session.get(Member, member_id)

    def get_for_update(self, member_id: int) -> Member | None:
        return self.session.get(Member, member_id, with_for_update=True)

    def of_order_for_update(self, identifier: str) -> Member | None:
        found: Member | None = self.session.execute(
            _member_of_order(), {"identifier": identifier}
        ).scalar_one_or_none()
        return found

    def by_phone(self, phone: str) -> Member | None:
        return self._one(Member, tables.members.c.phone == phone)

    def by_certificate(self, certificate: str) -> Member | None:
        return self._one(Member, tables.members.c.certificate == certificate)

    def by_diia_request(self, request_id: str) -> Member | None:
        return self._one(Member, tables.members.c.diia_request_id == request_id)


class Challenges(_Repo):
    def add(self, challenge: SignInChallenge) -> SignInChallenge:
        return self._add(challenge)

    def for_phone_for_update(self, phone: str) -> SignInChallenge | None:
        return self._one(SignInChallenge, tables.sign_in_challenges.c.phone == phone, lock=True)


@functools.cache
def _member_of_order() -> Any:
    """The member of an order, locked; the subquery's payment row is read, not locked
    (built once, after the mappers)."""
    return member_of_order(Member)


def member_of_order(*selected: Any) -> Any:
    """What is selected of the member of an order, locked; the subquery's payment row is
    read, not locked."""
    order = sa.select(tables.payments.c.member_id).where(
        tables.payments.c.payment_identifier == sa.bindparam("identifier")
    )
    member = tables.members.c.id == order.scalar_subquery()
    return sa.select(*selected).where(member).with_for_update()


@functools.cache
def _payment_of_order() -> Any:
    """The payment of an order, locked (built once, after the mappers)."""
    return (
        sa.select(Payment)
        .where(tables.payments.c.payment_identifier == sa.bindparam("identifier"))
        .with_for_update()
    )


@functools.cache
def _order_with_price() -> Any:
    """The payment of an order, locked, with its member's current program and that
    program's monthly price beside it (built once, after the mappers)."""
    return order_with_price(Payment)


def order_with_price(*selected: Any) -> Any:
    """What is selected of the payment of an order, locked, with its member's current
    program and that program's monthly price beside it: scalar subqueries, read and not
    locked."""
    link, program, payment = tables.member_programs.c, tables.programs.c, tables.payments.c
    current = sa.and_(link.member_id == payment.member_id, link.is_active.is_(True))
    program_id = sa.select(link.program_id).where(current).limit(1).scalar_subquery()
    price = (
        sa.select(program.month_price)
        .join(tables.member_programs, link.program_id == program.id)
        .where(current)
        .limit(1)
        .scalar_subquery()
    )
    return (
        sa.select(*selected, program_id, price)
        .where(payment.payment_identifier == sa.bindparam("identifier"))
        .with_for_update()
    )


@functools.cache
def _current_program() -> Any:
    """A member's current program, one statement built once (after the mappers)."""
    link = tables.member_programs.c
    return (
        sa.select(Program)
        .join(tables.member_programs, link.program_id == tables.programs.c.id)
        .where(link.member_id == sa.bindparam("member_id"), link.is_active.is_(True))
        .limit(1)
    )


class Programs(_Repo):
    def add(self, program: Program) -> Program:
        return self._add(program)

    def get(self, program_id: int) -> Program | None:
        return self.session.get(Program, program_id)

    def current_of(self, member_id: int) -> Program | None:
        found: Program | None = self.session.execute(
            _current_program(), {"member_id": member_id}
        ).scalar()
        known = self.session.info.setdefault(ledger.CURRENT_PROGRAMS, {})
        known[member_id] = found.id if found is not None and found.id else ledger.NO_PROGRAM
        return found


class MemberPrograms(_Repo):
    def add(self, link: MemberProgram) -> MemberProgram:
        return self._add(link)

    def for_member(self, member_id: int) -> Sequence[MemberProgram]:
        row = tables.member_programs
        return self._all(MemberProgram, row.c.member_id == member_id, order_by=row.c.id)


class Identities(_Repo):
    def add(self, document: MemberIdentity) -> MemberIdentity:
        return self._add(document)

    def for_member(self, member_id: int) -> Sequence[MemberIdentity]:
        row = tables.member_identities
        return self._all(MemberIdentity, row.c.member_id == member_id, order_by=row.c.id)


# one row at most, however many copies of a file there are (found by its digest's index)
_TWIN_REQUEST = (
    sa.select(tables.files.c.request_id)
    .where(
        tables.files.c.sha256 == sa.bindparam("sha256"),
        tables.files.c.request_id.is_not(None),
        tables.files.c.request_id != sa.bindparam("other_than"),
    )
    .order_by(tables.files.c.id)
    .limit(1)
)


class Files(_Repo):
    def add(self, file: StoredFile) -> StoredFile:
        return self._add(file)

    def get(self, file_id: int) -> StoredFile | None:
        return self.session.get(StoredFile, file_id)

    def by_stored_name(self, stored_name: str) -> StoredFile | None:
        return self._one(StoredFile, tables.files.c.stored_name == stored_name)

    def request_with_twin(self, sha256: str, other_than: int) -> int | None:
        found: int | None = self.session.execute(
            _TWIN_REQUEST, {"sha256": sha256, "other_than": other_than}
        ).scalar()
        return found

    def stored_bytes(self, member_id: int) -> int:
        stmt = sa.select(sa.func.coalesce(sa.func.sum(tables.files.c.size), 0)).where(
            tables.files.c.member_id == member_id
        )
        return int(self.session.execute(stmt).scalar_one())

    def named(self, stored_names: Collection[str]) -> set[str]:
        wanted, found = sorted(set(stored_names)), set()
        column = tables.files.c.stored_name
        for start in range(0, len(wanted), NAMES_AT_ONCE):
            chunk = wanted[start : start + NAMES_AT_ONCE]
            found |= set(self.session.execute(sa.select(column).where(column.in_(chunk))).scalars())
        return found


class Requests(_Repo):
    def add(self, request: Request) -> Request:
        return self._add(request)

    def get(self, request_id: int) -> Request | None:
        return self.session.get(Request, request_id)

    def get_for_update(self, request_id: int) -> Request | None:
        return self.session.get(Request, request_id, with_for_update=True)

    def member_of(self, request_id: int) -> int | None:
        row = tables.requests
        return self.session.execute(
            sa.select(row.c.member_id).where(row.c.id == request_id)
        ).scalar_one_or_none()

    def open_count(self, member_id: int) -> int:
        row = tables.requests
        stmt = sa.select(sa.func.count()).where(
            row.c.member_id == member_id, row.c.status != RequestStatus.CLOSED.value
        )
        return int(self.session.execute(stmt).scalar_one())


class Messages(_Repo):
    def add(self, message: RequestMessage) -> RequestMessage:
        return self._add(message)


class Payments(_Repo):
    def add(self, payment: Payment) -> Payment:
        return self._add(payment)

    def get(self, payment_id: int) -> Payment | None:
        return self.session.get(Payment, payment_id)

    def get_for_update(self, payment_id: int) -> Payment | None:
        return self.session.get(Payment, payment_id, with_for_update=True)

    def by_identifier_for_update(self, identifier: str) -> Payment | None:
        found: Payment | None = self.session.execute(
            _payment_of_order(), {"identifier": identifier}
        ).scalar_one_or_none()
        return found

    def order_for_update(self, identifier: str) -> tuple[Payment, Money | None] | None:
        row = self.session.execute(_order_with_price(), {"identifier": identifier}).one_or_none()
        if row is None:
            return None
        found, program_id, price = row
        # the ledger's flush knows the member's program without reading it again
        known = self.session.info.setdefault(ledger.CURRENT_PROGRAMS, {})
        known[found.member_id] = program_id or ledger.NO_PROGRAM
        return found, price

    def member_of(self, payment_id: int) -> int | None:
        row = tables.payments
        return self.session.execute(
            sa.select(row.c.member_id).where(row.c.id == payment_id)
        ).scalar_one_or_none()

    def for_request(self, request_id: int) -> Sequence[Payment]:
        row = tables.payments
        return self._all(Payment, row.c.request_id == request_id, order_by=row.c.id)


class Staff(_Repo):
    def add(self, user: StaffUser) -> StaffUser:
        return self._add(user)

    def get(self, staff_id: int) -> StaffUser | None:
        return self.session.get(StaffUser, staff_id)

    def by_login(self, login: str) -> StaffUser | None:
        return self._one(StaffUser, tables.staff_users.c.login == login)


class Counters(_Repo):
    def locked(self, keys: Collection[str]) -> dict[str, Counter]:
        found: dict[str, Counter] = {}
        for key in sorted(set(keys)):
            # Make the row if it is missing; on MariaDB the upsert takes the row's
            # exclusive lock at once (a plain insert's shared lock would let two
            # waiting transactions deadlock on the upgrade).
            self.session.execute(_insert_missing(self.session, key))
            counter = self._one(Counter, tables.throttle_counters.c.key == key, lock=True)
            assert counter is not None
            found[key] = counter
        return found

    def peek(self, key: str) -> Counter | None:
        return self._one(Counter, tables.throttle_counters.c.key == key)

    def prune(self, started_before: datetime) -> int:
        row = tables.throttle_counters
        old = sa.or_(row.c.started_at.is_(None), row.c.started_at < started_before)
        result = cast(CursorResult[Any], self.session.execute(sa.delete(row).where(old)))
        return int(result.rowcount)


def _insert_missing(session: Session, key: str) -> Any:
    values = {"key": key, "count": 0, "total": 0}
    if session.get_bind().dialect.name == "mysql":
        upsert = mysql_insert(tables.throttle_counters).values(**values)
        return upsert.on_duplicate_key_update(key=upsert.inserted.key)
    return sqlite_insert(tables.throttle_counters).values(**values).on_conflict_do_nothing()


class Audit(_Repo):
    """Audit events are written once and never change: a plain insert."""

    def add(self, event: AuditEvent) -> AuditEvent:
        return attrs.evolve(event, id=_insert(self.session, tables.audit_events, audit_row(event)))


def audit_row(event: AuditEvent) -> dict[str, Any]:
    """The audit trail's row of an event."""
    return {
        "event_type": event.event_type,
        "actor_kind": event.actor.kind,
        "actor_id": event.actor.id,
        "object_kind": event.object_kind,
        "object_id": event.object_id,
        "details": dict(event.details),
        "at": event.at,
    }


class SentReminders(_Repo):
    def add(self, reminder: ReminderSent) -> ReminderSent:
        if self.exists(reminder.member_id, reminder.kind, reminder.period):
            raise Conflict("This reminder was already sent.")
        values = attrs.asdict(reminder)
        values.pop("id")
        return attrs.evolve(reminder, id=_insert(self.session, tables.reminders, values))

    def exists(self, member_id: int, kind: str, period: date) -> bool:
        r = tables.reminders
        stmt = sa.select(r.c.id).where(
            r.c.member_id == member_id, r.c.kind == kind, r.c.period == period
        )
        return self.session.execute(stmt).first() is not None


class Corrections(_Repo):
    def add(self, report: CorrectionReport) -> CorrectionReport:
        return self._add(report)

    def for_member(self, member_id: int) -> Sequence[CorrectionReport]:
        row = tables.correction_reports
        return self._all(CorrectionReport, row.c.member_id == member_id, order_by=row.c.id)


class Certificates(_Repo):
    def next_number(self) -> int:
        """A row per number handed out; the auto-increment never goes back."""
        return _insert(self.session, tables.certificate_numbers, {"issued_at": datetime.now(UTC)})


@functools.cache
def _insert_into(table: sa.Table) -> Any:
    return sa.insert(table)


def _insert(session: Session, row_class: Any, values: dict[str, Any]) -> int:
    """Insert one row of something written once; its new id."""
    found = cast(CursorResult[Any], session.execute(_insert_into(row_class), values))
    key = found.inserted_primary_key
    assert key is not None
    return int(key[0])


# -- what members are told -------------------------------------------------------------
def _skip_locked(stmt: Any, session: Session) -> Any:
    """Rows another worker holds are skipped (MariaDB/MySQL); SQLite takes one writer
    at a time, so one worker at a time claims there."""
    if session.get_bind().dialect.name == "sqlite":
        return stmt
    return stmt.with_for_update(skip_locked=True)


class Outbox(_Repo):
    def claim(self, limit: int) -> list[OutboxEvent]:
        o = tables.outbox.c
        stmt = sa.select(tables.outbox).where(o.handled_at.is_(None)).order_by(o.id).limit(limit)
        rows = self.session.execute(_skip_locked(stmt, self.session)).all()
        return [
            OutboxEvent(
                r.id,
                EventKind(r.kind),
                r.member_id,
                r.request_id,
                r.payment_id,
                dict(r.data),
                r.created_at,
            )
            for r in rows
        ]

    def handled(self, ids: Sequence[int], now: datetime) -> None:
        if ids:
            o = tables.outbox
            self.session.execute(sa.update(o).where(o.c.id.in_(ids)).values(handled_at=now))

    def prune(self, before: datetime) -> int:
        o = tables.outbox
        old = sa.and_(o.c.handled_at.is_not(None), o.c.handled_at < before)
        result = cast(CursorResult[Any], self.session.execute(sa.delete(o).where(old)))
        return int(result.rowcount or 0)


class Notifications(_Repo):
    def add(self, notification: Notification) -> Notification:
        return self._add(notification)

    def get_for_update(self, notification_id: int) -> Notification | None:
        return self.session.get(Notification, notification_id, with_for_update=True)

    def claim_due(self, now: datetime, limit: int) -> list[Notification]:
        n = tables.notifications.c
        stmt = (
            sa.select(Notification)
            .where(n.state == DeliveryState.PENDING.value, n.due_at <= now)
            .order_by(n.due_at, n.id)
            .limit(limit)
        )
        return list(self.session.execute(_skip_locked(stmt, self.session)).scalars())

    def messages_since(self, request_id: int, since: datetime) -> int:
        n = tables.notifications.c
        stmt = sa.select(sa.func.count()).where(
            n.request_id == request_id, n.event == EventKind.MESSAGE.value, n.created_at >= since
        )
        return int(self.session.execute(stmt).scalar_one())

    def sms_sent_since(self, member_id: int, since: datetime) -> int:
        n = tables.notifications.c
        stmt = sa.select(sa.func.count()).where(
            n.member_id == member_id, n.channel == "sms", n.sent_at >= since
        )
        return int(self.session.execute(stmt).scalar_one())

    def mark_read(self, member_id: int, ids: Collection[int] | None, now: datetime) -> int:
        n = tables.notifications
        which = sa.and_(n.c.member_id == member_id, n.c.read_at.is_(None))
        if ids is not None:
            which = sa.and_(which, n.c.id.in_(list(ids)))
        result = cast(
            CursorResult[Any], self.session.execute(sa.update(n).where(which).values(read_at=now))
        )
        return int(result.rowcount or 0)

    def prune(self, before: datetime) -> int:
        n = tables.notifications
        result = cast(
            CursorResult[Any], self.session.execute(sa.delete(n).where(n.c.created_at < before))
        )
        return int(result.rowcount or 0)


class Devices(_Repo):
    def add(self, device: Device) -> Device:
        return self._add(device)

    def by_token(self, token: str) -> Device | None:
        return self._one(Device, tables.devices.c.token == token, lock=True)

    def for_member(self, member_id: int) -> Sequence[Device]:
        d = tables.devices.c
        return self._all(Device, d.member_id == member_id, order_by=d.last_seen_at)

    def remove(self, device: Device) -> None:
        self.session.delete(device)
        flush(self.session)


class OfficeSessions(_Repo):
    def add(self, session: OfficeSession) -> OfficeSession:
        return self._add(session)

    def get(self, key: str) -> OfficeSession | None:
        return self.session.get(OfficeSession, key)

    def remove(self, session: OfficeSession) -> None:
        self.session.delete(session)
        flush(self.session)

    def prune(self, seen_before: datetime) -> int:
        s = tables.office_sessions
        result = cast(
            CursorResult[Any], self.session.execute(sa.delete(s).where(s.c.seen_at < seen_before))
        )
        return int(result.rowcount or 0)


class NotificationSettingsRepo(_Repo):
    def get(self, member_id: int) -> NotificationSettings | None:
        return self.session.get(NotificationSettings, member_id)

    def add(self, settings: NotificationSettings) -> NotificationSettings:
        return self._add(settings)
