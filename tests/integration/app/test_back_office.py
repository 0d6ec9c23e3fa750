"""The back office: review queue, search, member file, decisions, certificates, files,
programs, the fund report, exports and the audit trail."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest

from kasa.application import books
from kasa.application.members import MemberData
from kasa.application.reads import AuditQuery, MemberQuery, Page, PaymentQuery, RequestQuery
from kasa.application.requests import Assessment
from kasa.application.search import SearchField, words_of
from kasa.application.uploads import Upload
from kasa.domain.audit import ActorKind, EventType, ObjectKind
from kasa.domain.errors import Conflict, InvalidInput, NotFound, RuleViolation
from kasa.domain.members import MemberStatus
from kasa.domain.money import Money
from kasa.domain.values import Email, Iban, Phone, TaxNumber
from tests.integration.app.helpers import IBAN, INN, JPEG, PDF, Fund


def test_review_queue_holds_what_staff_must_look_at(fund: Fund) -> None:
    program_id = fund.program()
    waiting = fund.sign_up()
    fund.submit(waiting, program_id)
    fund.sign_up()  # only signed in: nothing to review
    done = fund.approved_member(program_id)
    queue = fund.office.search(fund.operator_id, (), frozenset(), Page())
    assert [m.id for m in queue] == [waiting]
    fund.requests.create(done, "", [])
    queue = fund.office.search(fund.operator_id, (), frozenset(), Page())
    assert {m.id for m in queue} == {waiting, done}


def test_search_needs_every_word_in_a_chosen_field(fund: Fund) -> None:
    program_id = fund.program()
    taras = fund.approved_member(program_id)
    fund.office.correct(
        fund.operator_id,
        taras,
        MemberData(
            first_name="Тарас",
            last_name="Шевченко",
            inn=TaxNumber.parse(INN),
            passport_data="ID 000123456",
        ),
    )
    olena = fund.approved_member(program_id)

    def search(text: str, *fields: SearchField) -> list[int | None]:
        found = fund.office.search(fund.operator_id, words_of(text), frozenset(fields), Page())
        return [m.id for m in found]

    assert search("тарас ШЕВЧЕНКО", SearchField.NAME) == [taras]
    assert search("тарас коваль", SearchField.NAME) == []
    assert search(INN, SearchField.INN) == [taras]
    assert search(INN, SearchField.NAME) == []
    assert search("петрівна", SearchField.MIDDLE_NAME) == [olena, taras]  # by last name
    assert search("000123456") == [taras]


def test_member_detail_has_the_whole_file(fund: Fund) -> None:
    first, second = fund.program(), fund.program("Розширена", "500")
    member_id = fund.approved_member(first)
    fund.profiles.change_program(member_id, second)
    fund.profiles.edit(member_id, photo=Upload.of("photo", "me.jpg", JPEG))
    fund.requests.create(member_id, "", [])
    fund.pay(member_id, "300")
    fund.profiles.report_wrong_data(
        member_id, first_name="Олена", middle_name="", last_name="Коваль", birth_date=None
    )
    detail = fund.office.detail(fund.operator_id, member_id)
    assert detail.actual_program and detail.actual_program.id == first
    assert detail.new_program and detail.new_program.id == second
    assert len(detail.programs) == 2 and len(detail.current_identities) == 3
    assert detail.new_identities == [] and len(detail.identities) == 3
    assert len(detail.requests) == 1 and len(detail.payments) == 1
    assert len(detail.corrections) == 1 and detail.member.photo_file_id is not None
    with pytest.raises(NotFound):
        fund.office.detail(fund.operator_id, 999)


def test_approval_needs_a_certificate_and_accepts_what_was_submitted(fund: Fund) -> None:
    member_id = fund.sign_up()
    fund.submit(member_id, fund.program())
    with pytest.raises(RuleViolation, match="certificate"):
        fund.office.approve(fund.operator_id, member_id)
    number = fund.approve(member_id)
    member = fund.tables().members[member_id]
    assert member.status is MemberStatus.APPROVED and member.certificate == number
    assert not member.has_new_program_change and not member.in_review_queue
    docs = fund.tables().identities.values()
    assert all(d.is_active and not d.is_new for d in docs)
    with pytest.raises(Conflict, match="this one is approved"):
        fund.office.approve(fund.operator_id, member_id)


def test_certificates_are_unique_and_never_reused(fund: Fund) -> None:
    numbers = [fund.office.generate_certificate(fund.operator_id) for _ in range(3)]
    assert len(set(numbers)) == 3 and numbers[0] == "000001"
    first = fund.approved_member()
    taken = fund.tables().members[first].certificate
    second = fund.approved_member()
    with pytest.raises(Conflict, match="certificate"):
        fund.office.correct(fund.operator_id, second, MemberData(certificate=taken))
    # a number typed by hand ahead of the counter is skipped by the generator
    fund.office.correct(fund.operator_id, second, MemberData(certificate="000006"))
    assert fund.office.generate_certificate(fund.operator_id) == "000007"


def test_block_and_unblock_return_to_the_status_before(fund: Fund) -> None:
    member_id = fund.approved_member()
    fund.office.block(fund.operator_id, member_id)
    assert fund.tables().members[member_id].status is MemberStatus.BLOCKED
    fund.office.unblock(fund.operator_id, member_id)
    assert fund.tables().members[member_id].status is MemberStatus.APPROVED
    kinds = [e.event_type for e in fund.events() if e.object_kind is ObjectKind.MEMBER]
    assert kinds[-2:] == [EventType.BLOCKED, EventType.UNBLOCKED]


def test_staff_edit_validates_and_refuses_taken_values(fund: Fund) -> None:
    member_id = fund.approved_member()
    other = fund.approved_member()
    other_phone = fund.tables().members[other].phone.e164
    with pytest.raises(Conflict, match="phone"):
        fund.office.correct(fund.operator_id, member_id, MemberData(phone=Phone.parse(other_phone)))
    member = fund.office.correct(
        fund.operator_id,
        member_id,
        MemberData(
            email=Email.parse("x@y.ua"),
            iban=Iban.parse(IBAN),
            phone=Phone.parse("+380931234567"),
            birth_date=date(1980, 5, 5),
        ),
    )
    assert member.phone == "+380931234567" and member.birth_date == date(1980, 5, 5)
    with pytest.raises(NotFound):
        fund.office.correct(fund.operator_id, 999, MemberData(email=Email.parse("x@y.ua")))


def test_members_download_only_their_own_files(fund: Fund) -> None:
    alice, bob = fund.approved_member(), fund.approved_member()
    view = fund.requests.create(alice, "", [Upload.of("f", "чек.pdf", PDF)])
    name = view.request.files[0].stored_name
    got = fund.member_files.own_file(alice, alice, name)
    assert got.content.read() == PDF and got.file.content_type == "application/pdf"
    with pytest.raises(NotFound):
        fund.member_files.own_file(bob, alice, name)
    with pytest.raises(NotFound):
        fund.member_files.own_file(bob, bob, name)
    assert fund.office.member_file(fund.operator_id, alice, name).content.read() == PDF
    viewed = fund.events(EventType.FILE_VIEWED)
    assert [(e.actor.id, e.object_id, e.details["member_id"]) for e in viewed] == [
        (fund.operator_id, str(view.request.files[0].id), alice)
    ]
    with pytest.raises(NotFound):
        fund.office.member_file(fund.operator_id, bob, name)
    assert len(fund.events(EventType.FILE_VIEWED)) == 1  # a refused read changes nothing


def test_programs_with_terms_files(fund: Fund) -> None:
    program = fund.programs.create(
        fund.admin_id,
        "Базова",
        Money(30000),
        terms=Upload.of("new_program_file", "умови.pdf", PDF),
    )
    assert program.terms_file.endswith(".pdf")
    terms = fund.programs.terms_file(program.terms_file)
    assert terms.content.read() == PDF
    with pytest.raises(NotFound):
        fund.programs.terms_file("nothing.pdf")
    updated = fund.programs.update(fund.admin_id, program.id or 0, month_price=Money(40000))
    assert updated.month_price == Money(40000) and updated.updated_by == fund.admin_id
    assert fund.programs.get(fund.operator_id, program.id or 0).name == "Базова"
    with pytest.raises(NotFound):
        fund.programs.get(fund.operator_id, 999)
    with pytest.raises(NotFound):
        fund.programs.update(fund.admin_id, 999, name="x")
    assert [p.id for p in fund.programs.list(fund.operator_id)] == [program.id]
    system = fund.programs.update(None, program.id or 0, is_active=False)
    assert system.updated_by is None
    assert fund.programs.list(None) == []
    assert len(fund.programs.list(None, active_only=False)) == 1


def test_a_program_may_name_only_a_terms_file_and_the_change_is_audited(fund: Fund) -> None:
    """An operator naming a member's ID scan as a program's terms would publish it."""
    member_id = fund.approved_member()
    scan = next(f for f in fund.tables().files.values() if f.member_id == member_id)
    program = fund.programs.create(
        fund.admin_id,
        "Базова",
        Money(30000),
        terms=Upload.of("new_program_file", "умови.pdf", PDF),
    )
    assert program.id is not None
    with pytest.raises(InvalidInput) as caught:
        fund.programs.update(fund.admin_id, program.id, program_file=scan.stored_name)
    assert "program_file" in caught.value.errors
    with pytest.raises(InvalidInput):
        fund.programs.create(fund.admin_id, "Інша", Money(1), program_file=scan.stored_name)
    assert fund.programs.get(fund.admin_id, program.id).terms_file != scan.stored_name
    with pytest.raises(NotFound):
        fund.programs.terms_file(scan.stored_name)
    # another terms file may be named, and the audit trail records which
    other = fund.programs.create(
        fund.admin_id,
        "Розширена",
        Money(50000),
        terms=Upload.of("new_program_file", "умови-2.txt", b"Umovy programy"),
    )
    fund.programs.update(fund.admin_id, program.id, program_file=other.terms_file)
    last = fund.events(EventType.UPDATED)[-1]
    assert last.details["program_file"] == other.terms_file
    assert fund.programs.terms_file(other.terms_file).content.read() == b"Umovy programy"


def test_fund_report_by_month_and_program(fund: Fund) -> None:
    member_id = fund.approved_member(fund.program(price="300"))
    fund.pay(member_id, "300")
    fund.fakes.clock.advance(days=31)
    fund.pay(member_id, "150")
    request_id = fund.requests.create(member_id, "", []).request.id
    fund.staff_requests.assess(
        fund.operator_id, request_id or 0, Assessment(approved_amount=Money(5000))
    )
    fund.staff_payments.record_payout(
        fund.operator_id, request_id or 0, Money(5000), fund.clock.today()
    )
    report = fund.books.fund_report(fund.operator_id)
    assert [(line.month, line.money_in, line.money_out) for line in report.lines] == [
        ("2026-01", Money(30000), Money(0)),
        ("2026-02", Money(15000), Money(5000)),
    ]
    assert report.money_in == Money(45000) and report.members_by_status["approved"] == 1
    january = fund.books.fund_report(None, date(2026, 1, 1), date(2026, 1, 31))
    assert january.money_in == Money(30000)
    with pytest.raises(InvalidInput):
        fund.books.fund_report(None, date(2026, 2, 1), date(2026, 1, 1))


def test_the_report_and_the_ledger_count_reversals_and_balance(fund: Fund) -> None:
    member_id = fund.approved_member(fund.program(price="300"))
    january = fund.pay(member_id, "300")  # 2026-01: in 300.00
    fund.fakes.clock.advance(days=31)
    fund.pay(member_id, "150")  # 2026-02: in 150.00
    request_id = fund.requests.create(member_id, "", []).request.id or 0
    fund.staff_requests.assess(
        fund.operator_id, request_id, Assessment(approved_amount=Money(5000))
    )
    fund.staff_payments.record_payout(fund.operator_id, request_id, Money(5000), fund.clock.today())
    # the January contribution is taken back the next day
    fund.fakes.clock.advance(days=1)
    fund.gateway.callback("liqpay", fund.fakes.gateway.message(january, "300", "reversed"))
    # a reversal that arrives before its success moves no money at all
    fund.payments.start_top_up(member_id, Money(20000), "liqpay")
    overtaken = fund.fakes.gateway.checkouts[-1]["order_id"]
    fund.gateway.callback("liqpay", fund.fakes.gateway.message(overtaken, "200", "reversed"))
    fund.gateway.callback("liqpay", fund.fakes.gateway.message(overtaken, "200"))

    report = fund.books.fund_report(fund.operator_id)
    lines = [(ln.month, ln.money_in, ln.reversed, ln.money_out) for ln in report.lines]
    assert lines == [
        ("2026-01", Money(30000), Money(0), Money(0)),
        ("2026-02", Money(15000), Money(30000), Money(5000)),
    ]
    assert [line.balance.kopecks for line in report.lines] == [30000, -20000]
    assert (report.money_in, report.reversed, report.money_out) == (
        Money(45000),
        Money(30000),
        Money(5000),
    )
    assert report.balance.kopecks == report.balance_total.kopecks == 10000
    february = fund.books.fund_report(None, date(2026, 2, 1), date(2026, 2, 28))
    assert february.balance.kopecks == -20000 and february.balance_total.kopecks == 10000
    january_only = fund.books.fund_report(None, date(2026, 1, 1), date(2026, 1, 31))
    assert january_only.balance_total.kopecks == 30000  # up to the end of its period

    rows = read_csv(fund.books.export_ledger(fund.operator_id))
    assert rows[0] == ["date", "kind", "member_id", "reference", "amount", "balance"]
    assert [(r[1], r[3], r[4], r[5]) for r in rows[1:]] == [
        ("confirmation", january, "300.00", "300.00"),
        ("confirmation", rows[2][3], "150.00", "450.00"),
        ("payout", f"request {request_id}", "-50.00", "400.00"),
        ("reversal", january, "-300.00", "100.00"),
    ]
    assert {r[2] for r in rows[1:]} == {str(member_id)}
    # a period's running balance starts from everything before it
    later = read_csv(fund.books.export_ledger(None, date(2026, 2, 1), date(2026, 2, 28)))
    assert [r[5] for r in later[1:]] == ["450.00", "400.00", "100.00"]
    with pytest.raises(InvalidInput):
        list(fund.books.export_ledger(None, date(2026, 2, 1), date(2026, 1, 1)))


def read_csv(lines: object) -> list[list[str]]:
    text = "".join(lines)  # type: ignore[call-overload]
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_exports_are_spreadsheet_ready(fund: Fund) -> None:
    member_id = fund.approved_member(fund.program(price="300"))
    fund.office.correct(fund.operator_id, member_id, MemberData(last_name="Ґонта"))
    fund.pay(member_id, "300")
    fund.requests.create(member_id, '=HYPERLINK("http://evil")', [])
    payments = read_csv(fund.books.export_payments(fund.operator_id, PaymentQuery()))
    assert payments[0][:3] == ["id", "date", "type"] and len(payments) == 2
    assert "Ґонта Олена Петрівна" in payments[1]
    requests = read_csv(fund.books.export_requests(fund.operator_id, RequestQuery()))
    assert requests[1][-1].startswith("'=")  # a formula is shown, never run
    members = read_csv(fund.books.export_members(None, MemberQuery()))
    assert members[1][2] == "Ґонта" and len(members) == 2


def test_an_export_pages_on_from_where_the_last_page_ended(
    fund: Fund, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages of 3 through 11 payments, most of them moved at the same moment (the
    fund's clock stands still): every payment once, in the list's order."""
    monkeypatch.setattr(books, "EXPORT_PAGE", 3)
    members = [fund.approved_member(fund.program(price="300")) for _ in range(2)]
    for n in range(11):
        fund.pay(members[n % 2], "300")
        if n % 4 == 0:
            fund.fakes.clock.advance(minutes=1)
    listed = fund.staff_payments.list(fund.operator_id, PaymentQuery(), Page(100, 0)).items
    exported = read_csv(fund.books.export_payments(fund.operator_id, PaymentQuery()))[1:]
    assert [row[0] for row in exported] == [str(p.payment.id) for p in listed]
    assert len(exported) == 11
    mine = PaymentQuery(member_id=members[0])
    exported = read_csv(fund.books.export_payments(fund.operator_id, mine))[1:]
    assert {row[5] for row in exported} == {str(members[0])} and len(exported) == 6


