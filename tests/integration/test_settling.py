"""A gateway's notices applied on the callback's own unit of work (Core, on the event
loop) leave the database exactly as a session's unit of work leaves it: the same
notices, in the same order, on two copies of one fund on MariaDB, end in the same rows
of every table they touch. What it does not do is applied on a session, and what fails
midway keeps nothing."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from kasa.adapters.sql import schema as tables
from kasa.adapters.sql.database import SqlDatabase
from kasa.adapters.sql.loop import LoopCallbacks, loop_writes
from kasa.adapters.sql.migrate import upgrade
from kasa.adapters.sql.settling import SettlingUnitOfWork, Unhandled
from kasa.application.callbacks import GatewayCallbacks
from kasa.application.ports import GatewayMessage
from kasa.domain.audit import Actor, AuditEvent, EventType, ObjectKind
from kasa.domain.errors import KasaError
from kasa.domain.money import Money
from tests.integration.app.helpers import Fund
from tests.integration.conftest import empty_tables
from tests.support.fakes import liqpay_message
from tests.support.mariadb import MariaDBServer

# every table a notice writes, and the columns that differ between two databases by
# nothing but their auto-increment (a rolled-back insert uses a number up)
COMPARED = {
    "members": (),
    "payments": (),
    "ledger_hours": (),
    "ledger_days": (),
    "payment_counts": (),
    "audit_events": ("id",),
    "outbox": ("id",),
    "throttle_counters": (),
}


@pytest.fixture
def two_funds(
    mariadb_server: MariaDBServer | str, mariadb_database: SqlDatabase
) -> Iterator[tuple[Fund, str]]:
    """A fund on the session's database, and the URL of a second database its rows are
    copied to once the test has set it up."""
    if isinstance(mariadb_server, str):
        pytest.skip("needs a private MariaDB to make a second database on")
    empty_tables(mariadb_database)
    second = mariadb_server.create_database("kasa_settling")
    upgrade(second)
    yield Fund.build(database=mariadb_database), second


def copied(source: SqlDatabase, url: str) -> SqlDatabase:
    """``url``'s database made a copy of ``source``'s rows."""
    target = SqlDatabase(url)
    name = make_url(source.url).database
    with target.engine.begin() as c:
        c.exec_driver_sql("SET FOREIGN_KEY_CHECKS = 0")
        for table in tables.metadata.sorted_tables:
            c.exec_driver_sql(f"DELETE FROM `{table.name}`")
            c.exec_driver_sql(f"INSERT INTO `{table.name}` SELECT * FROM `{name}`.`{table.name}`")
        c.exec_driver_sql("SET FOREIGN_KEY_CHECKS = 1")
    return target


def rows(database: SqlDatabase) -> dict[str, list[tuple[Any, ...]]]:
    found = {}
    with database.engine.connect() as c:
        for name, left_out in COMPARED.items():
            table = tables.metadata.tables[name]
            columns = [col for col in table.columns if col.name not in left_out]
            order = table.c.id if "id" in table.c else sa.text("1")
            found[name] = [tuple(r) for r in c.execute(sa.select(*columns).order_by(order))]
            if "id" not in table.c:
                found[name].sort(key=repr)
    return found


def notices(fund: Fund, orders: list[str], subscription: str) -> list[GatewayMessage]:
    """Successes, failures and reversals of the orders in a shuffled order, with
    replays, payments the gateway dated, wrong amounts, an unknown order, a bad
    signature and a subscription's monthly charges."""
    pick = random.Random(20261206)
    gateway = fund.fakes.gateway
    sent: list[GatewayMessage] = []
    for n, order in enumerate(orders):
        paid = {"payment_id": 700000 + n, "currency": "UAH"}
        sent.append(gateway.message(order, "300.00", "success", **paid))
        sent.append(gateway.message(order, "300.00", pick.choice(["success", "failure"]), **paid))
        if n % 2 == 0:
            # LiqPay dates a payment (``end_date``): a confirmation counts on that hour
            dated = {**paid, "end_date": 1_790_000_000_000 + n * 3_600_000}
            sent.append(gateway.message(order, "300.00", "success", **dated))
        if n % 3 == 0:
            sent.append(gateway.message(order, "300.00", "reversed", **paid))
        if n % 4 == 1:
            sent.append(gateway.message(order, "1.00", "success", **paid))
    for month in range(3):
        charge = {"payment_id": 800000 + month, "action": "regular", "currency": "UAH"}
        sent.append(gateway.message(subscription, "300.00", "success", **charge))
    sent.append(gateway.message("no-such-order", "300.00", "success", payment_id=1))
    pick.shuffle(sent)
    data, signature = gateway.callback(orders[0], "300.00")
    sent.insert(3, liqpay_message(data, signature[:-4] + "AAAA"))
    return sent


