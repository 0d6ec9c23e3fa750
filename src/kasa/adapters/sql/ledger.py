"""The ledger: every movement of money (contributions confirmed, reversals of confirmed
contributions, payouts) as one query over the payments table, listed one by one in the
order they happened; and the same movements summed by UTC hour, kind, gateway and the
member's current program in ``ledger_hours``, kept in step with every flush that changes
a payment or a member's current program, which the fund report and balances add up.

A payment's movements are a function of its own columns (:func:`payment_moves`, the
same rule as the query's), so a flush moves the sums by what the payments it wrote
moved: the movements after minus the movements before. A member whose current program
changes has their movements taken from the old program's sums to the new one's.
:func:`rebuild` sums every payment again (a migration, a bulk load)."""

from __future__ import annotations

import functools
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from kasa.adapters.sql import schema as tables
from kasa.adapters.sql.direct import DirectStatements
from kasa.domain.calendar import after_day
from kasa.domain.ledger import Move, MoveKind
from kasa.domain.money import Money
from kasa.domain.payments import HELD, PAYOUT_TYPES, Payment, PaymentStatus, PaymentType
from kasa.domain.programs import MemberProgram

PAY = tables.payments
P, MP = tables.programs, tables.member_programs
HOURS, DAYS = tables.ledger_hours, tables.ledger_days
NO_PROGRAM = 0  # the program of a member who has none
# members' current programs the unit of work has read (``session.info``), so that the
# flush need not read them again; dropped for a member whose program link changes
CURRENT_PROGRAMS = "kasa_current_programs"
SPLIT_DAYS_A_QUERY = 40  # days split between two months whose hours one query reads
MONTHS_IN_SQL = 120  # a period of more months is given its months in Python
# an hour's sum: its first moment, the kind of movement, the gateway ("" for none)
Bucket = tuple[datetime, str, str]
# a row of the hours' sums: (hour, kind, gateway, program, slot)
Key = tuple[datetime, str, str, int, int]
# a contribution that reached the fund: confirmed (a refund of it asked for or not), even
# if reversed later (a payment reversed before it was ever confirmed has no payment date)
WAS_CONFIRMED = sa.and_(
    PAY.c.payment_type == PaymentType.TOP_UP.value,
    PAY.c.payment_date.is_not(None),
    PAY.c.status.in_([s.value for s in (*HELD, PaymentStatus.REVERSED)]),
)


def _kind(kind: MoveKind) -> Any:
    return sa.literal(kind.value, sa.String(16))


# each kind of movement: when it happened, and which payments have one
_KINDS = (
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
)


def _part(
    kind: MoveKind, at: Any, where: Any, since: datetime | None, before: datetime | None
) -> Any:
    """One kind's movements between two moments."""
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
    return stmt


def moves(since: datetime | None, before: datetime | None) -> Any:
    """Every movement between two moments, as a subquery: at, kind, payment_id,
    member_id, order_id, request_id, amount, gateway."""
    parts = [_part(kind, at, where, since, before) for kind, at, where in _KINDS]
    return sa.union_all(*parts).subquery("moves")


