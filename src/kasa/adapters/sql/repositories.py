"""The repositories of the application's ports, on SQLAlchemy. They add and find;
they never commit."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.mysql import insert as mysql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, aliased

from kasa.adapters.sql import mapping as mp
from kasa.adapters.sql import models as m
from kasa.adapters.sql.search import starts_with
from kasa.adapters.sql.tracker import Tracker
from kasa.application.repositories import (
    AuditQuery,
    MemberName,
    MemberQuery,
    Page,
    PaymentQuery,
    ReminderSent,
    RequestQuery,
    SearchField,
)
from kasa.domain.audit import AuditEvent
from kasa.domain.errors import Conflict
from kasa.domain.files import StoredFile
from kasa.domain.identity import MemberIdentity
from kasa.domain.members import CorrectionReport, Member, MemberStatus, full_name
from kasa.domain.payments import Payment, PaymentSource, PaymentStatus
from kasa.domain.programs import MemberProgram, Program
from kasa.domain.requests import Request, RequestMessage
from kasa.domain.signin import SignInChallenge
from kasa.domain.staff import StaffUser
from kasa.domain.throttle import Counter


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def next_day(day: date) -> datetime:
    return day_start(day + timedelta(days=1))


def by_ids(row: Any, ids: Collection[int]) -> Any:
    return sa.select(row).where(row.id.in_(sorted(set(ids))))


class _Repo:
    def __init__(self, session: Session, tracker: Tracker) -> None:
        self.session = session
        self.tracker = tracker

    def _rows(self, stmt: Any) -> Any:
        self.tracker.write_back()  # queries see what this unit of work changed
        return self.session.execute(stmt).scalars().all()

    def _page(self, stmt: Any, page: Page) -> Any:
        return self._rows(stmt.limit(page.limit).offset(page.offset))

    def _count(self, stmt: Any) -> int:
        self.tracker.write_back()
        counted = sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())
        return int(self.session.execute(counted).scalar_one())


class Members(_Repo):
    def _load(self, row: m.MemberRow | None) -> Member | None:
        return self.tracker.load(row, mp.member_from, mp.member_to)

    def _all(self, rows: Any) -> list[Member]:
        return self.tracker.load_all(rows, mp.member_from, mp.member_to)

    def add(self, member: Member) -> Member:
        return self.tracker.add(member, m.MemberRow(), mp.member_to)

    def get(self, member_id: int) -> Member | None:
        return self._load(self.session.get(m.MemberRow, member_id))

    def get_many(self, member_ids: Collection[int]) -> dict[int, Member]:
        if not member_ids:
            return {}
        found = self._all(self._rows(by_ids(m.MemberRow, member_ids)))
        return {member.id: member for member in found}  # type: ignore[misc]

    def names(self, member_ids: Collection[int]) -> dict[int, MemberName]:
        """Only the columns a name needs (lists show many members)."""
        if not member_ids:
            return {}
        r = m.MemberRow
        stmt = sa.select(r.id, r.last_name, r.first_name, r.middle_name, r.certificate).where(
            r.id.in_(sorted(set(member_ids)))
        )
        self.tracker.write_back()
        return {
            i: MemberName(i, full_name(last, first, middle), certificate or "")
            for i, last, first, middle, certificate in self.session.execute(stmt)
        }

    def get_for_update(self, member_id: int) -> Member | None:
        stmt = sa.select(m.MemberRow).where(m.MemberRow.id == member_id).with_for_update()
        return self._load(self.session.execute(stmt).scalar_one_or_none())

    def _by(self, column: Any, value: str) -> Member | None:
        stmt = sa.select(m.MemberRow).where(column == value)
        return self._load(self.session.execute(stmt).scalar_one_or_none())

    def by_phone(self, phone: str) -> Member | None:
        return self._by(m.MemberRow.phone, phone)

    def by_certificate(self, certificate: str) -> Member | None:
        return self._by(m.MemberRow.certificate, certificate)

    def by_diia_request(self, request_id: str) -> Member | None:
        return self._by(m.MemberRow.diia_request_id, request_id)

    def review_queue(self, page: Page) -> Sequence[Member]:
        stmt = (
            sa.select(m.MemberRow)
            .where(m.MemberRow.in_review_queue.is_(True))
            .order_by(m.MemberRow.updated_at, m.MemberRow.id)
        )
        return self._all(self._page(stmt, page))

    def search(self, query: MemberQuery, page: Page) -> Sequence[Member]:
        """Pages through the term index (which carries the name to sort by), then reads
        only that page's members; without words, through the members' name index."""
        row = m.MemberRow
        if not query.words:
            stmt = sa.select(row).order_by(row.last_name, row.first_name, row.id)
            if query.statuses:
                stmt = stmt.where(row.status.in_([s.value for s in query.statuses]))
            return self._all(self._page(stmt, page))
        fields = [f.value for f in SearchField if f in query.fields]
        t = m.MemberTermRow
        # the longest word is the most selective: it drives, the others filter
        first, *others = sorted(query.words, key=len, reverse=True)
        hits = (
            sa.select(t.member_id, t.sort_name)
            .where(starts_with(t.term, first), t.field.in_(fields))
            .distinct()
        )
        for word in others:
            also = aliased(t)
            hits = hits.where(
                t.member_id.in_(
                    sa.select(also.member_id).where(
                        starts_with(also.term, word), also.field.in_(fields)
                    )
                )
            )
        if query.statuses:
            wanted = [s.value for s in query.statuses]
            hits = hits.where(t.member_id.in_(sa.select(row.id).where(row.status.in_(wanted))))
        paged = (
            hits.order_by(t.sort_name, t.member_id).limit(page.limit).offset(page.offset).subquery()
        )
        stmt = (
            sa.select(row)
            .join(paged, paged.c.member_id == row.id)
            .order_by(paged.c.sort_name, paged.c.member_id)
        )
        return self._all(self._rows(stmt))

    def count_by_status(self) -> dict[MemberStatus, int]:
        stmt = sa.select(m.MemberRow.status, sa.func.count()).group_by(m.MemberRow.status)
        return {MemberStatus(s): int(n) for s, n in self.session.execute(stmt).all()}

    def expiring_between(self, first: date, last: date) -> Sequence[Member]:
        stmt = (
            sa.select(m.MemberRow)
            .where(m.MemberRow.expiration_date.between(first, last))
            .order_by(m.MemberRow.expiration_date, m.MemberRow.id)
        )
        return self._all(self._rows(stmt))


class Challenges(_Repo):
    def add(self, challenge: SignInChallenge) -> SignInChallenge:
        return self.tracker.add(challenge, m.ChallengeRow(), mp.challenge_to)

    def for_phone(self, phone: str) -> SignInChallenge | None:
        stmt = sa.select(m.ChallengeRow).where(m.ChallengeRow.phone == phone).with_for_update()
        row = self.session.execute(stmt).scalar_one_or_none()
        return self.tracker.load(row, mp.challenge_from, mp.challenge_to)


class Programs(_Repo):
    def add(self, program: Program) -> Program:
        return self.tracker.add(program, m.ProgramRow(), mp.program_to)

    def get(self, program_id: int) -> Program | None:
        row = self.session.get(m.ProgramRow, program_id)
        return self.tracker.load(row, mp.program_from, mp.program_to)

    def list(self, *, active_only: bool) -> Sequence[Program]:
        stmt = sa.select(m.ProgramRow).order_by(m.ProgramRow.id)
        if active_only:
            stmt = stmt.where(m.ProgramRow.is_active.is_(True))
        return self.tracker.load_all(self._rows(stmt), mp.program_from, mp.program_to)

    def by_file(self, program_file: str) -> Program | None:
        if not program_file:
            return None
        stmt = sa.select(m.ProgramRow).where(m.ProgramRow.program_file == program_file).limit(1)
        row = self.session.execute(stmt).scalar_one_or_none()
        return self.tracker.load(row, mp.program_from, mp.program_to)


class MemberPrograms(_Repo):
    def add(self, link: MemberProgram) -> MemberProgram:
        return self.tracker.add(link, m.MemberProgramRow(), mp.member_program_to)

    def for_member(self, member_id: int) -> Sequence[MemberProgram]:
        stmt = (
            sa.select(m.MemberProgramRow)
            .where(m.MemberProgramRow.member_id == member_id)
            .order_by(m.MemberProgramRow.id)
        )
        return self.tracker.load_all(self._rows(stmt), mp.member_program_from, mp.member_program_to)


class Identities(_Repo):
    def add(self, document: MemberIdentity) -> MemberIdentity:
        return self.tracker.add(document, m.MemberIdentityRow(), mp.identity_to)

    def for_member(self, member_id: int) -> Sequence[MemberIdentity]:
        stmt = (
            sa.select(m.MemberIdentityRow)
            .where(m.MemberIdentityRow.member_id == member_id)
            .order_by(m.MemberIdentityRow.id)
        )
        return self.tracker.load_all(self._rows(stmt), mp.identity_from, mp.identity_to)


class Files(_Repo):
    def add(self, file: StoredFile) -> StoredFile:
        return self.tracker.add(file, m.FileRow(), mp.file_to)

    def get(self, file_id: int) -> StoredFile | None:
        return self.tracker.load(self.session.get(m.FileRow, file_id), mp.file_from, mp.file_to)

    def by_stored_name(self, stored_name: str) -> StoredFile | None:
        stmt = sa.select(m.FileRow).where(m.FileRow.stored_name == stored_name)
        row = self.session.execute(stmt).scalar_one_or_none()
        return self.tracker.load(row, mp.file_from, mp.file_to)

    def for_request(self, request_id: int) -> Sequence[StoredFile]:
        stmt = sa.select(m.FileRow).where(m.FileRow.request_id == request_id).order_by(m.FileRow.id)
        return self.tracker.load_all(self._rows(stmt), mp.file_from, mp.file_to)

    def for_requests(self, request_ids: Collection[int]) -> dict[int, list[StoredFile]]:
        found: dict[int, list[StoredFile]] = {i: [] for i in request_ids}
        if found:
            stmt = (
                sa.select(m.FileRow)
                .where(m.FileRow.request_id.in_(sorted(found)))
                .order_by(m.FileRow.id)
            )
            for file in self.tracker.load_all(self._rows(stmt), mp.file_from, mp.file_to):
                found[file.request_id].append(file)  # type: ignore[index]
        return found

    def with_sha256(self, sha256: str) -> Sequence[StoredFile]:
        stmt = sa.select(m.FileRow).where(m.FileRow.sha256 == sha256).order_by(m.FileRow.id)
        return self.tracker.load_all(self._rows(stmt), mp.file_from, mp.file_to)

    def stored_bytes(self, member_id: int) -> int:
        self.tracker.write_back()
        stmt = sa.select(sa.func.coalesce(sa.func.sum(m.FileRow.size), 0)).where(
            m.FileRow.member_id == member_id
        )
        return int(self.session.execute(stmt).scalar_one())


class Requests(_Repo):
    def _load(self, row: m.RequestRow | None) -> Request | None:
        return self.tracker.load(row, mp.request_from, mp.request_to)

    def add(self, request: Request) -> Request:
        return self.tracker.add(request, m.RequestRow(), mp.request_to)

    def get(self, request_id: int) -> Request | None:
        return self._load(self.session.get(m.RequestRow, request_id))

    def get_many(self, request_ids: Collection[int]) -> dict[int, Request]:
        if not request_ids:
            return {}
        rows = self._rows(by_ids(m.RequestRow, request_ids))
        found = self.tracker.load_all(rows, mp.request_from, mp.request_to)
        return {r.id: r for r in found}  # type: ignore[misc]

    def get_for_update(self, request_id: int) -> Request | None:
        stmt = sa.select(m.RequestRow).where(m.RequestRow.id == request_id).with_for_update()
        return self._load(self.session.execute(stmt).scalar_one_or_none())

    def search(self, query: RequestQuery, page: Page) -> tuple[Sequence[Request], int]:
        """With words: counts and pages through the term index (which carries status and
        creation time), then reads only that page's requests."""
        r = m.RequestRow
        if not query.words:
            stmt = _status_and_dates(sa.select(r), query, r.status, r.created_at)
            if query.member_id is not None:
                stmt = stmt.where(r.member_id == query.member_id)
            total = self._count(stmt)
            rows = self._page(stmt.order_by(r.created_at.desc(), r.id.desc()), page)
            return self.tracker.load_all(rows, mp.request_from, mp.request_to), total
        t = m.RequestTermRow
        first, *others = sorted(query.words, key=len, reverse=True)
        hits = sa.select(t.request_id, t.created_at).where(starts_with(t.term, first))
        for word in others:
            also = aliased(t)
            hits = hits.where(
                t.request_id.in_(sa.select(also.request_id).where(starts_with(also.term, word)))
            )
        hits = _status_and_dates(hits, query, t.status, t.created_at)
        if query.member_id is not None:
            hits = hits.where(
                t.request_id.in_(sa.select(r.id).where(r.member_id == query.member_id))
            )
        hits = hits.distinct()
        total = self._count(hits)
        paged = (
            hits.order_by(t.created_at.desc(), t.request_id.desc())
            .limit(page.limit)
            .offset(page.offset)
            .subquery()
        )
        stmt = (
            sa.select(r)
            .join(paged, paged.c.request_id == r.id)
            .order_by(paged.c.created_at.desc(), paged.c.request_id.desc())
        )
        return self.tracker.load_all(self._rows(stmt), mp.request_from, mp.request_to), total


