"""The use cases end to end on the real databases: a member's whole journey and the
back office's work, on SQLite and on MariaDB."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from kasa.application import books
from kasa.application.members import MemberData
from kasa.application.reads import AuditQuery, MemberQuery, Page, PaymentQuery, RequestQuery
from kasa.application.requests import Assessment
from kasa.application.search import SearchField, words_of
from kasa.application.settings import FundSettings
from kasa.application.uploads import Upload
from kasa.domain.audit import EventType
from kasa.domain.errors import Conflict, NotFound
from kasa.domain.members import MemberStatus
from kasa.domain.money import Money
from kasa.domain.payments import PaymentStatus, PaymentType
from kasa.domain.requests import RequestStatus, Resolution
from tests.integration.app.helpers import JPEG, PDF, Fund
from tests.integration.app.test_back_office import read_csv
from tests.integration.conftest import empty_tables, sqlite_database
from tests.support.fakes import liqpay_message


@pytest.fixture(params=["sqlite", "mariadb"])
def fund(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Fund]:
    if request.param == "sqlite":
        database = sqlite_database(tmp_path)
    else:
        database = request.getfixturevalue("mariadb_database")
        empty_tables(database)
    yield Fund.build(FundSettings(four_eyes_threshold=Money(100_000)), database)
    if request.param == "sqlite":
        database.dispose()


def test_a_members_whole_journey(fund: Fund) -> None:
    program_id = fund.program(price="300")
    member_id = fund.sign_up("+380501112233")
    fund.submit(member_id, program_id)
    queue = fund.office.search(fund.operator_id, (), frozenset(), Page())
    assert [m.id for m in queue] == [member_id]
    certificate = fund.approve(member_id)
    profile = fund.profiles.get(member_id)
    assert profile.member.certificate == certificate and profile.program is not None
    assert profile.member.status is MemberStatus.APPROVED

    order_id = fund.pay(member_id, "450")
    replay = fund.fakes.gateway.callback(order_id, "450.00")
    assert fund.gateway.callback("liqpay", liqpay_message(*replay)).change == "none"
    paid_until = fund.profiles.get(member_id).member.membership.paid_until
    assert paid_until == fund.clock.today() + timedelta(days=45)

    view = fund.requests.create(member_id, "Аптека, чек", [Upload.of("f", "чек.jpg", JPEG)])
    request_id = view.request.id or 0
    fund.staff_requests.write(fund.operator_id, request_id, "Потрібен рецепт")
    fund.requests.add_files(member_id, request_id, [Upload.of("f", "рецепт.pdf", PDF)])
    fund.staff_requests.assess(
        fund.operator_id,
        request_id,
        Assessment(diagnosis="J06", approved_amount=Money(150_000)),
    )
    first = fund.staff_payments.record_payout(
        fund.operator_id, request_id, Money(50_000), fund.clock.today()
    )
    second = fund.staff_payments.record_payout(
        fund.operator_id, request_id, Money(100_000), fund.clock.today()
    )
    assert first.payment_type is PaymentType.PARTIAL_PAYOUT and not first.needs_approval
    # the request's payouts together pass the four-eyes threshold: a second person approves
    assert second.payment_type is PaymentType.PAYOUT and second.needs_approval
    approved = fund.staff_payments.approve_payout(fund.admin_id, second.id or 0)
    assert approved.status is PaymentStatus.CONFIRMED
    closed = fund.staff_requests.close(fund.operator_id, request_id, Resolution.PAID)
    assert closed.request.status is RequestStatus.CLOSED
    detail = fund.requests.get(member_id, request_id)
    assert len(detail.request.files) == 2 and len(detail.messages) == 1
    assert len(detail.charges) == 2
    assert [c.payment.amount for c in fund.payments.charges(member_id)] == [
        Money(100_000),
        Money(50_000),
    ]
    with pytest.raises(Conflict):
        fund.requests.write(member_id, request_id, "ще питання")

    other = fund.approved_member(program_id)
    with pytest.raises(NotFound):
        fund.requests.get(other, request_id)
    with pytest.raises(NotFound):
        fund.member_files.own_file(other, other, detail.request.files[0].stored_name)
    own = fund.member_files.own_file(member_id, member_id, detail.request.files[0].stored_name)
    assert own.content.read() == JPEG


def test_back_office_lists_reports_and_exports(fund: Fund) -> None:
    program_id = fund.program(price="300")
    alice = fund.approved_member(program_id)
    fund.office.correct(
        fund.operator_id, alice, MemberData(first_name="Ґанна", last_name="Їжакевич")
    )
    bob = fund.approved_member(program_id)
    fund.pay(alice, "300")
    fund.pay(bob, "150")
    found = fund.office.search(
        fund.operator_id, words_of("ґанна ЇЖАКЕВИЧ"), frozenset({SearchField.NAME}), Page()
    )
    assert [m.id for m in found] == [alice]
    cert = fund.profiles.get(alice).member.certificate
    listing = fund.staff_payments.list(
        fund.operator_id, PaymentQuery(certificate=cert, amount_start=Money(20_000)), Page()
    )
    assert listing.total == 1 and listing.items[0].member.full_name.split()[1] == "Ґанна"
    report = fund.books.fund_report(fund.operator_id)
    assert report.money_in == Money(45_000) and report.members_by_status["approved"] == 2
    rows = "".join(fund.books.export_members(fund.operator_id, MemberQuery()))
    assert "Їжакевич" in rows
    assert "".join(fund.books.export_payments(None, PaymentQuery())).count("\n") == 3
    assert "".join(fund.books.export_requests(None, RequestQuery())).count("\n") == 1
    trail = fund.books.audit_trail(
        None, AuditQuery(event_types=frozenset({EventType.PAYMENT_CONFIRMED})), Page()
    )
    assert trail.total == 2


def test_four_eyes_reminders_and_reconciliation(fund: Fund) -> None:
    member_id = fund.approved_member(fund.program(price="300"))
    request_id = fund.requests.create(member_id, "", []).request.id or 0
    fund.staff_requests.assess(
        fund.operator_id, request_id, Assessment(approved_amount=Money(200_000))
    )
    payout = fund.staff_payments.record_payout(
        fund.operator_id, request_id, Money(150_000), fund.clock.today()
    )
    assert payout.status is PaymentStatus.PENDING
    approved = fund.staff_payments.approve_payout(fund.admin_id, payout.id or 0)
    assert approved.status is PaymentStatus.CONFIRMED

    fund.payments.start_top_up(member_id, Money(30_000), "liqpay")
    order_id = fund.fakes.gateway.checkouts[-1]["order_id"]
    fund.fakes.gateway.statuses[order_id] = {"status": "success", "amount": "300.00"}
    fund.fakes.clock.advance(hours=1)
    report = fund.gateway.reconcile()
    assert (report.checked, report.confirmed) == (1, 1)
    fund.fakes.clock.advance(days=25)
    assert fund.reminders.send().sent == 1
    assert fund.reminders.send().already_sent == 1


def test_each_cell_of_the_payments_export_is_what_the_registry_shows(fund: Fund) -> None:
    """A top-up paid at 22:30 UTC (the next day at the fund), one staff recorded and a
    payout on a request: every cell is the registry's value, written out."""
    member_id = fund.approved_member(fund.program(price="300"))
    fund.fakes.clock.advance(hours=12, minutes=30)  # 2026-01-15 22:30 UTC
    fund.pay(member_id, "300")
    fund.staff_payments.record_top_up(
        fund.operator_id, member_id, Money(15_005), fund.clock.today()
    )
    request_id = fund.requests.create(member_id, "", []).request.id or 0
    fund.staff_requests.assess(
        fund.operator_id, request_id, Assessment(approved_amount=Money(5000))
    )
    fund.staff_payments.record_payout(fund.operator_id, request_id, Money(5000), fund.clock.today())
    listed = fund.staff_payments.list(fund.operator_id, PaymentQuery(), Page()).items
    exported = read_csv(fund.books.export_payments(fund.operator_id, PaymentQuery()))[1:]
    assert exported == [
        [
            str(p.id),
            fund.clock.local_date(p.moved_at).isoformat(),
            p.payment_type,
            p.status,
            str(p.amount),
            str(p.member_id),
            found.member.full_name,
            found.member.certificate,
            str(p.request_id or ""),
            p.source,
            p.gateway or "",
            p.payment_identifier or "",
            p.extended_to.isoformat() if p.extended_to else "",
            p.iban,
        ]
        for found in listed
        for p in [found.payment]
    ]
    paid = next(row for row in exported if row[10] == "liqpay")
    assert paid[1] == "2026-01-16" and paid[4] == "300.00" and paid[2] == PaymentType.TOP_UP
    assert paid[11] and paid[12] and paid[7]
    assert len(exported) == 3 and "150.05" in {row[4] for row in exported}
    payout = next(row for row in exported if row[8])
    assert payout[8] == str(request_id) and payout[4] == "50.00" and payout[13]