def summed(
    c: Connection,
    since: datetime | None,
    before: datetime | None,
    months: Sequence[datetime] = (),
) -> list[tuple[datetime, str, MoveKind, Money, str]]:
    """Movements summed by UTC hour (or by month: ``months`` are the first moments of
    consecutive months, the first one's at or before ``since``), the member's current
    program, kind and gateway (``""`` for money staff recorded). By month, whole days
    come from the days' sums and only a day split between two months from the hours'.
    The bounds are days' first moments (the reads' periods are whole UTC days)."""
    _require_days(since, before)
    if not months:
        return [
            (_aware(at), name, kind, total, by)
            for at, name, kind, total, by in _sums(c, HOURS.c.hour, HOURS.c.hour, since, before)
        ]
    starts = [_utc(m) for m in months]
    later = starts[1:]
    # each day summed in the month it begins in (a day split between two months: the
    # earlier), then the hours after a split day's month begins moved to the later one
    thresholds = [m.date() if _whole_day(m) else m.date() + timedelta(days=1) for m in later]
    bounds = (since.date() if since else None, before.date() if before else None)
    found: dict[tuple[int, str, MoveKind, str], Money] = defaultdict(Money.zero)
    if len(thresholds) <= MONTHS_IN_SQL:  # summed by month in the database
        for month, name, kind, total, by in _sums(
            c, DAYS.c.day, _month_of(DAYS.c.day, thresholds), *bounds
        ):
            found[(int(month), name, kind, by)] += total
        # a split day is summed in the earlier month: its hours matter if that one has money
        held = {key[0] for key in found}
        days = {m.date() for n, m in enumerate(later) if n in held}
    else:  # a long period: the days' sums, each given its month here
        days = set()
        for day, name, kind, total, by in _sums(c, DAYS.c.day, DAYS.c.day, *bounds):
            on = day if isinstance(day, date) else date.fromisoformat(str(day))
            days.add(on)
            found[(bisect_right(thresholds, on), name, kind, by)] += total
    split = [(n + 1, m) for n, m in enumerate(later) if not _whole_day(m) and m.date() in days]
    for chunk in range(0, len(split), SPLIT_DAYS_A_QUERY):
        ranges = split[chunk : chunk + SPLIT_DAYS_A_QUERY]
        within = sa.or_(
            *(sa.and_(HOURS.c.hour >= m, HOURS.c.hour < after_day(m.date())) for _, m in ranges)
        )
        for hour, name, kind, total, by in _sums(
            c, HOURS.c.hour, HOURS.c.hour, since, before, where=within
        ):
            month = bisect_right(later, _aware(hour))
            found[(month - 1, name, kind, by)] -= total
            found[(month, name, kind, by)] += total
    return [
        (starts[at], name, kind, total, by)
        for (at, name, kind, by), total in found.items()
        if total
    ]


def _month_of(column: Any, thresholds: Sequence[Any]) -> Any:
    """The number of the month a row falls in: how many later months' first values it
    is at or after."""
    if not thresholds:
        return sa.literal(0)
    return sa.case(*((column < t, n) for n, t in enumerate(thresholds)), else_=len(thresholds))


def _sums(
    c: Connection,
    column: Any,
    when: Any,
    since: Any,
    before: Any,
    *,
    where: Any = None,
) -> list[tuple[Any, str, MoveKind, Money, str]]:
    """One sums table (hours or days) between two bounds, grouped by ``when``, the
    program's name, kind and gateway."""
    table = column.table
    program = sa.func.coalesce(P.c.program_name, "")
    stmt = (
        sa.select(
            when.label("at"), program, table.c.kind, sa.func.sum(table.c.amount), table.c.gateway
        )
        .select_from(table)
        .outerjoin(P, P.c.id == table.c.program_id)
        .group_by("at", program, table.c.kind, table.c.gateway)
    )
    if since is not None:
        stmt = stmt.where(column >= since)
    if before is not None:
        stmt = stmt.where(column < before)
    if where is not None:
        stmt = stmt.where(where)
    return [
        (at, name, MoveKind(kind), _money(total), str(by))
        for at, name, kind, total, by in c.execute(stmt).all()
        if total
    ]


def first_hour(c: Connection) -> datetime | None:
    found = c.execute(sa.select(sa.func.min(HOURS.c.hour))).scalar()
    return None if found is None else _aware(found)


def _hours_of_payments(
    c: Connection, since: datetime | None, before: datetime | None, member_id: int | None = None
) -> list[tuple[datetime, int, str, MoveKind, Money, str]]:
    """The payments' movements summed by hour, current program (its id and name), kind
    and gateway, read from the payments themselves."""
    found = moves(since, before)
    day, hour = sa.func.date(found.c.at), sa.extract("hour", found.c.at)
    program_id = sa.func.coalesce(MP.c.program_id, NO_PROGRAM)
    program = sa.func.coalesce(P.c.program_name, "")
    gateway = sa.func.coalesce(found.c.gateway, "")
    stmt = (
        sa.select(
            day, hour, program_id, program, found.c.kind, sa.func.sum(found.c.amount), gateway
        )
        .select_from(found)
        .outerjoin(MP, sa.and_(MP.c.member_id == found.c.member_id, MP.c.is_active.is_(True)))
        .outerjoin(P, P.c.id == MP.c.program_id)
        .group_by(day, hour, program_id, program, found.c.kind, gateway)
    )
    if member_id is not None:
        stmt = stmt.where(found.c.member_id == member_id)
    result = []
    for on, at_hour, number, name, kind, total, by in c.execute(stmt).all():
        when = on if isinstance(on, date) else date.fromisoformat(str(on))
        moment = datetime(when.year, when.month, when.day, int(at_hour), tzinfo=UTC)
        result.append((moment, int(number), name, MoveKind(kind), _money(total), str(by)))
    return result


