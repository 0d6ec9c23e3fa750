"""An in-memory database for the fakes: tables of domain objects, a unit of work that
works on a private copy (so leaving without ``commit()`` rolls back), and the unique
constraints the real schema has."""

from __future__ import annotations

import copy
import threading
from collections import Counter
from types import TracebackType
from typing import Any, Self

import attrs

from kasa.adapters.memory import repositories as repos
from kasa.application.repositories import (
    AuditRepository,
    CertificateSequence,
    CorrectionRepository,
    CounterRepository,
    FileRepository,
    IdentityRepository,
    MemberProgramRepository,
    MemberRepository,
    MessageRepository,
    PaymentRepository,
    ProgramRepository,
    ReminderLog,
    ReminderSent,
    RequestRepository,
    SignInChallengeRepository,
    StaffRepository,
)
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
from kasa.domain.throttle import Counter as ThrottleCounter


@attrs.define
class Tables:
    members: dict[int, Member] = attrs.field(factory=dict)
    challenges: dict[int, SignInChallenge] = attrs.field(factory=dict)
    programs: dict[int, Program] = attrs.field(factory=dict)
    member_programs: dict[int, MemberProgram] = attrs.field(factory=dict)
    identities: dict[int, MemberIdentity] = attrs.field(factory=dict)
    files: dict[int, StoredFile] = attrs.field(factory=dict)
    requests: dict[int, Request] = attrs.field(factory=dict)
    messages: dict[int, RequestMessage] = attrs.field(factory=dict)
    payments: dict[int, Payment] = attrs.field(factory=dict)
    staff: dict[int, StaffUser] = attrs.field(factory=dict)
    counters: dict[str, ThrottleCounter] = attrs.field(factory=dict)
    audit: dict[int, AuditEvent] = attrs.field(factory=dict)
    reminders: dict[int, ReminderSent] = attrs.field(factory=dict)
    corrections: dict[int, CorrectionReport] = attrs.field(factory=dict)
    next_ids: Counter[str] = attrs.field(factory=Counter)

    def clone(self) -> Tables:
        """A private copy for one unit of work. Rows are copied one level deep: their
        fields are immutable values (or lists that are replaced, never changed in
        place); audit events are immutable and shared."""
        fresh = Tables(next_ids=Counter(self.next_ids))
        for field in attrs.fields(Tables):
            if field.name == "next_ids":
                continue
            rows: dict[int, Any] = getattr(self, field.name)
            if field.name == "audit":
                setattr(fresh, field.name, dict(rows))
            else:
                setattr(fresh, field.name, {key: copy.copy(row) for key, row in rows.items()})
        return fresh

    def new_id(self, table: str) -> int:
        self.next_ids[table] += 1
        return self.next_ids[table]


# (table, description, key of a row or None when the row takes no part)
UNIQUE: list[tuple[str, str, Any]] = [
    ("members", "phone", lambda m: m.phone.e164),
    ("members", "certificate", lambda m: m.certificate),
    ("challenges", "phone", lambda c: c.phone.e164),
    ("payments", "payment identifier", lambda p: p.payment_identifier),
    ("staff", "login", lambda s: s.login),
    ("files", "stored name", lambda f: f.stored_name),
    ("reminders", "reminder", lambda r: (r.member_id, r.kind, r.period)),
]


def check_unique(tables: Tables) -> None:
    for table, what, key in UNIQUE:
        seen: set[Any] = set()
        for row in getattr(tables, table).values():
            value = key(row)
            if value is None:
                continue
            if value in seen:
                raise Conflict(f"The {what} is already taken.")
            seen.add(value)


class InMemoryStore:
    """The shared "database" of the fakes. One unit of work at a time holds it, like a
    transaction that locks everything it touches."""

    def __init__(self) -> None:
        self.tables = Tables()
        self.lock = threading.RLock()
        self.certificate_counter = 0
        self.commits = 0

    def next_certificate(self) -> int:
        with self.lock:
            self.certificate_counter += 1
            return self.certificate_counter

    def unit_of_work(self, *, read_only: bool = False) -> InMemoryUnitOfWork:
        return InMemoryUnitOfWork(self, read_only=read_only)


class InMemoryUnitOfWork:
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

    def __init__(self, store: InMemoryStore, *, read_only: bool = False) -> None:
        self.store = store
        self.read_only = read_only
        self.committed = False
        self._bind(Tables())

    def _bind(self, tables: Tables) -> None:
        self.tables = tables
        self.members = repos.Members(tables)
        self.challenges = repos.Challenges(tables)
        self.programs = repos.Programs(tables)
        self.member_programs = repos.MemberPrograms(tables)
        self.identities = repos.Identities(tables)
        self.files = repos.Files(tables)
        self.requests = repos.Requests(tables)
        self.messages = repos.Messages(tables)
        self.payments = repos.Payments(tables)
        self.staff = repos.Staff(tables)
        self.counters = repos.Counters(tables)
        self.audit = repos.Audit(tables)
        self.reminders = repos.Reminders(tables)
        self.corrections = repos.Corrections(tables)
        self.certificates = repos.Certificates(self.store)

    def __enter__(self) -> Self:
        self.store.lock.acquire()
        self.committed = False
        self._bind(self.store.tables.clone())
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.store.lock.release()

    def commit(self) -> None:
        if self.read_only:
            raise AssertionError("a read-only unit of work cannot commit")
        check_unique(self.tables)
        self.store.tables = self.tables.clone()
        self.store.commits += 1
        self.committed = True

    def rollback(self) -> None:
        self._bind(self.store.tables.clone())
