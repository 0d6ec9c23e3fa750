"""The read side's statements, built once when the module loads: the columns each view
is packed from, one statement per question, and for listings one statement per
combination of filters (made on first use and kept)."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Any, cast

import sqlalchemy as sa

from kasa.adapters.sql import schema as tables
from kasa.adapters.sql.filters import (
    KEPT_STATEMENTS,
    Filters,
    one_of,
    paged,
    param,
    starts_with_word,
)
from kasa.adapters.sql.rows import (
    FILE_COLUMNS,
    MEMBER_COLUMNS,
    NAME_COLUMNS,
    PAYMENT_COLUMNS,
    PROGRAM_COLUMNS,
    REQUEST_COLUMNS,
    STAFF_COLUMNS,
    Packed,
    json_lines,
)
from kasa.application.views import PaymentLine
from kasa.domain.calendar import after_day, day_start
from kasa.domain.notifications import DeliveryState
from kasa.domain.payments import PAYOUT_TYPES, PaymentSource, PaymentStatus, PaymentType
from kasa.domain.requests import RequestStatus

M, P, F, R, PAY = tables.members, tables.programs, tables.files, tables.requests, tables.payments
MP, S, IDENT = tables.member_programs, tables.staff_users, tables.member_identities
CURRENT_PROGRAM = sa.and_(MP.c.member_id == M.c.id, MP.c.is_active.is_(True))
PAYOUT_CODES = [t.value for t in PAYOUT_TYPES]

# What each read selects, packed into one value a row (see ``Packed``).
MEMBER = Packed(*MEMBER_COLUMNS)
PROFILE_ROW = Packed(*MEMBER_COLUMNS, *PROGRAM_COLUMNS, F.c.stored_name)
PROGRAM = Packed(*PROGRAM_COLUMNS)
PROGRAM_LINK = Packed(*PROGRAM_COLUMNS, MP.c.id, MP.c.is_active, MP.c.is_new)
FILE = Packed(*FILE_COLUMNS)
IDENTITY = Packed(
    *FILE_COLUMNS,
    IDENT.c.id,
    IDENT.c.identity_type,
    IDENT.c.is_active,
    IDENT.c.is_new,
    IDENT.c.refused_at,
    IDENT.c.refusal_reason,
)
REQUEST = Packed(*REQUEST_COLUMNS)
LISTED_REQUEST = Packed(*REQUEST_COLUMNS, *NAME_COLUMNS)
PAYMENT = Packed(*PAYMENT_COLUMNS)
LISTED_PAYMENT = Packed(*PAYMENT_COLUMNS, *NAME_COLUMNS, R.c.diagnosis)
CHARGE = Packed(*PAYMENT_COLUMNS, R.c.diagnosis)
# a payment as an export writes it, decoded straight into its line
PAYMENT_LINE = Packed(
    PAY.c.id,
    PAY.c.sort_at,
    PAY.c.payment_type,
    PAY.c.status,
    PAY.c.amount,
    PAY.c.member_id,
    M.c.last_name,
    M.c.first_name,
    M.c.middle_name,
    M.c.certificate,
    PAY.c.request_id,
    PAY.c.source,
    PAY.c.gateway,
    PAY.c.payment_identifier,
    PAY.c.extended_to,
    PAY.c.iban,
    into=PaymentLine,
)
STAFF = Packed(*STAFF_COLUMNS)

# The statements of the reads that run most, built once, so that each run finds its
# compiled form in the engine's cache straight away.
ALL_PROGRAMS = sa.select(PROGRAM.expr).order_by(P.c.id)
ACTIVE_PROGRAMS = ALL_PROGRAMS.where(P.c.is_active.is_(True))
ONE_PROGRAM = sa.select(PROGRAM.expr).where(P.c.id == sa.bindparam("program_id"))
TERMS_FILE = sa.select(FILE.expr).where(
    F.c.stored_name == sa.bindparam("name"),
    F.c.kind == "terms",
    sa.exists().where(P.c.program_file == F.c.stored_name),
)
STANDING = sa.select(M.c.status).where(M.c.id == sa.bindparam("member_id"))
PROFILE = (
    sa.select(PROFILE_ROW.expr)
    .select_from(M)
    .outerjoin(F, F.c.id == M.c.photo_file_id)
    .outerjoin(MP, CURRENT_PROGRAM)
    .outerjoin(P, P.c.id == MP.c.program_id)
    .where(M.c.id == sa.bindparam("member_id"))
)
MEMBER_FILE = sa.select(FILE.expr).where(
    F.c.stored_name == sa.bindparam("name"), F.c.member_id == sa.bindparam("member_id")
)
MEMBER_REQUESTS = (
    sa.select(REQUEST.expr)
    .where(R.c.member_id == sa.bindparam("member_id"))
    .order_by(R.c.created_at.desc(), R.c.id.desc())
)
MEMBER_REQUESTS_WITH_STATUS = MEMBER_REQUESTS.where(R.c.status.in_(one_of("statuses")))
REQUEST_FILES = (
    sa.select(FILE.expr)
    .where(F.c.request_id.in_(sa.bindparam("ids", expanding=True)))
    .order_by(F.c.id)
)
ONE_REQUEST = (
    sa.select(LISTED_REQUEST.expr)
    .join(M, M.c.id == R.c.member_id)
    .where(R.c.id == sa.bindparam("request_id"))
)
REQUEST_PAYOUTS = (
    sa.select(PAYMENT.expr)
    .where(PAY.c.request_id == sa.bindparam("request_id"), PAY.c.payment_type.in_(PAYOUT_CODES))
    .order_by(PAY.c.sort_at.desc(), PAY.c.id.desc())
)
TOP_UPS = (
    sa.select(PAYMENT.expr)
    .where(PAY.c.member_id == sa.bindparam("member_id"), PAY.c.payment_type == "top_up")
    .order_by(PAY.c.sort_at.desc(), PAY.c.id.desc())
)
STAFF_ROLE = sa.select(S.c.role).where(S.c.id == sa.bindparam("staff_id"), S.c.is_active.is_(True))
STAFF_STANDING = sa.select(S.c.role, S.c.token_version).where(
    S.c.id == sa.bindparam("staff_id"), S.c.is_active.is_(True)
)
ALL_STAFF = sa.select(STAFF.expr).order_by(S.c.id)
ONE_STAFF = sa.select(STAFF.expr).where(S.c.id == sa.bindparam("staff_id"))
REVIEW_QUEUE = paged(
    sa.select(MEMBER.expr).where(M.c.in_review_queue.is_(True)).order_by(M.c.updated_at, M.c.id)
)
ONE_MEMBER = sa.select(MEMBER.expr).where(M.c.id == param("member_id"))
MEMBER_PROGRAMS = (
    sa.select(PROGRAM_LINK.expr)
    .select_from(P)
    .join(MP, MP.c.program_id == P.c.id)
    .where(MP.c.member_id == param("member_id"))
    .order_by(MP.c.id)
)
MEMBER_IDENTITIES = (
    sa.select(IDENTITY.expr)
    .select_from(F)
    .join(IDENT, IDENT.c.file_id == F.c.id)
    .where(IDENT.c.member_id == param("member_id"))
    .order_by(IDENT.c.id)
)
MEMBER_PAYMENTS = (
    sa.select(PAYMENT.expr)
    .where(PAY.c.member_id == param("member_id"))
    .order_by(PAY.c.sort_at.desc(), PAY.c.id.desc())
)
CORRECTIONS = (
    sa.select(
        tables.correction_reports.c.id,
        tables.correction_reports.c.first_name,
        tables.correction_reports.c.middle_name,
        tables.correction_reports.c.last_name,
        tables.correction_reports.c.birth_date,
        tables.correction_reports.c.created_at,
        tables.correction_reports.c.resolved_at,
        tables.correction_reports.c.resolved_by,
    )
    .where(tables.correction_reports.c.member_id == param("member_id"))
    .order_by(tables.correction_reports.c.id)
)
MESSAGES = (
    sa.select(
        tables.request_messages.c.id,
        tables.request_messages.c.message,
        tables.request_messages.c.member_id,
        tables.request_messages.c.created_at,
        M.c.last_name,
        M.c.first_name,
        M.c.middle_name,
        S.c.name.label("staff_name"),
    )
    .outerjoin(M, M.c.id == tables.request_messages.c.member_id)
    .outerjoin(S, S.c.id == tables.request_messages.c.staff_id)
    .where(tables.request_messages.c.request_id == param("request_id"))
    .order_by(tables.request_messages.c.created_at, tables.request_messages.c.id)
)
MEMBERS_BY_NAME = (M.c.last_name, M.c.first_name, M.c.id)
MEMBERS_BY_STATUS = sa.select(M.c.status, sa.func.count()).group_by(M.c.status)
EXPIRING = (
    sa.select(MEMBER.expr)
    .where(M.c.expiration_date.between(param("first"), param("last")))
    .order_by(M.c.expiration_date, M.c.id)
)
GATEWAY_ORDER = (PAY.c.payment_identifier, PAY.c.gateway, PAY.c.gateway_payment_id)
PENDING_GATEWAY_ORDERS = (
    sa.select(*GATEWAY_ORDER)
    .where(
        PAY.c.status == PaymentStatus.PENDING.value,
        PAY.c.source == PaymentSource.GATEWAY.value,
        PAY.c.created_at < param("before"),
        PAY.c.payment_identifier.is_not(None),
    )
    .order_by(PAY.c.created_at, PAY.c.id)
)
# refunds asked of a gateway and not yet seen done, the least recently asked first
REFUNDING_GATEWAY_ORDERS = (
    sa.select(*GATEWAY_ORDER)
    .where(
        PAY.c.status == PaymentStatus.REFUND_REQUESTED.value,
        PAY.c.source == PaymentSource.GATEWAY.value,
        PAY.c.payment_identifier.is_not(None),
    )
    .order_by(PAY.c.checked_at, PAY.c.id)
    .limit(param("limit"))
)
# never checked first (NULL sorts first in ascending order on MariaDB and SQLite)
CONFIRMED_GATEWAY_ORDERS = (
    sa.select(*GATEWAY_ORDER)
    .where(
        PAY.c.status == PaymentStatus.CONFIRMED.value,
        PAY.c.source == PaymentSource.GATEWAY.value,
        PAY.c.payment_type == PaymentType.TOP_UP.value,
        PAY.c.is_subscription.is_(False),
        PAY.c.sort_at >= param("since"),  # a confirmed payment is sorted by its payment date
        PAY.c.payment_identifier.is_not(None),
        PAY.c.payment_identifier.not_like("%:%"),  # a subscription's charge
    )
    .order_by(PAY.c.checked_at, PAY.c.id)
    .limit(param("limit"))
)


# -- listings, one statement kept per combination of filters ------------------------------
def date_filters(filters: Filters, first: date | None, last: date | None) -> None:
    """A range of calendar days: the UTC moments it spans, and the days themselves."""
    if first is not None:
        filters.add("from", since=day_start(first), first_day=first)
    if last is not None:
        filters.add("until", before=after_day(last), last_day=last)


def moment_between(column: Any, key: tuple[str, ...]) -> list[Any]:
    """The ``from``/``until`` filters of ``key`` on a moment ``column``."""
    found = []
    if "from" in key:
        found.append(column >= param("since"))
    if "until" in key:
        found.append(column < param("before"))
    return found


@lru_cache(maxsize=KEPT_STATEMENTS)
def charges_statement(key: tuple[str, ...]) -> Any:
    return (
        sa.select(CHARGE.expr)
        .select_from(PAY)
        .outerjoin(R, R.c.id == PAY.c.request_id)
        .where(
            PAY.c.member_id == param("member_id"),
            PAY.c.payment_type.in_(PAYOUT_CODES),
            PAY.c.status == PaymentStatus.CONFIRMED.value,
            *moment_between(PAY.c.sort_at, key),
        )
        .order_by(PAY.c.sort_at.desc(), PAY.c.id.desc())
    )


@lru_cache(maxsize=KEPT_STATEMENTS)
def members_statement(key: tuple[str, ...], *, gathered: bool = False) -> Any:
    """Members whose terms in the chosen fields begin with every word, by name; without
    words, all members by name. The longest word drives, the others filter. With words
    and ``gathered``, the page comes back as one JSON array (MariaDB)."""
    words = sum(1 for name in key if name.startswith("word"))
    statuses = M.c.status.in_(one_of("statuses"))
    if not words:
        stmt = sa.select(MEMBER.expr).order_by(*MEMBERS_BY_NAME)
        return paged(stmt.where(statuses) if "statuses" in key else stmt)
    t = tables.member_terms.c
    hits = (
        sa.select(t.member_id, t.sort_name)
        .where(starts_with_word(t.term, 0), t.field.in_(one_of("fields")))
        .distinct()
    )
    hits = _other_words_and_statuses(hits, t, key, words)
    return _members_of(paged(hits.order_by(t.sort_name, t.member_id)).subquery(), gathered)


def _other_words_and_statuses(hits: Any, t: Any, key: tuple[str, ...], words: int) -> Any:
    """``hits`` (terms ``t``) kept to members whose terms also begin with every other
    word in the chosen fields, and who have one of the statuses when the key has them."""
    for at in range(1, words):
        also = tables.member_terms.alias().c
        hits = hits.where(
            t.member_id.in_(
                sa.select(also.member_id).where(
                    starts_with_word(also.term, at), also.field.in_(one_of("fields"))
                )
            )
        )
    if "statuses" in key:
        statuses = M.c.status.in_(one_of("statuses"))
        hits = hits.where(t.member_id.in_(sa.select(M.c.id).where(statuses)))
    return hits


def _members_of(page: Any, gathered: bool) -> Any:
    """The members of a page of (member id, sort name), in its order (as one value with
    ``gathered``)."""
    order = (page.c.sort_name, page.c.member_id)
    if gathered:
        return sa.select(json_lines(MEMBER.expr, *order)).join(page, page.c.member_id == M.c.id)
    return sa.select(MEMBER.expr).join(page, page.c.member_id == M.c.id).order_by(*order)


# The first and the last term in the driving word's range (two dives into the index):
# when they are the same (a whole name, the common search), that term's members are read
# in the index's own order, a page at a time, instead of every match being found and
# sorted.
_IN_RANGE = [
    sa.select(tables.member_terms.c.term)
    .where(starts_with_word(tables.member_terms.c.term, 0))
    .where(tables.member_terms.c.field.in_(one_of("fields")))
    .order_by(order)
    .limit(1)
    for order in (tables.member_terms.c.term, tables.member_terms.c.term.desc())
]
FIRST_AND_LAST_TERM = sa.union_all(*(s.subquery().select() for s in _IN_RANGE))


@lru_cache(maxsize=KEPT_STATEMENTS)
def members_by_terms(key: tuple[str, ...], pairs: int, *, gathered: bool = False) -> Any:
    """``members_statement`` when the driving word's range holds only the (term, field)
    pairs given as ``term{n}``/``field{n}``: each pair's members in the index's order
    (sort name, id), at most ``enough`` (a page past the offset), the other words and
    the statuses filtering as the index is read; then the page of their union, each
    member once, in the same order: the same members in the same order as the general
    plan."""
    words = sum(1 for name in key if name.startswith("word"))
    parts = []
    for n in range(pairs):
        t = tables.member_terms.alias(f"t{n}").c
        part = sa.select(t.member_id, t.sort_name).where(
            t.term == param(f"term{n}"), t.field == param(f"field{n}")
        )
        part = _other_words_and_statuses(part, t, key, words)
        parts.append(part.order_by(t.sort_name, t.member_id))
    if pairs == 1:  # one (term, field): each member once already, paged in the index
        page = paged(parts[0]).subquery()
    else:
        union = sa.union_all(
            *(part.limit(param("enough")).subquery().select() for part in parts)
        ).subquery()
        hits = sa.select(union.c.member_id, union.c.sort_name).distinct()
        page = paged(hits.order_by(union.c.sort_name, union.c.member_id)).subquery()
    return _members_of(page, gathered)


@lru_cache(maxsize=KEPT_STATEMENTS)
def requests_statements(key: tuple[str, ...]) -> tuple[Any, Any]:
    """How many requests match, and a page of them, newest first."""
    words = sum(1 for name in key if name.startswith("word"))
    if not words:
        ids = sa.select(R.c.id, R.c.created_at)
        status, created_at, pk = R.c.status, R.c.created_at, R.c.id
        if "member_id" in key:
            ids = ids.where(R.c.member_id == param("member_id"))
    else:
        terms = tables.request_terms
        t = terms.c
        ids = sa.select(t.request_id, t.created_at).where(starts_with_word(t.term, 0))
        for at in range(1, words):
            also = terms.alias().c
            ids = ids.where(
                t.request_id.in_(sa.select(also.request_id).where(starts_with_word(also.term, at)))
            )
        status, created_at, pk = cast(Any, t.status), t.created_at, t.request_id
        if "member_id" in key:
            ids = ids.where(
                t.request_id.in_(sa.select(R.c.id).where(R.c.member_id == param("member_id")))
            )
        ids = ids.distinct()
    if "statuses" in key:
        ids = ids.where(status.in_(one_of("statuses")))
    ids = ids.where(*moment_between(created_at, key))
    page = paged(ids.order_by(created_at.desc(), pk.desc())).subquery()
    key_column = page.c[pk.key]
    stmt = (
        sa.select(LISTED_REQUEST.expr)
        .select_from(R)
        .join(page, key_column == R.c.id)
        .join(M, M.c.id == R.c.member_id)
        .order_by(page.c.created_at.desc(), key_column.desc())
    )
    return counting(ids), stmt


PAYMENT_FILTERS = {
    "types": PAY.c.payment_type.in_(one_of("types")),
    "statuses": PAY.c.status.in_(one_of("statuses")),
    "source": PAY.c.source == param("source"),
    "from": PAY.c.sort_at >= param("since"),
    "until": PAY.c.sort_at < param("before"),
    "amount_start": PAY.c.amount >= param("amount_start"),
    "amount_end": PAY.c.amount <= param("amount_end"),
    "member_id": PAY.c.member_id == param("member_id"),
    "request_id": PAY.c.request_id == param("request_id"),
    "certificate": PAY.c.member_id.in_(
        sa.select(M.c.id).where(M.c.certificate == param("certificate"))
    ),
    # after a payment in the list's order (newest first): an export's next page, found
    # by where the last one ended (an index range) rather than by skipping rows
    "after": sa.and_(
        PAY.c.sort_at <= param("after_at"),
        sa.or_(PAY.c.sort_at < param("after_at"), PAY.c.id < param("after_id")),
    ),
}
COUNTS = tables.payment_counts
# The filters the per-day counts can answer, on their columns.
COUNT_FILTERS = {
    "types": COUNTS.c.payment_type.in_(one_of("types")),
    "statuses": COUNTS.c.status.in_(one_of("statuses")),
    "source": COUNTS.c.source == param("source"),
    "from": COUNTS.c.day >= param("first_day"),
    "until": COUNTS.c.day <= param("last_day"),
}


@lru_cache(maxsize=KEPT_STATEMENTS)
def payments_statements(key: tuple[str, ...]) -> tuple[Any, Any]:
    """How many payments match (from the per-day counts when they can tell), and a page
    of them, newest first."""
    ids = _matching_payments(key)
    if set(key) <= COUNT_FILTERS.keys():
        count = sa.select(sa.func.coalesce(sa.func.sum(COUNTS.c.count), 0)).where(
            *(COUNT_FILTERS[name] for name in key)
        )
    else:
        count = counting(ids)
    stmt = _page_of(LISTED_PAYMENT, ids).outerjoin(R, R.c.id == PAY.c.request_id)
    return count, stmt


@lru_cache(maxsize=KEPT_STATEMENTS)
def payment_lines(key: tuple[str, ...], *, gathered: bool) -> Any:
    """A page of the payments that match, newest first, as an export writes them: a
    row each, or ``gathered`` into one JSON array (MariaDB)."""
    return _page_of(PAYMENT_LINE, _matching_payments(key), gathered=gathered)


def _matching_payments(key: tuple[str, ...]) -> Any:
    return sa.select(PAY.c.id, PAY.c.sort_at).where(*(PAYMENT_FILTERS[name] for name in key))


def _page_of(packed: Packed, ids: Any, *, gathered: bool = False) -> Any:
    """One page of the payments ``ids`` selects, newest first, with their members (as
    one value with ``gathered``)."""
    page = paged(ids.order_by(PAY.c.sort_at.desc(), PAY.c.id.desc())).subquery()
    order = (page.c.sort_at.desc(), page.c.id.desc())
    stmt = (
        sa.select(json_lines(packed.expr, *order) if gathered else packed.expr)
        .select_from(PAY)
        .join(page, page.c.id == PAY.c.id)
        .join(M, M.c.id == PAY.c.member_id)
    )
    return stmt if gathered else stmt.order_by(*order)


AUDIT = tables.audit_events
AUDIT_FILTERS = {
    "object_kind": AUDIT.c.object_kind == param("object_kind"),
    "object_id": AUDIT.c.object_id == param("object_id"),
    "actor_kind": AUDIT.c.actor_kind == param("actor_kind"),
    "actor_id": AUDIT.c.actor_id == param("actor_id"),
    "event_types": AUDIT.c.event_type.in_(one_of("event_types")),
    "since": AUDIT.c.at >= param("since"),
    "before": AUDIT.c.at < param("before"),
}


@lru_cache(maxsize=KEPT_STATEMENTS)
def audit_statements(key: tuple[str, ...]) -> tuple[Any, Any]:
    stmt = sa.select(AUDIT).where(*(AUDIT_FILTERS[name] for name in key))
    return counting(stmt), paged(stmt.order_by(AUDIT.c.at.desc(), AUDIT.c.id.desc()))


def counting(stmt: Any) -> Any:
    return sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())


# what waits for staff, counted: the review queue, requests awaiting staff (new ones and
# those the member answered), payouts
# awaiting a second approval, notifications that failed
TODAY = (
    sa.select(sa.func.count()).select_from(M).where(M.c.in_review_queue.is_(True)),
    sa.select(sa.func.count())
    .select_from(R)
    .where(R.c.status.in_([RequestStatus.OPENED.value, RequestStatus.AWAITING_AGENT.value])),
    sa.select(sa.func.count())
    .select_from(PAY)
    .where(
        PAY.c.status == PaymentStatus.PENDING.value,
        PAY.c.payment_type.in_(PAYOUT_CODES),
        PAY.c.needs_approval.is_(True),
    ),
    sa.select(sa.func.count())
    .select_from(tables.notifications)
    .where(tables.notifications.c.state == DeliveryState.FAILED.value),
)
