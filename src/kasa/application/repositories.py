"""Repository ports and the unit of work that owns a transaction.

Repositories add and find; they never commit. ``get_for_update``-style methods lock the
row (``SELECT … FOR UPDATE`` on a real database) so that concurrent use cases that
change the same thing take turns.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime
from types import TracebackType
from typing import Any, Protocol, Self

import attrs

from kasa.domain.audit import AuditEvent
from kasa.domain.events import EventKind
from kasa.domain.files import StoredFile
from kasa.domain.identity import MemberIdentity
from kasa.domain.members import CorrectionReport, Member
from kasa.domain.money import Money
from kasa.domain.notifications import Device, Notification, NotificationSettings
from kasa.domain.office import OfficeSession
from kasa.domain.payments import Payment
from kasa.domain.programs import MemberProgram, Program
from kasa.domain.requests import Request, RequestMessage
from kasa.domain.signin import SignInChallenge
from kasa.domain.staff import StaffUser
from kasa.domain.throttle import Counter


class MemberRepository(Protocol):
    def add(self, member: Member) -> Member: ...
    def get(self, member_id: int) -> Member | None: ...
    def get_for_update(self, member_id: int) -> Member | None: ...
    def of_order_for_update(self, identifier: str) -> Member | None:
        """The member whose gateway order this is, locked, in one statement: the
        payment is neither loaded nor locked (the member is locked first)."""
        ...

    def by_phone(self, phone: str) -> Member | None: ...
    def by_certificate(self, certificate: str) -> Member | None: ...
    def by_diia_request(self, request_id: str) -> Member | None: ...


class SignInChallengeRepository(Protocol):
    def add(self, challenge: SignInChallenge) -> SignInChallenge: ...
    def for_phone_for_update(self, phone: str) -> SignInChallenge | None:
        """The phone's challenge, locked for this transaction."""
        ...


class ProgramRepository(Protocol):
    def add(self, program: Program) -> Program: ...
    def get(self, program_id: int) -> Program | None: ...

    def current_of(self, member_id: int) -> Program | None:
        """The member's current program (None without one), in one round trip."""
        ...


class MemberProgramRepository(Protocol):
    def add(self, link: MemberProgram) -> MemberProgram: ...
    def for_member(self, member_id: int) -> Sequence[MemberProgram]: ...


class IdentityRepository(Protocol):
    def add(self, document: MemberIdentity) -> MemberIdentity: ...
    def for_member(self, member_id: int) -> Sequence[MemberIdentity]: ...


class FileRepository(Protocol):
    def add(self, file: StoredFile) -> StoredFile: ...
    def get(self, file_id: int) -> StoredFile | None: ...
    def by_stored_name(self, stored_name: str) -> StoredFile | None: ...
    def request_with_twin(self, sha256: str, other_than: int) -> int | None:
        """The request (the first it was attached to) of a file with these bytes that
        belongs to a request other than ``other_than``; None when there is none."""
        ...

    def stored_bytes(self, member_id: int) -> int:
        """All the bytes of the member's files together."""
        ...

    def named(self, stored_names: Collection[str]) -> set[str]:
        """Which of these stored names a file row holds."""
        ...


class RequestRepository(Protocol):
    def add(self, request: Request) -> Request: ...
    def get(self, request_id: int) -> Request | None: ...
    def get_for_update(self, request_id: int) -> Request | None: ...
    def member_of(self, request_id: int) -> int | None:
        """The id of the request's member, read without loading or locking the request
        (so that the member can be locked first)."""
        ...

    def open_count(self, member_id: int) -> int:
        """How many of the member's requests are not closed."""
        ...


class MessageRepository(Protocol):
    def add(self, message: RequestMessage) -> RequestMessage: ...


class PaymentRepository(Protocol):
    def add(self, payment: Payment) -> Payment: ...
    def get(self, payment_id: int) -> Payment | None: ...
    def get_for_update(self, payment_id: int) -> Payment | None: ...
    def by_identifier_for_update(self, identifier: str) -> Payment | None:
        """The payment with this gateway order id, locked for this transaction."""
        ...

    def order_for_update(self, identifier: str) -> tuple[Payment, Money | None] | None:
        """The payment with this gateway order id, locked, and the monthly price of its
        member's current program (None without one) read in the same statement: lock
        the member first, and the price is the one the member pays now."""
        ...

    def member_of(self, payment_id: int) -> int | None:
        """The id of the member whose payment this is, read the same way."""
        ...

    def for_request(self, request_id: int) -> Sequence[Payment]:
        """The payments that name a request (its payouts), oldest first."""
        ...


class StaffRepository(Protocol):
    def add(self, user: StaffUser) -> StaffUser: ...
    def get(self, staff_id: int) -> StaffUser | None: ...
    def by_login(self, login: str) -> StaffUser | None: ...


