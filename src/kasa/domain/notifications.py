"""What a member is told, on which channel and when: the inbox entry an event makes, its
delivery by push (to each of the member's devices) and, for the events that have one,
by SMS when push cannot reach the member; quiet hours, the daily SMS limit, retries.

A notification is the member's inbox entry and its delivery state at once, so however
often a delivery is tried, the inbox shows it once."""

from __future__ import annotations

import enum
import re
from datetime import date, datetime, time, timedelta

import attrs

from kasa.domain.errors import InvalidInput
from kasa.domain.events import EventKind

MAX_DEVICES = 10
TOKEN_MAX = 255
# what a push token is made of (FCM's tokens: letters, digits and ``-_:.``)
TOKEN_PATTERN = r"^[A-Za-z0-9_:.-]{1,255}$"
# pushes about messages on one request within this window replace each other on the
# member's phone (one collapse key)
COLLAPSE_WINDOW = timedelta(minutes=1)
# a push refused for the fund's credentials stops every push this long
PUSH_PAUSE = timedelta(minutes=5)
# what a failed delivery waits before it is tried again; after the last it is failed
RETRY_AFTER = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=12),
)
# what a push refused as too many (429, 503) waits without a Retry-After, doubling
BUSY_FIRST_WAIT = timedelta(minutes=1)


class Language(enum.StrEnum):
    UK = "uk"
    EN = "en"


class Platform(enum.StrEnum):
    ANDROID = "android"
    IOS = "ios"


class DeliveryState(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class Channel(enum.StrEnum):
    PUSH = "push"
    SMS = "sms"
    INBOX = "inbox"  # nothing to send: the member reads it in the app


# which events go by push, and when an event may also go by SMS
PUSHED = frozenset(EventKind) - {EventKind.BLOCKED, EventKind.UNBLOCKED}


def sms_wanted(kind: EventKind, data: dict[str, object]) -> bool:
    """Whether the event is one told by SMS when push cannot reach the member (the
    blocked and unblocked events go by SMS only)."""
    if kind in (
        EventKind.PAYOUT,
        EventKind.PAYMENT_REVERSED,
        EventKind.MEMBERSHIP_EXPIRING,
        EventKind.BLOCKED,
        EventKind.UNBLOCKED,
    ):
        return True
    if kind is EventKind.REQUEST_MOVED:
        return data.get("change") in ("amount", "closed")
    if kind is EventKind.PROFILE_REVIEWED:
        return data.get("outcome") == "approved"
    return False


@attrs.frozen
class QuietHours:
    """Hours of the fund's day when no SMS goes (``start`` to ``end``, across midnight
    when ``start`` is later); ``None`` for none."""

    start: int
    end: int

    @classmethod
    def parse(cls, text: str) -> QuietHours | None:
        """``21-9``; empty: none."""
        value = text.strip()
        if not value:
            return None
        first, _, last = value.partition("-")
        try:
            start, end = int(first), int(last)
        except ValueError:
            raise InvalidInput(f"quiet hours must be written as 21-9, not {text!r}") from None
        if not (0 <= start <= 23 and 0 <= end <= 23) or start == end:
            raise InvalidInput(f"quiet hours must be two different hours 0-23, not {text!r}")
        return cls(start, end)

    def holds(self, local: datetime) -> bool:
        hour = local.hour
        if self.start < self.end:
            return self.start <= hour < self.end
        return hour >= self.start or hour < self.end

    def ends_after(self, local: datetime) -> datetime:
        """The first moment at or after ``local`` that is not quiet (``local`` itself
        when it is not)."""
        if not self.holds(local):
            return local
        end = datetime.combine(local.date(), time(self.end), tzinfo=local.tzinfo)
        return end if end > local else end + timedelta(days=1)


def retry_wait(attempts: int) -> timedelta | None:
    """How long a delivery that failed ``attempts`` times waits before the next try;
    ``None``: it has had its tries."""
    return RETRY_AFTER[attempts - 1] if 0 < attempts <= len(RETRY_AFTER) else None


def busy_wait(retry_after: int | None, attempts: int) -> timedelta:
    """How long a push refused as too many waits: what the service said, else a minute
    doubling with each refusal."""
    if retry_after is not None and retry_after > 0:
        return timedelta(seconds=retry_after)
    doubled: timedelta = BUSY_FIRST_WAIT * 2 ** max(attempts - 1, 0)
    return doubled


@attrs.define(eq=False, slots=False)
class Notification:
    """One thing the member is told: the inbox entry, and how far its delivery is."""

    member_id: int
    event: EventKind
    text: str
    created_at: datetime
    due_at: datetime
    push: bool  # to be pushed (the event goes by push, the member wants push)
    sms: bool  # may go by SMS when push cannot reach the member
    request_id: int | None = None
    payment_id: int | None = None
    collapse_key: str = ""
    state: DeliveryState = DeliveryState.PENDING
    channel: str = ""
    attempts: int = 0
    sent_at: datetime | None = None
    read_at: datetime | None = None
    reason: str = ""
    id: int | None = None

    def sent(self, channel: Channel, now: datetime) -> None:
        self.state = DeliveryState.SENT
        self.channel = channel.value
        self.sent_at = now
        self.reason = ""

    def failed(self, reason: str) -> None:
        self.state = DeliveryState.FAILED
        self.reason = reason[:255]

    def again_at(self, due: datetime, reason: str) -> None:
        """Tried and not delivered: try again at ``due``."""
        self.due_at = due
        self.reason = reason[:255]

    def failed_once(self, now: datetime, reason: str) -> None:
        """A delivery that failed for a reason that may pass: tried again on the retry
        schedule, then failed."""
        self.attempts += 1
        wait = retry_wait(self.attempts)
        if wait is None:
            self.failed(reason)
        else:
            self.again_at(now + wait, reason)

    def retry(self, now: datetime) -> None:
        """Staff send a failed notification again."""
        self.state = DeliveryState.PENDING
        self.attempts = 0
        self.due_at = now
        self.reason = ""


@attrs.define(eq=False, slots=False)
class Device:
    """A phone of the member's that takes push notifications (its FCM token)."""

    member_id: int
    token: str
    platform: Platform
    created_at: datetime
    last_seen_at: datetime
    id: int | None = None


def device_token(text: str) -> str:
    if not re.fullmatch(TOKEN_PATTERN, text):
        raise InvalidInput.field(
            "token", f"must be 1 to {TOKEN_MAX} letters, digits and - _ : . (a push token)"
        )
    return text


@attrs.define(eq=False, slots=False)
class NotificationSettings:
    """How the member wants to be told (push, SMS, the language of the texts)."""

    member_id: int
    updated_at: datetime
    push: bool = True
    sms: bool = True
    language: Language = Language.UK


def sms_allowed(kind: EventKind, settings: NotificationSettings, has_device: bool) -> bool:
    """With SMS switched off only the expiry reminder still goes by SMS, to a member
    without a device (it is their only way of hearing)."""
    if settings.sms:
        return True
    return kind is EventKind.MEMBERSHIP_EXPIRING and not has_device


def local_day(moment: datetime) -> date:
    return moment.date()
