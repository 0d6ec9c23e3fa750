"""The read side's queries, on SQLite and on MariaDB alike: searches, lists, totals,
details and the profile, each read straight into its view (there is no in-memory fake
of the reads: the database answers them)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from kasa.adapters.sql.database import GATHERED_MAX, SqlDatabase
from kasa.adapters.sql.reads import SqlReads
from kasa.application.reads import AuditQuery, MemberQuery, Page, PaymentQuery, RequestQuery
from kasa.application.search import SearchField, words_of
from kasa.domain.audit import Actor, ActorKind, AuditEvent, EventType, ObjectKind
from kasa.domain.files import ContentType, FileKind, StoredFile
from kasa.domain.identity import IdentityType, new_identity
from kasa.domain.ledger import MoveKind
from kasa.domain.members import CorrectionReport, Member, MemberStatus
from kasa.domain.money import Money
from kasa.domain.payments import PaymentSource, PaymentStatus, PaymentType
from kasa.domain.programs import MemberProgram, Program
from kasa.domain.requests import Request, RequestMessage, RequestStatus, Resolution
from kasa.domain.staff import Role
from kasa.domain.values import TaxNumber
from tests.integration.conftest import empty_tables, sqlite_database
from tests.integration.test_repository_contract import (
    T0,
    Factory,
    add_members,
    member,
    payment,
    staff,
)


@pytest.fixture(params=["sqlite", "mariadb"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlDatabase]:
    if request.param == "sqlite":
        found = sqlite_database(tmp_path)
        yield found
        found.dispose()
    else:
        found = request.getfixturevalue("mariadb_database")
        empty_tables(found)
        yield found


@pytest.fixture
def uow_factory(database: SqlDatabase) -> Factory:
    return database.unit_of_work


@pytest.fixture
def reads(database: SqlDatabase) -> SqlReads:
    return database.reads()


# -- members ----------------------------------------------------------------------------
def test_review_queue_pages_the_members_with_something_to_review(
    uow_factory: Factory, reads: SqlReads
) -> None:
    ids = add_members(
        uow_factory,
        member(1, status=MemberStatus.PENDING_REVIEW),
        member(2, status=MemberStatus.REGISTERED),
        member(3, status=MemberStatus.APPROVED, requests_awaiting_staff=1),
        member(4, status=MemberStatus.APPROVED),
        member(5, status=MemberStatus.APPROVED, has_new_correction=True),
    )
    assert [m.id for m in reads.review_queue(Page(10))] == [ids[0], ids[2], ids[4]]
    assert [m.id for m in reads.review_queue(Page(1, 1))] == [ids[2]]
    with uow_factory() as uow:
        flagged = uow.members.get_for_update(ids[3])
        assert flagged is not None
        flagged.has_new_program_change = True
        assert len(reads.review_queue(Page(10))) == 3  # reads see what is committed
        uow.commit()
    assert len(reads.review_queue(Page(10))) == 4


def test_search_every_word_in_any_chosen_field_ignoring_case(
    uow_factory: Factory, reads: SqlReads
) -> None:
    ids = add_members(
        uow_factory,
        member(
            1,
            first_name="Тарас",
            last_name="Шевченко",
            middle_name="Григорович",
            inn=TaxNumber.parse("1759013776"),
            certificate="000001",
        ),
        member(
            2,
            first_name="Леся",
            last_name="Українка",
            middle_name="Петрівна",
            passport_data="ID 100%_special",
            status=MemberStatus.APPROVED,
        ),
        member(3, first_name="Іван", last_name="Франко", middle_name="Якович"),
        member(4, first_name="Мар'яна", last_name="Яковенко"),
    )
    names = frozenset({SearchField.NAME})

    def find(text: str, fields: frozenset[SearchField] = names) -> list[int]:
        return [m.id for m in reads.members(MemberQuery(words_of(text), fields), Page())]

    assert find("тарас ШЕВЧЕНКО") == [ids[0]]
    assert find("тарас франко") == []
    assert find("ІВАН") == [ids[2]]
    assert find("шевч") == [ids[0]]  # a word's beginning
    assert find("ченко") == []  # not its middle
    assert find("григорович") == []
    assert find("григорович", frozenset({SearchField.MIDDLE_NAME})) == [ids[0]]
    assert find("1759013776", frozenset({SearchField.INN})) == [ids[0]]
    assert find("100%_", frozenset({SearchField.PASSPORT})) == [ids[1]]
    assert find("%", frozenset(SearchField)) == []  # wildcards are literal
    assert find("Марʼяна", frozenset(SearchField)) == [ids[3]]  # any apostrophe
    assert find("мар’я", frozenset(SearchField)) == [ids[3]]
    assert find("0500000004", frozenset({SearchField.PHONE})) == [ids[3]]  # national form
    assert find("+38050000000", frozenset({SearchField.PHONE})) == [ids[i] for i in (1, 2, 0, 3)]
    assert find("1", frozenset(SearchField)) == [ids[1], ids[0]]  # by last name
    approved = MemberQuery((), frozenset(SearchField), frozenset({MemberStatus.APPROVED}))
    [found] = reads.members(approved, Page())
    assert (found.id, found.full_name, found.is_active, found.is_submitted) == (
        ids[1],
        "Українка Леся Петрівна",
        True,
        True,
    )
    assert reads.members_by_status() == {MemberStatus.REGISTERED: 3, MemberStatus.APPROVED: 1}


def test_a_whole_name_is_paged_in_the_same_order_as_any_search(
    uow_factory: Factory, reads: SqlReads
) -> None:
    """A word that is one whole term (its members read a page at a time in the index's
    order) pages exactly as a word's beginning that spans several terms (every match
    found and sorted): by last name, then first name, then id; other words and statuses
    filter both."""
    surnames = ["Коваль", "Бойко", "Шевчук", "Антоненко", "Бойко", "Ярема", "Гнатюк"]
    made = []
    for n in range(1, 36):
        first = "Олена" if n % 5 else "Оленка"  # two terms begin with "олен"
        status = MemberStatus.APPROVED if n % 3 else MemberStatus.REGISTERED
        last = surnames[n % len(surnames)]
        made.append(member(n, first_name=first, last_name=last, status=status))
    ids = add_members(uow_factory, *made)
    people = {i: (m.last_name, m.first_name) for i, m in zip(ids, made, strict=True)}

    def paged(words: tuple[str, ...], size: int, **filters: Any) -> list[int]:
        query = MemberQuery(words, frozenset({SearchField.NAME}), **filters)
        found: list[int] = []
        for at in range(0, 40, size):
            found += [m.id for m in reads.members(query, Page(size, at))]
        return found

    def expected(first: str, last: str = "", status: MemberStatus | None = None) -> list[int]:
        chosen = [
            i
            for i, m in zip(ids, made, strict=True)
            if m.first_name.casefold().startswith(first)
            and m.last_name.casefold().startswith(last)
            and (status is None or m.status is status)
        ]
        return sorted(chosen, key=lambda i: (f"{people[i][0]} {people[i][1]}".casefold(), i))

    for size in (1, 4, 7, 50):
        assert paged(("олена",), size) == expected("олена")  # one term
        assert paged(("олен",), size) == expected("олен")  # two terms
        assert paged(("олена", "бой"), size) == expected("олена", "бой")
        approved = frozenset({MemberStatus.APPROVED})
        assert paged(("олена",), size, statuses=approved) == expected(
            "олена", status=MemberStatus.APPROVED
        )
    assert len(expected("олена")) == 28 and paged(("оленаа",), 5) == []


def test_members_expiring_between_two_dates(uow_factory: Factory, reads: SqlReads) -> None:
    ids = add_members(
        uow_factory,
        member(1, paid_until=date(2026, 3, 5)),
        member(2, paid_until=date(2026, 3, 10)),
        member(3, paid_until=date(2026, 3, 11)),
        member(4),
    )
    found = reads.expiring(date(2026, 3, 5), date(2026, 3, 10))
    assert [m.id for m in found] == ids[:2]
    assert found[0].membership.paid_until == date(2026, 3, 5)


def blocked_member() -> Member:
    """A member blocked after approval, paid until 1 April 2026, with credit."""
    return member(
        1,
        first_name="Олена",
        status=MemberStatus.BLOCKED,
        status_before_block=MemberStatus.APPROVED,
        paid_until=date(2026, 4, 1),
        credit_units=123,
    )


def with_programs_and_photo(uow_factory: Factory, member_id: int) -> int:
    """Two programs ("Базова" current, "Стара" asked for) and a photo for the member; the
    current program's id."""
    with uow_factory() as uow:
        old = uow.programs.add(Program("Стара", Money(1000), T0, T0))
        basic = uow.programs.add(Program("Базова", Money(30000), T0, T0, program_file="t.pdf"))
        uow.member_programs.add(MemberProgram(member_id, old.id or 0, T0, T0, is_new=True))
        uow.member_programs.add(MemberProgram(member_id, basic.id or 0, T0, T0, is_active=True))
        photo = uow.files.add(
            StoredFile(
                "m1-photo.jpg", "я.jpg", ContentType.JPEG, 5, "p" * 64, T0, member_id=member_id
            )
        )
        found = uow.members.get_for_update(member_id)
        assert found is not None
        found.photo_file_id = photo.id
        uow.commit()
        return basic.id or 0


