"""The read side on SQLAlchemy Core: each answer read in as few round trips as it can
(one for a profile), only the columns it shows, straight into immutable views; no
session, no identity map, nothing written back. On MariaDB the reads run on their own
pool of connections in autocommit (no transaction to begin or roll back); on SQLite in a
deferred transaction that takes no write lock."""

from __future__ import annotations

import functools
import inspect
import time
from collections import defaultdict
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from kasa.adapters.sql import ledger
from kasa.adapters.sql import schema as tables
from kasa.adapters.sql import statements as q
from kasa.adapters.sql.filters import (
    Filters,
)
from kasa.adapters.sql.rows import (
    MEMBER_COLUMNS,
    PAYMENT_COLUMNS,
    PROGRAM_COLUMNS,
    REQUEST_COLUMNS,
    Packed,
    file_view,
    identity_view,
    member_name,
    member_view,
    payment_view,
    program_view,
    request_view,
    staff_view,
)
from kasa.application.ports import GatewayOrder
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
    MemberView,
    MessageView,
    NotificationQuery,
    NotificationView,
    PaymentLine,
    PaymentRow,
    PaymentView,
    ProfileView,
    ProgramLink,
    ProgramView,
    RequestDetail,
    RequestView,
    StaffView,
    TodayCounts,
)
from kasa.domain.audit import Actor
from kasa.domain.calendar import after_day, day_start
from kasa.domain.ledger import Move, MoveKind
from kasa.domain.members import MemberStatus, full_name
from kasa.domain.money import Money
from kasa.domain.notifications import DeliveryState
from kasa.domain.requests import RequestStatus
from kasa.domain.staff import Role

T = TypeVar("T")
# the engine reads run on where they run in a greenlet on an event loop (``LoopReads``):
# the loop's own, whose round trips are awaited there
reading_on: ContextVar[Engine | None] = ContextVar("reading_on", default=None)


