"""Repository ports and the unit of work that owns a transaction.

Repositories add and find; they never commit. ``get_for_update``-style methods lock the
row (``SELECT … FOR UPDATE`` on a real database) so that concurrent use cases that
change the same thing take turns.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable, Sequence
from datetime import date, datetime
from types import TracebackType
from typing import Protocol, Self

import attrs

from kasa.domain.audit import ActorKind, AuditEvent, EventType, ObjectKind
from kasa.domain.files import StoredFile
from kasa.domain.identity import MemberIdentity
from kasa.domain.members import CorrectionReport, Member, MemberStatus
from kasa.domain.money import Money
from kasa.domain.payments import Payment, PaymentSource, PaymentStatus, PaymentType
from kasa.domain.programs import MemberProgram, Program
from kasa.domain.requests import Request, RequestMessage, RequestStatus
from kasa.domain.search import phone_terms, terms
from kasa.domain.signin import SignInChallenge
from kasa.domain.staff import StaffUser
from kasa.domain.throttle import Counter


@attrs.frozen
class Page:
    limit: int = 50
    offset: int = 0


class SearchField(enum.StrEnum):
    """Member fields the back office may search (``name``: first and last names)."""

    NAME = "name"
    MIDDLE_NAME = "middle_name"
    PASSPORT = "passport"
    INN = "inn"
    IBAN = "iban"
    CERTIFICATE = "certificate"
    PHONE = "phone"


def member_terms(
    *,
    first_name: str,
    last_name: str,
    middle_name: str,
    passport_data: str,
    inn: str | None,
    iban: str | None,
    certificate: str | None,
    phone: str,
) -> dict[SearchField, set[str]]:
    """A member's search terms by field (see ``kasa.domain.search``)."""
    found = {
        SearchField.NAME: terms(first_name, last_name),
        SearchField.MIDDLE_NAME: terms(middle_name),
        SearchField.PASSPORT: terms(passport_data),
        SearchField.INN: terms(inn),
        SearchField.IBAN: terms(iban),
        SearchField.CERTIFICATE: terms(certificate),
        SearchField.PHONE: phone_terms(phone),
    }
    return {field: values for field, values in found.items() if values}


def member_sort_name(first_name: str, last_name: str) -> str:
    """What member searches sort by: the last, then the first name."""
    return f"{last_name} {first_name}".casefold()[:64]


# The member fields a request's search also looks at.
REQUEST_MEMBER_FIELDS = frozenset(
    {SearchField.NAME, SearchField.MIDDLE_NAME, SearchField.CERTIFICATE}
)


def request_terms(
    request_id: int, request_text: str, diagnosis: str, member_terms: Iterable[str]
) -> set[str]:
    """A request's search terms: its number, its text's and diagnosis' words, and its
    member's name, middle name and certificate terms."""
    return terms(str(request_id), request_text, diagnosis) | set(member_terms)


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
    until: datetime | None = None


@attrs.frozen
class MemberName:
    """Who a member is, as lists show them."""

    id: int
    full_name: str
    certificate: str

    @classmethod
    def of(cls, member: Member) -> MemberName:
        return cls(member.id or 0, member.full_name, member.certificate or "")


class MemberRepository(Protocol):
    def add(self, member: Member) -> Member: ...
    def get(self, member_id: int) -> Member | None: ...
    def get_many(self, member_ids: Collection[int]) -> dict[int, Member]: ...
    def names(self, member_ids: Collection[int]) -> dict[int, MemberName]: ...
    def get_for_update(self, member_id: int) -> Member | None: ...
    def by_phone(self, phone: str) -> Member | None: ...
    def by_certificate(self, certificate: str) -> Member | None: ...
    def by_diia_request(self, request_id: str) -> Member | None: ...
    def review_queue(self, page: Page) -> Sequence[Member]: ...
    def search(self, query: MemberQuery, page: Page) -> Sequence[Member]: ...
    def count_by_status(self) -> dict[MemberStatus, int]: ...
    def expiring_between(self, first: date, last: date) -> Sequence[Member]: ...


class SignInChallengeRepository(Protocol):
    def add(self, challenge: SignInChallenge) -> SignInChallenge: ...
    def for_phone(self, phone: str) -> SignInChallenge | None:
        """The phone's challenge, locked for this transaction."""
        ...


class ProgramRepository(Protocol):
    def add(self, program: Program) -> Program: ...
    def get(self, program_id: int) -> Program | None: ...
    def list(self, *, active_only: bool) -> Sequence[Program]: ...
    def by_file(self, program_file: str) -> Program | None: ...


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
    def for_request(self, request_id: int) -> Sequence[StoredFile]: ...
    def for_requests(self, request_ids: Collection[int]) -> dict[int, list[StoredFile]]: ...
    def with_sha256(self, sha256: str) -> Sequence[StoredFile]: ...
    def stored_bytes(self, member_id: int) -> int:
        """All the bytes of the member's files together."""
        ...


class RequestRepository(Protocol):
    def add(self, request: Request) -> Request: ...
    def get(self, request_id: int) -> Request | None: ...
    def get_many(self, request_ids: Collection[int]) -> dict[int, Request]: ...
    def get_for_update(self, request_id: int) -> Request | None: ...
    def search(self, query: RequestQuery, page: Page) -> tuple[Sequence[Request], int]: ...


class MessageRepository(Protocol):
    def add(self, message: RequestMessage) -> RequestMessage: ...
    def for_request(self, request_id: int) -> Sequence[RequestMessage]: ...


class PaymentRepository(Protocol):
    def add(self, payment: Payment) -> Payment: ...
    def get(self, payment_id: int) -> Payment | None: ...
    def get_for_update(self, payment_id: int) -> Payment | None: ...
    def by_identifier(self, identifier: str) -> Payment | None:
        """The payment with this gateway order id, locked for this transaction."""
        ...

    def search(self, query: PaymentQuery, page: Page) -> tuple[Sequence[Payment], int]:
        """Newest first (payment date, then creation), with the total count."""
        ...

    def pending_gateway_before(self, moment: datetime) -> Sequence[Payment]: ...


class StaffRepository(Protocol):
    def add(self, user: StaffUser) -> StaffUser: ...
    def get(self, staff_id: int) -> StaffUser | None: ...
    def by_login(self, login: str) -> StaffUser | None: ...
    def list(self) -> Sequence[StaffUser]: ...


class CounterRepository(Protocol):
    def locked(self, keys: Collection[str]) -> dict[str, Counter]:
        """The counters of these keys (new ones when missing), locked for this
        transaction, always in key order, so no two transactions wait on each other."""
        ...


class AuditRepository(Protocol):
    def add(self, event: AuditEvent) -> AuditEvent: ...
    def search(self, query: AuditQuery, page: Page) -> tuple[Sequence[AuditEvent], int]:
        """Newest first, with the total count."""
        ...


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
    reminders: ReminderLog
    corrections: CorrectionRepository
    certificates: CertificateSequence

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
