"""The read side on SQLAlchemy Core: each answer read in as few round trips as it can
(one for a profile), only the columns it shows, straight into immutable views; no
session, no identity map, nothing written back. On MariaDB the reads run on their own
pool of connections in autocommit (no transaction to begin or roll back); on SQLite in a
deferred transaction that takes no write lock."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import aliased

from kasa.adapters.sql import mapping as mp
from kasa.adapters.sql import models as m
from kasa.adapters.sql.search import starts_with
from kasa.adapters.sql.views import (
    FILE_COLUMNS,
    MEMBER_COLUMNS,
    NAME_COLUMNS,
    PAYMENT_COLUMNS,
    PROGRAM_COLUMNS,
    REQUEST_COLUMNS,
    STAFF_COLUMNS,
    Packed,
    day_start,
    file_view,
    member_name,
    member_view,
    next_day,
    payment_view,
    program_view,
    request_view,
    staff_view,
)
from kasa.application.reads import AuditQuery, MemberQuery, Page, PaymentQuery, RequestQuery
from kasa.application.search import SearchField
from kasa.application.views import (
    AuditEvent,
    ChargeView,
    CorrectionView,
    FileView,
    IdentityView,
    Listing,
    MemberDetail,
    MemberName,
    MemberView,
    MessageView,
    PaymentRow,
    PaymentView,
    ProfileView,
    ProgramLink,
    ProgramView,
    RequestDetail,
    RequestView,
    StaffView,
)
from kasa.domain.identity import IdentityType
from kasa.domain.members import MemberStatus, full_name
from kasa.domain.money import Money
from kasa.domain.payments import PAYOUT_TYPES, PaymentSource, PaymentStatus, PaymentType
from kasa.domain.requests import RequestStatus
from kasa.domain.staff import Role

M, P, F, R, PAY = m.MemberRow, m.ProgramRow, m.FileRow, m.RequestRow, m.PaymentRow
MP, S, IDENT = m.MemberProgramRow, m.StaffRow, m.MemberIdentityRow
CURRENT_PROGRAM = sa.and_(MP.member_id == M.id, MP.is_active.is_(True))
PAYOUT_CODES = [t.value for t in PAYOUT_TYPES]

# What each read selects, packed into one value a row (see ``Packed``).
MEMBER = Packed(*MEMBER_COLUMNS)
PROFILE_ROW = Packed(*MEMBER_COLUMNS, *PROGRAM_COLUMNS, F.stored_name)
PROGRAM = Packed(*PROGRAM_COLUMNS)
PROGRAM_LINK = Packed(*PROGRAM_COLUMNS, MP.id, MP.is_active, MP.is_new)
FILE = Packed(*FILE_COLUMNS)
IDENTITY = Packed(*FILE_COLUMNS, IDENT.id, IDENT.identity_type, IDENT.is_active, IDENT.is_new)
REQUEST = Packed(*REQUEST_COLUMNS)
LISTED_REQUEST = Packed(*REQUEST_COLUMNS, *NAME_COLUMNS)
PAYMENT = Packed(*PAYMENT_COLUMNS)
LISTED_PAYMENT = Packed(*PAYMENT_COLUMNS, *NAME_COLUMNS, R.diagnosis)
CHARGE = Packed(*PAYMENT_COLUMNS, R.diagnosis)
STAFF = Packed(*STAFF_COLUMNS)

# The statements of the reads that run most, built once, so that each run finds its
# compiled form in the engine's cache straight away.
ALL_PROGRAMS = sa.select(PROGRAM.expr).order_by(P.id)
ACTIVE_PROGRAMS = ALL_PROGRAMS.where(P.is_active.is_(True))
ONE_PROGRAM = sa.select(PROGRAM.expr).where(P.id == sa.bindparam("program_id"))
TERMS_FILE = sa.select(FILE.expr).where(
    F.stored_name == sa.bindparam("name"),
    F.kind == "terms",
    sa.exists().where(P.program_file == F.stored_name),
)
STANDING = sa.select(M.status).where(M.id == sa.bindparam("member_id"))
PROFILE = (
    sa.select(PROFILE_ROW.expr)
    .select_from(M)
    .outerjoin(F, F.id == M.photo_file_id)
    .outerjoin(MP, CURRENT_PROGRAM)
    .outerjoin(P, P.id == MP.program_id)
    .where(M.id == sa.bindparam("member_id"))
)
MEMBER_FILE = sa.select(FILE.expr).where(
    F.stored_name == sa.bindparam("name"), F.member_id == sa.bindparam("member_id")
)
MEMBER_REQUESTS = (
    sa.select(REQUEST.expr)
    .where(R.member_id == sa.bindparam("member_id"))
    .order_by(R.created_at.desc(), R.id.desc())
)
REQUEST_FILES = (
    sa.select(FILE.expr).where(F.request_id.in_(sa.bindparam("ids", expanding=True))).order_by(F.id)
)
ONE_REQUEST = (
    sa.select(LISTED_REQUEST.expr)
    .join(M, M.id == R.member_id)
    .where(R.id == sa.bindparam("request_id"))
)
REQUEST_PAYOUTS = (
    sa.select(PAYMENT.expr)
    .where(PAY.request_id == sa.bindparam("request_id"), PAY.payment_type.in_(PAYOUT_CODES))
    .order_by(PAY.sort_at.desc(), PAY.id.desc())
)
TOP_UPS = (
    sa.select(PAYMENT.expr)
    .where(PAY.member_id == sa.bindparam("member_id"), PAY.payment_type == "top_up")
    .order_by(PAY.sort_at.desc(), PAY.id.desc())
)
STAFF_ROLE = sa.select(S.role).where(S.id == sa.bindparam("staff_id"), S.is_active.is_(True))
TOKEN_VERSION = sa.select(S.token_version).where(
    S.id == sa.bindparam("staff_id"), S.is_active.is_(True)
)
ALL_STAFF = sa.select(STAFF.expr).order_by(S.id)
ONE_STAFF = sa.select(STAFF.expr).where(S.id == sa.bindparam("staff_id"))
REVIEW_QUEUE = (
    sa.select(MEMBER.expr)
    .where(M.in_review_queue.is_(True))
    .order_by(M.updated_at, M.id)
    .limit(sa.bindparam("limit"))
    .offset(sa.bindparam("offset"))
)


class SqlReads:
    """Every read of the application's ports, on one database.

    The list of programs (the same for every member, and changed by staff now and then)
    is kept for ``programs_ttl`` seconds: the members' busiest public route then reads
    the database once every few seconds, and a program staff change shows within that
    time on every API process."""

    def __init__(
        self,
        engine: Engine,
        *,
        programs_ttl: float = 0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine = engine
        self.programs_ttl = programs_ttl
        self.clock = clock
        self._programs: dict[bool, tuple[float, list[ProgramView]]] = {}

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self.engine.connect() as connection:
            yield connection

    # -- programs ----------------------------------------------------------------------
    def programs(self, *, active_only: bool) -> list[ProgramView]:
        now = self.clock()
        kept = self._programs.get(active_only)
        if kept is not None and now < kept[0]:
            return list(kept[1])
        with self._read() as c:
            rows = _rows(c, PROGRAM, ACTIVE_PROGRAMS if active_only else ALL_PROGRAMS)
        found = [program_view(row) for row in rows]
        if self.programs_ttl > 0:
            self._programs[active_only] = (now + self.programs_ttl, found)
        return list(found)

    def program(self, program_id: int) -> ProgramView | None:
        with self._read() as c:
            row = _row(c, PROGRAM, ONE_PROGRAM, program_id=program_id)
        return None if row is None else program_view(row)

    def terms_file(self, stored_name: str) -> FileView | None:
        with self._read() as c:
            row = _row(c, FILE, TERMS_FILE, name=stored_name)
        return None if row is None else file_view(row)

    # -- a member's own ----------------------------------------------------------------
    def standing(self, member_id: int) -> MemberStatus | None:
        with self._read() as c:
            status = c.execute(STANDING, {"member_id": member_id}).scalar()
        return None if status is None else MemberStatus(status)

    def profile(self, member_id: int) -> ProfileView | None:
        with self._read() as c:
            row = _row(c, PROFILE_ROW, PROFILE, member_id=member_id)
        if row is None:
            return None
        at = len(MEMBER_COLUMNS)
        program = program_view(row, at) if row[at] is not None else None
        return ProfileView(member_view(row), row[-1], program)

    def file(self, member_id: int, stored_name: str) -> FileView | None:
        with self._read() as c:
            row = _row(c, FILE, MEMBER_FILE, member_id=member_id, name=stored_name)
        return None if row is None else file_view(row)

    member_file = file

    def requests_of_member(
        self, member_id: int, statuses: frozenset[RequestStatus]
    ) -> list[RequestView]:
        stmt = MEMBER_REQUESTS
        if statuses:
            stmt = stmt.where(R.status.in_([s.value for s in statuses]))
        with self._read() as c:
            rows = _rows(c, REQUEST, stmt, member_id=member_id)
            files = _files_of(c, [row[0] for row in rows])
        return [request_view(row, files.get(row[0], [])) for row in rows]

    def request(self, request_id: int) -> RequestDetail | None:
        with self._read() as c:
            row = _row(c, LISTED_REQUEST, ONE_REQUEST, request_id=request_id)
            if row is None:
                return None
            files = _files_of(c, [request_id]).get(request_id, [])
            messages = _messages_of(c, request_id)
            charges = _rows(c, PAYMENT, REQUEST_PAYOUTS, request_id=request_id)
        member = member_name(row, len(REQUEST_COLUMNS))
        return RequestDetail(
            request_view(row, files, member), messages, [payment_view(p) for p in charges]
        )

    def top_ups(self, member_id: int) -> list[PaymentView]:
        with self._read() as c:
            rows = _rows(c, PAYMENT, TOP_UPS, member_id=member_id)
        return [payment_view(row) for row in rows]

    def charges(self, member_id: int, begin: date | None, end: date | None) -> list[ChargeView]:
        stmt = (
            sa.select(CHARGE.expr)
            .select_from(PAY)
            .outerjoin(R, R.id == PAY.request_id)
            .where(
                PAY.member_id == member_id,
                PAY.payment_type.in_(PAYOUT_CODES),
                PAY.status == PaymentStatus.CONFIRMED.value,
            )
        )
        if begin is not None:
            stmt = stmt.where(PAY.sort_at >= day_start(begin))
        if end is not None:
            stmt = stmt.where(PAY.sort_at < next_day(end))
        stmt = stmt.order_by(PAY.sort_at.desc(), PAY.id.desc())
        with self._read() as c:
            rows = _rows(c, CHARGE, stmt)
        return [ChargeView(payment_view(row), row[-1] or "") for row in rows]

    # -- the back office: staff ----------------------------------------------------------
    def staff_role(self, staff_id: int) -> Role | None:
        with self._read() as c:
            role = c.execute(STAFF_ROLE, {"staff_id": staff_id}).scalar()
        return None if role is None else Role(role)

    def staff_token_version(self, staff_id: int) -> int | None:
        with self._read() as c:
            version = c.execute(TOKEN_VERSION, {"staff_id": staff_id}).scalar()
        return None if version is None else int(version)

    def staff_users(self) -> list[StaffView]:
        with self._read() as c:
            return [staff_view(row) for row in _rows(c, STAFF, ALL_STAFF)]

    def staff_user(self, staff_id: int) -> StaffView | None:
        with self._read() as c:
            row = _row(c, STAFF, ONE_STAFF, staff_id=staff_id)
        return None if row is None else staff_view(row)

    # -- the back office: members --------------------------------------------------------
    def review_queue(self, page: Page) -> list[MemberView]:
        with self._read() as c:
            rows = _rows(c, MEMBER, REVIEW_QUEUE, limit=page.limit, offset=page.offset)
        return [member_view(row) for row in rows]

    def members(self, query: MemberQuery, page: Page) -> list[MemberView]:
        """With words: pages through the term index (which carries the name to sort
        by), then reads only that page's members; without, through the name index."""
        if not query.words:
            stmt = sa.select(MEMBER.expr).order_by(M.last_name, M.first_name, M.id)
            if query.statuses:
                stmt = stmt.where(M.status.in_([s.value for s in query.statuses]))
            stmt = stmt.limit(page.limit).offset(page.offset)
        else:
            paged = _member_hits(query).limit(page.limit).offset(page.offset).subquery()
            stmt = (
                sa.select(MEMBER.expr)
                .join(paged, paged.c.member_id == M.id)
                .order_by(paged.c.sort_name, paged.c.member_id)
            )
        with self._read() as c:
            return [member_view(row) for row in _rows(c, MEMBER, stmt)]

    def member(self, member_id: int) -> MemberDetail | None:
        with self._read() as c:
            row = _row(c, MEMBER, sa.select(MEMBER.expr).where(M.id == member_id))
            if row is None:
                return None
            link_rows = _rows(
                c,
                PROGRAM_LINK,
                sa.select(PROGRAM_LINK.expr)
                .select_from(P)
                .join(MP, MP.program_id == P.id)
                .where(MP.member_id == member_id)
                .order_by(MP.id),
            )
            identity_rows = _rows(
                c,
                IDENTITY,
                sa.select(IDENTITY.expr)
                .select_from(F)
                .join(IDENT, IDENT.file_id == F.id)
                .where(IDENT.member_id == member_id)
                .order_by(IDENT.id),
            )
            request_rows = _rows(c, REQUEST, MEMBER_REQUESTS, member_id=member_id)
            payment_rows = _rows(
                c,
                PAYMENT,
                sa.select(PAYMENT.expr)
                .where(PAY.member_id == member_id)
                .order_by(PAY.sort_at.desc(), PAY.id.desc()),
            )
            corrections = _corrections_of(c, member_id)
        at = len(PROGRAM_COLUMNS)
        links = [ProgramLink(program_view(r), r[at], r[at + 1], r[at + 2]) for r in link_rows]
        at = len(FILE_COLUMNS)
        identities = [
            IdentityView(r[at], IdentityType(r[at + 1]), r[at + 2], r[at + 3], file_view(r))
            for r in identity_rows
        ]
        return MemberDetail(
            member_view(row),
            links,
            identities,
            [request_view(r) for r in request_rows],
            [payment_view(r) for r in payment_rows],
            corrections,
        )

    def members_by_status(self) -> dict[MemberStatus, int]:
        stmt = sa.select(M.status, sa.func.count()).group_by(M.status)
        with self._read() as c:
            return {MemberStatus(s): int(n) for s, n in c.execute(stmt)}

    def expiring(self, first: date, last: date) -> list[MemberView]:
        stmt = (
            sa.select(MEMBER.expr)
            .where(M.expiration_date.between(first, last))
            .order_by(M.expiration_date, M.id)
        )
        with self._read() as c:
            return [member_view(row) for row in _rows(c, MEMBER, stmt)]

    # -- the back office: requests, payments, audit ----------------------------------------
    def requests(self, query: RequestQuery, page: Page) -> Listing[RequestView]:
        """With words: counts and pages through the term index (which carries status and
        creation time), then reads only that page's requests."""
        if not query.words:
            ids = _status_and_dates(sa.select(R.id, R.created_at), query, R.status, R.created_at)
            if query.member_id is not None:
                ids = ids.where(R.member_id == query.member_id)
            order = (R.created_at.desc(), R.id.desc())
            key = R.id
        else:
            ids = _request_hits(query)
            t = m.RequestTermRow
            order = (t.created_at.desc(), t.request_id.desc())
            key = t.request_id
        paged = ids.order_by(*order).limit(page.limit).offset(page.offset).subquery()
        pk = paged.c[key.key]
        stmt = (
            sa.select(LISTED_REQUEST.expr)
            .select_from(R)
            .join(paged, pk == R.id)
            .join(M, M.id == R.member_id)
            .order_by(paged.c.created_at.desc(), pk.desc())
        )
        with self._read() as c:
            total = _count(c, ids)
            rows = _rows(c, LISTED_REQUEST, stmt)
            files = _files_of(c, [row[0] for row in rows])
        at = len(REQUEST_COLUMNS)
        items = [request_view(row, files.get(row[0], []), member_name(row, at)) for row in rows]
        return Listing(items, total)

    def payments(self, query: PaymentQuery, page: Page) -> Listing[PaymentRow]:
        """The total from the per-day counts when only type, status, source and dates
        filter; the page found through the indexes first (skipped rows are index
        entries, never read), then only its rows read, with their members' names and
        requests' diagnoses."""
        ids = _payment_filter(sa.select(PAY.id, PAY.sort_at), query)
        paged = (
            ids.order_by(PAY.sort_at.desc(), PAY.id.desc())
            .limit(page.limit)
            .offset(page.offset)
            .subquery()
        )
        stmt = (
            sa.select(LISTED_PAYMENT.expr)
            .select_from(PAY)
            .join(paged, paged.c.id == PAY.id)
            .join(M, M.id == PAY.member_id)
            .outerjoin(R, R.id == PAY.request_id)
            .order_by(paged.c.sort_at.desc(), paged.c.id.desc())
        )
        with self._read() as c:
            total = _counted(c, query) if _countable(query) else _count(c, ids)
            rows = _rows(c, LISTED_PAYMENT, stmt)
        at = len(PAYMENT_COLUMNS)
        items = [
            PaymentRow(payment_view(row), member_name(row, at), row[-1] if row[8] else None)
            for row in rows
        ]
        return Listing(items, total)

    def audit(self, query: AuditQuery, page: Page) -> Listing[AuditEvent]:
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
        page_stmt = stmt.order_by(a.at.desc(), a.id.desc()).limit(page.limit).offset(page.offset)
        with self._read() as c:
            total = _count(c, stmt)
            rows = c.execute(page_stmt).all()
        return Listing([mp.audit_from(cast(m.AuditRow, row)) for row in rows], total)

    def confirmed_money(
        self, date_start: date | None, date_end: date | None
    ) -> list[tuple[datetime, str, PaymentType, Money]]:
        day, hour = sa.func.date(PAY.sort_at), sa.extract("hour", PAY.sort_at)
        program = sa.func.coalesce(P.program_name, "")
        stmt = (
            sa.select(day, hour, program, PAY.payment_type, sa.func.sum(PAY.amount))
            .select_from(PAY)
            .outerjoin(MP, sa.and_(MP.member_id == PAY.member_id, MP.is_active.is_(True)))
            .outerjoin(P, P.id == MP.program_id)
            .where(PAY.status == PaymentStatus.CONFIRMED.value)
            .group_by(day, hour, program, PAY.payment_type)
        )
        if date_start is not None:
            stmt = stmt.where(PAY.sort_at >= day_start(date_start))
        if date_end is not None:
            stmt = stmt.where(PAY.sort_at < next_day(date_end))
        with self._read() as c:
            rows = c.execute(stmt).all()
        found = []
        for on, at_hour, name, kind, total in rows:
            when = on if isinstance(on, date) else date.fromisoformat(str(on))
            moment = datetime(when.year, when.month, when.day, int(at_hour), tzinfo=UTC)
            found.append((moment, name, PaymentType(kind), Money(int(total))))
        return found

    def pending_gateway_orders(self, before: datetime) -> list[str]:
        stmt = (
            sa.select(PAY.payment_identifier)
            .where(
                PAY.status == PaymentStatus.PENDING.value,
                PAY.source == PaymentSource.GATEWAY.value,
                PAY.created_at < before,
                PAY.payment_identifier.is_not(None),
            )
            .order_by(PAY.created_at, PAY.id)
        )
        with self._read() as c:
            return [str(order) for order in c.execute(stmt).scalars()]


