"""Staff accounts: password sign-in with throttling, and account management."""

from __future__ import annotations

import enum
import functools
from collections.abc import Sequence
from datetime import datetime, timedelta

import attrs

from kasa.application.access import StaffPrincipal, acting_staff, require_staff
from kasa.application.auditing import audit
from kasa.application.clock import FundClock
from kasa.application.ports import PasswordHasher, RandomSource, TokenAudience, TokenIssuer
from kasa.application.reads import OfficeReads, QuickReads
from kasa.application.repositories import UnitOfWork, UnitOfWorkFactory
from kasa.application.retrying import use_cases
from kasa.application.settings import FundSettings
from kasa.application.views import StaffView
from kasa.domain.audit import Actor, EventType, ObjectKind
from kasa.domain.errors import (
    AuthenticationFailed,
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from kasa.domain.notifications import Language
from kasa.domain.staff import Role, StaffUser, check_password_policy, staff_login
from kasa.domain.throttle import Counter, counter_key
from kasa.domain.values import Email, Phone

WRONG_LOGIN = "Wrong login or password."


@attrs.frozen
class StaffSession:
    access_token: str
    user: StaffView


@attrs.frozen
class NewStaffUser:
    user: StaffView
    initial_password: str


class Blank(enum.Enum):
    """Given for an optional field, clears it (None leaves it as it is)."""

    BLANK = "blank"


BLANK = Blank.BLANK


def _standing(staff_id: int, token_version: int, found: tuple[Role, int] | None) -> StaffPrincipal:
    """The staff user a token names, while the token's version is still theirs."""
    if found is None or found[1] != token_version:
        raise AuthenticationFailed("This session has ended; please sign in again.")
    return StaffPrincipal(staff_id, found[0])


TOO_MANY_FAILURES = "Too many failed sign-ins. Try again later."


@use_cases
@attrs.frozen
class StaffAccounts:
    uow: UnitOfWorkFactory
    reads: OfficeReads
    clock: FundClock
    passwords: PasswordHasher
    tokens: TokenIssuer
    random: RandomSource
    settings: FundSettings
    # the staff user's standing awaited on the event loop, where the database allows it
    quick: QuickReads | None = attrs.field(default=None, kw_only=True)

    def __attrs_post_init__(self) -> None:
        _ = self._decoy  # made once, with the use case, not on the first refusal

    @functools.cached_property
    def _decoy(self) -> str:
        """Checked in place of a password hash for unknown logins, so that they take as
        long to refuse as a wrong password does."""
        return self.passwords.hash(self.random.password())

    # -- signing in ------------------------------------------------------------------
    def sign_in(self, login: str, password: str, address: str = "") -> StaffSession:
        """Login and password; one message for a wrong login or a wrong password.

        Failures are counted per login and per address in counters every API process
        shares; the counters stay locked while the password is checked, so however many
        attempts race, no more than the limit are ever checked. An unknown login costs
        a password check too, so its answer takes as long as a wrong password's.
        """
        now = self.clock.now()
        key = (login or "").strip().lower()
        window = self._failure_window
        with self.uow() as uow:
            counters = self._failures(uow, key, address, now)
            user = uow.staff.by_login(key) if key else None
            stored = user.password_hash if user is not None else self._decoy
            ok = self.passwords.verify(stored, password) and user is not None
            if not ok or user is None:
                for counter in counters.values():
                    counter.hit(now, window)
                audit(
                    uow,
                    EventType.SIGN_IN_FAILED,
                    Actor.system(),
                    ObjectKind.STAFF_USER,
                    key[:64] or "-",
                    now,
                    address=address,
                )
                uow.commit()
                raise AuthenticationFailed(WRONG_LOGIN)
            assert user.id is not None
            if not user.is_active:
                raise PermissionDenied("This staff account is deactivated.")
            if self.passwords.needs_rehash(user.password_hash):
                user.password_hash = self.passwords.hash(password)
            counters[counter_key("staff-login", key)].clear()
            audit(
                uow,
                EventType.SIGNED_IN,
                Actor.staff(user.id),
                ObjectKind.STAFF_USER,
                user.id,
                now,
                address=address,
            )
            uow.commit()
            return StaffSession(self._token(user), StaffView.of(user))

    def _token(self, user: StaffUser) -> str:
        assert user.id is not None
        return self.tokens.issue(TokenAudience.STAFF, user.id, user.token_version)

    def authenticate(self, staff_id: int, token_version: int) -> StaffPrincipal:
        """Check a staff token's version on a call: a token issued before the user's
        password, role or activation last changed is refused. The user as checked (one
        read: their role and token version)."""
        return _standing(staff_id, token_version, self.reads.staff_standing(staff_id))

    async def authenticate_quickly(self, staff_id: int, token_version: int) -> StaffPrincipal:
        """``authenticate`` through the quick reader (only when there is one)."""
        assert self.quick is not None
        found = await self.quick.staff_standing(staff_id)
        return _standing(staff_id, token_version, found)

    def current(self, staff_id: int) -> StaffUser:
        """The signed-in staff user, refused when deactivated."""
        with self.uow(read_only=True) as uow:
            return acting_staff(uow, staff_id)

    # -- managing accounts (admin) ----------------------------------------------------
    def create(
        self,
        admin_id: int | None,
        *,
        login: str,
        role: Role,
        name: str = "",
        email: Email | None = None,
        phone: Phone | None = None,
        is_active: bool = True,
        password: str | None = None,
    ) -> NewStaffUser:
        """Create a staff user. ``admin_id`` None is the command line bootstrapping the
        first account. Without a password, a strong one is generated and returned once."""
        clean_login = staff_login(login)
        secret = check_password_policy(password, "password") if password else None
        secret = secret or self.random.password()
        now = self.clock.now()
        with self.uow() as uow:
            actor = Actor.system()
            if admin_id is not None:
                acting_staff(uow, admin_id, admin=True)
                actor = Actor.staff(admin_id)
            if uow.staff.by_login(clean_login) is not None:
                raise Conflict("This login is taken.")
            user = uow.staff.add(
                StaffUser(
                    clean_login,
                    self.passwords.hash(secret),
                    (name or clean_login).strip()[:128],
                    role,
                    now,
                    now,
                    email=email,
                    phone=phone,
                    is_active=is_active,
                )
            )
            audit(
                uow,
                EventType.CREATED,
                actor,
                ObjectKind.STAFF_USER,
                user.id,
                now,
                login=clean_login,
                role=role,
            )
            uow.commit()
            return NewStaffUser(StaffView.of(user), secret)

    def update(
        self,
        admin_id: int,
        user_id: int,
        *,
        login: str | None = None,
        name: str | None = None,
        email: Email | Blank | None = None,
        phone: Phone | Blank | None = None,
        role: Role | None = None,
        is_active: bool | None = None,
    ) -> StaffView:
        """Change a staff user (an admin's work); ``BLANK`` clears e-mail or phone."""
        now = self.clock.now()
        new_role = role
        with self.uow() as uow:
            admin = acting_staff(uow, admin_id, admin=True)
            user = self._get(uow, user_id)
            changed: list[str] = []
            if login is not None and staff_login(login) != user.login:
                clean = staff_login(login)
                if uow.staff.by_login(clean) is not None:
                    raise Conflict("This login is taken.")
                user.login = clean
                changed.append("login")
            if name is not None and name.strip() != user.name:
                user.name = name.strip()[:128]
                changed.append("name")
            if email is not None:
                user.email = None if email is BLANK else email
                changed.append("email")
            if phone is not None:
                user.phone = None if phone is BLANK else phone
                changed.append("phone")
            if new_role is not None and new_role is not user.role:
                if user.id == admin.id:
                    raise Conflict("An admin cannot change their own role.")
                user.set_role(new_role, now)
                changed.append("role")
            if is_active is not None and is_active != user.is_active:
                if user.id == admin.id:
                    raise Conflict("An admin cannot deactivate their own account.")
                user.set_active(is_active, now)
                changed.append("is_active")
            user.updated_at = now
            audit(
                uow,
                EventType.UPDATED,
                Actor.staff(admin_id),
                ObjectKind.STAFF_USER,
                user_id,
                now,
                fields=changed,
            )
            uow.commit()
            return StaffView.of(user)

    def deactivate(self, admin_id: int, user_id: int) -> StaffView:
        now = self.clock.now()
        with self.uow() as uow:
            admin = acting_staff(uow, admin_id, admin=True)
            user = self._get(uow, user_id)
            user.deactivate(admin, now)
            audit(
                uow,
                EventType.DEACTIVATED,
                Actor.staff(admin_id),
                ObjectKind.STAFF_USER,
                user_id,
                now,
            )
            uow.commit()
            return StaffView.of(user)

    def change_password(
        self,
        actor_id: int | None,
        *,
        new_password: str,
        user_id: int | None = None,
        old_password: str | None = None,
        address: str = "",
    ) -> str | None:
        """Own password with the old one; an admin may set anyone's. ``actor_id`` None is
        the command line (an operator of the server). Every token of the user issued
        before ends; for one's own password, the answer is a new token (else None). A
        wrong old password counts and is audited as a failed sign-in of the login (and
        of ``address``), under the same limits: a stolen token does not let anyone guess
        the password."""
        secret = check_password_policy(new_password)
        now = self.clock.now()
        with self.uow() as uow:
            actor = acting_staff(uow, actor_id) if actor_id is not None else None
            target_id = user_id if user_id is not None else actor_id
            if target_id is None:
                raise InvalidInput.field("id", "name the staff user")
            target = self._get(uow, target_id)
            if actor is not None:
                if not actor.may_set_password_of(target):
                    raise PermissionDenied("Only an admin may set another user's password.")
                if actor.id == target.id:
                    self._check_old_password(uow, target, old_password, address, now)
            target.set_password_hash(self.passwords.hash(secret), now)
            who = Actor.staff(actor_id) if actor_id is not None else Actor.system()
            audit(uow, EventType.PASSWORD_CHANGED, who, ObjectKind.STAFF_USER, target_id, now)
            uow.commit()
            return self._token(target) if actor_id == target.id else None

    def _check_old_password(
        self,
        uow: UnitOfWork,
        user: StaffUser,
        old_password: str | None,
        address: str,
        now: datetime,
    ) -> None:
        counters = self._failures(uow, user.login, address, now)
        if old_password and self.passwords.verify(user.password_hash, old_password):
            return
        assert user.id is not None
        for counter in counters.values():
            counter.hit(now, self._failure_window)
        audit(
            uow,
            EventType.SIGN_IN_FAILED,
            Actor.staff(user.id),
            ObjectKind.STAFF_USER,
            user.id,
            now,
            address=address,
            reason="wrong old password",
        )
        uow.commit()
        raise AuthenticationFailed("The old password is wrong.")

    def _failures(
        self, uow: UnitOfWork, login: str, address: str, now: datetime
    ) -> dict[str, Counter]:
        """The failed sign-in counters of a login and an address, locked; refused with
        429 when either is at its limit."""
        settings = self.settings
        limits = {counter_key("staff-login", login): settings.staff_failures_per_login}
        if address:
            limits[counter_key("staff-address", address)] = settings.staff_failures_per_address
        counters = uow.counters.locked(limits)
        for name, limit in limits.items():
            counters[name].check(limit, now, self._failure_window, TOO_MANY_FAILURES)
        return counters

    @property
    def _failure_window(self) -> timedelta:
        """How long failed sign-ins of a login or an address are counted together."""
        return timedelta(seconds=self.settings.staff_failure_window_seconds)

    def reset_password(self, login: str, password: str | None = None) -> str:
        """The server's operator sets a staff user's password (the command line); without
        one, a strong password is generated. Returns the password, to be shown once."""
        secret = check_password_policy(password) if password else self.random.password()
        user = self.by_login(login)
        assert user.id is not None
        self.change_password(None, new_password=secret, user_id=user.id)
        return secret

    def set_language(self, staff_id: int, language: Language) -> None:
        """The language the office pages speak to a staff user (their own choice)."""
        now = self.clock.now()
        with self.uow() as uow:
            user = acting_staff(uow, staff_id)
            if user.language is not language:
                user.language = language
                user.updated_at = now
                audit(
                    uow,
                    EventType.UPDATED,
                    Actor.staff(staff_id),
                    ObjectKind.STAFF_USER,
                    staff_id,
                    now,
                    language=language,
                )
                uow.commit()

    def list(self, admin_id: int | None) -> Sequence[StaffView]:
        if admin_id is not None:
            require_staff(self.reads, admin_id, admin=True)
        return self.reads.staff_users()

    def get(self, admin_id: int, user_id: int) -> StaffView:
        require_staff(self.reads, admin_id, admin=True)
        user = self.reads.staff_user(user_id)
        if user is None:
            raise NotFound(f"There is no staff user {user_id}.")
        return user

    def by_login(self, login: str) -> StaffUser:
        """For the command line's ``--as LOGIN``."""
        with self.uow(read_only=True) as uow:
            user = uow.staff.by_login(staff_login(login))
            if user is None:
                raise NotFound(f"There is no staff user {login}.")
            user.require_active()
            return user

    @staticmethod
    def _get(uow: UnitOfWork, user_id: int) -> StaffUser:
        user = uow.staff.get(user_id)
        if user is None:
            raise NotFound(f"There is no staff user {user_id}.")
        return user
