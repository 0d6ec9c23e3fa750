"""The ledger's hourly sums stay equal to the payments they are made from, through every
kind of change a payment or a member's program goes through, on SQLite and MariaDB; and
the fund report read from them says what the payments say."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from kasa.adapters.sql import ledger
from kasa.adapters.sql import schema as tables
from kasa.application.requests import Assessment
from kasa.application.settings import FundSettings
from kasa.domain.money import Money
from tests.integration.app.helpers import Fund
from tests.integration.conftest import empty_tables, sqlite_database


@pytest.fixture(params=["sqlite", "mariadb"])
def fund(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Fund]:
    if request.param == "sqlite":
        database = sqlite_database(tmp_path)
    else:
        database = request.getfixturevalue("mariadb_database")
        empty_tables(database)
    yield Fund.build(FundSettings(four_eyes_threshold=Money(1_000_000)), database)
    if request.param == "sqlite":
        database.dispose()


def kept(fund: Fund) -> dict[tuple[Any, ...], int]:
    """The hourly sums as kept (their slots added up), without the sums that came back
    to zero; the daily sums checked to be the hours' added up, slot by slot."""
    with fund.database.engine.connect() as c:
        rows = c.execute(sa.select(tables.ledger_hours)).all()
        days = c.execute(sa.select(tables.ledger_days)).all()
    # each member's movements are in their slot: the slots added up
    hours: dict[tuple[Any, ...], int] = defaultdict(int)
    slots: dict[tuple[Any, ...], int] = {}
    for h, k, g, p, slot, a in rows:
        hours[(h.replace(tzinfo=None), k, g, p)] += int(a)
        slots[(h, k, g, p, slot)] = int(a)
    by_day: dict[tuple[Any, ...], int] = defaultdict(int)
    for (hour, kind, gateway, program, slot), kopecks in slots.items():
        by_day[(hour.date(), kind, gateway, program, slot)] += kopecks
    kept_days = {(d, k, g, p, slot): int(a) for d, k, g, p, slot, a in days if a}
    assert kept_days == {key: n for key, n in by_day.items() if n}
    return {key: n for key, n in hours.items() if n}


def summed_again(fund: Fund) -> dict[tuple[Any, ...], int]:
    """The same sums made from the payments, as a rebuild makes them."""
    found: dict[tuple[Any, ...], int] = defaultdict(int)
    with fund.database.engine.connect() as c:
        for moment, program, _, kind, total, gateway in ledger._hours_of_payments(c, None, None):
            found[(moment.replace(tzinfo=None), kind.value, gateway, program)] += total.kopecks
    return {key: kopecks for key, kopecks in found.items() if kopecks}


def test_the_hours_follow_every_change_of_money_and_of_program(fund: Fund) -> None:
    basic = fund.program("Базова", price="300")
    wide = fund.program("Розширена", price="450")
    olena = fund.approved_member(basic)
    petro = fund.approved_member(wide)
    steps = []

    def step(name: str) -> None:
        steps.append(name)
        assert kept(fund) == summed_again(fund), steps

    fund.pay(olena, "300")
    fund.pay(petro, "450")
    step("contributions through the gateway")
    transfer = fund.staff_payments.record_top_up(
        fund.operator_id, olena, Money(60000), fund.clock.today() - timedelta(days=40)
    )
    step("a bank transfer dated forty days back")
    request_id = fund.requests.create(olena, "Ліки", []).request.id or 0
    fund.staff_requests.assess(
        fund.operator_id, request_id, Assessment(approved_amount=Money(50000))
    )
    fund.staff_payments.record_payout(
        fund.operator_id, request_id, Money(20000), fund.clock.today()
    )
    step("a payout")
    fund.refunds.reverse(fund.admin_id, transfer.id, "повернуто банком")
    step("a bank transfer taken back")
    order = fund.pay(petro, "450")
    fund.gateway.callback("liqpay", fund.fakes.gateway.message(order, "450", "reversed"))
    step("a contribution the gateway reversed")
    # Петро moves to the basic program: his movements move with him
    fund.profiles.change_program(petro, basic)
    fund.office.accept_program_change(fund.operator_id, petro)
    step("a member's program changed")
    report = fund.books.fund_report(None)
    by_program = defaultdict(int)
    for line in report.lines:
        by_program[line.program] += line.money_in.kopecks
    assert dict(by_program) == {"Базова": 30000 + 60000 + 45000 + 45000}
    assert report.money_in == Money(180000) and report.reversed == Money(105000)
    assert report.money_out == Money(20000)
    # a rebuild from the payments gives the same sums again
    with fund.database.engine.begin() as c:
        ledger.rebuild(c)
    step("rebuilt")


def test_a_report_sums_by_the_funds_own_months(fund: Fund) -> None:
    """Hours are summed into the fund's calendar months (Kyiv): the last UTC hours of
    October are already November there."""
    kyiv = fund.clock.zone
    rows = [
        (datetime(2026, 10, 31, 21, tzinfo=UTC), 100),  # 23:00 in Kyiv: October
        (datetime(2026, 10, 31, 22, tzinfo=UTC), 200),  # 00:00 on 1 November in Kyiv
        (datetime(2026, 11, 30, 21, tzinfo=UTC), 400),  # 23:00 on 30 November
        (datetime(2026, 12, 1, 9, tzinfo=UTC), 800),
    ]
    with fund.database.engine.begin() as c:
        # in two slots: a report adds the slots up
        ledger._add(c, {(h, "confirmation", "", 0, n % 2): a for n, (h, a) in enumerate(rows)})
    starts = fund.clock.month_starts(rows[0][0], rows[-1][0])
    assert [s.astimezone(kyiv).strftime("%Y-%m-%d %H:%M") for s in starts] == [
        "2026-10-01 00:00",
        "2026-11-01 00:00",
        "2026-12-01 00:00",
    ]
    with fund.database.engine.connect() as c:
        found = ledger.summed(c, None, None, starts)
    by_month = {
        fund.clock.local_date(moment).strftime("%Y-%m"): total.kopecks
        for moment, _, _, total, _ in found
    }
    assert by_month == {"2026-10": 100, "2026-11": 600, "2026-12": 800}
    report = fund.books.fund_report(None, date(2026, 10, 1), date(2026, 12, 31))
    assert [(line.month, line.money_in.kopecks) for line in report.lines] == [
        ("2026-10", 100),
        ("2026-11", 600),
        ("2026-12", 800),
    ]
    assert report.money_in == Money(1500) and report.balance_total.kopecks == 1500
    # a period of more than a thousand months sums the same (and reads only the days
    # that hold money)
    since_1900 = fund.books.fund_report(None, date(1900, 1, 1), date(2026, 12, 31))
    assert since_1900.lines == report.lines