def applied(callbacks: Any, sent: list[GatewayMessage]) -> list[str]:
    """What each notice did: the change, or the error's kind."""

    async def each() -> list[str]:
        said = []
        for message in sent:
            try:
                result = callbacks.callback("liqpay", message, "127.0.0.9")
                if asyncio.iscoroutine(result):
                    result = await result
                said.append(str(result.change))
            except KasaError as error:
                said.append(type(error).__name__)
        return said

    return asyncio.run(each())


def test_notices_on_the_callbacks_unit_of_work_write_what_a_session_writes(
    two_funds: tuple[Fund, str],
) -> None:
    fund, second_url = two_funds
    program = fund.program(price="300.00")
    members = [fund.approved_member(program) for _ in range(4)]
    for member_id in members:
        for _ in range(3):
            fund.payments.start_top_up(member_id, Money.parse("300.00"), "liqpay")
    orders = [str(c["order_id"]) for c in fund.fakes.gateway.checkouts]
    fund.payments.start_subscription(members[0], "liqpay")
    subscription = str(fund.fakes.gateway.checkouts[-1]["order_id"])
    sent = notices(fund, orders, subscription)
    other = copied(fund.database, second_url)
    loop = loop_writes(other.url, 4)
    assert loop is not None
    on_sessions: list[int] = []

    def counted() -> Any:
        on_sessions.append(1)
        return loop.unit_of_work()

    session_callbacks: GatewayCallbacks = fund.gateway
    refusals = attrs.evolve(session_callbacks.refusals, uow=loop.unit_of_work)
    on_loop = LoopCallbacks(loop, attrs.evolve(session_callbacks, uow=counted, refusals=refusals))
    try:
        by_session = applied(session_callbacks, sent)
        by_settling = applied(on_loop, sent)
    finally:
        other.dispose()
    assert by_settling == by_session
    # each kind of notice was sent, and each kind of answer came back
    assert {"confirmed", "failed", "reversed", "none", "NotFound", "RuleViolation"} <= set(
        by_session
    ), by_session
    # some confirmations took the gateway's dates (other hours of the ledger)
    paid_on = tables.payments.c.payment_date
    with fund.database.engine.connect() as c:
        dated = c.execute(
            sa.select(sa.func.count()).where(paid_on >= datetime(2026, 9, 1, tzinfo=UTC))
        ).scalar()
    assert dated
    assert "InvalidInput" in by_session
    # only the subscription's later charges needed a session (a new payment each; the
    # first charge is the checkout's own payment)
    assert len(on_sessions) == 2
    assert rows(other) == rows(fund.database)


def test_what_the_callbacks_unit_of_work_cannot_write_keeps_nothing(
    mariadb_database: SqlDatabase,
) -> None:
    empty_tables(mariadb_database)
    fund = Fund.build(database=mariadb_database)
    member_id = fund.approved_member()
    fund.payments.start_top_up(member_id, Money.parse("300.00"), "liqpay")
    order = str(fund.fakes.gateway.checkouts[-1]["order_id"])
    before = rows(mariadb_database)
    now = fund.clock.now()
    with pytest.raises(Unhandled), SettlingUnitOfWork(mariadb_database.engine) as uow:
        member = uow.members.of_order_for_update(order)
        assert member is not None and member.id == member_id
        # a change the search index follows is a session's to write
        member.first_name = "Інша"
        uow.audit.add(
            AuditEvent.of(
                EventType.CALLBACK_REFUSED, Actor.system(), ObjectKind.PAYMENT, order, now
            )
        )
        uow.commit()
    with pytest.raises(Unhandled), SettlingUnitOfWork(mariadb_database.engine) as uow:
        uow.payments.by_identifier_for_update(order)
    with pytest.raises(Unhandled), SettlingUnitOfWork(mariadb_database.engine) as uow:
        assert uow.requests
    assert rows(mariadb_database) == before
