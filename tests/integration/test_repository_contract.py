"""One repository contract, run against the in-memory fakes, SQLite and MariaDB, so the
fakes are proven faithful and the SQL repositories proven right."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest

from kasa.application.repositories import (
    AuditQuery,
    MemberName,
    MemberQuery,
    Page,
    PaymentQuery,
    ReminderSent,
    RequestQuery,
    SearchField,
    UnitOfWork,
)
from kasa.application.search import words_of
from kasa.domain.audit import Actor, ActorKind, AuditEvent, EventType, ObjectKind
from kasa.domain.errors import Conflict
from kasa.domain.files import ContentType, FileKind, StoredFile
from kasa.domain.identity import IdentityType, new_identity
from kasa.domain.members import CorrectionReport, Member, MemberStatus
from kasa.domain.membership import Extension
from kasa.domain.money import Money
from kasa.domain.payments import Payment, PaymentSource, PaymentStatus, PaymentType
from kasa.domain.programs import MemberProgram, Program
from kasa.domain.requests import Request, RequestMessage, RequestStatus, Resolution
from kasa.domain.signin import CodePurpose, SignInChallenge
from kasa.domain.staff import Role, StaffUser
from kasa.domain.values import Email, Iban, Phone, TaxNumber

Factory = Callable[[], UnitOfWork]
T0 = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)


def member(n: int, **fields: object) -> Member:
    m = Member(Phone.parse(f"+38050{n:07d}"), T0, T0)
    for key, value in fields.items():
        setattr(m, key, value)
    return m


def add_members(uow_factory: Factory, *members: Member) -> list[int]:
    with uow_factory() as uow:
        ids = [uow.members.add(m).id or 0 for m in members]
        uow.commit()
    return ids


def staff(login: str = "olena") -> StaffUser:
    return StaffUser(login, "hash", "Олена", Role.OPERATOR, T0, T0)


# -- members ----------------------------------------------------------------------------
def test_a_member_round_trips_every_field(uow_factory: Factory) -> None:
    original = member(
        1,
        first_name="Ґанна",
        middle_name="Їжакова",
        last_name="Єрмоленко",
        email=Email.parse("hanna@example.com"),
        birth_date=date(1990, 2, 3),
        passport_data="ID 000123456",
        inn=TaxNumber.parse("1759013776"),
        iban=Iban.parse("UA213223130000026007233566001"),
        certificate="000042",
        expiration_date=date(2026, 4, 1),
        credit_units=12345,
        status=MemberStatus.BLOCKED,
        status_before_block=MemberStatus.APPROVED,
        has_new_request=2,
        has_new_program_change=True,
        has_new_passport_data=True,
        has_new_correction=True,
        diia_request_id="req-1",
        diia_answer='{"a": "б"}',
    )
    [member_id] = add_members(uow_factory, original)
    with uow_factory() as uow:
        loaded = uow.members.get(member_id)
        assert loaded is not None
        for field in (
            "phone",
            "first_name",
            "middle_name",
            "last_name",
            "email",
            "birth_date",
            "passport_data",
            "inn",
            "iban",
            "certificate",
            "expiration_date",
            "credit_units",
            "status",
            "status_before_block",
            "has_new_request",
            "has_new_program_change",
            "has_new_passport_data",
            "has_new_correction",
            "diia_request_id",
            "diia_answer",
            "created_at",
            "updated_at",
        ):
            assert getattr(loaded, field) == getattr(original, field), field
        assert uow.members.by_phone("+380500000001") is loaded  # one object per row
        assert uow.members.by_certificate("000042") is loaded
        assert uow.members.by_diia_request("req-1") is loaded
        assert uow.members.get(999) is None and uow.members.by_phone("+380999999999") is None


def test_leaving_without_commit_rolls_back(uow_factory: Factory) -> None:
    [member_id] = add_members(uow_factory, member(1))
    with uow_factory() as uow:
        uow.members.add(member(2))
        loaded = uow.members.get_for_update(member_id)
        assert loaded is not None
        loaded.first_name = "Змінено"
    with uow_factory() as uow:
        assert uow.members.by_phone("+380500000002") is None
        assert uow.members.get(member_id).first_name == ""  # type: ignore[union-attr]


def test_changes_to_loaded_objects_are_saved_at_commit(uow_factory: Factory) -> None:
    [member_id] = add_members(uow_factory, member(1))
    with uow_factory() as uow:
        loaded = uow.members.get_for_update(member_id)
        assert loaded is not None
        loaded.last_name = "Шевченко"
        loaded.status = MemberStatus.PENDING_REVIEW
        uow.commit()
    with uow_factory() as uow:
        again = uow.members.get(member_id)
        assert again is not None and again.last_name == "Шевченко"
        assert again.status is MemberStatus.PENDING_REVIEW


def test_a_taken_phone_or_certificate_is_a_conflict(uow_factory: Factory) -> None:
    add_members(uow_factory, member(1, certificate="A-1"), member(2))
    with pytest.raises(Conflict), uow_factory() as uow:
        uow.members.add(member(1))
        uow.commit()
    with pytest.raises(Conflict), uow_factory() as uow:
        other = uow.members.by_phone("+380500000002")
        assert other is not None
        other.certificate = "A-1"
        uow.commit()
    with uow_factory() as uow:
        assert uow.members.by_certificate("A-1").phone.e164 == "+380500000001"  # type: ignore[union-attr]


def test_review_queue_pages_the_members_with_something_to_review(uow_factory: Factory) -> None:
    ids = add_members(
        uow_factory,
        member(1, status=MemberStatus.PENDING_REVIEW),
        member(2, status=MemberStatus.REGISTERED),
        member(3, status=MemberStatus.APPROVED, has_new_request=1),
        member(4, status=MemberStatus.APPROVED),
        member(5, status=MemberStatus.APPROVED, has_new_correction=True),
    )
    with uow_factory() as uow:
        assert [m.id for m in uow.members.review_queue(Page(10))] == [ids[0], ids[2], ids[4]]
        assert [m.id for m in uow.members.review_queue(Page(1, 1))] == [ids[2]]
        flagged = uow.members.get_for_update(ids[3])
        assert flagged is not None
        flagged.has_new_program_change = True  # seen by the queue in the same unit of work
        assert len(uow.members.review_queue(Page(10))) == 4


def test_search_every_word_in_any_chosen_field_ignoring_case(uow_factory: Factory) -> None:
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
    with uow_factory() as uow:

        def find(text: str, fields: frozenset[SearchField] = names) -> list[int]:
            query = MemberQuery(words_of(text), fields)
            return [m.id or 0 for m in uow.members.search(query, Page())]

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
        assert find("+38050000000", frozenset({SearchField.PHONE})) == [
            ids[i] for i in (1, 2, 0, 3)
        ]
        assert find("1", frozenset(SearchField)) == [ids[1], ids[0]]  # by last name
        approved = MemberQuery((), frozenset(SearchField), frozenset({MemberStatus.APPROVED}))
        assert [m.id for m in uow.members.search(approved, Page())] == [ids[1]]
        assert uow.members.count_by_status() == {
            MemberStatus.REGISTERED: 3,
            MemberStatus.APPROVED: 1,
        }


def test_member_names_for_lists(uow_factory: Factory) -> None:
    ids = add_members(
        uow_factory,
        member(1, first_name="Тарас", last_name="Шевченко", middle_name="Григорович"),
        member(2, first_name="Леся", last_name="Українка", certificate="000002"),
    )
    with uow_factory() as uow:
        names = uow.members.names([ids[0], ids[1], ids[1], 999_999])
        assert names == {
            ids[0]: MemberName(ids[0], "Шевченко Тарас Григорович", ""),
            ids[1]: MemberName(ids[1], "Українка Леся", "000002"),
        }
        assert uow.members.names([]) == {}


def test_members_expiring_between_two_dates(uow_factory: Factory) -> None:
    ids = add_members(
        uow_factory,
        member(1, expiration_date=date(2026, 3, 5)),
        member(2, expiration_date=date(2026, 3, 10)),
        member(3, expiration_date=date(2026, 3, 11)),
        member(4),
    )
    with uow_factory() as uow:
        found = uow.members.expiring_between(date(2026, 3, 5), date(2026, 3, 10))
        assert [m.id for m in found] == ids[:2]


# -- sign-in challenges, programs, documents, files --------------------------------------
def test_challenge_round_trips_and_is_unique_per_phone(uow_factory: Factory) -> None:
    with uow_factory() as uow:
        challenge = SignInChallenge(
            Phone.parse("+380501234567"),
            code_hash="h",
            sent_at=T0,
            recent_sends=[T0, T0 + timedelta(minutes=1)],
            to_create=True,
            attempts=2,
        )
        uow.challenges.add(challenge)
        uow.commit()
    with uow_factory() as uow:
        loaded = uow.challenges.for_phone("+380501234567")
        assert loaded is not None
        assert (
            loaded.code_hash,
            loaded.sent_at,
            loaded.recent_sends,
            loaded.to_create,
            loaded.attempts,
        ) == ("h", T0, [T0, T0 + timedelta(minutes=1)], True, 2)
        assert uow.challenges.for_phone("+380500000000") is None
        assert loaded.purpose is CodePurpose.SIGN_IN and loaded.member_id is None
    [member_id] = add_members(uow_factory, member(9))
    with uow_factory() as uow:
        loaded = uow.challenges.for_phone("+380501234567")
        assert loaded is not None
        loaded.purpose, loaded.member_id = CodePurpose.PHONE_CHANGE, member_id
        uow.commit()
    with uow_factory() as uow:
        loaded = uow.challenges.for_phone("+380501234567")
        assert loaded is not None
        assert (loaded.purpose, loaded.member_id) == (CodePurpose.PHONE_CHANGE, member_id)
    with pytest.raises(Conflict), uow_factory() as uow:
        uow.challenges.add(SignInChallenge(Phone.parse("+380501234567")))
        uow.commit()


def test_programs_links_and_documents(uow_factory: Factory) -> None:
    [member_id] = add_members(uow_factory, member(1))
    with uow_factory() as uow:
        basic = uow.programs.add(Program("Базова", Money(30000), T0, T0, program_file="t.pdf"))
        old = uow.programs.add(Program("Стара", Money(1000), T0, T0, is_active=False))
        uow.member_programs.add(MemberProgram(member_id, old.id or 0, T0, T0, is_active=True))
        uow.member_programs.add(MemberProgram(member_id, basic.id or 0, T0, T0, is_new=True))
        file = uow.files.add(
            StoredFile("a.pdf", "скан.pdf", ContentType.PDF, 10, "f" * 64, T0, member_id=member_id)
        )
        uow.identities.add(new_identity(member_id, file.id or 0, IdentityType.ID_CARD_BACK, T0))
        uow.commit()
    with uow_factory() as uow:
        assert [p.program_name for p in uow.programs.list(active_only=True)] == ["Базова"]
        assert len(uow.programs.list(active_only=False)) == 2
        assert uow.programs.by_file("t.pdf").month_price == Money(30000)  # type: ignore[union-attr]
        assert uow.programs.by_file("") is None
        links = uow.member_programs.for_member(member_id)
        assert [(x.is_active, x.is_new) for x in links] == [(True, False), (False, True)]
        [doc] = uow.identities.for_member(member_id)
        assert doc.identity_type is IdentityType.ID_CARD_BACK and doc.is_new


def test_files_are_found_by_name_request_and_digest(uow_factory: Factory) -> None:
    [member_id] = add_members(uow_factory, member(1))
    with uow_factory() as uow:
        request = uow.requests.add(Request(member_id, "чек", T0, T0))
        for n, digest in enumerate(["a" * 64, "b" * 64, "a" * 64]):
            uow.files.add(
                StoredFile(
                    f"f{n}.jpg",
                    "чек.jpg",
                    ContentType.JPEG,
                    100,
                    digest,
                    T0,
                    member_id=member_id,
                    request_id=request.id,
                    duplicate_of_request=7 if n == 2 else None,
                    kind=FileKind.RECEIPT,
                )
            )
        uow.files.add(StoredFile("t.pdf", "умови.pdf", ContentType.PDF, 5000, "d" * 64, T0))
        uow.files.add(
            StoredFile(
                "terms.pdf", "умови.pdf", ContentType.PDF, 7, "e" * 64, T0, kind=FileKind.TERMS
            )
        )
        uow.commit()
    with uow_factory() as uow:
        assert uow.files.by_stored_name("f1.jpg").sha256 == "b" * 64  # type: ignore[union-attr]
        assert [f.stored_name for f in uow.files.for_request(request.id or 0)] == [
            "f0.jpg",
            "f1.jpg",
            "f2.jpg",
        ]
        twins = uow.files.with_sha256("a" * 64)
        assert [f.duplicate_of_request for f in twins] == [None, 7]
        assert uow.files.get(twins[0].id or 0) is twins[0]
        assert twins[0].kind is FileKind.RECEIPT
        assert uow.files.by_stored_name("terms.pdf").kind is FileKind.TERMS  # type: ignore[union-attr]
        assert uow.files.by_stored_name("t.pdf").kind is FileKind.DOCUMENT  # type: ignore[union-attr]
        # what a member keeps: their own files only
        assert uow.files.stored_bytes(member_id) == 300
        assert uow.files.stored_bytes(member_id + 1) == 0
    with pytest.raises(Conflict), uow_factory() as uow:
        uow.files.add(StoredFile("f0.jpg", "x", ContentType.PNG, 1, "c" * 64, T0))
        uow.commit()


# -- requests and messages -----------------------------------------------------------------
def test_requests_filter_page_and_come_newest_first(uow_factory: Factory) -> None:
    ids = add_members(
        uow_factory,
        member(1, last_name="Шевченко", certificate="000007"),
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
            made.append(uow.requests.add(request).id)
        uow.messages.add(
            RequestMessage(
                made[0] or 0, "друге", T0 + timedelta(hours=1), staff_id=None, member_id=ids[0]
            )
        )
        uow.messages.add(RequestMessage(made[0] or 0, "перше", T0, member_id=ids[0]))
        uow.commit()
    with uow_factory() as uow:
        everything, total = uow.requests.search(RequestQuery(), Page(2))
        assert total == 5 and [r.id for r in everything] == [made[4], made[3]]
        _, total = uow.requests.search(
            RequestQuery(statuses=frozenset({RequestStatus.OPENED})), Page()
        )
        assert total == 4
        by_name, _ = uow.requests.search(RequestQuery(words=("шевченко",)), Page())
        assert [r.id for r in by_name] == [made[4], made[2], made[0]]
        by_cert, _ = uow.requests.search(RequestQuery(words=("000007", "запит")), Page())
        assert len(by_cert) == 3
        dated, total = uow.requests.search(
            RequestQuery(date_start=date(2026, 3, 2), date_end=date(2026, 3, 3)), Page()
        )
        assert total == 2 and {r.id for r in dated} == {made[1], made[2]}
        own, _ = uow.requests.search(RequestQuery(member_id=ids[1]), Page())
        assert {r.member_id for r in own} == {ids[1]}
        closed = uow.requests.get(made[4] or 0)
        assert closed is not None and closed.resolution is Resolution.REJECTED
        assert closed.approved_amount == Money(1050)
        assert [m.message for m in uow.messages.for_request(made[0] or 0)] == ["перше", "друге"]


def test_searches_follow_renames_and_edits(uow_factory: Factory) -> None:
    (member_id,) = add_members(uow_factory, member(1, last_name="Шевченко"))
    with uow_factory() as uow:
        request = uow.requests.add(Request(member_id, "ліки від кашлю", T0, T0))
        uow.commit()
    request_id = request.id or 0

    def requests_found(text: str) -> list[int]:
        with uow_factory() as uow:
            found, _ = uow.requests.search(RequestQuery(words=words_of(text)), Page())
            return [r.id or 0 for r in found]

    def members_found(text: str) -> list[int]:
        with uow_factory() as uow:
            query = MemberQuery(words_of(text), frozenset({SearchField.NAME}))
            return [m.id or 0 for m in uow.members.search(query, Page())]

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
    with uow_factory() as uow:
        for status, expected in ((RequestStatus.OPENED, 0), (RequestStatus.CLOSED, 1)):
            query = RequestQuery(words=("окул",), statuses=frozenset({status}))
            assert uow.requests.search(query, Page())[1] == expected
    with uow_factory() as uow:  # an edit not committed changes nothing
        renamed = uow.members.get(member_id)
        assert renamed is not None
        renamed.last_name = "Бойко"
        assert [m.id for m in uow.members.search(MemberQuery(("бойко",)), Page())] == [member_id]
    assert members_found("бойко") == [] and members_found("коваленко") == [member_id]


# -- payments --------------------------------------------------------------------------
def payment(member_id: int, kopecks: int, day: int, **fields: object) -> Payment:
    p = Payment(
        member_id,
        PaymentType.TOP_UP,
        Money(kopecks),
        PaymentSource.GATEWAY,
        T0 + timedelta(days=day),
        T0 + timedelta(days=day),
    )
    for key, value in fields.items():
        setattr(p, key, value)
    return p


def test_payment_totals_follow_every_change(uow_factory: Factory) -> None:
    """Totals (kept as per-day counts on SQL) equal the rows found, after payments are
    added, confirmed, failed, moved to another day, and after a rolled-back change."""
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
    with uow_factory() as uow:
        everything, _ = uow.payments.search(PaymentQuery(), Page(limit=1000))
        for query in queries:
            found, total = uow.payments.search(query, Page(limit=3))
            expected = [p for p in everything if _keeps(query, p)]
            assert total == len(expected), query
            assert [p.id for p in found] == [p.id for p in expected[:3]]


def _keeps(query: PaymentQuery, p: Payment) -> bool:
    day = (p.payment_date or p.created_at).date()
    return (
        (not query.types or p.payment_type in query.types)
        and (not query.statuses or p.status in query.statuses)
        and (query.source is None or p.source is query.source)
        and (query.date_start is None or day >= query.date_start)
        and (query.date_end is None or day <= query.date_end)
    )


def test_payments_round_trip_and_search_with_every_filter(uow_factory: Factory) -> None:
    alice, bob = add_members(uow_factory, member(1, certificate="000001"), member(2))
    extension = Extension(
        date(2026, 3, 1), date(2026, 3, 2), date(2026, 4, 1), 30, 5, 7, Money(30000)
    )
    with uow_factory() as uow:
        first = uow.payments.add(
            payment(
                alice,
                30000,
                0,
                payment_identifier="o-1",
                status=PaymentStatus.CONFIRMED,
                payment_date=T0 + timedelta(days=10),
                extension=extension,
                extended_to=date(2026, 4, 1),
                gateway_payment_id="77",
                gateway_status="success",
                is_subscription=True,
            )
        )
        uow.payments.add(payment(alice, 5000, 1, payment_identifier="o-2"))
        uow.payments.add(payment(bob, 30000, 2, payment_identifier="o-3"))
        uow.commit()
    with uow_factory() as uow:
        loaded = uow.payments.by_identifier("o-1")
        assert loaded is not None and loaded.extension == extension
        assert (loaded.payment_date, loaded.gateway_payment_id) == (T0 + timedelta(days=10), "77")
        assert loaded.is_subscription
        assert uow.payments.get(first.id or 0) is loaded

        def ids(query: PaymentQuery, page: Page | None = None) -> tuple[list[str | None], int]:
            found, total = uow.payments.search(query, page or Page())
            return [p.payment_identifier for p in found], total

        assert ids(PaymentQuery()) == (["o-1", "o-3", "o-2"], 3)  # by payment date
        assert ids(PaymentQuery(), Page(1, 1)) == (["o-3"], 3)
        # a payment matching only one of two filters is not listed
        assert ids(PaymentQuery(certificate="000001", amount_start=Money(10000))) == (["o-1"], 1)
        assert ids(PaymentQuery(certificate="000001", amount_end=Money(10000))) == (["o-2"], 1)
        assert ids(PaymentQuery(statuses=frozenset({PaymentStatus.CONFIRMED}), member_id=bob)) == (
            [],
            0,
        )
        assert ids(PaymentQuery(date_start=date(2026, 3, 2), date_end=date(2026, 3, 3))) == (
            ["o-3", "o-2"],
            2,
        )
        assert ids(PaymentQuery(types=frozenset({PaymentType.PAYOUT}))) == ([], 0)
        assert ids(PaymentQuery(source=PaymentSource.MANUAL)) == ([], 0)
        pending = uow.payments.pending_gateway_before(T0 + timedelta(days=2))
        assert [p.payment_identifier for p in pending] == ["o-2"]
    with pytest.raises(Conflict), uow_factory() as uow:
        uow.payments.add(payment(bob, 1, 0, payment_identifier="o-1"))
        uow.commit()


def test_payouts_name_their_request(uow_factory: Factory) -> None:
    [member_id] = add_members(uow_factory, member(1))
    with uow_factory() as uow:
        request = uow.requests.add(Request(member_id, "", T0, T0))
        user = uow.staff.add(staff())
        payout = Payment(
            member_id,
            PaymentType.PARTIAL_PAYOUT,
            Money(100),
            PaymentSource.MANUAL,
            T0,
            T0,
            request_id=request.id,
            created_by=user.id,
            needs_approval=True,
        )
        uow.payments.add(payout)
        uow.commit()
    with uow_factory() as uow:
        found, total = uow.payments.search(PaymentQuery(request_id=request.id), Page())
        assert total == 1 and found[0].needs_approval and found[0].created_by == user.id


# -- staff, audit, jobs --------------------------------------------------------------------
def test_staff_logins_are_unique_and_token_versions_kept(uow_factory: Factory) -> None:
    with uow_factory() as uow:
        uow.staff.add(staff("olena"))
        uow.staff.add(staff("petro"))
        uow.commit()
    with uow_factory() as uow:
        assert [u.login for u in uow.staff.list()] == ["olena", "petro"]
        petro = uow.staff.by_login("petro")
        assert petro is not None and petro.name == "Олена" and petro.token_version == 0
        petro.set_password_hash("other", T0)
        uow.commit()
    with uow_factory() as uow:
        assert uow.staff.by_login("petro").token_version == 1  # type: ignore[union-attr]
    with pytest.raises(Conflict), uow_factory() as uow:
        uow.staff.add(staff("olena"))
        uow.commit()


def test_counters_are_made_locked_moved_and_rolled_back(uow_factory: Factory) -> None:
    window = timedelta(minutes=15)
    with uow_factory() as uow:
        found = uow.counters.locked(["b:2", "a:1", "b:2"])
        assert list(found) == ["a:1", "b:2"]  # one each, in key order
        assert found["a:1"].count == 0 and found["a:1"].started_at is None
        found["a:1"].hit(T0, window)
        found["a:1"].hit(T0 + timedelta(minutes=1), window)
        found["b:2"].hit(T0, window)
        uow.commit()
    with uow_factory() as uow:
        a = uow.counters.locked(["a:1"])["a:1"]
        assert (a.started_at, a.count, a.total) == (T0, 2, 2)
        a.hit(T0 + window, window)  # the window has passed: a new one opens
        uow.commit()
    with uow_factory() as uow:
        a = uow.counters.locked(["a:1"])["a:1"]
        assert (a.started_at, a.count, a.total) == (T0 + window, 1, 3)
        a.clear()
        a.hit(T0 + window, window)  # not committed
    with uow_factory() as uow:
        a = uow.counters.locked(["a:1"])["a:1"]
        assert (a.count, a.total) == (1, 3)
        assert uow.counters.locked(["b:2"])["b:2"].count == 1


def test_audit_events_are_kept_and_searched_newest_first(uow_factory: Factory) -> None:
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
    with uow_factory() as uow:
        everything, total = uow.audit.search(AuditQuery(), Page(2))
        assert total == 4 and [e.at.minute for e in everything] == [33, 32]
        assert everything[0].actor == Actor.system()
        assert dict(everything[0].details) == {
            "amount": "1.50",
            "when": "2026-01-02",
            "names": ["Ґ", "Є"],
        }
        staff_events, total = uow.audit.search(
            AuditQuery(
                actor_kind=ActorKind.STAFF, actor_id=2, event_types=frozenset({EventType.APPROVED})
            ),
            Page(),
        )
        assert total == 1 and staff_events[0].object_id == "1"
        _, total = uow.audit.search(
            AuditQuery(
                object_kind=ObjectKind.MEMBER,
                object_id="0",
                since=T0,
                until=T0 + timedelta(minutes=1),
            ),
            Page(),
        )
        assert total == 1


def test_a_reminder_is_logged_once_per_period(uow_factory: Factory) -> None:
    [member_id] = add_members(uow_factory, member(1))
    with uow_factory() as uow:
        uow.reminders.add(ReminderSent(member_id, "grace", date(2026, 3, 1), T0))
        uow.commit()
    with uow_factory() as uow:
        assert uow.reminders.exists(member_id, "grace", date(2026, 3, 1))
        assert not uow.reminders.exists(member_id, "before_expiry", date(2026, 3, 1))
        with pytest.raises(Conflict):
            uow.reminders.add(ReminderSent(member_id, "grace", date(2026, 3, 1), T0))


def test_corrections_and_certificate_numbers(uow_factory: Factory) -> None:
    [member_id] = add_members(uow_factory, member(1))
    with uow_factory() as uow:
        report = CorrectionReport(member_id, "Ганна", "", "Коваль", date(1990, 1, 1), T0)
        uow.corrections.add(report)
        first = uow.certificates.next_number()
        uow.commit()
    with uow_factory() as uow:
        [loaded] = uow.corrections.for_member(member_id)
        assert loaded.first_name == "Ганна" and loaded.is_open
        second = uow.certificates.next_number()
        uow.commit()
    assert second > first