def _status_and_dates(stmt: Any, query: RequestQuery, status: Any, created_at: Any) -> Any:
    """A request query's status and date filters, on the requests or on their terms."""
    if query.statuses:
        stmt = stmt.where(status.in_([s.value for s in query.statuses]))
    if query.date_start is not None:
        stmt = stmt.where(created_at >= day_start(query.date_start))
    if query.date_end is not None:
        stmt = stmt.where(created_at < next_day(query.date_end))
    return stmt


class Messages(_Repo):
    def add(self, message: RequestMessage) -> RequestMessage:
        return self.tracker.add(message, m.MessageRow(), mp.message_to)

    def for_request(self, request_id: int) -> Sequence[RequestMessage]:
        stmt = (
            sa.select(m.MessageRow)
            .where(m.MessageRow.request_id == request_id)
            .order_by(m.MessageRow.created_at, m.MessageRow.id)
        )
        return self.tracker.load_all(self._rows(stmt), mp.message_from, mp.message_to)


class Payments(_Repo):
    def _load(self, row: m.PaymentRow | None) -> Payment | None:
        return self.tracker.load(row, mp.payment_from, mp.payment_to)

    def add(self, payment: Payment) -> Payment:
        return self.tracker.add(payment, m.PaymentRow(), mp.payment_to)

    def get(self, payment_id: int) -> Payment | None:
        return self._load(self.session.get(m.PaymentRow, payment_id))

    def get_for_update(self, payment_id: int) -> Payment | None:
        stmt = sa.select(m.PaymentRow).where(m.PaymentRow.id == payment_id).with_for_update()
        return self._load(self.session.execute(stmt).scalar_one_or_none())

    def by_identifier(self, identifier: str) -> Payment | None:
        stmt = (
            sa.select(m.PaymentRow)
            .where(m.PaymentRow.payment_identifier == identifier)
            .with_for_update()
        )
        return self._load(self.session.execute(stmt).scalar_one_or_none())

    def search(self, query: PaymentQuery, page: Page) -> tuple[Sequence[Payment], int]:
        """The total from the per-day counts when only type, status, source and dates
        filter; the page found through the indexes first (skipped rows are index
        entries, never read), then only its rows read."""
        p = m.PaymentRow
        stmt = _by_kind(sa.select(p.id, p.sort_at), query, p.payment_type, p.status, p.source)
        if query.date_start is not None:
            stmt = stmt.where(p.sort_at >= day_start(query.date_start))
        if query.date_end is not None:
            stmt = stmt.where(p.sort_at < next_day(query.date_end))
        if query.amount_start is not None:
            stmt = stmt.where(p.amount >= query.amount_start.kopecks)
        if query.amount_end is not None:
            stmt = stmt.where(p.amount <= query.amount_end.kopecks)
        if query.member_id is not None:
            stmt = stmt.where(p.member_id == query.member_id)
        if query.request_id is not None:
            stmt = stmt.where(p.request_id == query.request_id)
        if query.certificate is not None:
            stmt = stmt.join(m.MemberRow, m.MemberRow.id == p.member_id).where(
                m.MemberRow.certificate == query.certificate
            )
        total = self._counted(query) if self._countable(query) else self._count(stmt)
        paged = (
            stmt.order_by(p.sort_at.desc(), p.id.desc())
            .limit(page.limit)
            .offset(page.offset)
            .subquery()
        )
        rows = self._rows(
            sa.select(p)
            .join(paged, paged.c.id == p.id)
            .order_by(paged.c.sort_at.desc(), paged.c.id.desc())
        )
        return self.tracker.load_all(rows, mp.payment_from, mp.payment_to), total

    @staticmethod
    def _countable(query: PaymentQuery) -> bool:
        return (
            query.amount_start is None
            and query.amount_end is None
            and query.member_id is None
            and query.request_id is None
            and query.certificate is None
        )

    def _counted(self, query: PaymentQuery) -> int:
        c = m.PaymentCountRow
        stmt = sa.select(sa.func.coalesce(sa.func.sum(c.count), 0))
        stmt = _by_kind(stmt, query, c.payment_type, c.status, c.source)
        if query.date_start is not None:
            stmt = stmt.where(c.day >= query.date_start)
        if query.date_end is not None:
            stmt = stmt.where(c.day <= query.date_end)
        self.tracker.write_back()
        return int(self.session.execute(stmt).scalar_one())

    def pending_gateway_before(self, moment: datetime) -> Sequence[Payment]:
        p = m.PaymentRow
        stmt = (
            sa.select(p)
            .where(p.status == PaymentStatus.PENDING.value)
            .where(p.source == PaymentSource.GATEWAY.value)
            .where(p.created_at < moment)
            .order_by(p.created_at, p.id)
        )
        return self.tracker.load_all(self._rows(stmt), mp.payment_from, mp.payment_to)


