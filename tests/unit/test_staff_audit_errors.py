"""Staff users and roles, audit events, and the error hierarchy."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kasa.domain.audit import Actor, ActorKind, AuditEvent, EventType, ObjectKind
from kasa.domain.errors import (
    AuthenticationFailed,
    Conflict,
    InvalidInput,
    KasaError,
    NotFound,
    PermissionDenied,
    RateLimited,
    RuleViolation,
    TooLarge,
    Validation,
)
from kasa.domain.staff import Role, StaffUser, check_password_policy, staff_login

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def staff(uid: int, role: Role = Role.OPERATOR, login: str | None = None) -> StaffUser:
    return StaffUser(login or f"user{uid}", "$argon2id$…", f"User {uid}", role, NOW, NOW, id=uid)


def test_only_an_active_admin_manages_staff() -> None:
    admin, operator = staff(1, Role.ADMIN), staff(2)
    admin.require_admin()
    with pytest.raises(PermissionDenied, match="Only an admin"):
        operator.require_admin()
    operator.deactivate(admin, NOW)
    assert not operator.is_active
    with pytest.raises(Conflict, match="already deactivated"):
        operator.deactivate(admin, NOW)
    with pytest.raises(PermissionDenied, match="deactivated"):
        operator.require_active()
    with pytest.raises(PermissionDenied):
        admin.deactivate(operator, NOW)


def test_an_admin_cannot_deactivate_themselves() -> None:
    admin = staff(1, Role.ADMIN)
    with pytest.raises(Conflict, match="own account"):
        admin.deactivate(admin, NOW)


def test_who_may_set_whose_password() -> None:
    admin, operator, other = staff(1, Role.ADMIN), staff(2), staff(3)
    assert operator.may_set_password_of(operator)
    assert not operator.may_set_password_of(other)
    assert admin.may_set_password_of(other)


def test_login_and_password_rules() -> None:
    assert staff_login(" Olena.K ") == "olena.k"
    assert StaffUser("Admin", "h", "A", Role.ADMIN, NOW, NOW).login == "admin"
    for bad, problem in [("", "required"), ("x" * 33, "at most 32"), ("ім'я", "latin")]:
        with pytest.raises(InvalidInput, match=problem):
            staff_login(bad)
    assert check_password_policy("correct horse") == "correct horse"
    for bad, problem in [
        ("short", "at least 10"),
        ("x" * 257, "at most 256"),
        (" padded password ", "spaces"),
    ]:
        with pytest.raises(InvalidInput, match=problem):
            check_password_policy(bad)


def test_password_hash_is_not_in_the_repr() -> None:
    assert "argon2" not in repr(staff(1))


def test_audit_events_name_their_actor() -> None:
    event = AuditEvent.of(
        EventType.APPROVED, Actor.staff(3), ObjectKind.MEMBER, 7, NOW, certificate="A-1"
    )
    assert (event.object_id, dict(event.details), str(event.actor)) == (
        "7",
        {"certificate": "A-1"},
        "staff:3",
    )
    assert str(Actor.system()) == "system" and Actor.member(5).kind is ActorKind.MEMBER
    with pytest.raises(ValueError, match="has an id"):
        Actor(ActorKind.MEMBER)
    with pytest.raises(ValueError, match="has an id"):
        Actor(ActorKind.SYSTEM, 1)


@pytest.mark.parametrize(
    "error",
    [
        NotFound,
        Conflict,
        RuleViolation,
        PermissionDenied,
        AuthenticationFailed,
        InvalidInput,
        TooLarge,
    ],
)
def test_every_error_is_a_kasa_error_with_a_human_message(error: type[KasaError]) -> None:
    instance = error("Something is wrong.")
    assert isinstance(instance, KasaError)
    assert str(instance) == instance.message == "Something is wrong."
    assert instance.kind != KasaError.kind


def test_rate_limited_says_when_and_invalid_input_names_fields() -> None:
    assert RateLimited("slow down", 0).retry_after == 1
    assert InvalidInput.field("iban", "bad").errors == {"iban": "bad"}
    check = Validation()
    assert check(int, "5") == 5
    assert check(lambda: (_ for _ in ()).throw(InvalidInput("whole"))) is None
    with pytest.raises(InvalidInput) as caught:
        check.done("Bad input.")
    assert caught.value.errors == {"input": "whole"}
    Validation().done("nothing to report")
