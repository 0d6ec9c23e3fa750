"""Staff users of the fund's back office and their roles."""

from __future__ import annotations

import enum
import re
from datetime import datetime

import attrs

from kasa.domain.errors import Conflict, InvalidInput, PermissionDenied
from kasa.domain.notifications import Language
from kasa.domain.values import Email, Phone

LOGIN_MAX = 32
PASSWORD_MIN = 10
PASSWORD_MAX = 256
_LOGIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class Role(enum.StrEnum):
    ADMIN = "admin"
    OPERATOR = "operator"


def staff_login(text: str) -> str:
    value = (text or "").strip()
    if not value:
        raise InvalidInput.field("login", "is required")
    if len(value) > LOGIN_MAX:
        raise InvalidInput.field("login", f"must be at most {LOGIN_MAX} characters")
    if not _LOGIN.match(value):
        raise InvalidInput.field("login", "may contain only latin letters, digits, '.', '_', '-'")
    return value.lower()


def check_password_policy(password: str, field: str = "new_password") -> str:
    if len(password) < PASSWORD_MIN:
        raise InvalidInput.field(field, f"must be at least {PASSWORD_MIN} characters")
    if len(password) > PASSWORD_MAX:
        raise InvalidInput.field(field, f"must be at most {PASSWORD_MAX} characters")
    if password.strip() != password or not password.strip():
        raise InvalidInput.field(field, "must not start or end with spaces")
    return password


@attrs.define(eq=False, slots=False)
class StaffUser:
    login: str = attrs.field(converter=staff_login)
    password_hash: str = attrs.field(repr=False)
    name: str
    role: Role
    created_at: datetime
    updated_at: datetime
    email: Email | None = None
    phone: Phone | None = None
    is_active: bool = True
    id: int | None = None
    # Carried in every access token; a token of an older version is refused. It moves
    # on with a new password, a new role and a deactivation, and never back.
    token_version: int = 0
    # the language the office pages speak to them
    language: Language = Language.UK

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def require_active(self) -> None:
        if not self.is_active:
            raise PermissionDenied("This staff account is deactivated.")

    def require_admin(self) -> None:
        self.require_active()
        if not self.is_admin:
            raise PermissionDenied("Only an admin may manage staff accounts.")

    def deactivate(self, by: StaffUser, now: datetime) -> None:
        by.require_admin()
        if by.id == self.id:
            raise Conflict("An admin cannot deactivate their own account.")
        if not self.is_active:
            raise Conflict("The account is already deactivated.")
        self.is_active = False
        self.updated_at = now
        self.end_tokens()

    def end_tokens(self) -> None:
        """Every token issued so far stops working (at the next call)."""
        self.token_version += 1

    def set_password_hash(self, password_hash: str, now: datetime) -> None:
        self.password_hash = password_hash
        self.updated_at = now
        self.end_tokens()

    def set_role(self, role: Role, now: datetime) -> None:
        self.role = role
        self.updated_at = now
        self.end_tokens()

    def set_active(self, active: bool, now: datetime) -> None:
        """Reactivation lets the user sign in again; it never revives old tokens."""
        self.is_active = active
        self.updated_at = now
        if not active:
            self.end_tokens()

    def may_set_password_of(self, other: StaffUser) -> bool:
        """Anyone may change their own password (with the old one); an admin anyone's."""
        return self.id == other.id or (self.is_active and self.is_admin)
