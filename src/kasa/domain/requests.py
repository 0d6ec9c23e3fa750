"""Requests for aid (claims), their status machine, closing resolutions and messages."""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from kasa.domain.errors import Conflict, InvalidInput, RuleViolation
from kasa.domain.events import EventKind, RecordsEvents
from kasa.domain.money import Money

REQUEST_TEXT_MAX = 4000
MESSAGE_MAX = 4000
REASON_MAX = 1000
DIAGNOSIS_MAX = 512


class RequestStatus(enum.StrEnum):
    OPENED = "opened"
    AWAITING_AGENT = "awaiting_agent"
    AWAITING_CLIENT = "awaiting_client"
    CLOSED = "closed"


class Resolution(enum.StrEnum):
    PAID = "paid"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


# The moves staff may make by setting a status; messages and files move a request too.
TRANSITIONS: dict[RequestStatus, frozenset[RequestStatus]] = {
    RequestStatus.OPENED: frozenset(
        {RequestStatus.AWAITING_AGENT, RequestStatus.AWAITING_CLIENT, RequestStatus.CLOSED}
    ),
    RequestStatus.AWAITING_AGENT: frozenset({RequestStatus.AWAITING_CLIENT, RequestStatus.CLOSED}),
    RequestStatus.AWAITING_CLIENT: frozenset({RequestStatus.AWAITING_AGENT, RequestStatus.CLOSED}),
    RequestStatus.CLOSED: frozenset({RequestStatus.OPENED}),
}

AWAITING_STAFF = frozenset({RequestStatus.OPENED, RequestStatus.AWAITING_AGENT})


def _text(value: str | None, field: str, limit: int, *, required: bool) -> str:
    text = (value or "").strip()
    if required and not text:
        raise InvalidInput.field(field, "is required")
    if len(text) > limit:
        raise InvalidInput.field(field, f"must be at most {limit} characters")
    return text


