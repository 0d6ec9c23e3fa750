"""Staff accounts: sign-in with throttling, roles, and account management."""

from __future__ import annotations

import pytest

from kasa.application.access import StaffPrincipal
from kasa.application.ports import TokenAudience
from kasa.application.staff import BLANK
from kasa.domain.audit import EventType
from kasa.domain.errors import (
    AuthenticationFailed,
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RateLimited,
)
from kasa.domain.staff import Role
from kasa.domain.values import Email, Phone
from tests.integration.app.helpers import Fund


def new_user(fund: Fund, login: str = "petro", role: Role = Role.OPERATOR) -> tuple[int, str]:
    created = fund.accounts.create(
        fund.admin_id,
        login=login,
        role=role,
        name="Петро",
        email=Email.parse("petro@example.com"),
        phone=Phone.parse("+380671234567"),
    )
    assert created.user.id is not None
    return created.user.id, created.initial_password


def test_admin_creates_a_user_whose_generated_password_works(fund: Fund) -> None:
    user_id, password = new_user(fund)
    assert len(password) >= 10
    stored = fund.tables().staff[user_id]
    assert password not in stored.password_hash
    session = fund.accounts.sign_in("Petro", password, "10.0.0.1")
    assert session.user.id == user_id
    assert fund.fakes.tokens.issued[-1] == (TokenAudience.STAFF, user_id)


def test_wrong_login_and_wrong_password_get_one_message(fund: Fund) -> None:
    _, password = new_user(fund)
    with pytest.raises(AuthenticationFailed) as wrong_password:
        fund.accounts.sign_in("petro", password + "x")
    with pytest.raises(AuthenticationFailed) as wrong_login:
        fund.accounts.sign_in("nobody", password)
    assert wrong_password.value.message == wrong_login.value.message
    assert len(fund.events(EventType.SIGN_IN_FAILED)) == 2


def test_an_unknown_login_costs_a_password_check_like_a_wrong_password(fund: Fund) -> None:
    """So the answer does not come faster for logins that do not exist."""
    _, password = new_user(fund)
    checked: list[str] = []
    verify = fund.fakes.passwords.verify

    def counting(password_hash: str, given: str) -> bool:
        checked.append(password_hash)
        return verify(password_hash, given)

    fund.fakes.passwords.verify = counting  # type: ignore[method-assign]
    with pytest.raises(AuthenticationFailed):
        fund.accounts.sign_in("petro", "wrong-password")
    with pytest.raises(AuthenticationFailed):
        fund.accounts.sign_in("nobody", "wrong-password")
    with pytest.raises(AuthenticationFailed):
        fund.accounts.sign_in("", password)
    assert len(checked) == 3 and checked[1] == checked[2] != checked[0]


def test_staff_tokens_carry_the_version_that_ends_them(fund: Fund) -> None:
    user_id, password = new_user(fund)
    fund.accounts.sign_in("petro", password)
    # the user as checked, with the role read then
    assert fund.accounts.authenticate(user_id, 0) == StaffPrincipal(user_id, Role.OPERATOR)
    fund.accounts.change_password(fund.admin_id, new_password="another password", user_id=user_id)
    with pytest.raises(AuthenticationFailed, match="sign in again"):
        fund.accounts.authenticate(user_id, 0)
    assert fund.accounts.authenticate(user_id, 1) == StaffPrincipal(user_id, Role.OPERATOR)
    fund.accounts.update(fund.admin_id, user_id, role=Role.ADMIN)
    fund.accounts.update(fund.admin_id, user_id, is_active=False)
    fund.accounts.update(fund.admin_id, user_id, is_active=True)  # revives no token
    for version in (0, 1, 2):
        with pytest.raises(AuthenticationFailed):
            fund.accounts.authenticate(user_id, version)
    assert fund.accounts.authenticate(user_id, 3) == StaffPrincipal(user_id, Role.ADMIN)
    token = fund.accounts.change_password(
        user_id, new_password="my own new one", old_password="another password"
    )
    assert token is not None and token.split(":")[2] == "4"  # a new token, of the new version
    fund.accounts.reset_password("petro")
    with pytest.raises(AuthenticationFailed):
        fund.accounts.authenticate(user_id, 4)
    with pytest.raises(AuthenticationFailed):
        fund.accounts.authenticate(999, 0)


def test_repeated_failures_are_throttled_per_login_and_per_address(fund: Fund) -> None:
    _, password = new_user(fund)
    for _ in range(5):
        with pytest.raises(AuthenticationFailed):
            fund.accounts.sign_in("petro", "wrong-password", "10.0.0.1")
    with pytest.raises(RateLimited):
        fund.accounts.sign_in("petro", password, "10.0.0.2")
    fund.fakes.clock.advance(minutes=16)
    fund.accounts.sign_in("petro", password, "10.0.0.2")
    for n in range(20):
        with pytest.raises(AuthenticationFailed):
            fund.accounts.sign_in(f"guess{n}", "wrong-password", "10.6.6.6")
    with pytest.raises(RateLimited):
        fund.accounts.sign_in("petro", password, "10.6.6.6")


