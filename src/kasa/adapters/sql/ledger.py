"""The ledger's reads: every movement of money as one query over the payments table
(contributions confirmed, reversals of confirmed contributions, payouts), summed for the
fund report or listed one by one in the order they happened."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from kasa.adapters.sql import schema as tables
from kasa.domain.ledger import Move, MoveKind
from kasa.domain.money import Money
from kasa.domain.payments import HELD, PAYOUT_TYPES, PaymentStatus, PaymentType

PAY = tables.payments
P, MP = tables.programs, tables.member_programs
# a contribution that reached the fund: confirmed (a refund of it asked for or not), even
# if reversed later (a payment reversed before it was ever confirmed has no payment date)
WAS_CONFIRMED = sa.and_(
    PAY.c.payment_type == PaymentType.TOP_UP.value,
    PAY.c.payment_date.is_not(None),
    PAY.c.status.in_([s.value for s in (*HELD, PaymentStatus.REVERSED)]),
)


def _kind(kind: MoveKind) -> Any:
    return sa.literal(kind.value, sa.String(16))


def moves(since: datetime | None, before: datetime | None) -> Any:
    """Every movement between two moments, as a subquery: at, kind, payment_id,
    member_id, order_id, request_id, amount, gateway."""
    parts = []
    for kind, at, where in (
        (MoveKind.CONFIRMATION, PAY.c.payment_date, WAS_CONFIRMED),
        (
            MoveKind.REVERSAL,
            PAY.c.reversed_at,
            sa.and_(WAS_CONFIRMED, PAY.c.status == PaymentStatus.REVERSED.value),
        ),
        (
            MoveKind.PAYOUT,
            PAY.c.sort_at,
            sa.and_(
                PAY.c.payment_type.in_([t.value for t in PAYOUT_TYPES]),
                PAY.c.status == PaymentStatus.CONFIRMED.value,
            ),
        ),
    ):
        stmt = sa.select(
            at.label("at"),
            _kind(kind).label("kind"),
            PAY.c.id.label("payment_id"),
            PAY.c.member_id.label("member_id"),
            PAY.c.payment_identifier.label("order_id"),
            PAY.c.request_id.label("request_id"),
            PAY.c.amount.label("amount"),
            PAY.c.gateway.label("gateway"),
        ).where(where, at.is_not(None))
        if since is not None:
            stmt = stmt.where(at >= since)
        if before is not None:
            stmt = stmt.where(at < before)
        parts.append(stmt)
    return sa.union_all(*parts).subquery("moves")


def summed(
    c: Connection, since: datetime | None, before: datetime | None
) -> list[tuple[datetime, str, MoveKind, Money, str]]:
    """Movements summed by UTC hour, the member's current program, kind and gateway
    (``""`` for money staff recorded)."""
    found = moves(since, before)
    day, hour = sa.func.date(found.c.at), sa.extract("hour", found.c.at)
    program = sa.func.coalesce(P.c.program_name, "")
    gateway = sa.func.coalesce(found.c.gateway, "")
    stmt = (
        sa.select(day, hour, program, found.c.kind, sa.func.sum(found.c.amount), gateway)
        .select_from(found)
        .outerjoin(MP, sa.and_(MP.c.member_id == found.c.member_id, MP.c.is_active.is_(True)))
        .outerjoin(P, P.c.id == MP.c.program_id)
        .group_by(day, hour, program, found.c.kind, gateway)
    )
    result = []
    for on, at_hour, name, kind, total, by in c.execute(stmt).all():
        when = on if isinstance(on, date) else date.fromisoformat(str(on))
        moment = datetime(when.year, when.month, when.day, int(at_hour), tzinfo=UTC)
        result.append((moment, name, MoveKind(kind), _money(total), str(by)))
    return result


def totals(c: Connection, before: datetime | None) -> dict[MoveKind, Money]:
    """Each kind of movement summed from the fund's beginning up to ``before``."""
    found = moves(None, before)
    stmt = sa.select(found.c.kind, sa.func.sum(found.c.amount)).group_by(found.c.kind)
    sums = {MoveKind(kind): _money(total or 0) for kind, total in c.execute(stmt).all()}
    return {kind: sums.get(kind, Money.zero()) for kind in MoveKind}


def listed(
    c: Connection, since: datetime | None, before: datetime | None, limit: int, offset: int
) -> list[Move]:
    """Movements one by one, in the order they happened (then by payment)."""
    found = moves(since, before)
    order = sa.case(
        {MoveKind.CONFIRMATION.value: 0, MoveKind.PAYOUT.value: 1}, value=found.c.kind, else_=2
    )
    stmt = (
        sa.select(found).order_by(found.c.at, found.c.payment_id, order).limit(limit).offset(offset)
    )
    return [
        Move(
            at=_aware(row.at),
            kind=MoveKind(row.kind),
            payment_id=int(row.payment_id),
            member_id=int(row.member_id),
            amount=_money(row.amount),
            order_id=row.order_id,
            request_id=row.request_id,
        )
        for row in c.execute(stmt).all()
    ]


def _aware(value: Any) -> datetime:
    if isinstance(value, str):  # SQLite gives a union's timestamps back as text
        value = datetime.fromisoformat(value)
    moment: datetime = value
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _money(value: Any) -> Money:
    return value if isinstance(value, Money) else Money(int(value))