# -- helpers -------------------------------------------------------------------------------
def _count(c: Connection, stmt: Any) -> int:
    counted = sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())
    return int(c.execute(counted).scalar_one())


def _rows(c: Connection, packed: Packed, stmt: Any, **params: Any) -> list[list[Any]]:
    """Every row of a statement that selects ``packed``, unpacked."""
    return [packed.load(text) for text in c.execute(stmt, params or None).scalars()]


def _row(c: Connection, packed: Packed, stmt: Any, **params: Any) -> list[Any] | None:
    text = c.execute(stmt, params or None).scalar()
    return None if text is None else packed.load(text)


def _files_of(c: Connection, request_ids: Collection[int]) -> dict[int, list[FileView]]:
    found: dict[int, list[FileView]] = defaultdict(list)
    if request_ids:
        for row in _rows(c, FILE, REQUEST_FILES, ids=sorted(set(request_ids))):
            found[row[9]].append(file_view(row))
    return found


def _corrections_of(c: Connection, member_id: int) -> list[CorrectionView]:
    corr = m.CorrectionRow
    stmt = (
        sa.select(
            corr.id,
            corr.first_name,
            corr.middle_name,
            corr.last_name,
            corr.birth_date,
            corr.created_at,
            corr.resolved_at,
            corr.resolved_by,
        )
        .where(corr.member_id == member_id)
        .order_by(corr.id)
    )
    return [CorrectionView(*row) for row in c.execute(stmt)]