def totals(c: Connection, before: datetime | None) -> dict[MoveKind, Money]:
    """Each kind of movement summed from the fund's beginning up to ``before`` (a day's
    first moment), from the days' sums."""
    _require_days(before)
    days = sa.select(DAYS.c.kind, sa.func.sum(DAYS.c.amount)).group_by(DAYS.c.kind)
    if before is not None:
        days = days.where(DAYS.c.day < _utc(before).date())
    sums: dict[MoveKind, Money] = defaultdict(Money.zero)
    for kind, total in c.execute(days).all():
        sums[MoveKind(kind)] += _money(total or 0)
    return {kind: sums[kind] for kind in MoveKind}


def _require_days(*bounds: datetime | None) -> None:
    if not all(_whole_day(bound) for bound in bounds):
        raise ValueError(f"the ledger's sums are read by whole UTC days, not {bounds}")


def _whole_hour(moment: datetime | None) -> bool:
    return moment is None or (moment.minute, moment.second, moment.microsecond) == (0, 0, 0)


def _whole_day(moment: datetime | None) -> bool:
    return moment is None or (_whole_hour(moment) and _utc(moment).hour == 0)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# -- keeping the hours' sums -----------------------------------------------------------------
LEDGER_COLUMNS = (
    "member_id",
    "payment_type",
    "status",
    "payment_date",
    "reversed_at",
    "_sort_at",
    "amount",
    "gateway",
)
COUNTED = frozenset(s.value for s in (*HELD, PaymentStatus.REVERSED))
PAID_OUT = frozenset(t.value for t in PAYOUT_TYPES)


def payment_moves(value: Callable[[str], Any]) -> dict[Bucket, int]:
    """What a payment moved, by hour (kopecks), from its columns (``value(column)``):
    the rule of :data:`WAS_CONFIRMED` and :func:`moves`, in Python."""
    kind, status = _text(value("payment_type")), _text(value("status"))
    amount = value("amount")
    kopecks = amount.kopecks if isinstance(amount, Money) else int(amount)
    gateway = value("gateway") or ""
    found: dict[Bucket, int] = defaultdict(int)
    confirmed_at = value("payment_date")
    if kind == PaymentType.TOP_UP.value and confirmed_at is not None and status in COUNTED:
        found[(_hour(confirmed_at), MoveKind.CONFIRMATION.value, gateway)] += kopecks
        reversed_at = value("reversed_at")
        if status == PaymentStatus.REVERSED.value and reversed_at is not None:
            found[(_hour(reversed_at), MoveKind.REVERSAL.value, gateway)] += kopecks
    if kind in PAID_OUT and status == PaymentStatus.CONFIRMED.value:
        found[(_hour(value("_sort_at")), MoveKind.PAYOUT.value, gateway)] += kopecks
    return found