@attrs.define(eq=False, slots=False)
class Request(RecordsEvents):
    """A member's claim for aid. Only approved members file them (checked on creation)."""

    member_id: int
    request_text: str
    created_at: datetime
    updated_at: datetime
    id: int | None = None
    diagnosis: str = ""
    approved_amount: Money | None = None
    status: RequestStatus = RequestStatus.OPENED
    resolution: Resolution | None = None
    reason: str = ""
    has_duplicate_files: bool = False

    @classmethod
    def file(cls, member_id: int, text: str, *, member_approved: bool, now: datetime) -> Request:
        """A member files a new request → ``opened``."""
        if not member_approved:
            raise RuleViolation(
                "Only approved members can file a request; your profile is not approved yet."
            )
        body = _text(text, "comment", REQUEST_TEXT_MAX, required=False)
        return cls(member_id, body, now, now)

    def event_ids(self) -> tuple[int, int | None, int | None]:
        return self.member_id, self.id, None

    @property
    def is_closed(self) -> bool:
        return self.status is RequestStatus.CLOSED

    @property
    def awaits_staff(self) -> bool:
        return self.status in AWAITING_STAFF

    def _move(self, to: RequestStatus, now: datetime) -> None:
        if to is not self.status and to not in TRANSITIONS[self.status]:
            raise Conflict(f"A request cannot go from {self.status} to {to}.")
        self.status = to
        self.updated_at = now

    def _require_open(self, what: str) -> None:
        if self.is_closed:
            raise Conflict(f"The request is closed and takes no {what}.")

    # -- moves made by messages and files ----------------------------------------------
    def member_wrote(self, now: datetime) -> None:
        """The member writes a message or adds files → ``awaiting_agent``."""
        self._require_open("messages or files")
        self._move(RequestStatus.AWAITING_AGENT, now)

    def staff_wrote(self, now: datetime) -> None:
        """Staff write a message → ``awaiting_client``; the member is told of the
        message (not of the move it makes)."""
        self._require_open("messages")
        self._move(RequestStatus.AWAITING_CLIENT, now)
        self.record(EventKind.MESSAGE)

    # -- staff decisions ------------------------------------------------------------
    def set_status(self, to: RequestStatus, now: datetime) -> None:
        """Staff move the request; closing goes through :meth:`close`."""
        if to is RequestStatus.CLOSED:
            raise RuleViolation(
                "Closing a request needs a resolution: paid, rejected or withdrawn."
            )
        if to is RequestStatus.OPENED and self.is_closed:
            self.reopen(now)
            return
        if to is not self.status:
            self._move(to, now)
            self.record(EventKind.REQUEST_MOVED, change="status", status=to.value)

    def close(
        self, resolution: Resolution, now: datetime, *, paid: Money, reason: str | None = None
    ) -> None:
        """Staff close it with a resolution. ``paid`` is what payouts have paid so far.

        ``paid`` needs payouts that reach the approved amount; ``rejected`` needs a
        reason the member sees; ``withdrawn`` is the member's wish.
        """
        if self.is_closed:
            raise Conflict("The request is already closed.")
        why = _text(reason, "reason", REASON_MAX, required=resolution is Resolution.REJECTED)
        if resolution is Resolution.PAID:
            if self.approved_amount is None:
                raise RuleViolation("Set the approved amount before closing the request as paid.")
            if paid < self.approved_amount:
                raise RuleViolation(
                    f"Payouts ({paid}) have not reached the approved amount "
                    f"({self.approved_amount}); the request cannot be closed as paid."
                )
        self._move(RequestStatus.CLOSED, now)
        self.resolution = resolution
        self.reason = why
        self.record(EventKind.REQUEST_MOVED, change="closed", resolution=resolution.value)

    def reopen(self, now: datetime) -> None:
        if not self.is_closed:
            raise Conflict("Only a closed request can be reopened.")
        self._move(RequestStatus.OPENED, now)
        self.resolution = None
        self.reason = ""
        self.record(EventKind.REQUEST_MOVED, change="reopened")

    def assess(
        self,
        now: datetime,
        *,
        paid: Money,
        diagnosis: str | None = None,
        approved_amount: Money | None = None,
        request_text: str | None = None,
    ) -> None:
        """Staff set the diagnosis, the approved amount or correct the text.

        ``paid`` is what payouts have paid or committed (four-eyes payouts waiting for
        approval count): the approved amount can never go below it.
        """
        if self.is_closed:
            raise Conflict("The request is closed; reopen it to change it.")
        if approved_amount is not None:
            if not approved_amount:
                raise InvalidInput.field("approved_amount", "must be greater than zero")
            if approved_amount < paid:
                raise RuleViolation(
                    f"The approved amount cannot be less than what is already paid ({paid})."
                )
            if approved_amount != self.approved_amount:
                self.record(EventKind.REQUEST_MOVED, change="amount", amount=str(approved_amount))
            self.approved_amount = approved_amount
        if diagnosis is not None:
            self.diagnosis = _text(diagnosis, "diagnosis", DIAGNOSIS_MAX, required=False)
        if request_text is not None:
            self.request_text = _text(
                request_text, "request_text", REQUEST_TEXT_MAX, required=False
            )
        self.updated_at = now


class AuthorKind(enum.StrEnum):
    MEMBER = "member"
    STAFF = "staff"


@attrs.define(eq=False, slots=False)
class RequestMessage:
    """A message on a request, written by exactly one of the member or a staff user."""

    request_id: int
    message: str
    created_at: datetime
    member_id: int | None = None
    staff_id: int | None = None
    id: int | None = None

    def __attrs_post_init__(self) -> None:
        if (self.member_id is None) == (self.staff_id is None):
            raise InvalidInput("A message has exactly one author: the member or a staff user.")
        self.message = _text(self.message, "message", MESSAGE_MAX, required=True)

    @property
    def author(self) -> AuthorKind:
        return AuthorKind.MEMBER if self.member_id is not None else AuthorKind.STAFF