def _by_kind(stmt: Any, query: PaymentQuery, kind: Any, status: Any, source: Any) -> Any:
    """The type, status and source filters of a payment query, on given columns."""
    if query.types:
        stmt = stmt.where(kind.in_([t.value for t in query.types]))
    if query.statuses:
        stmt = stmt.where(status.in_([s.value for s in query.statuses]))
    if query.source is not None:
        stmt = stmt.where(source == query.source.value)
    return stmt


class Staff(_Repo):
    def add(self, user: StaffUser) -> StaffUser:
        return self.tracker.add(user, m.StaffRow(), mp.staff_to)

    def get(self, staff_id: int) -> StaffUser | None:
        return self.tracker.load(self.session.get(m.StaffRow, staff_id), mp.staff_from, mp.staff_to)

    def by_login(self, login: str) -> StaffUser | None:
        stmt = sa.select(m.StaffRow).where(m.StaffRow.login == login)
        row = self.session.execute(stmt).scalar_one_or_none()
        return self.tracker.load(row, mp.staff_from, mp.staff_to)

    def list(self) -> Sequence[StaffUser]:
        stmt = sa.select(m.StaffRow).order_by(m.StaffRow.id)
        return self.tracker.load_all(self._rows(stmt), mp.staff_from, mp.staff_to)


