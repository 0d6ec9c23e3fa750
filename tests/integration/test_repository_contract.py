"""One repository contract, run against SQLite and MariaDB, so the SQL repositories are
proven right on both."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest

from kasa.application.repositories import (
    ReminderSent,
    UnitOfWork,
)
from kasa.domain.errors import Conflict
from kasa.domain.files import ContentType, FileKind, StoredFile
from kasa.domain.identity import IdentityType, new_identity
from kasa.domain.members import CorrectionReport, Member, MemberStatus
from kasa.domain.membership import Extension
from kasa.domain.money import Money
from kasa.domain.payments import Payment, PaymentSource, PaymentStatus, PaymentType
from kasa.domain.programs import MemberProgram, Program
from kasa.domain.requests import Request
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
        paid_until=date(2026, 4, 1),
        credit_units=12345,
        status=MemberStatus.BLOCKED,
        status_before_block=MemberStatus.APPROVED,
        requests_awaiting_staff=2,
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
            "paid_until",
            "credit_units",
            "status",
            "status_before_block",
            "requests_awaiting_staff",
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
        loaded = uow.challenges.for_phone_for_update("+380501234567")
        assert loaded is not None
        assert (
            loaded.code_hash,
            loaded.sent_at,
            loaded.recent_sends,
            loaded.to_create,
            loaded.attempts,
        ) == ("h", T0, [T0, T0 + timedelta(minutes=1)], True, 2)
        assert uow.challenges.for_phone_for_update("+380500000000") is None
        assert loaded.purpose is CodePurpose.SIGN_IN and loaded.member_id is None
    [member_id] = add_members(uow_factory, member(9))
    with uow_factory() as uow:
        loaded = uow.challenges.for_phone_for_update("+380501234567")
        assert loaded is not None
        loaded.purpose, loaded.member_id = CodePurpose.PHONE_CHANGE, member_id
        uow.commit()
    with uow_factory() as uow:
        loaded = uow.challenges.for_phone_for_update("+380501234567")
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
        assert uow.programs.get(basic.id or 0).month_price == Money(30000)  # type: ignore[union-attr]
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
        first = uow.files.by_stored_name("f0.jpg")
        assert first is not None and first.request_id is not None
        assert uow.files.get(first.id or 0) is first
        assert first.kind is FileKind.RECEIPT
        # the bytes of f0 and f2 on another request: that request; on this one only: none
        assert uow.files.request_with_twin("a" * 64, first.request_id + 1) == first.request_id
        assert uow.files.request_with_twin("a" * 64, first.request_id) is None
        assert uow.files.request_with_twin("f" * 64, first.request_id + 1) is None
        assert uow.files.by_stored_name("f2.jpg").duplicate_of_request == 7  # type: ignore[union-attr]
        assert uow.files.by_stored_name("terms.pdf").kind is FileKind.TERMS  # type: ignore[union-attr]
        assert uow.files.by_stored_name("t.pdf").kind is FileKind.DOCUMENT  # type: ignore[union-attr]
        # what a member keeps: their own files only
        assert uow.files.stored_bytes(member_id) == 300
        assert uow.files.stored_bytes(member_id + 1) == 0
    with pytest.raises(Conflict), uow_factory() as uow:
        uow.files.add(StoredFile("f0.jpg", "x", ContentType.PNG, 1, "c" * 64, T0))
        uow.commit()


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


def test_payments_round_trip_and_are_found_by_order(uow_factory: Factory) -> None:
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
        loaded = uow.payments.by_identifier_for_update("o-1")
        assert loaded is not None and loaded.extension == extension
        assert (loaded.payment_date, loaded.gateway_payment_id) == (T0 + timedelta(days=10), "77")
        assert loaded.is_subscription
        assert uow.payments.get(first.id or 0) is loaded

    with pytest.raises(Conflict), uow_factory() as uow:
        uow.payments.add(payment(bob, 1, 0, payment_identifier="o-1"))
        uow.commit()


def test_an_order_is_found_with_its_members_current_price(uow_factory: Factory) -> None:
    alice, bob = add_members(uow_factory, member(1), member(2))
    with uow_factory() as uow:
        basic = uow.programs.add(Program("Базова", Money(30000), T0, T0))
        old = uow.programs.add(Program("Стара", Money(1000), T0, T0))
        uow.member_programs.add(MemberProgram(alice, old.id or 0, T0, T0, is_active=False))
        uow.member_programs.add(MemberProgram(alice, basic.id or 0, T0, T0, is_active=True))
        uow.member_programs.add(MemberProgram(bob, old.id or 0, T0, T0, is_active=False))
        uow.payments.add(payment(alice, 30000, 0, payment_identifier="o-a"))
        uow.payments.add(payment(bob, 1000, 1, payment_identifier="o-b"))
        uow.commit()
    with uow_factory() as uow:
        found = uow.payments.order_for_update("o-a")
        assert found is not None
        paid, price = found
        assert (paid.member_id, paid.payment_identifier, price) == (alice, "o-a", Money(30000))
        bobs = uow.payments.order_for_update("o-b")  # no current program: no price
        assert bobs is not None and (bobs[0].member_id, bobs[1]) == (bob, None)
        assert uow.payments.order_for_update("o-nobody") is None


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
        [found] = uow.payments.for_request(request.id or 0)
        assert found.needs_approval and found.created_by == user.id
        assert uow.payments.for_request(999) == []


# -- staff, audit, jobs --------------------------------------------------------------------
def test_staff_logins_are_unique_and_token_versions_kept(uow_factory: Factory) -> None:
    with uow_factory() as uow:
        uow.staff.add(staff("olena"))
        uow.staff.add(staff("petro"))
        uow.commit()
    with uow_factory() as uow:
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


def test_a_reminder_is_logged_once_per_period(uow_factory: Factory) -> None:
    [member_id] = add_members(uow_factory, member(1))
    with uow_factory() as uow:
        uow.sent_reminders.add(ReminderSent(member_id, "grace", date(2026, 3, 1), T0))
        uow.commit()
    with uow_factory() as uow:
        assert uow.sent_reminders.exists(member_id, "grace", date(2026, 3, 1))
        assert not uow.sent_reminders.exists(member_id, "before_expiry", date(2026, 3, 1))
        with pytest.raises(Conflict):
            uow.sent_reminders.add(ReminderSent(member_id, "grace", date(2026, 3, 1), T0))


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
