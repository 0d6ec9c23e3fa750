"""Member sign-in by a one-time SMS code: the challenge and its policy.

Time always comes in as a parameter; the code arrives here already hashed (the hashing
is a port, so a keyed hash can be used and nothing in the domain ever sees a clear code
stored).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from datetime import datetime, timedelta

import attrs

from kasa.domain.errors import AuthenticationFailed, InvalidInput, RateLimited
from kasa.domain.values import Phone

CODE_LENGTH = 6
DAY = timedelta(days=1)


@attrs.frozen
class SignInPolicy:
    """The rules of one-time codes; the defaults are the fund's settings' defaults."""

    code_ttl_seconds: int = 180
    max_attempts: int = 5
    daily_limit: int = 20  # codes a day to one phone, from all addresses together
    resend_seconds: int = 60

    def __attrs_post_init__(self) -> None:
        for name in ("code_ttl_seconds", "max_attempts", "daily_limit"):
            if getattr(self, name) < 1:
                raise InvalidInput(f"The sign-in policy's {name} must be at least 1.")
        if self.resend_seconds < 0:
            raise InvalidInput("The sign-in policy's resend_seconds cannot be negative.")


def check_code_format(code: str) -> str:
    value = (code or "").strip()
    if len(value) != CODE_LENGTH or not value.isdigit():
        raise InvalidInput.field("code", f"must be {CODE_LENGTH} digits")
    return value


class CodePurpose(enum.StrEnum):
    """What a code is for: signing in, or confirming a member's new phone. A code of one
    purpose never does the other's work."""

    SIGN_IN = "sign_in"
    PHONE_CHANGE = "phone_change"


NO_VALID_CODE = "No valid code for this phone. Ask for a new one."


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds()))


@attrs.define(eq=False, slots=False)
class SignInChallenge:
    """The one live sign-in code of a phone, with its counters.

    ``recent_sends`` keeps the times of the latest codes (at most the daily limit of
    them), so that no 24 hours, wherever they start, ever see more codes than the limit.
    """

    phone: Phone
    code_hash: str | None = None
    sent_at: datetime | None = None
    recent_sends: list[datetime] = attrs.field(factory=list)
    to_create: bool = False
    attempts: int = 0
    used_at: datetime | None = None
    id: int | None = None
    purpose: CodePurpose = CodePurpose.SIGN_IN
    # for a phone change: the member whose phone this code would change
    member_id: int | None = None

    def daily_counter(self, now: datetime) -> int:
        """How many codes went out in the 24 hours before ``now``."""
        return sum(1 for sent in self.recent_sends if now - sent < DAY)

    def issue(
        self,
        code_hash: str,
        now: datetime,
        policy: SignInPolicy,
        to_create: bool,
        *,
        purpose: CodePurpose = CodePurpose.SIGN_IN,
        member_id: int | None = None,
    ) -> None:
        """Record a newly sent code, or refuse (changing nothing) with when to retry.

        A phone has one live code: a new one, of either purpose, replaces the last. Both
        purposes count toward the phone's limits."""
        recent = sorted(sent for sent in self.recent_sends if now - sent < DAY)
        if len(recent) >= policy.daily_limit:
            frees_up = recent[-policy.daily_limit] + DAY
            retry = _seconds_until(frees_up, now)
            raise RateLimited(
                f"Too many codes for this phone today. Try again in {_humane(retry)}.", retry
            )
        if self.sent_at is not None:
            next_allowed = self.sent_at + timedelta(seconds=policy.resend_seconds)
            if now < next_allowed:
                retry = _seconds_until(next_allowed, now)
                raise RateLimited(
                    f"A code was sent just now. Try again in {_humane(retry)}.", retry
                )
        self.recent_sends = [*recent, now][-policy.daily_limit :]
        self.code_hash = code_hash
        self.sent_at = now
        self.to_create = to_create
        self.attempts = 0
        self.used_at = None
        self.purpose = purpose
        self.member_id = member_id if purpose is CodePurpose.PHONE_CHANGE else None

    def verify(
        self,
        code: str,
        now: datetime,
        policy: SignInPolicy,
        matches: Callable[[str, str], bool],
        *,
        purpose: CodePurpose = CodePurpose.SIGN_IN,
        member_id: int | None = None,
    ) -> bool:
        """Check a code; on success the code is spent and ``to_create`` is returned.

        ``matches(code, code_hash)`` compares a clear code with the stored hash. Every
        wrong try counts; at the attempt limit the code is burnt. A code sent for
        another purpose (or, for a phone change, to another member) is no code at all.
        """
        code = check_code_format(code)
        if self.code_hash is None or self.sent_at is None or self.used_at is not None:
            raise AuthenticationFailed(NO_VALID_CODE)
        if self.purpose is not purpose or (
            purpose is CodePurpose.PHONE_CHANGE and self.member_id != member_id
        ):
            raise AuthenticationFailed(NO_VALID_CODE)
        if now >= self.sent_at + timedelta(seconds=policy.code_ttl_seconds):
            raise AuthenticationFailed("The code has expired. Ask for a new one.")
        if not matches(code, self.code_hash):
            self.attempts += 1
            left = policy.max_attempts - self.attempts
            if left <= 0:
                self.code_hash = None
                raise AuthenticationFailed("Wrong code. It is burnt now: ask for a new one.")
            raise AuthenticationFailed(f"Wrong code. {left} attempts left.")
        self.used_at = now
        self.code_hash = None
        return self.to_create


def _humane(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} seconds"
    minutes = math.ceil(seconds / 60)
    if minutes < 120:
        return f"{minutes} minutes"
    return f"{math.ceil(minutes / 60)} hours"
