"""In-memory repositories over the fakes' tables: the same contract as the SQL ones
(filters, ordering, paging, totals), checked by the shared repository tests."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any, TypeVar

from kasa.application.repositories import (
    REQUEST_MEMBER_FIELDS,
    AuditQuery,
    MemberName,
    MemberQuery,
    Page,
    PaymentQuery,
    ReminderSent,
    RequestQuery,
    SearchField,
    member_sort_name,
    member_terms,
    request_terms,
)
from kasa.domain.audit import AuditEvent
from kasa.domain.errors import Conflict
from kasa.domain.files import StoredFile
from kasa.domain.identity import MemberIdentity
from kasa.domain.members import CorrectionReport, Member, MemberStatus
from kasa.domain.payments import Payment, PaymentSource, PaymentStatus
from kasa.domain.programs import MemberProgram, Program
from kasa.domain.requests import Request, RequestMessage
from kasa.domain.search import matches
from kasa.domain.signin import SignInChallenge
from kasa.domain.staff import StaffUser
from kasa.domain.throttle import Counter

if TYPE_CHECKING:
    from kasa.adapters.memory.store import InMemoryStore, Tables

T = TypeVar("T")


def _page(rows: Sequence[T], page: Page) -> list[T]:
    return list(rows[page.offset : page.offset + page.limit])


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def day_end(day: date) -> datetime:
    return datetime.combine(day, time.max, tzinfo=UTC)


class _Table:
    name = ""

    def __init__(self, tables: Tables) -> None:
        self.tables = tables
        self.rows: dict[int, Any] = getattr(tables, self.name)

    def _add(self, row: T) -> T:
        row_id = self.tables.new_id(self.name)
        row.id = row_id  # type: ignore[attr-defined]
        self.rows[row_id] = row
        return row

    def _find(self, keep: Callable[[Any], bool]) -> list[Any]:
        return [row for row in self.rows.values() if keep(row)]


class Members(_Table):
    name = "members"

    def add(self, member: Member) -> Member:
        if self.by_phone(member.phone.e164) is not None:
            raise Conflict("A member with this phone already exists.")
        return self._add(member)

    def get(self, member_id: int) -> Member | None:
        return self.rows.get(member_id)

    def get_many(self, member_ids: Collection[int]) -> dict[int, Member]:
        return {i: self.rows[i] for i in member_ids if i in self.rows}

    def names(self, member_ids: Collection[int]) -> dict[int, MemberName]:
        return {i: MemberName.of(self.rows[i]) for i in member_ids if i in self.rows}

    get_for_update = get

    def _one(self, keep: Callable[[Member], bool]) -> Member | None:
        found = self._find(keep)
        return found[0] if found else None

    def by_phone(self, phone: str) -> Member | None:
        return self._one(lambda m: m.phone.e164 == phone)

    def by_certificate(self, certificate: str) -> Member | None:
        return self._one(lambda m: m.certificate == certificate)

    def by_diia_request(self, request_id: str) -> Member | None:
        return self._one(lambda m: m.diia_request_id == request_id)

    def review_queue(self, page: Page) -> Sequence[Member]:
        queue = sorted(self._find(lambda m: m.in_review_queue), key=lambda m: (m.updated_at, m.id))
        return _page(queue, page)

    def search(self, query: MemberQuery, page: Page) -> Sequence[Member]:
        found = self._find(
            lambda m: (
                all(_member_has_word(m, w, query.fields) for w in query.words)
                and (not query.statuses or m.status in query.statuses)
            )
        )
        found.sort(key=lambda m: (member_sort_name(m.first_name, m.last_name), m.id))
        return _page(found, page)

    def count_by_status(self) -> dict[MemberStatus, int]:
        counts: dict[MemberStatus, int] = {}
        for member in self.rows.values():
            counts[member.status] = counts.get(member.status, 0) + 1
        return counts

    def expiring_between(self, first: date, last: date) -> Sequence[Member]:
        found = self._find(
            lambda m: m.expiration_date is not None and first <= m.expiration_date <= last
        )
        return sorted(found, key=lambda m: (m.expiration_date, m.id))


def terms_of_member(member: Member) -> dict[SearchField, set[str]]:
    return member_terms(
        first_name=member.first_name,
        last_name=member.last_name,
        middle_name=member.middle_name,
        passport_data=member.passport_data,
        inn=_opt(member.inn),
        iban=_opt(member.iban),
        certificate=member.certificate,
        phone=member.phone.e164,
    )


def _opt(value: object) -> str | None:
    return None if value is None else str(value)


def _member_has_word(member: Member, word: str, fields: Iterable[SearchField]) -> bool:
    by_field = terms_of_member(member)
    return any(matches(word, by_field.get(field, ())) for field in fields)


class Challenges(_Table):
    name = "challenges"

    def add(self, challenge: SignInChallenge) -> SignInChallenge:
        if self.for_phone(challenge.phone.e164) is not None:
            raise Conflict("This phone already has a sign-in challenge.")
        return self._add(challenge)

    def for_phone(self, phone: str) -> SignInChallenge | None:
        found = self._find(lambda c: c.phone.e164 == phone)
        return found[0] if found else None


class Programs(_Table):
    name = "programs"

    def add(self, program: Program) -> Program:
        return self._add(program)

    def get(self, program_id: int) -> Program | None:
        return self.rows.get(program_id)

    def list(self, *, active_only: bool) -> Sequence[Program]:
        found = self._find(lambda p: p.is_active or not active_only)
        return sorted(found, key=lambda p: p.id)

    def by_file(self, program_file: str) -> Program | None:
        found = self._find(lambda p: bool(program_file) and p.program_file == program_file)
        return found[0] if found else None


class MemberPrograms(_Table):
    name = "member_programs"

    def add(self, link: MemberProgram) -> MemberProgram:
        return self._add(link)

    def for_member(self, member_id: int) -> Sequence[MemberProgram]:
        return sorted(self._find(lambda x: x.member_id == member_id), key=lambda x: x.id)


class Identities(_Table):
    name = "identities"

    def add(self, document: MemberIdentity) -> MemberIdentity:
        return self._add(document)

    def for_member(self, member_id: int) -> Sequence[MemberIdentity]:
        return sorted(self._find(lambda x: x.member_id == member_id), key=lambda x: x.id)


class Files(_Table):
    name = "files"

    def add(self, file: StoredFile) -> StoredFile:
        return self._add(file)

    def get(self, file_id: int) -> StoredFile | None:
        return self.rows.get(file_id)

    def by_stored_name(self, stored_name: str) -> StoredFile | None:
        found = self._find(lambda f: f.stored_name == stored_name)
        return found[0] if found else None

    def for_request(self, request_id: int) -> Sequence[StoredFile]:
        return sorted(self._find(lambda f: f.request_id == request_id), key=lambda f: f.id)

    def for_requests(self, request_ids: Collection[int]) -> dict[int, list[StoredFile]]:
        return {i: list(self.for_request(i)) for i in request_ids}

    def with_sha256(self, sha256: str) -> Sequence[StoredFile]:
        return sorted(self._find(lambda f: f.sha256 == sha256), key=lambda f: f.id)

    def stored_bytes(self, member_id: int) -> int:
        return sum(f.size for f in self._find(lambda f: f.member_id == member_id))


class Requests(_Table):
    name = "requests"

    def add(self, request: Request) -> Request:
        return self._add(request)

    def get(self, request_id: int) -> Request | None:
        return self.rows.get(request_id)

    def get_many(self, request_ids: Collection[int]) -> dict[int, Request]:
        return {i: self.rows[i] for i in request_ids if i in self.rows}

    get_for_update = get

    def search(self, query: RequestQuery, page: Page) -> tuple[Sequence[Request], int]:
        members: dict[int, Member] = self.tables.members

        def words_match(r: Request) -> bool:
            if not query.words:
                return True
            member = members.get(r.member_id)
            by_field = terms_of_member(member) if member is not None else {}
            found = request_terms(
                r.id or 0,
                r.request_text,
                r.diagnosis,
                (t for f in REQUEST_MEMBER_FIELDS for t in by_field.get(f, ())),
            )
            return all(matches(w, found) for w in query.words)

        found = self._find(
            lambda r: (
                (query.member_id is None or r.member_id == query.member_id)
                and (not query.statuses or r.status in query.statuses)
                and (query.date_start is None or r.created_at >= day_start(query.date_start))
                and (query.date_end is None or r.created_at <= day_end(query.date_end))
                and words_match(r)
            )
        )
        found.sort(key=lambda r: (r.created_at, r.id), reverse=True)
        return _page(found, page), len(found)


class Messages(_Table):
    name = "messages"

    def add(self, message: RequestMessage) -> RequestMessage:
        return self._add(message)

    def for_request(self, request_id: int) -> Sequence[RequestMessage]:
        found = self._find(lambda m: m.request_id == request_id)
        return sorted(found, key=lambda m: (m.created_at, m.id))


def payment_moment(payment: Payment) -> datetime:
    return payment.payment_date or payment.created_at


class Payments(_Table):
    name = "payments"

    def add(self, payment: Payment) -> Payment:
        if payment.payment_identifier and self.by_identifier(payment.payment_identifier):
            raise Conflict("A payment with this order id already exists.")
        return self._add(payment)

    def get(self, payment_id: int) -> Payment | None:
        return self.rows.get(payment_id)

    get_for_update = get

    def by_identifier(self, identifier: str) -> Payment | None:
        found = self._find(lambda p: p.payment_identifier == identifier)
        return found[0] if found else None

    def search(self, query: PaymentQuery, page: Page) -> tuple[Sequence[Payment], int]:
        members: dict[int, Member] = self.tables.members

        def keep(p: Payment) -> bool:
            moment = payment_moment(p)
            member = members.get(p.member_id)
            return (
                (not query.types or p.payment_type in query.types)
                and (not query.statuses or p.status in query.statuses)
                and (query.source is None or p.source is query.source)
                and (query.date_start is None or moment >= day_start(query.date_start))
                and (query.date_end is None or moment <= day_end(query.date_end))
                and (query.amount_start is None or p.amount >= query.amount_start)
                and (query.amount_end is None or p.amount <= query.amount_end)
                and (query.member_id is None or p.member_id == query.member_id)
                and (query.request_id is None or p.request_id == query.request_id)
                and (
                    query.certificate is None
                    or (member is not None and member.certificate == query.certificate)
                )
            )

        found = self._find(keep)
        found.sort(key=lambda p: (payment_moment(p), p.id), reverse=True)
        return _page(found, page), len(found)

    def pending_gateway_before(self, moment: datetime) -> Sequence[Payment]:
        found = self._find(
            lambda p: (
                p.status is PaymentStatus.PENDING
                and p.source is PaymentSource.GATEWAY
                and p.created_at < moment
            )
        )
        return sorted(found, key=lambda p: (p.created_at, p.id))


class Staff(_Table):
    name = "staff"

    def add(self, user: StaffUser) -> StaffUser:
        if self.by_login(user.login) is not None:
            raise Conflict("This login is taken.")
        return self._add(user)

    def get(self, staff_id: int) -> StaffUser | None:
        return self.rows.get(staff_id)

    def by_login(self, login: str) -> StaffUser | None:
        found = self._find(lambda s: s.login == login)
        return found[0] if found else None

    def list(self) -> Sequence[StaffUser]:
        return sorted(self.rows.values(), key=lambda s: s.id)


class Counters:
    """Counters by key; the store's lock already makes a unit of work the only one."""

    def __init__(self, tables: Tables) -> None:
        self.rows: dict[str, Counter] = tables.counters

    def locked(self, keys: Collection[str]) -> dict[str, Counter]:
        return {key: self.rows.setdefault(key, Counter(key)) for key in sorted(set(keys))}


