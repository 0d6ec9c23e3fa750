"""The read side's statements, built once when the module loads: the columns each view
is packed from, one statement per question, and for listings one statement per
combination of filters (made on first use and kept)."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import aliased

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
)
from kasa.domain.calendar import after_day, day_start
from kasa.domain.payments import PAYOUT_TYPES, PaymentSource, PaymentStatus, PaymentType

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
IDENTITY = Packed(
    *FILE_COLUMNS,
    IDENT.id,
    IDENT.identity_type,
    IDENT.is_active,
    IDENT.is_new,
    IDENT.refused_at,
    IDENT.refusal_reason,
)
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
# never checked first (NULL sorts first in ascending order on MariaDB and SQLite)
CONFIRMED_GATEWAY_ORDERS = (
    sa.select(PAY.payment_identifier)
    .where(
        PAY.status == PaymentStatus.CONFIRMED.value,
        PAY.source == PaymentSource.GATEWAY.value,
        PAY.payment_type == PaymentType.TOP_UP.value,
        PAY.is_subscription.is_(False),
        PAY.sort_at >= param("since"),  # a confirmed payment is sorted by its payment date
        PAY.payment_identifier.is_not(None),
        PAY.payment_identifier.not_like("%:%"),  # a subscription's charge
    )
    .order_by(PAY.checked_at, PAY.id)
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
        .outerjoin(R, R.id == PAY.request_id)
        .where(
            PAY.member_id == param("member_id"),
            PAY.payment_type.in_(PAYOUT_CODES),
            PAY.status == PaymentStatus.CONFIRMED.value,
            *moment_between(PAY.sort_at, key),
        )
        .order_by(PAY.sort_at.desc(), PAY.id.desc())
    )


@lru_cache(maxsize=KEPT_STATEMENTS)
def members_statement(key: tuple[str, ...]) -> Any:
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
def requests_statements(key: tuple[str, ...]) -> tuple[Any, Any]:
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
        status, created_at, pk = cast(Any, t.status), t.created_at, t.request_id
        if "member_id" in key:
            ids = ids.where(
                t.request_id.in_(sa.select(R.id).where(R.member_id == param("member_id")))
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
        .join(page, key_column == R.id)
        .join(M, M.id == R.member_id)
        .order_by(page.c.created_at.desc(), key_column.desc())
    )
    return counting(ids), stmt


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
def payments_statements(key: tuple[str, ...]) -> tuple[Any, Any]:
    """How many payments match (from the per-day counts when they can tell), and a page
    of them, newest first."""
    ids = sa.select(PAY.id, PAY.sort_at).where(*(PAYMENT_FILTERS[name] for name in key))
    if set(key) <= COUNT_FILTERS.keys():
        count = sa.select(sa.func.coalesce(sa.func.sum(COUNTS.count), 0)).where(
            *(COUNT_FILTERS[name] for name in key)
        )
    else:
        count = counting(ids)
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
def audit_statements(key: tuple[str, ...]) -> tuple[Any, Any]:
    stmt = sa.select(AUDIT).where(*(AUDIT_FILTERS[name] for name in key))
    return counting(stmt), paged(stmt.order_by(AUDIT.at.desc(), AUDIT.id.desc()))


def counting(stmt: Any) -> Any:
    return sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())