def test_a_profile_is_the_member_their_photo_and_current_program(
    uow_factory: Factory, reads: SqlReads
) -> None:
    [member_id] = add_members(uow_factory, blocked_member())
    assert reads.profile(member_id).program is None  # type: ignore[union-attr]
    with_programs_and_photo(uow_factory, member_id)
    view = reads.profile(member_id)
    assert view is not None and view.photo == "m1-photo.jpg"
    assert view.program is not None and (view.program.name, view.program.terms_file) == (
        "Базова",
        "t.pdf",
    )
    assert view.member.first_name == "Олена" and view.member.status is MemberStatus.BLOCKED
    assert (view.member.is_active, view.member.is_submitted) == (False, True)
    assert view.member.membership.credit_units == 123
    assert reads.profile(999_999) is None
    assert reads.standing(member_id) is MemberStatus.BLOCKED and reads.standing(999) is None


# -- programs and files --------------------------------------------------------------------
def test_programs_and_the_public_terms_files(uow_factory: Factory, reads: SqlReads) -> None:
    [member_id] = add_members(uow_factory, member(1))
    with uow_factory() as uow:
        uow.files.add(
            StoredFile("t.pdf", "умови.pdf", ContentType.PDF, 9, "t" * 64, T0, kind=FileKind.TERMS)
        )
        uow.files.add(
            StoredFile("scan.jpg", "скан", ContentType.JPEG, 9, "s" * 64, T0, member_id=member_id)
        )
        basic = uow.programs.add(Program("Базова", Money(30000), T0, T0, program_file="t.pdf"))
        uow.programs.add(Program("Стара", Money(1000), T0, T0, is_active=False))
        uow.programs.add(Program("Хибна", Money(1000), T0, T0, program_file="scan.jpg"))
        uow.commit()
    assert [p.name for p in reads.programs(active_only=True)] == ["Базова", "Хибна"]
    assert len(reads.programs(active_only=False)) == 3
    assert reads.program(basic.id or 0).month_price == Money(30000)  # type: ignore[union-attr]
    assert reads.program(999) is None
    terms = reads.terms_file("t.pdf")
    assert terms is not None and terms.kind is FileKind.TERMS
    assert reads.terms_file("scan.jpg") is None  # named by a program, but not terms
    assert reads.terms_file("nothing.pdf") is None
    assert reads.file(member_id, "scan.jpg").original_name == "скан"  # type: ignore[union-attr]
    assert reads.file(member_id + 1, "scan.jpg") is None


