"""The search-term tables, kept in step with members and requests.

After every flush, the terms of each new member or request, and of each one whose
searchable columns changed, are rewritten in the same transaction; a member's name,
middle name or certificate changing rewrites their requests' terms too. Searches then
read an index range per query word instead of every row (see ``kasa.domain.search``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, UOWTransaction

from kasa.adapters.sql import models as m
from kasa.application.repositories import REQUEST_MEMBER_FIELDS, member_terms, request_terms
from kasa.domain.search import prefix_upper_bound

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


def starts_with(column: Any, term: str) -> Any:
    """``column`` begins with ``term``, as an index range."""
    return sa.and_(column >= term, column < prefix_upper_bound(term))


def member_term_rows(member_id: int, values: Any) -> list[dict[str, Any]]:
    by_field = member_terms(**{c: values[c] for c in MEMBER_COLUMNS})
    return [
        {"member_id": member_id, "field": field.value, "term": term}
        for field, found in by_field.items()
        for term in sorted(found)
    ]


def request_term_rows(request_id: int, values: Any, member: Any) -> list[dict[str, Any]]:
    shared = member_terms(**{c: member.get(c) or "" for c in MEMBER_COLUMNS})
    found = request_terms(
        request_id,
        values["request_text"],
        values["diagnosis"],
        (t for f in REQUEST_MEMBER_FIELDS for t in shared.get(f, ())),
    )
    return [{"request_id": request_id, "term": term} for term in sorted(found)]


def _changed(row: Any, columns: Iterable[str]) -> bool:
    state = sa.inspect(row)
    for column in columns:
        history = state.attrs[column].history
        if history.added and list(history.added) != list(history.deleted or history.unchanged):
            return True
    return False


def _values(row: Any, columns: Iterable[str]) -> dict[str, Any]:
    return {c: getattr(row, c) for c in columns}


def reindex(session: Session, _flush: UOWTransaction) -> None:
    """``after_flush``: rewrite the terms of what this flush added or changed."""
    members: dict[int, Any] = {}
    requests: set[int] = set()
    renamed: set[int] = set()
    for row in session.new:
        if isinstance(row, m.MemberRow):
            members[row.id] = row
        elif isinstance(row, m.RequestRow):
            requests.add(row.id)
    for row in session.dirty:
        if isinstance(row, m.MemberRow) and _changed(row, MEMBER_COLUMNS):
            members[row.id] = row
            if _changed(row, SHARED_COLUMNS):
                renamed.add(row.id)
        elif isinstance(row, m.RequestRow) and _changed(row, REQUEST_COLUMNS):
            requests.add(row.id)
    if not (members or requests or renamed):
        return
    connection = session.connection()
    if members:
        rows = [
            r
            for i, row in members.items()
            for r in member_term_rows(i, _values(row, MEMBER_COLUMNS))
        ]
        write_member_terms(connection, list(members), rows)
    if requests or renamed:
        write_request_terms(connection, requests=requests, of_members=renamed)


def write_member_terms(
    connection: Connection, member_ids: list[int], rows: list[dict[str, Any]]
) -> None:
    t = sa.table("member_terms", sa.column("member_id"), sa.column("field"), sa.column("term"))
    connection.execute(sa.delete(t).where(t.c.member_id.in_(member_ids)))
    if rows:
        connection.execute(sa.insert(t), rows)


def write_request_terms(
    connection: Connection, *, requests: Iterable[int] = (), of_members: Iterable[int] = ()
) -> None:
    """Rewrite the terms of some requests and of every request of some members, from
    what the database now holds."""
    r = sa.table("requests", *(sa.column(c) for c in ("id", "member_id", *REQUEST_COLUMNS)))
    mr = sa.table("members", sa.column("id"), *(sa.column(c) for c in SHARED_COLUMNS))
    wanted = sa.or_(r.c.id.in_(list(requests)), r.c.member_id.in_(list(of_members)))
    stmt = (
        sa.select(r.c.id, r.c.request_text, r.c.diagnosis, *(mr.c[c] for c in SHARED_COLUMNS))
        .join(mr, mr.c.id == r.c.member_id)
        .where(wanted)
    )
    found = connection.execute(stmt).mappings().all()
    if not found:
        return
    ids = [row["id"] for row in found]
    rows = [term for row in found for term in request_term_rows(row["id"], row, row)]
    t = sa.table("request_terms", sa.column("request_id"), sa.column("term"))
    connection.execute(sa.delete(t).where(t.c.request_id.in_(ids)))
    if rows:
        connection.execute(sa.insert(t), rows)
