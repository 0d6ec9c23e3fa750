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
from functools import lru_cache
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import aliased

from kasa.adapters.sql import mapping as mp
from kasa.adapters.sql import models as m
from kasa.adapters.sql.filters import (
    KEPT_STATEMENTS,
    Filters,
    one_of,
    paged,
    param,
    starts_with_word,
)
from kasa.adapters.sql.views import (
    FILE_COLUMNS,
    MEMBER_COLUMNS,
    NAME_COLUMNS,
    PAYMENT_COLUMNS,
    PROGRAM_COLUMNS,
    REQUEST_COLUMNS,
    STAFF_COLUMNS,
    Packed,
    file_view,
    member_name,
    member_view,
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
from kasa.domain.calendar import after_day, day_start
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
MEMBER_REQUESTS_WITH_STATUS = MEMBER_REQUESTS.where(R.status.in_(one_of("statuses")))
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
REVIEW_QUEUE = paged(
    sa.select(MEMBER.expr).where(M.in_review_queue.is_(True)).order_by(M.updated_at, M.id)
)
ONE_MEMBER = sa.select(MEMBER.expr).where(M.id == param("member_id"))
MEMBER_PROGRAMS = (
    sa.select(PROGRAM_LINK.expr)
    .select_from(P)
    .join(MP, MP.program_id == P.id)
    .where(MP.member_id == param("member_id"))
    .order_by(MP.id)
)
MEMBER_IDENTITIES = (
    sa.select(IDENTITY.expr)
    .select_from(F)
    .join(IDENT, IDENT.file_id == F.id)
    .where(IDENT.member_id == param("member_id"))
    .order_by(IDENT.id)
)
MEMBER_PAYMENTS = (
    sa.select(PAYMENT.expr)
    .where(PAY.member_id == param("member_id"))
    .order_by(PAY.sort_at.desc(), PAY.id.desc())
)
CORRECTIONS = (
    sa.select(
        m.CorrectionRow.id,
        m.CorrectionRow.first_name,
        m.CorrectionRow.middle_name,
        m.CorrectionRow.last_name,
        m.CorrectionRow.birth_date,
        m.CorrectionRow.created_at,
        m.CorrectionRow.resolved_at,
        m.CorrectionRow.resolved_by,
    )
    .where(m.CorrectionRow.member_id == param("member_id"))
    .order_by(m.CorrectionRow.id)
)
MESSAGES = (
    sa.select(
        m.MessageRow.id,
        m.MessageRow.message,
        m.MessageRow.member_id,
        m.MessageRow.created_at,
        M.last_name,
        M.first_name,
        M.middle_name,
        S.name.label("staff_name"),
    )
    .outerjoin(M, M.id == m.MessageRow.member_id)
    .outerjoin(S, S.id == m.MessageRow.staff_id)
    .where(m.MessageRow.request_id == param("request_id"))
    .order_by(m.MessageRow.created_at, m.MessageRow.id)
)
MEMBERS_BY_NAME = (M.last_name, M.first_name, M.id)
MEMBERS_BY_STATUS = sa.select(M.status, sa.func.count()).group_by(M.status)
EXPIRING = (
    sa.select(MEMBER.expr)
    .where(M.expiration_date.between(param("first"), param("last")))
    .order_by(M.expiration_date, M.id)
)
PENDING_GATEWAY_ORDERS = (
    sa.select(PAY.payment_identifier)
    .where(
        PAY.status == PaymentStatus.PENDING.value,
        PAY.source == PaymentSource.GATEWAY.value,
        PAY.created_at < param("before"),
        PAY.payment_identifier.is_not(None),
    )
    .order_by(PAY.created_at, PAY.id)
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
            stmt = MEMBER_REQUESTS_WITH_STATUS
        with self._read() as c:
            rows = _rows(
                c, REQUEST, stmt, member_id=member_id, statuses=sorted(s.value for s in statuses)
            )
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
        filters = Filters(member_id=member_id)
        _dates(filters, begin, end)
        with self._read() as c:
            rows = _rows(c, CHARGE, _charges(filters.key), **filters.params)
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
        filters = Filters(
            fields=[f.value for f in SearchField if f in query.fields],
            limit=page.limit,
            offset=page.offset,
        )
        filters.words(query.words)
        if query.statuses:
            filters.add("statuses", statuses=sorted(s.value for s in query.statuses))
        with self._read() as c:
            rows = _rows(c, MEMBER, _members(filters.key), **filters.params)
        return [member_view(row) for row in rows]

    def member(self, member_id: int) -> MemberDetail | None:
        with self._read() as c:
            row = _row(c, MEMBER, ONE_MEMBER, member_id=member_id)
            if row is None:
                return None
            link_rows = _rows(c, PROGRAM_LINK, MEMBER_PROGRAMS, member_id=member_id)
            identity_rows = _rows(c, IDENTITY, MEMBER_IDENTITIES, member_id=member_id)
            request_rows = _rows(c, REQUEST, MEMBER_REQUESTS, member_id=member_id)
            payment_rows = _rows(c, PAYMENT, MEMBER_PAYMENTS, member_id=member_id)
            corrections = [
                CorrectionView(*r) for r in c.execute(CORRECTIONS, {"member_id": member_id})
            ]
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
        with self._read() as c:
            return {MemberStatus(s): int(n) for s, n in c.execute(MEMBERS_BY_STATUS)}

    def expiring(self, first: date, last: date) -> list[MemberView]:
        with self._read() as c:
            rows = _rows(c, MEMBER, EXPIRING, first=first, last=last)
        return [member_view(row) for row in rows]

    # -- the back office: requests, payments, audit ----------------------------------------
    def requests(self, query: RequestQuery, page: Page) -> Listing[RequestView]:
        """With words: counts and pages through the term index (which carries status and
        creation time), then reads only that page's requests."""
        filters = Filters(limit=page.limit, offset=page.offset)
        filters.words(query.words)
        if query.statuses:
            filters.add("statuses", statuses=sorted(s.value for s in query.statuses))
        _dates(filters, query.date_start, query.date_end)
        if query.member_id is not None:
            filters.add("member_id", member_id=query.member_id)
        count, page_stmt = _requests(filters.key)
        with self._read() as c:
            total = int(c.execute(count, filters.params).scalar_one())
            rows = _rows(c, LISTED_REQUEST, page_stmt, **filters.params)
            files = _files_of(c, [row[0] for row in rows])
        at = len(REQUEST_COLUMNS)
        items = [request_view(row, files.get(row[0], []), member_name(row, at)) for row in rows]
        return Listing(items, total)

    def payments(self, query: PaymentQuery, page: Page) -> Listing[PaymentRow]:
        """The total from the per-day counts when only type, status, source and dates
        filter; the page found through the indexes first (skipped rows are index
        entries, never read), then only its rows read, with their members' names and
        requests' diagnoses."""
        filters = Filters(limit=page.limit, offset=page.offset)
        if query.types:
            filters.add("types", types=sorted(t.value for t in query.types))
        if query.statuses:
            filters.add("statuses", statuses=sorted(s.value for s in query.statuses))
        if query.source is not None:
            filters.add("source", source=query.source.value)
        _dates(filters, query.date_start, query.date_end)
        if query.amount_start is not None:
            filters.add("amount_start", amount_start=query.amount_start.kopecks)
        if query.amount_end is not None:
            filters.add("amount_end", amount_end=query.amount_end.kopecks)
        if query.member_id is not None:
            filters.add("member_id", member_id=query.member_id)
        if query.request_id is not None:
            filters.add("request_id", request_id=query.request_id)
        if query.certificate is not None:
            filters.add("certificate", certificate=query.certificate)
        count, page_stmt = _payments(filters.key)
        with self._read() as c:
            total = int(c.execute(count, filters.params).scalar_one())
            rows = _rows(c, LISTED_PAYMENT, page_stmt, **filters.params)
        at = len(PAYMENT_COLUMNS)
        items = [
            PaymentRow(payment_view(row), member_name(row, at), row[-1] if row[8] else None)
            for row in rows
        ]
        return Listing(items, total)

    def audit(self, query: AuditQuery, page: Page) -> Listing[AuditEvent]:
        filters = Filters(limit=page.limit, offset=page.offset)
        if query.object_kind is not None:
            filters.add("object_kind", object_kind=query.object_kind.value)
        if query.object_id is not None:
            filters.add("object_id", object_id=query.object_id)
        if query.actor_kind is not None:
            filters.add("actor_kind", actor_kind=query.actor_kind.value)
        if query.actor_id is not None:
            filters.add("actor_id", actor_id=query.actor_id)
        if query.event_types:
            filters.add("event_types", event_types=sorted(t.value for t in query.event_types))
        if query.since is not None:
            filters.add("since", since=query.since)
        if query.before is not None:
            filters.add("before", before=query.before)
        count, page_stmt = _audit(filters.key)
        with self._read() as c:
            total = int(c.execute(count, filters.params).scalar_one())
            rows = c.execute(page_stmt, filters.params).all()
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
            stmt = stmt.where(PAY.sort_at < after_day(date_end))
        with self._read() as c:
            rows = c.execute(stmt).all()
        found = []
        for on, at_hour, name, kind, total in rows:
            when = on if isinstance(on, date) else date.fromisoformat(str(on))
            moment = datetime(when.year, when.month, when.day, int(at_hour), tzinfo=UTC)
            found.append((moment, name, PaymentType(kind), Money(int(total))))
        return found

    def pending_gateway_orders(self, before: datetime) -> list[str]:
        with self._read() as c:
            found = c.execute(PENDING_GATEWAY_ORDERS, {"before": before}).scalars()
            return [str(order) for order in found]


# -- helpers -------------------------------------------------------------------------------
def _rows(c: Connection, packed: Packed, stmt: Any, **params: Any) -> list[tuple[Any, ...]]:
    """Every row of a statement that selects ``packed``, unpacked."""
    return [packed.load(text) for text in c.execute(stmt, params or None).scalars()]


def _row(c: Connection, packed: Packed, stmt: Any, **params: Any) -> tuple[Any, ...] | None:
    text = c.execute(stmt, params or None).scalar()
    return None if text is None else packed.load(text)


def _files_of(c: Connection, request_ids: Collection[int]) -> dict[int, list[FileView]]:
    found: dict[int, list[FileView]] = defaultdict(list)
    if request_ids:
        for row in _rows(c, FILE, REQUEST_FILES, ids=sorted(set(request_ids))):
            found[row[9]].append(file_view(row))
    return found


def _messages_of(c: Connection, request_id: int) -> list[MessageView]:
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
        for r in c.execute(MESSAGES, {"request_id": request_id})
    ]


# -- listings, one statement kept per combination of filters ------------------------------
def _dates(filters: Filters, first: date | None, last: date | None) -> None:
    """A range of calendar days: the UTC moments it spans, and the days themselves."""
    if first is not None:
        filters.add("from", since=day_start(first), first_day=first)
    if last is not None:
        filters.add("until", before=after_day(last), last_day=last)


def _between(column: Any, key: tuple[str, ...]) -> list[Any]:
    """The ``from``/``until`` filters of ``key`` on a moment ``column``."""
    found = []
    if "from" in key:
        found.append(column >= param("since"))
    if "until" in key:
        found.append(column < param("before"))
    return found


@lru_cache(maxsize=KEPT_STATEMENTS)
def _charges(key: tuple[str, ...]) -> Any:
    return (
        sa.select(CHARGE.expr)
        .select_from(PAY)
        .outerjoin(R, R.id == PAY.request_id)
        .where(
            PAY.member_id == param("member_id"),
            PAY.payment_type.in_(PAYOUT_CODES),
            PAY.status == PaymentStatus.CONFIRMED.value,
            *_between(PAY.sort_at, key),
        )
        .order_by(PAY.sort_at.desc(), PAY.id.desc())
    )


@lru_cache(maxsize=KEPT_STATEMENTS)
def _members(key: tuple[str, ...]) -> Any:
    """Members whose terms in the chosen fields begin with every word, by name; without
    words, all members by name. The longest word drives, the others filter."""
    words = sum(1 for name in key if name.startswith("word"))
    statuses = M.status.in_(one_of("statuses"))
    if not words:
        stmt = sa.select(MEMBER.expr).order_by(*MEMBERS_BY_NAME)
        return paged(stmt.where(statuses) if "statuses" in key else stmt)
    t = m.MemberTermRow
    hits = (
        sa.select(t.member_id, t.sort_name)
        .where(starts_with_word(t.term, 0), t.field.in_(one_of("fields")))
        .distinct()
    )
    for at in range(1, words):
        also = aliased(t)
        hits = hits.where(
            t.member_id.in_(
                sa.select(also.member_id).where(
                    starts_with_word(also.term, at), also.field.in_(one_of("fields"))
                )
            )
        )
    if "statuses" in key:
        hits = hits.where(t.member_id.in_(sa.select(M.id).where(statuses)))
    page = paged(hits.order_by(t.sort_name, t.member_id)).subquery()
    return (
        sa.select(MEMBER.expr)
        .join(page, page.c.member_id == M.id)
        .order_by(page.c.sort_name, page.c.member_id)
    )


@lru_cache(maxsize=KEPT_STATEMENTS)
def _requests(key: tuple[str, ...]) -> tuple[Any, Any]:
    """How many requests match, and a page of them, newest first."""
    words = sum(1 for name in key if name.startswith("word"))
    if not words:
        ids = sa.select(R.id, R.created_at)
        status, created_at, pk = R.status, R.created_at, R.id
        if "member_id" in key:
            ids = ids.where(R.member_id == param("member_id"))
    else:
        t = m.RequestTermRow
        ids = sa.select(t.request_id, t.created_at).where(starts_with_word(t.term, 0))
        for at in range(1, words):
            also = aliased(t)
            ids = ids.where(
                t.request_id.in_(sa.select(also.request_id).where(starts_with_word(also.term, at)))
            )
        status, created_at, pk = t.status, t.created_at, t.request_id
        if "member_id" in key:
            ids = ids.where(
                t.request_id.in_(sa.select(R.id).where(R.member_id == param("member_id")))
            )
        ids = ids.distinct()
    if "statuses" in key:
        ids = ids.where(status.in_(one_of("statuses")))
    ids = ids.where(*_between(created_at, key))
    page = paged(ids.order_by(created_at.desc(), pk.desc())).subquery()
    key_column = page.c[pk.key]
    stmt = (
        sa.select(LISTED_REQUEST.expr)
        .select_from(R)
        .join(page, key_column == R.id)
        .join(M, M.id == R.member_id)
        .order_by(page.c.created_at.desc(), key_column.desc())
    )
    return _counting(ids), stmt


PAYMENT_FILTERS = {
    "types": PAY.payment_type.in_(one_of("types")),
    "statuses": PAY.status.in_(one_of("statuses")),
    "source": PAY.source == param("source"),
    "from": PAY.sort_at >= param("since"),
    "until": PAY.sort_at < param("before"),
    "amount_start": PAY.amount >= param("amount_start"),
    "amount_end": PAY.amount <= param("amount_end"),
    "member_id": PAY.member_id == param("member_id"),
    "request_id": PAY.request_id == param("request_id"),
    "certificate": PAY.member_id.in_(sa.select(M.id).where(M.certificate == param("certificate"))),
}
COUNTS = m.PaymentCountRow
# The filters the per-day counts can answer, on their columns.
COUNT_FILTERS = {
    "types": COUNTS.payment_type.in_(one_of("types")),
    "statuses": COUNTS.status.in_(one_of("statuses")),
    "source": COUNTS.source == param("source"),
    "from": COUNTS.day >= param("first_day"),
    "until": COUNTS.day <= param("last_day"),
}


@lru_cache(maxsize=KEPT_STATEMENTS)
def _payments(key: tuple[str, ...]) -> tuple[Any, Any]:
    """How many payments match (from the per-day counts when they can tell), and a page
    of them, newest first."""
    ids = sa.select(PAY.id, PAY.sort_at).where(*(PAYMENT_FILTERS[name] for name in key))
    if set(key) <= COUNT_FILTERS.keys():
        count = sa.select(sa.func.coalesce(sa.func.sum(COUNTS.count), 0)).where(
            *(COUNT_FILTERS[name] for name in key)
        )
    else:
        count = _counting(ids)
    page = paged(ids.order_by(PAY.sort_at.desc(), PAY.id.desc())).subquery()
    stmt = (
        sa.select(LISTED_PAYMENT.expr)
        .select_from(PAY)
        .join(page, page.c.id == PAY.id)
        .join(M, M.id == PAY.member_id)
        .outerjoin(R, R.id == PAY.request_id)
        .order_by(page.c.sort_at.desc(), page.c.id.desc())
    )
    return count, stmt


AUDIT = m.AuditRow
AUDIT_FILTERS = {
    "object_kind": AUDIT.object_kind == param("object_kind"),
    "object_id": AUDIT.object_id == param("object_id"),
    "actor_kind": AUDIT.actor_kind == param("actor_kind"),
    "actor_id": AUDIT.actor_id == param("actor_id"),
    "event_types": AUDIT.event_type.in_(one_of("event_types")),
    "since": AUDIT.at >= param("since"),
    "before": AUDIT.at < param("before"),
}


@lru_cache(maxsize=KEPT_STATEMENTS)
def _audit(key: tuple[str, ...]) -> tuple[Any, Any]:
    stmt = sa.select(AUDIT).where(*(AUDIT_FILTERS[name] for name in key))
    return _counting(stmt), paged(stmt.order_by(AUDIT.at.desc(), AUDIT.id.desc()))


def _counting(stmt: Any) -> Any:
    return sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())


__all__ = ["MemberName", "SqlReads"]