# -- requests and messages -----------------------------------------------------------------
def test_requests_filter_page_and_come_newest_first(uow_factory: Factory, reads: SqlReads) -> None:
    ids = add_members(
        uow_factory,
        member(1, first_name="Тарас", last_name="Шевченко", certificate="000007"),
        member(2, last_name="Франко"),
    )
    with uow_factory() as uow:
        made = []
        for n in range(5):
            request = Request(
                ids[n % 2], f"запит {n}", T0 + timedelta(days=n), T0 + timedelta(days=n)
            )
            if n == 4:
                request.status = RequestStatus.CLOSED
                request.resolution = Resolution.REJECTED
                request.approved_amount = Money(1050)
            made.append(uow.requests.add(request).id or 0)
        user = uow.staff.add(staff())
        uow.messages.add(
            RequestMessage(made[0], "друге", T0 + timedelta(hours=1), staff_id=user.id)
        )
        uow.messages.add(RequestMessage(made[0], "перше", T0, member_id=ids[0]))
        uow.files.add(
            StoredFile(
                "r.jpg",
                "чек.jpg",
                ContentType.JPEG,
                9,
                "r" * 64,
                T0,
                ids[0],
                made[0],
                kind=FileKind.RECEIPT,
            )
        )
        uow.commit()
    everything = reads.requests(RequestQuery(), Page(2))
    assert everything.total == 5 and [r.id for r in everything.items] == [made[4], made[3]]
    assert everything.items[0].member.full_name == "Шевченко Тарас"  # type: ignore[union-attr]
    assert everything.items[0].member.certificate == "000007"  # type: ignore[union-attr]
    opened = reads.requests(RequestQuery(statuses=frozenset({RequestStatus.OPENED})), Page())
    assert opened.total == 4
    by_name = reads.requests(RequestQuery(words=("шевченко",)), Page())
    assert [r.id for r in by_name.items] == [made[4], made[2], made[0]] and by_name.total == 3
    assert [f.stored_name for f in by_name.items[2].files] == ["r.jpg"]
    assert len(reads.requests(RequestQuery(words=("000007", "запит")), Page()).items) == 3
    dated = reads.requests(
        RequestQuery(date_start=date(2026, 3, 2), date_end=date(2026, 3, 3)), Page()
    )
    assert dated.total == 2 and {r.id for r in dated.items} == {made[1], made[2]}
    own = reads.requests(RequestQuery(member_id=ids[1]), Page())
    assert {r.member_id for r in own.items} == {ids[1]}
    closed = reads.request(made[4])
    assert closed is not None and closed.request.resolution is Resolution.REJECTED
    assert closed.request.approved_amount == Money(1050)
    detail = reads.request(made[0])
    assert detail is not None
    assert [(m.message, m.author, m.author_name) for m in detail.messages] == [
        ("перше", "member", "Шевченко Тарас"),
        ("друге", "staff", "Олена"),
    ]
    assert reads.request(999_999) is None
    mine = reads.requests_of_member(ids[0], frozenset())
    assert [r.id for r in mine] == [made[4], made[2], made[0]]
    assert [f.original_name for f in mine[2].files] == ["чек.jpg"]
    assert reads.requests_of_member(ids[0], frozenset({RequestStatus.CLOSED}))[0].id == made[4]