class CounterRepository(Protocol):
    def locked(self, keys: Collection[str]) -> dict[str, Counter]:
        """The counters of these keys (new ones when missing), locked for this
        transaction, always in key order, so no two transactions wait on each other."""
        ...

    def prune(self, started_before: datetime) -> int:
        """Remove the counters whose window opened before ``started_before`` (or never
        opened); how many were removed."""
        ...

    def peek(self, key: str) -> Counter | None:
        """A counter as it is now, not locked (to look, not to change)."""
        ...


class AuditRepository(Protocol):
    def add(self, event: AuditEvent) -> AuditEvent: ...


@attrs.define(eq=False)
class ReminderSent:
    """One reminder SMS for one period of a member's membership; never sent twice."""

    member_id: int
    kind: str  # "before_expiry" or "grace"
    period: date  # the "paid until" date the reminder is about
    sent_at: datetime
    id: int | None = None


class ReminderLog(Protocol):
    def add(self, reminder: ReminderSent) -> ReminderSent:
        """Raises ``Conflict`` when this reminder was already logged."""
        ...

    def exists(self, member_id: int, kind: str, period: date) -> bool: ...


class CorrectionRepository(Protocol):
    def add(self, report: CorrectionReport) -> CorrectionReport: ...
    def for_member(self, member_id: int) -> Sequence[CorrectionReport]: ...


class CertificateSequence(Protocol):
    def next_number(self) -> int:
        """A number never handed out before, even if the transaction rolls back."""
        ...


@attrs.frozen
class OutboxEvent:
    """An event of a committed change, as the outbox holds it."""

    id: int
    kind: EventKind
    member_id: int
    request_id: int | None
    payment_id: int | None
    data: Mapping[str, Any]
    created_at: datetime


class Outbox(Protocol):
    def claim(self, limit: int) -> list[OutboxEvent]:
        """Events not yet handled, oldest first, locked for this unit of work (rows
        another worker holds are skipped)."""
        ...

    def handled(self, ids: Sequence[int], now: datetime) -> None: ...

    def prune(self, before: datetime) -> int:
        """Remove events handled before ``before``; how many."""
        ...


class NotificationRepository(Protocol):
    def add(self, notification: Notification) -> Notification: ...
    def get_for_update(self, notification_id: int) -> Notification | None: ...

    def claim_due(self, now: datetime, limit: int) -> list[Notification]:
        """Pending notifications due by ``now``, oldest first, locked (rows another
        worker holds are skipped)."""
        ...

    def messages_since(self, request_id: int, since: datetime) -> int:
        """Message notifications on the request made since ``since``."""
        ...

    def sms_sent_since(self, member_id: int, since: datetime) -> int: ...

    def mark_read(self, member_id: int, ids: Collection[int] | None, now: datetime) -> int:
        """Mark the member's notifications read (all of them when ``ids`` is None)."""
        ...

    def prune(self, before: datetime) -> int:
        """Remove notifications made before ``before``; how many."""
        ...


class OfficeSessionRepository(Protocol):
    def add(self, session: OfficeSession) -> OfficeSession: ...
    def get(self, key: str) -> OfficeSession | None: ...
    def remove(self, session: OfficeSession) -> None: ...
    def prune(self, seen_before: datetime) -> int:
        """Forget sessions last seen before the moment; how many."""
        ...


class DeviceRepository(Protocol):
    def add(self, device: Device) -> Device: ...
    def by_token(self, token: str) -> Device | None: ...
    def for_member(self, member_id: int) -> Sequence[Device]: ...
    def remove(self, device: Device) -> None: ...


class NotificationSettingsRepository(Protocol):
    def get(self, member_id: int) -> NotificationSettings | None: ...
    def add(self, settings: NotificationSettings) -> NotificationSettings: ...


class UnitOfWork(Protocol):
    """One transaction. Leaving the ``with`` block without ``commit()`` rolls back."""

    members: MemberRepository
    challenges: SignInChallengeRepository
    programs: ProgramRepository
    member_programs: MemberProgramRepository
    identities: IdentityRepository
    files: FileRepository
    requests: RequestRepository
    messages: MessageRepository
    payments: PaymentRepository
    staff: StaffRepository
    counters: CounterRepository
    audit: AuditRepository
    sent_reminders: ReminderLog
    corrections: CorrectionRepository
    certificates: CertificateSequence
    outbox: Outbox
    notifications: NotificationRepository
    devices: DeviceRepository
    notification_settings: NotificationSettingsRepository
    office_sessions: OfficeSessionRepository

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self, *, read_only: bool = False) -> UnitOfWork:
        """A unit of work; ``read_only`` for one that only reads (it takes no write
        lock, so a long read holds up no change)."""
        ...
