"""The read side: what lists, searches, details, totals and exports need, read in as
few round trips as possible and returned as plain immutable views. The use cases decide
who may read what; these ports only read. The database adapter implements them (there
is no in-memory fake: the reads are tested on SQLite and on MariaDB alike).

The staff's lists, searches, exports and reports and the public list of programs may be
read from a replica that trails the primary by a few seconds (``lists`` of the use cases
that have them); everything else, and every read of a use case that changes something,
is read from the primary. A request that must see the latest writes (a page shown right
after its user changed something) says so with ``latest()``."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from typing import Protocol

import attrs

from kasa.application.ports import GatewayOrder
from kasa.application.search import SearchField
from kasa.application.views import (
    AuditEvent,
    ChargeView,
    FileView,
    IdentityView,
    Listing,
    MemberDetail,
    MemberView,
    NotificationQuery,
    NotificationView,
    PaymentLine,
    PaymentRow,
    PaymentView,
    ProfileView,
    ProgramView,
    RequestDetail,
    RequestView,
    StaffView,
    TodayCounts,
)
from kasa.domain.audit import ActorKind, EventType, ObjectKind
from kasa.domain.ledger import Move, MoveKind
from kasa.domain.members import MemberStatus
from kasa.domain.money import Money
from kasa.domain.payments import PaymentSource, PaymentStatus, PaymentType
from kasa.domain.requests import RequestStatus
from kasa.domain.staff import Role


@attrs.frozen
class Page:
    limit: int = 50
    offset: int = 0


@attrs.frozen
class MemberQuery:
    """``words`` are search terms (``kasa.domain.search.query_terms``): each must begin a
    term of one of the chosen fields."""

    words: tuple[str, ...] = ()
    fields: frozenset[SearchField] = frozenset(SearchField)
    statuses: frozenset[MemberStatus] = frozenset()


@attrs.frozen
class PaymentQuery:
    """Every given filter must hold (AND)."""

    types: frozenset[PaymentType] = frozenset()
    statuses: frozenset[PaymentStatus] = frozenset()
    source: PaymentSource | None = None
    date_start: date | None = None
    date_end: date | None = None
    amount_start: Money | None = None
    amount_end: Money | None = None
    member_id: int | None = None
    certificate: str | None = None
    request_id: int | None = None


@attrs.frozen
class RequestQuery:
    """``words`` are search terms: each must begin a term of the request (its number,
    text, diagnosis, or its member's name, middle name or certificate)."""

    words: tuple[str, ...] = ()
    statuses: frozenset[RequestStatus] = frozenset()
    date_start: date | None = None
    date_end: date | None = None
    member_id: int | None = None


@attrs.frozen
class AuditQuery:
    object_kind: ObjectKind | None = None
    object_id: str | None = None
    actor_kind: ActorKind | None = None
    actor_id: int | None = None
    event_types: frozenset[EventType] = frozenset()
    since: datetime | None = None
    before: datetime | None = None  # not included


# set for a request whose lists must show the latest writes (read from the primary)
LATEST: ContextVar[bool] = ContextVar("kasa_latest_reads", default=False)


@contextmanager
def latest() -> Iterator[None]:
    """Within: every read comes from the primary, even a list that a replica may give."""
    token = LATEST.set(True)
    try:
        yield
    finally:
        LATEST.reset(token)


class ProgramReads(Protocol):
    def programs(self, *, active_only: bool) -> list[ProgramView]: ...
    def program(self, program_id: int) -> ProgramView | None: ...
    def terms_file(self, stored_name: str) -> FileView | None:
        """A file uploaded as program terms that a program names (public)."""
        ...


class QuickReads(Protocol):
    """The most frequent reads, awaited on the event loop instead of run in a thread (a
    driver of its own)."""

    async def profile(self, member_id: int) -> ProfileView | None:
        """The same answer as ``MemberReads.profile``."""
        ...

    async def staff_standing(self, staff_id: int) -> tuple[Role, int] | None:
        """The same answer as ``OfficeReads.staff_standing``."""
        ...


class MemberReads(Protocol):
    """What a member reads of their own (the use case makes sure it is their own)."""

    def standing(self, member_id: int) -> MemberStatus | None:
        """The member's status, or None when there is no such member."""
        ...

    def profile(self, member_id: int) -> ProfileView | None:
        """The member with photo and current program, in one round trip."""
        ...

    def submitted(self, member_id: int) -> tuple[ProfileView, list[IdentityView]] | None:
        """The member with photo and the program chosen last (the one waiting for staff,
        else the current one), and all their identity documents, oldest first."""
        ...

    def file(self, member_id: int, stored_name: str) -> FileView | None:
        """A file of this member's, by its stored name."""
        ...

    def requests_of_member(
        self, member_id: int, statuses: frozenset[RequestStatus]
    ) -> list[RequestView]:
        """The member's requests (all statuses when none is given), newest first, with
        their files."""
        ...

    def request(self, request_id: int) -> RequestDetail | None:
        """A request with its member's name, files, messages and payouts."""
        ...

    def top_ups(self, member_id: int) -> list[PaymentView]: ...

    def payment_of_order(self, order_id: str) -> PaymentView | None:
        """The payment of a gateway order, by its order id."""
        ...

    def inbox(self, member_id: int, before_id: int | None, limit: int) -> list[NotificationView]:
        """The member's notifications, newest first, older than ``before_id``."""
        ...

    def charges(self, member_id: int, begin: date | None, end: date | None) -> list[ChargeView]:
        """Confirmed payouts to the member, newest first, within the dates."""
        ...


class OfficeReads(Protocol):
    """What the back office reads (the use cases check who is asking)."""

    def staff_role(self, staff_id: int) -> Role | None:
        """The role of an active staff user; None for a deactivated or unknown one."""
        ...

    def staff_standing(self, staff_id: int) -> tuple[Role, int] | None:
        """The role and token version of an active staff user (see
        ``StaffUser.token_version``); None for a deactivated or unknown one."""
        ...

    def staff_users(self) -> list[StaffView]: ...
    def staff_user(self, staff_id: int) -> StaffView | None: ...
    def review_queue(self, page: Page) -> list[MemberView]: ...

    def members(self, query: MemberQuery, page: Page) -> list[MemberView]:
        """Members matching every word in a chosen field, by name; without words, all."""
        ...

    def member(self, member_id: int) -> MemberDetail | None: ...
    def member_file(self, member_id: int, stored_name: str) -> FileView | None: ...
    def payments(self, query: PaymentQuery, page: Page) -> Listing[PaymentRow]: ...

    def payment_lines_after(
        self, query: PaymentQuery, after: tuple[datetime, int] | None, limit: int
    ) -> list[PaymentLine]:
        """Up to ``limit`` payments in the list's order (newest first) that come after
        the one moved at ``after[0]`` with id ``after[1]`` (from the first without), as
        an export writes them."""
        ...

    def requests(self, query: RequestQuery, page: Page) -> Listing[RequestView]: ...
    def request(self, request_id: int) -> RequestDetail | None: ...
    def audit(self, query: AuditQuery, page: Page) -> Listing[AuditEvent]: ...
    def members_by_status(self) -> dict[MemberStatus, int]: ...

    def notifications(self, query: NotificationQuery, page: Page) -> Listing[NotificationView]:
        """Notifications, newest first, with how many match."""
        ...

    def today(self) -> TodayCounts:
        """What waits for staff now (counted, never listed)."""
        ...

    def waiting_notifications(self, now: datetime) -> tuple[int, datetime | None]:
        """How many notifications are due and not yet delivered, and when the longest
        waiting one fell due."""
        ...

    def notifications_by_channel(
        self, first: datetime | None, last: datetime | None
    ) -> dict[tuple[str, str], int]:
        """How many notifications were sent (by channel) and failed, made between two
        moments: ``(state, channel)`` → count."""
        ...

    def money_moves(
        self,
        date_start: date | None,
        date_end: date | None,
        months: Sequence[datetime] = (),
    ) -> list[tuple[datetime, str, MoveKind, Money, str]]:
        """The ledger's movements between two days (both included), summed by the UTC
        hour of the movement (or, given ``months``, the first moments of consecutive
        months, by the month each falls in: the row's moment is its month's first), the
        program their member has now (``""`` for none), their kind and the gateway
        (``""`` for money staff recorded): ``(moment, program, kind, sum, gateway)``."""
        ...

    def first_money_moved(self) -> datetime | None:
        """The hour of the fund's first movement of money (None before any)."""
        ...

    def money_totals(self, before: datetime | None) -> dict[MoveKind, Money]:
        """Each kind of movement summed from the fund's beginning up to ``before``
        (everything when None)."""
        ...

    def ledger(self, date_start: date | None, date_end: date | None, page: Page) -> list[Move]:
        """The ledger's movements between two days, one by one, oldest first."""
        ...

    def ledger_after(
        self, date_start: date | None, date_end: date | None, after: Move | None, limit: int
    ) -> list[Move]:
        """Up to ``limit`` of the ledger's movements between two days in the same order,
        those after the movement ``after`` (from the first without)."""
        ...

    def expiring(self, first: date, last: date) -> list[MemberView]:
        """Members whose "paid until" falls between two dates."""
        ...

    def pending_gateway_orders(self, before: datetime) -> list[GatewayOrder]:
        """Gateway payments still pending, started before ``before``."""
        ...

    def refunding_gateway_orders(self, limit: int) -> list[GatewayOrder]:
        """Gateway payments whose refund was asked for and not yet seen done, at most
        ``limit``, the least recently checked by reconciliation first."""
        ...

    def confirmed_gateway_orders(self, since: datetime, limit: int) -> list[GatewayOrder]:
        """One-off gateway top-ups confirmed since ``since``, at most
        ``limit``, the least recently checked by reconciliation first."""
        ...


class Reads(ProgramReads, MemberReads, OfficeReads, Protocol):
    """Every read, for wiring (one database adapter implements them all)."""