def test_searches_follow_renames_and_edits(uow_factory: Factory, reads: SqlReads) -> None:
    (member_id,) = add_members(uow_factory, member(1, last_name="Шевченко"))
    with uow_factory() as uow:
        request = uow.requests.add(Request(member_id, "ліки від кашлю", T0, T0))
        uow.commit()
    request_id = request.id or 0

    def requests_found(text: str) -> list[int]:
        return [r.id for r in reads.requests(RequestQuery(words=words_of(text)), Page()).items]

    def members_found(text: str) -> list[int]:
        query = MemberQuery(words_of(text), frozenset({SearchField.NAME}))
        return [m.id for m in reads.members(query, Page())]

    assert requests_found("шевч ліки") == [request_id]
    assert requests_found(str(request_id)) == [request_id]  # by its number
    with uow_factory() as uow:
        renamed = uow.members.get(member_id)
        assert renamed is not None
        renamed.last_name = "Коваленко"
        edited = uow.requests.get(request_id)
        assert edited is not None
        edited.request_text = "окуляри"
        uow.commit()
    assert members_found("шевченко") == [] and members_found("ковал") == [member_id]
    assert requests_found("шевченко") == [] and requests_found("ліки") == []
    assert requests_found("коваленко окул") == [request_id]
    with uow_factory() as uow:
        closing = uow.requests.get(request_id)
        assert closing is not None
        closing.status = RequestStatus.CLOSED
        closing.resolution = Resolution.WITHDRAWN
        uow.commit()
    for status, expected in ((RequestStatus.OPENED, 0), (RequestStatus.CLOSED, 1)):
        query = RequestQuery(words=("окул",), statuses=frozenset({status}))
        assert reads.requests(query, Page()).total == expected
    with uow_factory() as uow:  # an edit not committed changes nothing
        renamed = uow.members.get(member_id)
        assert renamed is not None
        renamed.last_name = "Бойко"
    assert members_found("бойко") == [] and members_found("коваленко") == [member_id]