def _messages_of(c: Connection, request_id: int) -> list[MessageView]:
    msg, staff = m.MessageRow, m.StaffRow
    stmt = (
        sa.select(
            msg.id,
            msg.message,
            msg.member_id,
            msg.created_at,
            M.last_name,
            M.first_name,
            M.middle_name,
            staff.name.label("staff_name"),
        )
        .outerjoin(M, M.id == msg.member_id)
        .outerjoin(staff, staff.id == msg.staff_id)
        .where(msg.request_id == request_id)
        .order_by(msg.created_at, msg.id)
    )
    return [
        MessageView(
            r.id,
            r.message,
            "member" if r.member_id is not None else "staff",
            full_name(r.last_name or "", r.first_name or "", r.middle_name or "")
            if r.member_id is not None
            else r.staff_name or "",
            r.created_at,
        )
        for r in c.execute(stmt)
    ]


def _member_hits(query: MemberQuery) -> Any:
    """Members whose terms in the chosen fields begin with every word, by name."""
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
        hits = hits.where(t.member_id.in_(sa.select(M.id).where(M.status.in_(wanted))))
    return hits.order_by(t.sort_name, t.member_id)


def _request_hits(query: RequestQuery) -> Any:
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
        hits = hits.where(t.request_id.in_(sa.select(R.id).where(R.member_id == query.member_id)))
    return hits.distinct()