def test_deactivated_staff_cannot_sign_in_or_act(fund: Fund) -> None:
    user_id, password = new_user(fund)
    fund.accounts.deactivate(fund.admin_id, user_id)
    with pytest.raises(PermissionDenied, match="deactivated"):
        fund.accounts.sign_in("petro", password)
    with pytest.raises(PermissionDenied):
        fund.accounts.current(user_id)
    with pytest.raises(PermissionDenied):
        fund.office.generate_certificate(user_id)
    with pytest.raises(Conflict, match="already"):
        fund.accounts.deactivate(fund.admin_id, user_id)


def test_only_admins_manage_accounts(fund: Fund) -> None:
    with pytest.raises(PermissionDenied, match="Only an admin"):
        fund.accounts.create(fund.operator_id, login="x1", role=Role.OPERATOR)
    with pytest.raises(PermissionDenied):
        fund.accounts.list(fund.operator_id)
    with pytest.raises(PermissionDenied):
        fund.accounts.update(fund.operator_id, fund.admin_id, name="x")
    with pytest.raises(PermissionDenied):
        fund.accounts.deactivate(fund.operator_id, fund.admin_id)
    with pytest.raises(PermissionDenied):
        fund.accounts.get(fund.operator_id, fund.admin_id)
    assert [u.login for u in fund.accounts.list(fund.admin_id)] == ["admin", "olena"]


def test_account_rules(fund: Fund) -> None:
    with pytest.raises(Conflict, match="taken"):
        fund.accounts.create(fund.admin_id, login="OLENA", role=Role.OPERATOR)
    with pytest.raises(Conflict, match="own account"):
        fund.accounts.deactivate(fund.admin_id, fund.admin_id)
    with pytest.raises(Conflict, match="own role"):
        fund.accounts.update(fund.admin_id, fund.admin_id, role=Role.OPERATOR)
    with pytest.raises(Conflict, match="own account"):
        fund.accounts.update(fund.admin_id, fund.admin_id, is_active=False)
    with pytest.raises(Conflict, match="taken"):
        fund.accounts.update(fund.admin_id, fund.operator_id, login="admin")
    with pytest.raises(NotFound):
        fund.accounts.get(fund.admin_id, 999)
    user = fund.accounts.update(
        fund.admin_id,
        fund.operator_id,
        login="olena.k",
        name="О. К.",
        email=BLANK,
        phone=Phone.parse("+380501234567"),
        role=Role.ADMIN,
        is_active=False,
    )
    assert (user.login, user.role, user.is_active, user.email) == (
        "olena.k",
        Role.ADMIN,
        False,
        "",
    )
    assert fund.accounts.by_login("admin").id == fund.admin_id
    with pytest.raises(NotFound):
        fund.accounts.by_login("ghost")
    with pytest.raises(PermissionDenied):
        fund.accounts.by_login("olena.k")


def test_passwords_change_with_the_old_one_or_by_an_admin(fund: Fund) -> None:
    user_id, password = new_user(fund)
    with pytest.raises(AuthenticationFailed, match="old password"):
        fund.accounts.change_password(user_id, new_password="a new password", old_password="x")
    with pytest.raises(InvalidInput, match="at least 10"):
        fund.accounts.change_password(user_id, new_password="short", old_password=password)
    fund.accounts.change_password(user_id, new_password="a new password", old_password=password)
    fund.accounts.sign_in("petro", "a new password")
    with pytest.raises(PermissionDenied):
        fund.accounts.change_password(user_id, new_password="another one!", user_id=fund.admin_id)
    fund.accounts.change_password(fund.admin_id, new_password="set by admin", user_id=user_id)
    fund.accounts.change_password(None, new_password="set on server", user_id=user_id)
    fund.accounts.sign_in("petro", "set on server")
    with pytest.raises(InvalidInput, match="name the staff user"):
        fund.accounts.change_password(None, new_password="set on server")
    assert len(fund.events(EventType.PASSWORD_CHANGED)) == 3


def test_a_chosen_initial_password_must_follow_the_policy(fund: Fund) -> None:
    with pytest.raises(InvalidInput, match="at least 10"):
        fund.accounts.create(None, login="x3", role=Role.OPERATOR, password="short")
    created = fund.accounts.create(None, login="x3", role=Role.OPERATOR, password="long enough!")
    assert created.initial_password == "long enough!"