class Counters(_Repo):
    def locked(self, keys: Collection[str]) -> dict[str, Counter]:
        c = m.CounterRow
        found: dict[str, Counter] = {}
        for key in sorted(set(keys)):
            # Make the row if it is missing; on MariaDB the upsert takes the row's
            # exclusive lock at once (a plain insert's shared lock would let two
            # waiting transactions deadlock on the upgrade).
            self.session.execute(_insert_missing(self.session, key))
            row = self.session.execute(
                sa.select(c).where(c.key == key).with_for_update()
            ).scalar_one()
            counter = mp.counter_from(row)
            self.tracker.pairs[(c, key)] = (counter, row, mp.counter_to)
            found[key] = counter
        return found


def _insert_missing(session: Session, key: str) -> Any:
    values = {"key": key, "count": 0, "total": 0}
    if session.get_bind().dialect.name == "mysql":
        upsert = mysql_insert(m.CounterRow).values(**values)
        return upsert.on_duplicate_key_update(key=upsert.inserted.key)
    return sqlite_insert(m.CounterRow).values(**values).on_conflict_do_nothing()


class Audit(_Repo):
    def add(self, event: AuditEvent) -> AuditEvent:
        row = m.AuditRow()
        mp.audit_to(event, row)
        self.session.add(row)
        self.session.flush()
        return mp.audit_from(row)

    def search(self, query: AuditQuery, page: Page) -> tuple[Sequence[AuditEvent], int]:
        a = m.AuditRow
        stmt = sa.select(a)
        if query.object_kind is not None:
            stmt = stmt.where(a.object_kind == query.object_kind.value)
        if query.object_id is not None:
            stmt = stmt.where(a.object_id == query.object_id)
        if query.actor_kind is not None:
            stmt = stmt.where(a.actor_kind == query.actor_kind.value)
        if query.actor_id is not None:
            stmt = stmt.where(a.actor_id == query.actor_id)
        if query.event_types:
            stmt = stmt.where(a.event_type.in_([t.value for t in query.event_types]))
        if query.since is not None:
            stmt = stmt.where(a.at >= query.since)
        if query.until is not None:
            stmt = stmt.where(a.at <= query.until)
        total = self._count(stmt)
        rows = self._page(stmt.order_by(a.at.desc(), a.id.desc()), page)
        return [mp.audit_from(row) for row in rows], total