def test_audit_trail_filters(fund: Fund) -> None:
    member_id = fund.approved_member()
    trail = fund.books.audit_trail(
        fund.operator_id,
        AuditQuery(object_kind=ObjectKind.MEMBER, object_id=str(member_id)),
        Page(limit=2),
    )
    assert trail.total >= 3 and len(trail.items) == 2
    assert trail.items[0].at >= trail.items[1].at
    staff_only = fund.books.audit_trail(
        None,
        AuditQuery(actor_kind=ActorKind.STAFF, event_types=frozenset({EventType.APPROVED})),
        Page(),
    )
    assert [e.actor.id for e in staff_only.items] == [fund.operator_id]


FORMULAS = [
    "-2+3;+cmd|' /C calc'!A0",
    "=1+1",
    'ok,=HYPERLINK("http://evil")',
    "a;@SUM(A1:A2)",
    "line\n+1",
    "tab\t-1",
    "\t=1",
]


@pytest.mark.parametrize("text", FORMULAS)
def test_no_cell_of_an_export_can_start_a_formula(fund: Fund, text: str) -> None:
    """Whatever a member typed, no piece of it that a spreadsheet splitting on `,`, `;`,
    tabs or lines could take as a cell starts with a formula character."""
    member_id = fund.approved_member(fund.program(price="300"))
    fund.requests.create(member_id, text, [])
    rows = read_csv(fund.books.export_requests(fund.operator_id, RequestQuery()))
    comment = rows[1][-1]
    for piece in re.split(r"[,;\t\r\n]", comment):
        assert not piece or piece[0] not in "=+-@", (comment, piece)
    assert comment.replace("'", "") == text.strip().replace("'", "")  # (texts are trimmed)
