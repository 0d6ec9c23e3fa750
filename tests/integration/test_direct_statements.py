"""Statements run on a connection's DBAPI cursor (MariaDB, through PyMySQL in a thread
and asyncmy on the event loop) read and write what SQLAlchemy's own execution reads and
writes, values converted by their column types both ways; a driver's error is raised as
SQLAlchemy raises it; a callback whose connection the server dropped runs again."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import attrs
import pytest
import sqlalchemy as sa
from sqlalchemy.dialects.mysql import pymysql
from sqlalchemy.engine import Engine

from kasa.adapters.sql import ledger
from kasa.adapters.sql import repositories as repos
from kasa.adapters.sql import schema as tables
from kasa.adapters.sql.database import SqlDatabase, raise_if_nothing_kept
from kasa.adapters.sql.direct import DirectStatements, prepared
from kasa.adapters.sql.loop import LoopCallbacks, loop_writes
from kasa.application.retrying import Aborted
from kasa.domain.audit import Actor, AuditEvent, EventType, ObjectKind
from kasa.domain.money import Money
from tests.integration.app.helpers import Fund
from tests.integration.conftest import empty_tables
from tests.integration.test_quick_reads import dropped_by_the_server
from tests.support.fakes import liqpay_message

T = TypeVar("T")
DRIVERS = ["pymysql", "asyncmy"]


@pytest.fixture
def database(mariadb_database: SqlDatabase) -> SqlDatabase:
    empty_tables(mariadb_database)
    return mariadb_database


def on(driver: str, database: SqlDatabase, work: Callable[[Engine], T]) -> T:
    """``work(engine)``: with PyMySQL's engine in this thread, or on the event loop with
    asyncmy's (in a greenlet, as the loop's units of work run)."""
    if driver == "pymysql":
        return work(database.engine)
    writes = loop_writes(database.url, 2)
    assert writes is not None

    async def run() -> T:
        try:
            return await writes.run(lambda: work(writes.settling().engine))
        finally:
            await writes.close()

    return asyncio.run(run())


def audit_event(n: int) -> AuditEvent:
    at = datetime(2026, 12, 6, 5, n, 7, tzinfo=UTC)
    event = AuditEvent.of(EventType.PAYMENT_CONFIRMED, Actor.system(), ObjectKind.PAYMENT, "o", at)
    return attrs.evolve(event, details={"amount": "300.00", "n": n, "слово": ["а", None]})


@pytest.mark.parametrize("driver", DRIVERS)
def test_rows_read_and_written_are_what_sqlalchemy_reads_and_writes(
    driver: str, database: SqlDatabase
) -> None:
    fund = Fund.build(database=database)
    member_id = fund.approved_member(fund.program(price="300.00"))
    fund.pay(member_id, "300.00")
    members, payments, audit = tables.members, tables.payments, tables.audit_events
    by_member = sa.select(members).where(members.c.id == sa.bindparam("identifier"))
    of_member = sa.select(payments).where(payments.c.member_id == sa.bindparam("identifier"))
    audit_rows = sa.select(audit).where(audit.c.object_id == "o").order_by(audit.c.id)

    def work(engine: Engine) -> tuple[Any, ...]:
        with engine.connect() as c:
            direct = DirectStatements(c)
            read = (
                direct.rows(by_member, {"identifier": member_id}),
                direct.rows(of_member, {"identifier": member_id}),
            )
            core = (
                [tuple(r) for r in c.execute(by_member, {"identifier": member_id})],
                [tuple(r) for r in c.execute(of_member, {"identifier": member_id})],
            )
            # an insert through each way, then both read back through SQLAlchemy
            first = direct.execute(sa.insert(audit), repos.audit_row(audit_event(1)))
            c.execute(sa.insert(audit), repos.audit_row(audit_event(1)))
            c.commit()
            written = [tuple(r)[1:] for r in c.execute(audit_rows)]
            direct_read = direct.rows(audit_rows, {})
            return read, core, first, written, direct_read

    read, core, first, written, direct_read = on(driver, database, work)
    assert read == core
    assert len(read[0]) == 1 and len(read[1]) == 1
    assert isinstance(read[1][0][payments.c.keys().index("amount")], Money)
    paid_at = read[1][0][payments.c.keys().index("payment_date")]
    assert paid_at is not None and paid_at.tzinfo is not None
    assert first > 0 and direct_read[0][0] == first
    assert written[0] == written[1] and len(written) == 2
    assert direct_read[0][1:] == written[0]
    assert direct_read[0][audit.c.keys().index("details")]["слово"] == ["а", None]


@pytest.mark.parametrize("driver", DRIVERS)
def test_an_insert_of_several_rows_and_a_statements_own_values(
    driver: str, database: SqlDatabase
) -> None:
    hour = datetime(2026, 12, 6, 5, tzinfo=UTC)
    rows = [
        {"hour": hour, "kind": kind, "gateway": "liqpay", "program_id": 1, "slot": 0}
        | {"amount": amount}
        for kind, amount in (("in", 30000), ("refund", -500), ("fee", 70))
    ]
    upsert = ledger._upsert_statement("mysql", ledger.HOURS, "hour")
    hours = ledger.HOURS
    # the literal ("liqpay") is the statement's own parameter, never the caller's
    kept = sa.select(hours.c.kind, hours.c.amount, hours.c.hour).where(
        hours.c.gateway == "liqpay", hours.c.amount != sa.bindparam("not")
    )

    def work(engine: Engine) -> list[tuple[Any, ...]]:
        with engine.connect() as c:
            direct = DirectStatements(c)
            direct.execute(upsert, rows)
            direct.execute(upsert, rows)
            c.commit()
            return sorted(direct.rows(kept, {"not": 70 * 2}))

    assert on(driver, database, work) == [("in", 60000, hour), ("refund", -1000, hour)]


@pytest.mark.parametrize("driver", DRIVERS)
def test_a_drivers_error_is_raised_as_sqlalchemy_raises_it(
    driver: str, database: SqlDatabase
) -> None:
    row = repos.audit_row(audit_event(2))
    insert = sa.insert(tables.audit_events)

    def work(engine: Engine) -> tuple[BaseException, BaseException, bool]:
        with engine.connect() as c:
            direct = DirectStatements(c)
            key = direct.execute(insert, row)
            with pytest.raises(sa.exc.IntegrityError) as twice:
                direct.execute(insert, {**row, "id": key})
            c.rollback()
            # the connection is still good after an error of the statement's
            assert direct.rows(sa.select(sa.literal(1).label("one")), {}) == [(1,)]
            (connection_id,) = direct.rows(sa.select(sa.func.connection_id()), {})[0]
            dropped_by_the_server(database, int(connection_id))
            with pytest.raises(sa.exc.OperationalError) as gone:
                direct.execute(insert, row)
            return twice.value, gone.value, c.invalidated

    duplicate, gone, invalidated = on(driver, database, work)
    assert isinstance(duplicate, sa.exc.DBAPIError) and duplicate.orig is not None
    assert duplicate.orig.args[0] == 1062 and not duplicate.connection_invalidated
    assert isinstance(gone, sa.exc.DBAPIError)
    assert gone.connection_invalidated and invalidated
    # a unit of work that had not begun to commit runs again; one committing does not
    with pytest.raises(Aborted):
        raise_if_nothing_kept(gone, committing=False)
    raise_if_nothing_kept(gone, committing=True)
    raise_if_nothing_kept(duplicate, committing=False)
    with database.engine.connect() as c:
        assert c.execute(sa.select(sa.func.count()).select_from(tables.audit_events)).scalar() == 0


def test_a_callback_whose_connection_the_server_dropped_is_applied_once(
    database: SqlDatabase,
) -> None:
    fund = Fund.build(database=database)
    member_id = fund.approved_member(fund.program(price="300.00"))
    fund.payments.start_top_up(member_id, Money.parse("300.00"), "liqpay")
    order = str(fund.fakes.gateway.checkouts[-1]["order_id"])
    writes = loop_writes(database.url, 1)
    assert writes is not None
    callbacks = attrs.evolve(fund.gateway, uow=writes.unit_of_work)
    on_loop = LoopCallbacks(
        writes,
        attrs.evolve(callbacks, refusals=attrs.evolve(callbacks.refusals, uow=writes.unit_of_work)),
    )
    data, signature = fund.fakes.gateway.callback(order, "300.00")

    def connection_id() -> int:
        with writes.settling() as uow:
            return int(uow.statements.rows(sa.select(sa.func.connection_id()), {})[0][0])

    async def dropped_then_applied() -> tuple[str, str]:
        try:
            dropped_by_the_server(database, await writes.run(connection_id))
            first = await on_loop.callback("liqpay", liqpay_message(data, signature), "127.0.0.9")
            again = await on_loop.callback("liqpay", liqpay_message(data, signature), "127.0.0.9")
            return str(first.change), str(again.change)
        finally:
            await writes.close()

    assert asyncio.run(dropped_then_applied()) == ("confirmed", "none")
    with database.engine.connect() as c:
        status = c.execute(
            sa.select(tables.payments.c.status).where(tables.payments.c.payment_identifier == order)
        ).scalar_one()
        confirmed = c.execute(
            sa.select(sa.func.count())
            .select_from(tables.audit_events)
            .where(tables.audit_events.c.event_type == EventType.PAYMENT_CONFIRMED)
        ).scalar_one()
    assert str(status) == "confirmed" and confirmed == 1


def test_a_default_computed_for_each_row_is_refused() -> None:
    table = sa.Table(
        "stamped",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime, default=lambda: datetime.now(UTC)),
        sa.Column("note", sa.String(8), default="new"),
    )
    dialect = pymysql.dialect(paramstyle="pyformat")  # as PyMySQL says
    # a constant default is sent for a row without the column
    plain = prepared(sa.insert(table), dialect, ("id", "at"))
    assert plain.args({"id": 1, "at": None}) == {"id": 1, "at": None, "note": "new"}
    with pytest.raises(TypeError, match="computed for each row"):
        prepared(sa.insert(table), dialect, ("id",))