def test_the_payments_export_pages_on_from_where_the_last_page_ended(
    fund: Fund, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages of 1, 2 and 3 through 8 payments, most of them at one moment: every payment
    once, in the registry's order, filtered the same way."""
    members = [fund.approved_member(fund.program(price="300")) for _ in range(2)]
    for n in range(8):
        fund.pay(members[n % 2], "300")
        if n in (0, 4):
            fund.fakes.clock.advance(minutes=1)
    listed = fund.staff_payments.list(fund.operator_id, PaymentQuery(), Page(100, 0)).items
    whole = read_csv(fund.books.export_payments(None, PaymentQuery()))  # one page
    assert [row[0] for row in whole[1:]] == [str(p.payment.id) for p in listed]
    mine = PaymentQuery(member_id=members[1])
    alone = read_csv(fund.books.export_payments(None, mine))
    assert {row[5] for row in alone[1:]} == {str(members[1])} and len(alone) == 5
    for size in (1, 2, 3):
        monkeypatch.setattr(books, "EXPORT_PAGE", size)
        assert read_csv(fund.books.export_payments(None, PaymentQuery())) == whole
        assert read_csv(fund.books.export_payments(None, mine)) == alone


def test_the_ledger_export_pages_on_from_where_the_last_page_ended(
    fund: Fund, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages of 1, 2 and 3 through confirmations and reversals, most at one moment, one
    payment confirmed and reversed at the same moment: every movement once, in the
    ledger's order, with the same running balance as one page gives."""
    members = [fund.approved_member(fund.program(price="300")) for _ in range(2)]
    orders = []
    for n in range(7):
        orders.append(fund.pay(members[n % 2], "300"))
        if n in (0, 3):
            fund.fakes.clock.advance(minutes=1)
    for order in orders[::3]:  # the last one at the moment it was confirmed
        fund.gateway.callback("liqpay", fund.fakes.gateway.message(order, "300", "reversed"))
    whole = read_csv(fund.books.export_ledger(None))  # one page
    for size in (1, 2, 3):
        monkeypatch.setattr(books, "EXPORT_PAGE", size)
        assert read_csv(fund.books.export_ledger(None)) == whole
    kinds = [r[1] for r in whole[1:]]
    assert kinds.count("confirmation") == 7 and kinds.count("reversal") == 3
    assert whole[-1][1:] == ["reversal", str(members[0]), orders[6], "-300.00", "1200.00"]
    # the same through the offset-paged listing the office shows
    listed = fund.database.lists().ledger(None, None, Page(100, 0))
    assert [m.order_id for m in listed] == [r[3] for r in whole[1:]]