def _on_a_fresh_connection(method: Callable[..., Any]) -> Callable[..., Any]:
    """A read whose connection turns out to be gone (the server restarted since it was
    pooled) is read again: the failure has replaced the pool's old connections, and a
    read changes nothing, so running it twice is safe."""

    @functools.wraps(method)
    def read(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except sa.exc.DBAPIError as error:
            if not error.connection_invalidated:
                raise
            return method(*args, **kwargs)

    return read


def _read_again_on_a_fresh_connection(cls: type[T]) -> type[T]:
    """Every public read of the class is ``_on_a_fresh_connection``."""
    for name, method in list(vars(cls).items()):
        if not name.startswith("_") and inspect.isfunction(method):
            setattr(cls, name, _on_a_fresh_connection(method))
    return cls


@_read_again_on_a_fresh_connection
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
        with (reading_on.get() or self.engine).connect() as connection:
            yield connection

    # -- programs ----------------------------------------------------------------------
    def programs(self, *, active_only: bool) -> list[ProgramView]:
        now = self.clock()
        kept = self._programs.get(active_only)
        if kept is not None and now < kept[0]:
            return list(kept[1])
        with self._read() as c:
            rows = _rows(c, q.PROGRAM, q.ACTIVE_PROGRAMS if active_only else q.ALL_PROGRAMS)
        found = [program_view(row) for row in rows]
        if self.programs_ttl > 0:
            self._programs[active_only] = (now + self.programs_ttl, found)
        return list(found)

    def program(self, program_id: int) -> ProgramView | None:
        with self._read() as c:
            row = _row(c, q.PROGRAM, q.ONE_PROGRAM, program_id=program_id)
        return None if row is None else program_view(row)

    def terms_file(self, stored_name: str) -> FileView | None:
        with self._read() as c:
            row = _row(c, q.FILE, q.TERMS_FILE, name=stored_name)
        return None if row is None else file_view(row)

    # -- a member's own ----------------------------------------------------------------
    def standing(self, member_id: int) -> MemberStatus | None:
        with self._read() as c:
            status = c.execute(q.STANDING, {"member_id": member_id}).scalar()
        return None if status is None else MemberStatus(status)

    def profile(self, member_id: int) -> ProfileView | None:
        with self._read() as c:
            row = _row(c, q.PROFILE_ROW, q.PROFILE, member_id=member_id)
        return None if row is None else profile_view(row)

    def submitted(self, member_id: int) -> tuple[ProfileView, list[IdentityView]] | None:
        with self._read() as c:
            row = _row(c, q.PROFILE_ROW, q.PROFILE, member_id=member_id)
            if row is None:
                return None
            links = _rows(c, q.PROGRAM_LINK, q.MEMBER_PROGRAMS, member_id=member_id)
            documents = _rows(c, q.IDENTITY, q.MEMBER_IDENTITIES, member_id=member_id)
        at = len(PROGRAM_COLUMNS)
        waiting = [program_view(r) for r in links if r[at + 2]]
        current = [program_view(r) for r in links if r[at + 1]]
        chosen = next(iter(waiting + current), None)
        profile = ProfileView(member_view(row), row[-1], chosen)
        return profile, [identity_view(r) for r in documents]

    def file(self, member_id: int, stored_name: str) -> FileView | None:
        with self._read() as c:
            row = _row(c, q.FILE, q.MEMBER_FILE, member_id=member_id, name=stored_name)
        return None if row is None else file_view(row)

    member_file = file

    def requests_of_member(
        self, member_id: int, statuses: frozenset[RequestStatus]
    ) -> list[RequestView]:
        stmt = q.MEMBER_REQUESTS
        if statuses:
            stmt = q.MEMBER_REQUESTS_WITH_STATUS
        with self._read() as c:
            rows = _rows(
                c, q.REQUEST, stmt, member_id=member_id, statuses=sorted(s.value for s in statuses)
            )
            files = _files_of(c, [row[0] for row in rows])
        return [request_view(row, files.get(row[0], [])) for row in rows]

    def request(self, request_id: int) -> RequestDetail | None:
        with self._read() as c:
            row = _row(c, q.LISTED_REQUEST, q.ONE_REQUEST, request_id=request_id)
            if row is None:
                return None
            files = _files_of(c, [request_id]).get(request_id, [])
            messages = _messages_of(c, request_id)
            charges = _rows(c, q.PAYMENT, q.REQUEST_PAYOUTS, request_id=request_id)
        member = member_name(row, len(REQUEST_COLUMNS))
        return RequestDetail(
            request_view(row, files, member), messages, [payment_view(p) for p in charges]
        )

    def payment_of_order(self, order_id: str) -> PaymentView | None:
        stmt = sa.select(q.PAYMENT.expr).where(tables.payments.c.payment_identifier == order_id)
        with self._read() as c:
            row = _row(c, q.PAYMENT, stmt)
        return None if row is None else payment_view(row)

    def top_ups(self, member_id: int) -> list[PaymentView]:
        with self._read() as c:
            rows = _rows(c, q.PAYMENT, q.TOP_UPS, member_id=member_id)
        return [payment_view(row) for row in rows]

    def charges(self, member_id: int, begin: date | None, end: date | None) -> list[ChargeView]:
        filters = Filters(member_id=member_id)
        q.date_filters(filters, begin, end)
        with self._read() as c:
            rows = _rows(c, q.CHARGE, q.charges_statement(filters.key), **filters.params)
        return [ChargeView(payment_view(row), row[-1] or "") for row in rows]

    # -- the back office: staff ----------------------------------------------------------
    def staff_role(self, staff_id: int) -> Role | None:
        with self._read() as c:
            role = c.execute(q.STAFF_ROLE, {"staff_id": staff_id}).scalar()
        return None if role is None else Role(role)

    def staff_standing(self, staff_id: int) -> tuple[Role, int] | None:
        with self._read() as c:
            row = c.execute(q.STAFF_STANDING, {"staff_id": staff_id}).first()
        return None if row is None else (Role(row[0]), int(row[1]))

    def staff_users(self) -> list[StaffView]:
        with self._read() as c:
            return [staff_view(row) for row in _rows(c, q.STAFF, q.ALL_STAFF)]

    def staff_user(self, staff_id: int) -> StaffView | None:
        with self._read() as c:
            row = _row(c, q.STAFF, q.ONE_STAFF, staff_id=staff_id)
        return None if row is None else staff_view(row)

    # -- the back office: members --------------------------------------------------------
    def review_queue(self, page: Page) -> list[MemberView]:
        with self._read() as c:
            rows = _rows(c, q.MEMBER, q.REVIEW_QUEUE, limit=page.limit, offset=page.offset)
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
            # a page of matches on MariaDB comes back as one value
            gathered = bool(query.words) and _gathers(c)
            stmt = q.members_statement(filters.key, gathered=gathered)
            if query.words:
                found = {term for (term,) in c.execute(q.FIRST_AND_LAST_TERM, filters.params)}
                if not found:
                    return []
                if len(found) == 1:
                    # one term in the driving word's range (a whole name): its members
                    # in each field read a page at a time in the index's order
                    (term,) = found
                    fields = filters.params["fields"]
                    stmt = q.members_by_terms(filters.key, len(fields), gathered=gathered)
                    for n, field in enumerate(fields):
                        filters.params |= {f"term{n}": term, f"field{n}": field}
                    filters.params["enough"] = page.offset + page.limit
            rows = _page(c, q.MEMBER, stmt, gathered, **filters.params)
        return [member_view(row) for row in rows]

    def member(self, member_id: int) -> MemberDetail | None:
        with self._read() as c:
            row = _row(c, q.MEMBER, q.ONE_MEMBER, member_id=member_id)
            if row is None:
                return None
            link_rows = _rows(c, q.PROGRAM_LINK, q.MEMBER_PROGRAMS, member_id=member_id)
            identity_rows = _rows(c, q.IDENTITY, q.MEMBER_IDENTITIES, member_id=member_id)
            request_rows = _rows(c, q.REQUEST, q.MEMBER_REQUESTS, member_id=member_id)
            payment_rows = _rows(c, q.PAYMENT, q.MEMBER_PAYMENTS, member_id=member_id)
            corrections = [
                CorrectionView(*r) for r in c.execute(q.CORRECTIONS, {"member_id": member_id})
            ]
        at = len(PROGRAM_COLUMNS)
        links = [ProgramLink(program_view(r), r[at], r[at + 1], r[at + 2]) for r in link_rows]
        identities = [identity_view(r) for r in identity_rows]
        return MemberDetail(
            member_view(row),
            links,
            identities,
            [request_view(r) for r in request_rows],
            [payment_view(r) for r in payment_rows],
            corrections,
        )

    # -- notifications --------------------------------------------------------------------
    def inbox(self, member_id: int, before_id: int | None, limit: int) -> list[NotificationView]:
        n = tables.notifications.c
        stmt = sa.select(*NOTIFICATION_COLUMNS).where(n.member_id == member_id)
        if before_id is not None:
            stmt = stmt.where(n.id < before_id)
        with self._read() as c:
            rows = c.execute(stmt.order_by(n.id.desc()).limit(limit)).all()
        return [notification_view(r) for r in rows]

    def notifications(self, query: NotificationQuery, page: Page) -> Listing[NotificationView]:
        n = tables.notifications.c
        where = []
        if query.member_id is not None:
            where.append(n.member_id == query.member_id)
        if query.request_id is not None:
            where.append(n.request_id == query.request_id)
        if query.state is not None:
            where.append(n.state == query.state.value)
        listed = (
            sa.select(*NOTIFICATION_COLUMNS)
            .where(*where)
            .order_by(n.id.desc())
            .limit(page.limit)
            .offset(page.offset)
        )
        with self._read() as c:
            total = int(
                c.execute(
                    sa.select(sa.func.count()).where(*where).select_from(tables.notifications)
                ).scalar_one()
            )
            rows = c.execute(listed).all()
        return Listing([notification_view(r) for r in rows], total)

    def waiting_notifications(self, now: datetime) -> tuple[int, datetime | None]:
        n = tables.notifications.c
        stmt = sa.select(sa.func.count(), sa.func.min(n.due_at)).where(
            n.state == DeliveryState.PENDING.value, n.due_at <= now
        )
        with self._read() as c:
            count, oldest = c.execute(stmt).one()
        return int(count), _aware_or_none(oldest)

    def notifications_by_channel(
        self, first: datetime | None, last: datetime | None
    ) -> dict[tuple[str, str], int]:
        n = tables.notifications.c
        stmt = sa.select(n.state, n.channel, sa.func.count()).group_by(n.state, n.channel)
        if first is not None:
            stmt = stmt.where(n.created_at >= first)
        if last is not None:
            stmt = stmt.where(n.created_at < last)
        with self._read() as c:
            return {(str(s), str(ch)): int(k) for s, ch, k in c.execute(stmt)}

    def members_by_status(self) -> dict[MemberStatus, int]:
        with self._read() as c:
            return {MemberStatus(s): int(n) for s, n in c.execute(q.MEMBERS_BY_STATUS)}

    def expiring(self, first: date, last: date) -> list[MemberView]:
        with self._read() as c:
            rows = _rows(c, q.MEMBER, q.EXPIRING, first=first, last=last)
        return [member_view(row) for row in rows]

    # -- the back office: requests, payments, audit ----------------------------------------
    def requests(self, query: RequestQuery, page: Page) -> Listing[RequestView]:
        """With words: counts and pages through the term index (which carries status and
        creation time), then reads only that page's requests."""
        filters = Filters(limit=page.limit, offset=page.offset)
        filters.words(query.words)
        if query.statuses:
            filters.add("statuses", statuses=sorted(s.value for s in query.statuses))
        q.date_filters(filters, query.date_start, query.date_end)
        if query.member_id is not None:
            filters.add("member_id", member_id=query.member_id)
        count, page_stmt = q.requests_statements(filters.key)
        with self._read() as c:
            total = int(c.execute(count, filters.params).scalar_one())
            rows = _rows(c, q.LISTED_REQUEST, page_stmt, **filters.params)
            files = _files_of(c, [row[0] for row in rows])
        at = len(REQUEST_COLUMNS)
        items = [request_view(row, files.get(row[0], []), member_name(row, at)) for row in rows]
        return Listing(items, total)

    def payments(self, query: PaymentQuery, page: Page) -> Listing[PaymentRow]:
        """The total from the per-day counts when only type, status, source and dates
        filter; the page found through the indexes first (skipped rows are index
        entries, never read), then only its rows read, with their members' names and
        requests' diagnoses."""
        filters = _payment_filters(query, Filters(limit=page.limit, offset=page.offset))
        count, page_stmt = q.payments_statements(filters.key)
        with self._read() as c:
            total = int(c.execute(count, filters.params).scalar_one())
            rows = _rows(c, q.LISTED_PAYMENT, page_stmt, **filters.params)
        return Listing(_payment_rows(rows), total)

    def payment_lines_after(
        self, query: PaymentQuery, after: tuple[datetime, int] | None, limit: int
    ) -> list[PaymentLine]:
        filters = _payment_filters(query, Filters(limit=limit, offset=0))
        if after is not None:
            filters.add("after", after_at=after[0], after_id=after[1])
        with self._read() as c:
            gathered = _gathers(c)
            stmt = q.payment_lines(filters.key, gathered=gathered)
            lines = _page(c, q.PAYMENT_LINE, stmt, gathered, **filters.params)
        return cast(list[PaymentLine], lines)

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
        count, page_stmt = q.audit_statements(filters.key)
        with self._read() as c:
            total = int(c.execute(count, filters.params).scalar_one())
            rows = c.execute(page_stmt, filters.params).all()
        return Listing([audit_event(row) for row in rows], total)

    def money_moves(
        self,
        date_start: date | None,
        date_end: date | None,
        months: Sequence[datetime] = (),
    ) -> list[tuple[datetime, str, MoveKind, Money, str]]:
        with self._read() as c:
            return ledger.summed(c, *_moments(date_start, date_end), months)

    def first_money_moved(self) -> datetime | None:
        with self._read() as c:
            return ledger.first_hour(c)

    def money_totals(self, before: datetime | None) -> dict[MoveKind, Money]:
        with self._read() as c:
            return ledger.totals(c, before)

    def ledger(self, date_start: date | None, date_end: date | None, page: Page) -> list[Move]:
        with self._read() as c:
            return ledger.listed(c, *_moments(date_start, date_end), page.limit, page.offset)

    def ledger_after(
        self, date_start: date | None, date_end: date | None, after: Move | None, limit: int
    ) -> list[Move]:
        with self._read() as c:
            return ledger.listed_after(c, *_moments(date_start, date_end), after, limit)

    def today(self) -> TodayCounts:
        with self._read() as c:
            counted = [int(c.execute(statement).scalar_one()) for statement in q.TODAY]
        return TodayCounts(*counted)

    def pending_gateway_orders(self, before: datetime) -> list[GatewayOrder]:
        with self._read() as c:
            found = c.execute(q.PENDING_GATEWAY_ORDERS, {"before": before})
            return [GatewayOrder(str(o), g or "", r or "") for o, g, r in found]

    def refunding_gateway_orders(self, limit: int) -> list[GatewayOrder]:
        with self._read() as c:
            found = c.execute(q.REFUNDING_GATEWAY_ORDERS, {"limit": limit})
            return [GatewayOrder(str(o), g or "", r or "") for o, g, r in found]

    def confirmed_gateway_orders(self, since: datetime, limit: int) -> list[GatewayOrder]:
        with self._read() as c:
            params = {"since": since, "limit": limit}
            found = c.execute(q.CONFIRMED_GATEWAY_ORDERS, params)
            return [GatewayOrder(str(o), g or "", r or "") for o, g, r in found]


# -- helpers -------------------------------------------------------------------------------
def _moments(first: date | None, last: date | None) -> tuple[datetime | None, datetime | None]:
    """Two days (both included, either open) as the moments that bound them."""
    return (
        day_start(first) if first is not None else None,
        after_day(last) if last is not None else None,
    )


def _payment_filters(query: PaymentQuery, filters: Filters) -> Filters:
    if query.types:
        filters.add("types", types=sorted(t.value for t in query.types))
    if query.statuses:
        filters.add("statuses", statuses=sorted(s.value for s in query.statuses))
    if query.source is not None:
        filters.add("source", source=query.source.value)
    q.date_filters(filters, query.date_start, query.date_end)
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
    return filters


def _payment_rows(rows: list[tuple[Any, ...]]) -> list[PaymentRow]:
    at = len(PAYMENT_COLUMNS)
    return [
        PaymentRow(payment_view(row), member_name(row, at), row[-1] if row[8] else None)
        for row in rows
    ]


def _gathers(c: Connection) -> bool:
    """Whether the database gathers a page of rows into one value in order (MariaDB's
    ``JSON_ARRAYAGG … ORDER BY``; MySQL's takes no order, SQLite's none before 3.44)."""
    return bool(getattr(c.dialect, "is_mariadb", False))


def _page(
    c: Connection, packed: Packed, stmt: Any, gathered: bool, **params: Any
) -> list[tuple[Any, ...]]:
    """A page's rows, read as the one value they were gathered into (``json_lines``) or
    a row at a time."""
    if not gathered:
        return _rows(c, packed, stmt, **params)
    value = c.execute(stmt, params or None).scalar()
    return packed.load_all(value) if value else []


def _rows(c: Connection, packed: Packed, stmt: Any, **params: Any) -> list[tuple[Any, ...]]:
    """Every row of a statement that selects ``packed``, unpacked."""
    return [packed.load(text) for text in c.execute(stmt, params or None).scalars()]


def profile_view(row: Any) -> ProfileView:
    """A member's profile from its packed row (``statements.PROFILE_ROW``)."""
    at = len(MEMBER_COLUMNS)
    program = program_view(row, at) if row[at] is not None else None
    return ProfileView(member_view(row), row[-1], program)


def _row(c: Connection, packed: Packed, stmt: Any, **params: Any) -> tuple[Any, ...] | None:
    text = c.execute(stmt, params or None).scalar()
    return None if text is None else packed.load(text)


def _files_of(c: Connection, request_ids: Collection[int]) -> dict[int, list[FileView]]:
    found: dict[int, list[FileView]] = defaultdict(list)
    if request_ids:
        for row in _rows(c, q.FILE, q.REQUEST_FILES, ids=sorted(set(request_ids))):
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
        for r in c.execute(q.MESSAGES, {"request_id": request_id})
    ]


NOTIFICATION_COLUMNS = [
    tables.notifications.c[name]
    for name in (
        "id",
        "member_id",
        "event",
        "text",
        "created_at",
        "read_at",
        "request_id",
        "payment_id",
        "state",
        "channel",
        "sent_at",
        "reason",
        "attempts",
    )
]


def notification_view(row: Any) -> NotificationView:
    return NotificationView(*row)


def audit_event(row: Any) -> AuditEvent:
    return AuditEvent(
        row.event_type,
        Actor(row.actor_kind, row.actor_id),
        row.object_kind,
        row.object_id,
        row.at,
        row.details,
        row.id,
    )


def _aware_or_none(moment: Any) -> datetime | None:
    if moment is None:
        return None
    found: datetime = moment if isinstance(moment, datetime) else datetime.fromisoformat(moment)
    return found if found.tzinfo is not None else found.replace(tzinfo=UTC)