# -- payments --------------------------------------------------------------------------
def test_payment_totals_follow_every_change(uow_factory: Factory, reads: SqlReads) -> None:
    """Totals (kept as per-day counts) equal the rows found, after payments are added,
    confirmed, failed, moved to another day, and after a rolled-back change."""
    (member_id,) = add_members(uow_factory, member(1))
    rng = random.Random(7)
    with uow_factory() as uow:
        request_id = uow.requests.add(Request(member_id, "ліки", T0, T0)).id
        made = []
        for n in range(40):
            kind = rng.choice(list(PaymentType))
            made.append(
                uow.payments.add(
                    payment(
                        member_id,
                        100 + n,
                        rng.randrange(5),
                        payment_type=kind,
                        request_id=request_id if kind.is_payout else None,
                        source=rng.choice(list(PaymentSource)),
                    )
                ).id
                or 0
            )
        uow.commit()
    for round_ in range(3):
        with uow_factory() as uow:
            for payment_id in rng.sample(made, 12):
                changed = uow.payments.get(payment_id)
                assert changed is not None
                changed.status = rng.choice(list(PaymentStatus))
                if rng.random() < 0.5:
                    changed.payment_date = T0 + timedelta(days=rng.randrange(5), hours=3)
            if round_ == 1:
                continue  # left without commit: rolled back
            uow.commit()
    queries = [
        PaymentQuery(),
        PaymentQuery(types=frozenset({PaymentType.TOP_UP})),
        PaymentQuery(statuses=frozenset({PaymentStatus.CONFIRMED, PaymentStatus.FAILED})),
        PaymentQuery(source=PaymentSource.MANUAL, date_start=date(2026, 3, 2)),
        PaymentQuery(date_start=date(2026, 3, 2), date_end=date(2026, 3, 3)),
        PaymentQuery(types=frozenset({PaymentType.PAYOUT}), date_end=date(2026, 3, 2)),
    ]
    everything = reads.payments(PaymentQuery(), Page(limit=1000)).items
    for query in queries:
        found = reads.payments(query, Page(limit=3))
        expected = [row for row in everything if _keeps(query, row.payment)]
        assert found.total == len(expected), query
        assert [r.payment.id for r in found.items] == [r.payment.id for r in expected[:3]]


def _keeps(query: PaymentQuery, p: object) -> bool:
    day = p.moved_at.date()  # type: ignore[attr-defined]
    return (
        (not query.types or p.payment_type in query.types)  # type: ignore[attr-defined]
        and (not query.statuses or p.status in query.statuses)  # type: ignore[attr-defined]
        and (query.source is None or p.source is query.source)  # type: ignore[attr-defined]
        and (query.date_start is None or day >= query.date_start)
        and (query.date_end is None or day <= query.date_end)
    )