class Reminders(_Repo):
    def add(self, reminder: ReminderSent) -> ReminderSent:
        if self.exists(reminder.member_id, reminder.kind, reminder.period):
            raise Conflict("This reminder was already sent.")
        return self.tracker.add(reminder, m.ReminderRow(), mp.reminder_to)

    def exists(self, member_id: int, kind: str, period: date) -> bool:
        r = m.ReminderRow
        stmt = sa.select(r.id).where(r.member_id == member_id, r.kind == kind, r.period == period)
        return self.session.execute(stmt).first() is not None


class Corrections(_Repo):
    def add(self, report: CorrectionReport) -> CorrectionReport:
        return self.tracker.add(report, m.CorrectionRow(), mp.correction_to)

    def for_member(self, member_id: int) -> Sequence[CorrectionReport]:
        stmt = (
            sa.select(m.CorrectionRow)
            .where(m.CorrectionRow.member_id == member_id)
            .order_by(m.CorrectionRow.id)
        )
        return self.tracker.load_all(self._rows(stmt), mp.correction_from, mp.correction_to)


class Certificates(_Repo):
    def next_number(self) -> int:
        """A row per number handed out; the auto-increment never goes back."""
        row = m.CertificateNumberRow(issued_at=datetime.now(UTC))
        self.session.add(row)
        self.session.flush()
        return row.id
