"""Derived tables kept in step with the rows they are made from, in the same
transaction: the search terms of members and requests, and payment counts per day.

After every flush, the terms of each new member or request, and of each one whose
searchable columns changed, are rewritten; a member's name, middle name or certificate
changing rewrites their requests' terms too, and a request's status is copied to its
terms. Each new payment, and each change of a payment's day, type, status or source,
moves the per-day counts (and the ledger's hourly sums, see ``ledger``). Searches then
read an index range per query word, and list totals add up days, instead of reading
every row (see ``kasa.domain.search``).
"""

from __future__ import annotations

import enum
import functools
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, UOWTransaction

from kasa.adapters.sql import ledger
from kasa.adapters.sql import schema as tables
from kasa.adapters.sql.direct import DirectStatements
from kasa.application.search import (
    REQUEST_MEMBER_FIELDS,
    member_sort_name,
    member_terms,
    request_terms,
)
from kasa.domain.members import Member
from kasa.domain.payments import Payment
from kasa.domain.requests import Request

MEMBER_COLUMNS = (
    "first_name",
    "last_name",
    "middle_name",
    "passport_data",
    "inn",
    "iban",
    "certificate",
    "phone",
)
# The member columns that requests' terms carry.
SHARED_COLUMNS = ("first_name", "last_name", "middle_name", "certificate")
REQUEST_COLUMNS = ("request_text", "diagnosis")
COUNTED_COLUMNS = ("_sort_at", "payment_type", "status", "source")

MEMBER_TERMS = sa.table(
    "member_terms",
    sa.column("member_id"),
    sa.column("field"),
    sa.column("term"),
    sa.column("sort_name"),
)
REQUEST_TERMS = sa.table(
    "request_terms",
    sa.column("request_id"),
    sa.column("term"),
    sa.column("status"),
    sa.column("created_at"),
)
CountKey = tuple[Any, str, str, str, int]  # day, type, status, source, slot


def member_term_rows(member_id: int, values: Any) -> list[dict[str, Any]]:
    by_field = member_terms(**{c: _text(values[c]) for c in MEMBER_COLUMNS})
    sort_name = member_sort_name(values["first_name"], values["last_name"])
    return [
        {"member_id": member_id, "field": field.value, "term": term, "sort_name": sort_name}
        for field, found in by_field.items()
        for term in sorted(found)
    ]


def request_term_rows(request_id: int, values: Any, member: Any) -> list[dict[str, Any]]:
    """``values``: the request's text, diagnosis, status and created_at; ``member``: its
    member's name, middle name and certificate."""
    shared = member_terms(**{c: member.get(c) or "" for c in MEMBER_COLUMNS})
    found = request_terms(
        request_id,
        values["request_text"],
        values["diagnosis"],
        (t for f in REQUEST_MEMBER_FIELDS for t in shared.get(f, ())),
    )
    created = values["created_at"]
    if isinstance(created, datetime) and created.tzinfo is not None:
        created = created.astimezone(UTC).replace(tzinfo=None)
    return [
        {"request_id": request_id, "term": term, "status": values["status"], "created_at": created}
        for term in sorted(found)
    ]


def _before(row: Any, column: str) -> Any:
    history = sa.inspect(row).attrs[column].history
    if history.deleted:
        return history.deleted[0]
    if history.unchanged:
        return history.unchanged[0]
    return getattr(row, column)


def _changed(row: Any, columns: Iterable[str]) -> bool:
    # only attributes set since the row was loaded have a history to look at
    touched = sa.inspect(row).committed_state
    return any(
        sa.inspect(row).attrs[c].history.added and _before(row, c) != getattr(row, c)
        for c in columns
        if c in touched
    )


def _count_key(values: Any) -> CountKey:
    day = values("_sort_at").astimezone(UTC).date()
    kind, status, source = (_text(values(c)) for c in ("payment_type", "status", "source"))
    return (day, kind, status, source, tables.slot_of(values("member_id")))


def _text(value: Any) -> Any:
    """A column's value as the term and count tables keep it: text."""
    if value is None or isinstance(value, str | datetime):
        return value
    return str(value.value if isinstance(value, enum.Enum) else value)