def test_payments_list_with_every_filter(uow_factory: Factory, reads: SqlReads) -> None:
    alice, bob = add_members(
        uow_factory, member(1, certificate="000001", last_name="Коваль"), member(2)
    )
    with uow_factory() as uow:
        request = uow.requests.add(Request(alice, "ліки", T0, T0, diagnosis="J06"))
        uow.payments.add(
            payment(
                alice,
                30000,
                0,
                payment_identifier="o-1",
                gateway="liqpay",
                status=PaymentStatus.CONFIRMED,
                payment_date=T0 + timedelta(days=10),
                extended_to=date(2026, 4, 1),
            )
        )
        uow.payments.add(payment(alice, 5000, 1, payment_identifier="o-2"))
        uow.payments.add(payment(bob, 30000, 2, payment_identifier="o-3"))
        uow.payments.add(
            payment(
                alice,
                700,
                3,
                payment_type=PaymentType.PARTIAL_PAYOUT,
                source=PaymentSource.MANUAL,
                request_id=request.id,
                status=PaymentStatus.CONFIRMED,
                payment_date=T0 + timedelta(days=3),
                needs_approval=True,
            )
        )
        uow.commit()

    def ids(query: PaymentQuery, page: Page | None = None) -> tuple[list[str | None], int]:
        found = reads.payments(query, page or Page())
        return [r.payment.payment_identifier for r in found.items], found.total

    assert ids(PaymentQuery(types=frozenset({PaymentType.TOP_UP}))) == (["o-1", "o-3", "o-2"], 3)
    assert ids(PaymentQuery(types=frozenset({PaymentType.TOP_UP})), Page(1, 1)) == (["o-3"], 3)
    # a payment matching only one of two filters is not listed
    assert ids(PaymentQuery(certificate="000001", amount_start=Money(10000))) == (["o-1"], 1)
    assert ids(PaymentQuery(certificate="000001", amount_end=Money(1000))) == ([None], 1)
    assert ids(PaymentQuery(statuses=frozenset({PaymentStatus.CONFIRMED}), member_id=bob)) == (
        [],
        0,
    )
    assert ids(PaymentQuery(date_start=date(2026, 3, 2), date_end=date(2026, 3, 3))) == (
        ["o-3", "o-2"],
        2,
    )
    assert ids(PaymentQuery(source=PaymentSource.MANUAL)) == ([None], 1)
    [payout] = reads.payments(PaymentQuery(request_id=request.id), Page()).items
    assert payout.diagnosis == "J06" and payout.payment.needs_approval
    assert (payout.member.full_name, payout.member.certificate) == ("Коваль", "000001")
    [top_up] = reads.payments(
        PaymentQuery(amount_start=Money(30000), member_id=alice), Page()
    ).items
    assert top_up.diagnosis is None and top_up.payment.extended_to == date(2026, 4, 1)
    assert [p.payment_identifier for p in reads.top_ups(alice)] == ["o-1", "o-2"]
    [charge] = reads.charges(alice, None, None)
    assert charge.diagnosis == "J06" and charge.payment.amount == Money(700)
    assert reads.charges(alice, date(2026, 3, 5), None) == []
    assert [o.order_id for o in reads.pending_gateway_orders(T0 + timedelta(days=2))] == ["o-2"]
    money = reads.money_moves(None, None)
    assert sorted((kind, amount, gateway) for _, _, kind, amount, gateway in money) == [
        (MoveKind.CONFIRMATION, Money(30000), "liqpay"),
        (MoveKind.PAYOUT, Money(700), ""),
    ]
    assert reads.money_moves(date(2026, 3, 5), None)[0][0] == (T0 + timedelta(days=10)).replace(
        minute=0, second=0, microsecond=0
    )
    assert reads.money_totals(None) == {
        MoveKind.CONFIRMATION: Money(30000),
        MoveKind.REVERSAL: Money(0),
        MoveKind.PAYOUT: Money(700),
    }
    moves = reads.ledger(None, None, Page())
    assert [move.at for move in moves] == sorted(move.at for move in moves)  # oldest first
    by_kind = {move.kind: move for move in moves}
    assert len(moves) == 2 and by_kind[MoveKind.CONFIRMATION].order_id == "o-1"
    assert by_kind[MoveKind.PAYOUT].request_id == request.id


# -- the back office: a member's whole file, staff, audit -----------------------------------
def test_a_members_whole_file(uow_factory: Factory, reads: SqlReads) -> None:
    [member_id] = add_members(uow_factory, member(1))
    with uow_factory() as uow:
        basic = uow.programs.add(Program("Базова", Money(30000), T0, T0))
        old = uow.programs.add(Program("Стара", Money(1000), T0, T0, is_active=False))
        uow.member_programs.add(MemberProgram(member_id, old.id or 0, T0, T0, is_active=True))
        uow.member_programs.add(MemberProgram(member_id, basic.id or 0, T0, T0, is_new=True))
        file = uow.files.add(
            StoredFile("a.pdf", "скан.pdf", ContentType.PDF, 10, "f" * 64, T0, member_id=member_id)
        )
        uow.identities.add(new_identity(member_id, file.id or 0, IdentityType.ID_CARD_BACK, T0))
        uow.requests.add(Request(member_id, "ліки", T0, T0))
        uow.payments.add(payment(member_id, 100, 0))
        uow.corrections.add(
            CorrectionReport.file(
                member_id, first_name="О", middle_name="", last_name="К", birth_date=None, now=T0
            )
        )
        uow.commit()
    detail = reads.member(member_id)
    assert detail is not None
    assert detail.actual_program.name == "Стара"  # type: ignore[union-attr]
    assert detail.new_program.name == "Базова"  # type: ignore[union-attr]
    [doc] = detail.identities
    assert doc.identity_type is IdentityType.ID_CARD_BACK and doc.is_new and not doc.is_active
    assert doc.file.original_name == "скан.pdf" and detail.new_identities == [doc]
    assert detail.current_identities == []
    assert len(detail.requests) == 1 and len(detail.payments) == 1
    assert [c.last_name for c in detail.corrections] == ["К"]
    assert reads.member(999_999) is None