def _status_and_dates(stmt: Any, query: RequestQuery, status: Any, created_at: Any) -> Any:
    """A request query's status and date filters, on the requests or on their terms."""
    if query.statuses:
        stmt = stmt.where(status.in_([s.value for s in query.statuses]))
    if query.date_start is not None:
        stmt = stmt.where(created_at >= day_start(query.date_start))
    if query.date_end is not None:
        stmt = stmt.where(created_at < next_day(query.date_end))
    return stmt


def _payment_filter(stmt: Any, query: PaymentQuery) -> Any:
    stmt = _by_kind(stmt, query, PAY.payment_type, PAY.status, PAY.source)
    if query.date_start is not None:
        stmt = stmt.where(PAY.sort_at >= day_start(query.date_start))
    if query.date_end is not None:
        stmt = stmt.where(PAY.sort_at < next_day(query.date_end))
    if query.amount_start is not None:
        stmt = stmt.where(PAY.amount >= query.amount_start.kopecks)
    if query.amount_end is not None:
        stmt = stmt.where(PAY.amount <= query.amount_end.kopecks)
    if query.member_id is not None:
        stmt = stmt.where(PAY.member_id == query.member_id)
    if query.request_id is not None:
        stmt = stmt.where(PAY.request_id == query.request_id)
    if query.certificate is not None:
        stmt = stmt.where(
            PAY.member_id.in_(sa.select(M.id).where(M.certificate == query.certificate))
        )
    return stmt


def _countable(query: PaymentQuery) -> bool:
    return (
        query.amount_start is None
        and query.amount_end is None
        and query.member_id is None
        and query.request_id is None
        and query.certificate is None
    )


def _counted(c: Connection, query: PaymentQuery) -> int:
    counts = m.PaymentCountRow
    stmt = sa.select(sa.func.coalesce(sa.func.sum(counts.count), 0))
    stmt = _by_kind(stmt, query, counts.payment_type, counts.status, counts.source)
    if query.date_start is not None:
        stmt = stmt.where(counts.day >= query.date_start)
    if query.date_end is not None:
        stmt = stmt.where(counts.day <= query.date_end)
    return int(c.execute(stmt).scalar_one())


def _by_kind(stmt: Any, query: PaymentQuery, kind: Any, status: Any, source: Any) -> Any:
    """The type, status and source filters of a payment query, on given columns."""
    if query.types:
        stmt = stmt.where(kind.in_([t.value for t in query.types]))
    if query.statuses:
        stmt = stmt.where(status.in_([s.value for s in query.statuses]))
    if query.source is not None:
        stmt = stmt.where(source == query.source.value)
    return stmt


__all__ = ["MemberName", "SqlReads"]