def reindex(session: Session, _flush: UOWTransaction) -> None:
    """``after_flush``: bring the derived tables in line with what this flush wrote."""
    ledger.follow_flush(session, _before, _changed)
    # keyed by the entities' ids, which a flush has set
    members: dict[Any, Any] = {}
    requests: set[Any] = set()
    renamed: set[Any] = set()
    statuses: dict[Any, str] = {}
    counts: Counter[CountKey] = Counter()
    for row in session.new:
        if isinstance(row, Member):
            members[row.id] = row
        elif isinstance(row, Request):
            requests.add(row.id)
        elif isinstance(row, Payment):
            counts[_count_key(lambda c, row=row: getattr(row, c))] += 1
    for row in session.dirty:
        if isinstance(row, Member) and _changed(row, MEMBER_COLUMNS):
            members[row.id] = row
            if _changed(row, SHARED_COLUMNS):
                renamed.add(row.id)
        elif isinstance(row, Request):
            if _changed(row, REQUEST_COLUMNS):
                requests.add(row.id)
            elif _changed(row, ("status",)):
                statuses[row.id] = _text(row.status)
        elif isinstance(row, Payment) and _changed(row, COUNTED_COLUMNS):
            counts[_count_key(lambda c, row=row: _before(row, c))] -= 1
            counts[_count_key(lambda c, row=row: getattr(row, c))] += 1
    if not (members or requests or renamed or statuses or counts):
        return
    connection = session.connection()
    if members:
        rows = [
            term
            for member_id, row in members.items()
            for term in member_term_rows(member_id, {c: getattr(row, c) for c in MEMBER_COLUMNS})
        ]
        write_member_terms(connection, list(members), rows)
    if requests or renamed:
        write_request_terms(connection, requests=requests, of_members=renamed)
    for request_id, status in sorted(statuses.items()):
        t = REQUEST_TERMS
        connection.execute(sa.update(t).where(t.c.request_id == request_id).values(status=status))
    add_payment_counts(connection, counts)


def write_member_terms(
    connection: Connection, member_ids: list[int], rows: list[dict[str, Any]]
) -> None:
    t = MEMBER_TERMS
    connection.execute(sa.delete(t).where(t.c.member_id.in_(member_ids)))
    if rows:
        connection.execute(sa.insert(t), rows)


def write_request_terms(
    connection: Connection, *, requests: Iterable[int] = (), of_members: Iterable[int] = ()
) -> None:
    """Rewrite the terms of some requests and of every request of some members, from
    what the database now holds."""
    columns = ("id", "member_id", "status", "created_at", *REQUEST_COLUMNS)
    r = sa.table("requests", *(sa.column(c) for c in columns))
    mr = sa.table("members", sa.column("id"), *(sa.column(c) for c in SHARED_COLUMNS))
    wanted = sa.or_(r.c.id.in_(list(requests)), r.c.member_id.in_(list(of_members)))
    stmt = (
        sa.select(
            r.c.id,
            r.c.request_text,
            r.c.diagnosis,
            r.c.status,
            r.c.created_at,
            *(mr.c[c] for c in SHARED_COLUMNS),
        )
        .join(mr, mr.c.id == r.c.member_id)
        .where(wanted)
    )
    found = connection.execute(stmt).mappings().all()
    if not found:
        return
    ids = [row["id"] for row in found]
    rows = [term for row in found for term in request_term_rows(row["id"], row, row)]
    t = REQUEST_TERMS
    connection.execute(sa.delete(t).where(t.c.request_id.in_(ids)))
    if rows:
        connection.execute(sa.insert(t), rows)


def move_payment_count(
    connection: Connection | DirectStatements,
    now: Callable[[str], Any],
    before: Callable[[str], Any],
) -> None:
    """A payment counted under its day, type, status and source as it is (``now(column)``)
    instead of as it was (``before(column)``)."""
    counts: Counter[CountKey] = Counter()
    counts[_count_key(before)] -= 1
    counts[_count_key(now)] += 1
    add_payment_counts(connection, counts)


def add_payment_counts(
    connection: Connection | DirectStatements, counts: Counter[CountKey]
) -> None:
    """Add to the per-day counts (keys in one order, so that concurrent transactions
    lock the count rows in the same order)."""
    rows = [
        {"day": day, "payment_type": kind, "status": status, "source": source}
        | {"slot": slot, "count": n}
        for (day, kind, status, source, slot), n in sorted(counts.items())
        if n
    ]
    if rows:
        connection.execute(_counts_upsert(connection.dialect.name), rows)


@functools.cache
def _counts_upsert(dialect: str) -> Any:
    """Built once (the statement is the same every time)."""
    table = tables.payment_counts
    if dialect in ("mysql", "mariadb"):
        upsert = mysql.insert(table)
        return upsert.on_duplicate_key_update(count=table.c.count + upsert.inserted["count"])
    upsert_sqlite = sqlite.insert(table)
    return upsert_sqlite.on_conflict_do_update(
        index_elements=["day", "payment_type", "status", "source", "slot"],
        set_={"count": table.c.count + upsert_sqlite.excluded["count"]},
    )


def rebuild_payment_counts(connection: Connection) -> None:
    """Count every payment again (for a migration, or after a bulk load)."""
    p = tables.payments
    table = tables.payment_counts
    connection.execute(sa.delete(table))
    day = sa.func.date(p.c.sort_at)
    counted = sa.select(day, p.c.payment_type, p.c.status, p.c.source, sa.func.count()).group_by(
        day, p.c.payment_type, p.c.status, p.c.source
    )
    connection.execute(
        sa.insert(table).from_select(["day", "payment_type", "status", "source", "count"], counted)
    )