def follow_flush(
    session: Session,
    before: Callable[[Any, str], Any],
    changed: Callable[[Any, Iterable[str]], bool],
) -> None:
    """``after_flush``: move the hours' sums by what this flush's payments moved, and
    a member's movements to their new current program."""
    by_member: dict[int, dict[Bucket, int]] = defaultdict(lambda: defaultdict(int))
    switched: dict[int, list[int]] = {}  # member: [program before, program after]
    for row in (*session.new, *session.dirty):
        if isinstance(row, Payment):
            is_new = row in session.new
            if not is_new and not changed(row, LEDGER_COLUMNS):
                continue
            sums = by_member[row.member_id]
            for bucket, kopecks in payment_moves(partial(getattr, row)).items():
                sums[bucket] += kopecks
            if not is_new:
                moved_before = payment_moves(partial(before, row))
                for bucket, kopecks in moved_before.items():
                    by_member[before(row, "member_id")][bucket] -= kopecks
        elif isinstance(row, MemberProgram):
            session.info.get(CURRENT_PROGRAMS, {}).pop(row.member_id, None)
            was = False if row in session.new else bool(before(row, "is_active"))
            if was == bool(row.is_active):
                continue
            programs = switched.setdefault(row.member_id, [NO_PROGRAM, NO_PROGRAM])
            if was:
                programs[0] = before(row, "program_id")
            else:
                programs[1] = row.program_id
    switched = {m: p for m, p in switched.items() if p[0] != p[1]}
    if not (switched or any(any(s.values()) for s in by_member.values())):
        return
    connection = session.connection()
    known: dict[int, int] = session.info.get(CURRENT_PROGRAMS, {})
    current = {m: known[m] for m in by_member if m in known}
    current.update(
        _current_programs(
            connection, [m for m in by_member if m not in switched and m not in known]
        )
    )
    rows: dict[Key, int] = defaultdict(int)
    for member_id, sums in by_member.items():
        if member_id in switched:
            continue
        slot = tables.slot_of(member_id)
        for (hour, kind, gateway), kopecks in sums.items():
            rows[(hour, kind, gateway, current.get(member_id, NO_PROGRAM), slot)] += kopecks
    for member_id, (old, new) in switched.items():
        # every movement of the member as it is now to the new program; as it was
        # before this flush (now, less what the flush moved) from the old one
        now: dict[Bucket, int] = defaultdict(int)
        for moment, _, _, kind, total, gateway in _hours_of_payments(
            connection, None, None, member_id
        ):
            now[(moment, kind.value, gateway)] += total.kopecks
        moved = by_member.get(member_id, {})
        slot = tables.slot_of(member_id)
        for bucket in {*now, *moved}:
            rows[(*bucket, new, slot)] += now.get(bucket, 0)
            rows[(*bucket, old, slot)] -= now.get(bucket, 0) - moved.get(bucket, 0)
    _add(connection, {key: kopecks for key, kopecks in rows.items() if kopecks})


def follow_payment(
    connection: Connection | DirectStatements,
    payment: Any,
    before: Callable[[str], Any],
    program_id: int,
) -> None:
    """A payment that stays its member's, moved from what it was (``before(column)``)
    to what it is, in the sums of the program its member stays in (``NO_PROGRAM``
    without one): what ``follow_flush`` writes for such a payment."""
    sums: dict[Bucket, int] = defaultdict(int)
    for bucket, kopecks in payment_moves(partial(getattr, payment)).items():
        sums[bucket] += kopecks
    for bucket, kopecks in payment_moves(before).items():
        sums[bucket] -= kopecks
    slot = tables.slot_of(payment.member_id)
    _add(connection, {(*bucket, program_id, slot): n for bucket, n in sums.items() if n})


def _current_programs(connection: Connection, member_ids: list[int]) -> dict[int, int]:
    if not member_ids:
        return {}
    stmt = sa.select(MP.c.member_id, MP.c.program_id).where(
        MP.c.member_id.in_(member_ids), MP.c.is_active.is_(True)
    )
    return {int(m): int(p) for m, p in connection.execute(stmt).all()}


def _add(connection: Connection | DirectStatements, rows: dict[Key, int]) -> None:
    """Add to the hours' and the days' sums (keys in one order, so that concurrent
    transactions lock the rows in the same order)."""
    if not rows:
        return
    days: dict[tuple[date, str, str, int, int], int] = defaultdict(int)
    for (hour, kind, gateway, program, slot), kopecks in rows.items():
        days[(hour.date(), kind, gateway, program, slot)] += kopecks
    for table, column, sums in (
        (HOURS, "hour", sorted(rows.items())),
        (DAYS, "day", sorted(days.items())),
    ):
        values = [
            {column: at, "kind": kind, "gateway": gateway, "program_id": program}
            | {"slot": slot, "amount": n}
            for (at, kind, gateway, program, slot), n in sums
        ]
        connection.execute(_upsert(connection, table, column), values)


