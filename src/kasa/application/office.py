"""Staff signing in to the office pages: a session kept on the server (any worker and
any host can serve it), named by a secret cookie of which only the hash is stored. A
session ends when it has been idle too long or open too long, at sign-out, and when the
user's password, role or activation changes (their token version moves on); signing in
is the admin API's (the same accounts, password hashing, throttles and audit)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

import attrs

from kasa.application.access import require_staff
from kasa.application.books import Books
from kasa.application.clock import FundClock
from kasa.application.ports import RandomSource
from kasa.application.reads import OfficeReads
from kasa.application.repositories import UnitOfWorkFactory
from kasa.application.retrying import retried, runs_many, use_cases
from kasa.application.staff import StaffAccounts
from kasa.application.views import FundReport, TodayCounts
from kasa.domain.notifications import Language
from kasa.domain.office import OfficeSession
from kasa.domain.staff import Role


@attrs.frozen
class OfficeUser:
    """Who a request of the office pages comes from."""

    staff_id: int
    login: str
    name: str
    role: Role
    language: Language
    csrf_token: str

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def sent(self, csrf_token: str) -> bool:
        """The form's token is the session's (compared in constant time)."""
        return hmac.compare_digest(self.csrf_token.encode(), csrf_token.encode())


@attrs.frozen
class Opened:
    """A new session: the cookie's secret, and the token its forms carry."""

    secret: str
    csrf_token: str


@attrs.frozen
class SessionTimes:
    idle: timedelta
    whole: timedelta


def session_key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@use_cases
@attrs.frozen
class OfficeSessions:
    uow: UnitOfWorkFactory
    clock: FundClock
    random: RandomSource
    accounts: StaffAccounts
    times: SessionTimes

    @runs_many
    def sign_in(self, login: str, password: str, address: str = "") -> Opened:
        """The admin API's sign-in (throttled, audited), then a new session."""
        signed = self.accounts.sign_in(login, password, address)
        return self._open(signed.user.id)

    @retried
    def _open(self, staff_id: int) -> Opened:
        now = self.clock.now()
        secret, csrf_token = self.random.secret(), self.random.secret()
        with self.uow() as uow:
            user = uow.staff.get(staff_id)
            assert user is not None
            uow.office_sessions.add(
                OfficeSession(
                    session_key(secret), staff_id, user.token_version, csrf_token, now, now
                )
            )
            uow.commit()
        return Opened(secret, csrf_token)

    def resume(self, secret: str) -> OfficeUser | None:
        """The user of a session still open, or None (a session found ended is
        forgotten)."""
        if not secret:
            return None
        now = self.clock.now()
        with self.uow() as uow:
            session = uow.office_sessions.get(session_key(secret))
            if session is None:
                return None
            user = uow.staff.get(session.staff_id)
            if (
                user is None
                or not user.is_active
                or user.token_version != session.token_version
                or session.ended(now, self.times.idle, self.times.whole)
            ):
                uow.office_sessions.remove(session)
                uow.commit()
                return None
            if session.seen(now):
                uow.commit()
            assert user.id is not None
            return OfficeUser(
                user.id, user.login, user.name, user.role, user.language, session.csrf_token
            )

    def sign_out(self, secret: str) -> None:
        with self.uow() as uow:
            session = uow.office_sessions.get(session_key(secret))
            if session is not None:
                uow.office_sessions.remove(session)
                uow.commit()


@attrs.frozen
class Today:
    """The office's landing page: what waits for staff, and this month's money."""

    counts: TodayCounts
    month: FundReport


@use_cases
@attrs.frozen
class OfficeDesk:
    reads: OfficeReads
    clock: FundClock
    books: Books
    # the lists (a replica's, when there is one); by default the reads themselves
    lists: OfficeReads = attrs.field(
        default=attrs.Factory(lambda self: self.reads, takes_self=True), kw_only=True
    )

    def today(self, staff_id: int) -> Today:
        require_staff(self.reads, staff_id)
        today = self.clock.today()
        month = self.books.fund_report(staff_id, today.replace(day=1), today)
        return Today(self.lists.today(), month)