def test_staff_users_and_their_roles(uow_factory: Factory, reads: SqlReads) -> None:
    with uow_factory() as uow:
        olena = uow.staff.add(staff("olena"))
        petro = staff("petro")
        petro.is_active = False
        uow.staff.add(petro)
        uow.commit()
    assert [u.login for u in reads.staff_users()] == ["olena", "petro"]
    assert reads.staff_user(olena.id or 0).role is Role.OPERATOR  # type: ignore[union-attr]
    assert reads.staff_role(olena.id or 0) is Role.OPERATOR
    assert reads.staff_role(petro.id or 0) is None  # deactivated
    assert reads.staff_role(999) is None and reads.staff_user(999) is None


def test_audit_events_are_kept_and_searched_newest_first(
    uow_factory: Factory, reads: SqlReads
) -> None:
    with uow_factory() as uow:
        for n in range(4):
            event = AuditEvent.of(
                EventType.APPROVED if n % 2 else EventType.UPDATED,
                Actor.staff(n % 2 + 1) if n < 3 else Actor.system(),
                ObjectKind.MEMBER,
                n % 2,
                T0 + timedelta(minutes=n),
                amount=Money(150),
                when=date(2026, 1, 2),
                names=["Ґ", "Є"],
            )
            stored = uow.audit.add(event)
            assert stored.id is not None
        uow.commit()
    everything = reads.audit(AuditQuery(), Page(2))
    assert everything.total == 4 and [e.at.minute for e in everything.items] == [33, 32]
    assert everything.items[0].actor == Actor.system()
    assert dict(everything.items[0].details) == {
        "amount": "1.50",
        "when": "2026-01-02",
        "names": ["Ґ", "Є"],
    }
    staff_events = reads.audit(
        AuditQuery(
            actor_kind=ActorKind.STAFF, actor_id=2, event_types=frozenset({EventType.APPROVED})
        ),
        Page(),
    )
    assert staff_events.total == 1 and staff_events.items[0].object_id == "1"
    window = AuditQuery(
        object_kind=ObjectKind.MEMBER, object_id="0", since=T0, before=T0 + timedelta(minutes=1)
    )
    assert reads.audit(window, Page()).total == 1


def test_the_list_of_programs_is_kept_a_few_seconds(
    database: SqlDatabase, uow_factory: Factory
) -> None:
    now = [100.0]
    reads = SqlReads(database.reader, programs_ttl=5, clock=lambda: now[0])
    with uow_factory() as uow:
        uow.programs.add(Program("Базова", Money(30000), T0, T0))
        uow.commit()
    assert [p.name for p in reads.programs(active_only=True)] == ["Базова"]
    with uow_factory() as uow:
        uow.programs.add(Program("Нова", Money(1000), T0, T0))
        uow.commit()
    now[0] += 4.9
    assert [p.name for p in reads.programs(active_only=True)] == ["Базова"]  # kept
    assert len(reads.programs(active_only=False)) == 2  # each list is kept on its own
    now[0] += 0.2
    assert [p.name for p in reads.programs(active_only=True)] == ["Базова", "Нова"]
    assert [p.name for p in SqlReads(database.reader).programs(active_only=True)] == [
        "Базова",
        "Нова",
    ]


def test_a_page_gathered_into_one_value_is_never_cut_short(
    mariadb_database: SqlDatabase,
) -> None:
    """MariaDB cuts a gathered value at 1 MiB unless told otherwise: every reading
    connection allows as much as the server's largest packet."""
    with mariadb_database.reader.connect() as connection:
        allowed = connection.exec_driver_sql("SELECT @@SESSION.group_concat_max_len").scalar()
    assert allowed == GATHERED_MAX