def _upsert(connection: Connection | DirectStatements, table: sa.Table, column: str) -> Any:
    return _upsert_statement(connection.dialect.name, table, column)


@functools.cache
def _upsert_statement(dialect: str, table: sa.Table, column: str) -> Any:
    """Built once for each table (the statement is the same every time)."""
    if dialect in ("mysql", "mariadb"):
        upsert = mysql.insert(table)
        return upsert.on_duplicate_key_update(amount=table.c.amount + upsert.inserted.amount)
    upsert_sqlite = sqlite.insert(table)
    return upsert_sqlite.on_conflict_do_update(
        index_elements=[column, "kind", "gateway", "program_id", "slot"],
        set_={"amount": table.c.amount + upsert_sqlite.excluded.amount},
    )


def rebuild(connection: Connection) -> None:
    """Sum every payment's movements again (a migration, or after a bulk load)."""
    connection.execute(sa.delete(HOURS))
    connection.execute(sa.delete(DAYS))
    hours = {
        (moment, kind.value, gateway, program): total.kopecks
        for moment, program, _, kind, total, gateway in _hours_of_payments(connection, None, None)
    }
    days: dict[tuple[date, str, str, int], int] = defaultdict(int)
    for (hour, kind, gateway, program), kopecks in hours.items():
        days[(hour.date(), kind, gateway, program)] += kopecks
    # plain inserts into emptied tables, every sum in the first slot (the columns as
    # every revision since the tables were made has them)
    for table, column, sums in ((HOURS, "hour", hours), (DAYS, "day", days)):
        values = [
            {column: at, "kind": kind, "gateway": gateway, "program_id": program, "amount": n}
            for (at, kind, gateway, program), n in sorted(sums.items())
        ]
        for start in range(0, len(values), 5000):
            connection.execute(sa.insert(table), values[start : start + 5000])


def _hour(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _text(value: Any) -> Any:
    return value.value if hasattr(value, "value") else value


# a payment's movements at one moment: its confirmation, then a payout, then a reversal
RANK = {MoveKind.CONFIRMATION: 0, MoveKind.PAYOUT: 1, MoveKind.REVERSAL: 2}


def listed(
    c: Connection, since: datetime | None, before: datetime | None, limit: int, offset: int
) -> list[Move]:
    """Movements one by one, in the order they happened (then by payment)."""
    found = moves(since, before)
    stmt = (
        sa.select(found)
        .order_by(found.c.at, found.c.payment_id, _rank(found))
        .limit(limit)
        .offset(offset)
    )
    return _moves_of(c, stmt)


def listed_after(
    c: Connection,
    since: datetime | None,
    before: datetime | None,
    after: Move | None,
    limit: int,
) -> list[Move]:
    """The movements after ``after`` in :func:`listed`'s order, at most ``limit``: each
    kind's first ``limit`` after it (in its moment's and payment's order, an index
    range), merged, so a page costs the same wherever it starts. A kind that fills a
    page ends the page's range: the kinds read after it only read up to its last
    moment (the common confirmations first, so the rarer payouts are not searched for
    past where the page ends)."""
    found: list[Move] = []
    last: datetime | None = None  # no movement after this moment can be on the page
    for kind, at, where in _KINDS:
        stmt = _part(kind, at, where, since, before)
        if after is not None:
            moment, payment = after.at, after.payment_id
            later = sa.or_(at > moment, sa.and_(at == moment, PAY.c.id > payment))
            if RANK[kind] > RANK[after.kind]:  # the same payment's later movement
                later = sa.or_(later, sa.and_(at == moment, PAY.c.id == payment))
            stmt = stmt.where(later)
        if last is not None:
            stmt = stmt.where(at <= last)
        these = _moves_of(c, stmt.order_by(at, PAY.c.id).limit(limit))
        found += these
        if len(these) == limit and (last is None or these[-1].at < last):
            last = these[-1].at
    found.sort(key=lambda m: (m.at, m.payment_id, RANK[m.kind]))
    return found[:limit]


def _rank(found: Any) -> Any:
    return sa.case({k.value: rank for k, rank in RANK.items()}, value=found.c.kind)


def _moves_of(c: Connection, stmt: Any) -> list[Move]:
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
