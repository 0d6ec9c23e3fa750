"""In-memory repositories over the fakes' tables: the same contract as the SQL ones
(add, get, lock, the lookups the use cases that change things need), checked by the
shared repository tests. Reads for lists and screens are the database's alone."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from kasa.application.repositories import ReminderSent
from kasa.domain.audit import AuditEvent
from kasa.domain.errors import Conflict
from kasa.domain.files import StoredFile
from kasa.domain.identity import MemberIdentity
from kasa.domain.members import CorrectionReport, Member
from kasa.domain.payments import Payment
from kasa.domain.programs import MemberProgram, Program
from kasa.domain.requests import Request, RequestMessage
from kasa.domain.signin import SignInChallenge
from kasa.domain.staff import StaffUser
from kasa.domain.throttle import Counter

if TYPE_CHECKING:
    from kasa.adapters.memory.store import InMemoryStore, Tables

T = TypeVar("T")


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

    # the store lets one unit of work at a time in: every read is already locked
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


class Challenges(_Table):
    name = "challenges"

    def add(self, challenge: SignInChallenge) -> SignInChallenge:
        if self.for_phone_for_update(challenge.phone.e164) is not None:
            raise Conflict("This phone already has a sign-in challenge.")
        return self._add(challenge)

    def for_phone_for_update(self, phone: str) -> SignInChallenge | None:
        found = self._find(lambda c: c.phone.e164 == phone)
        return found[0] if found else None


class Programs(_Table):
    name = "programs"

    def add(self, program: Program) -> Program:
        return self._add(program)

    def get(self, program_id: int) -> Program | None:
        return self.rows.get(program_id)


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

    def with_sha256(self, sha256: str) -> Sequence[StoredFile]:
        return sorted(self._find(lambda f: f.sha256 == sha256), key=lambda f: f.id)

    def stored_bytes(self, member_id: int) -> int:
        return sum(f.size for f in self._find(lambda f: f.member_id == member_id))

    def named(self, stored_names: Collection[str]) -> set[str]:
        wanted = set(stored_names)
        return {f.stored_name for f in self._find(lambda f: f.stored_name in wanted)}


class Requests(_Table):
    name = "requests"

    def add(self, request: Request) -> Request:
        return self._add(request)

    def get(self, request_id: int) -> Request | None:
        return self.rows.get(request_id)

    get_for_update = get

    def member_of(self, request_id: int) -> int | None:
        request = self.rows.get(request_id)
        return request.member_id if request is not None else None

    def open_count(self, member_id: int) -> int:
        return len(self._find(lambda r: r.member_id == member_id and not r.is_closed))


class Messages(_Table):
    name = "messages"

    def add(self, message: RequestMessage) -> RequestMessage:
        return self._add(message)


class Payments(_Table):
    name = "payments"

    def add(self, payment: Payment) -> Payment:
        if payment.payment_identifier and self.by_identifier_for_update(payment.payment_identifier):
            raise Conflict("A payment with this order id already exists.")
        return self._add(payment)

    def get(self, payment_id: int) -> Payment | None:
        return self.rows.get(payment_id)

    get_for_update = get

    def by_identifier_for_update(self, identifier: str) -> Payment | None:
        found = self._find(lambda p: p.payment_identifier == identifier)
        return found[0] if found else None

    def member_of_order(self, identifier: str) -> int | None:
        payment = self.by_identifier_for_update(identifier)
        return payment.member_id if payment is not None else None

    def for_request(self, request_id: int) -> Sequence[Payment]:
        return sorted(self._find(lambda p: p.request_id == request_id), key=lambda p: p.id)


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


class Counters:
    """Counters by key; the store's lock already makes a unit of work the only one."""

    def __init__(self, tables: Tables) -> None:
        self.rows: dict[str, Counter] = tables.counters

    def locked(self, keys: Collection[str]) -> dict[str, Counter]:
        return {key: self.rows.setdefault(key, Counter(key)) for key in sorted(set(keys))}

    def prune(self, started_before: datetime) -> int:
        old = [
            key
            for key, counter in self.rows.items()
            if counter.started_at is None or counter.started_at < started_before
        ]
        for key in old:
            del self.rows[key]
        return len(old)


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