class Audit(_Table):
    name = "audit"

    def add(self, event: AuditEvent) -> AuditEvent:
        row_id = self.tables.new_id(self.name)
        stored = AuditEvent(
            event.event_type,
            event.actor,
            event.object_kind,
            event.object_id,
            event.at,
            event.details,
            row_id,
        )
        self.rows[row_id] = stored
        return stored

    def search(self, query: AuditQuery, page: Page) -> tuple[Sequence[AuditEvent], int]:
        found = self._find(
            lambda e: (
                (query.object_kind is None or e.object_kind is query.object_kind)
                and (query.object_id is None or e.object_id == query.object_id)
                and (query.actor_kind is None or e.actor.kind is query.actor_kind)
                and (query.actor_id is None or e.actor.id == query.actor_id)
                and (not query.event_types or e.event_type in query.event_types)
                and (query.since is None or e.at >= query.since)
                and (query.until is None or e.at <= query.until)
            )
        )
        found.sort(key=lambda e: (e.at, e.id), reverse=True)
        return _page(found, page), len(found)


class Reminders(_Table):
    name = "reminders"

    def add(self, reminder: ReminderSent) -> ReminderSent:
        if self.exists(reminder.member_id, reminder.kind, reminder.period):
            raise Conflict("This reminder was already sent.")
        return self._add(reminder)

    def exists(self, member_id: int, kind: str, period: date) -> bool:
        return bool(
            self._find(lambda r: (r.member_id, r.kind, r.period) == (member_id, kind, period))
        )


class Corrections(_Table):
    name = "corrections"

    def add(self, report: CorrectionReport) -> CorrectionReport:
        return self._add(report)

    def for_member(self, member_id: int) -> Sequence[CorrectionReport]:
        return sorted(self._find(lambda r: r.member_id == member_id), key=lambda r: r.id)


class Certificates:
    def __init__(self, store: InMemoryStore) -> None:
        self.store = store

    def next_number(self) -> int:
        return self.store.next_certificate()
