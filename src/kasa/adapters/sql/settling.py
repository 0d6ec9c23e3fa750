"""A gateway's notice applied without the ORM's session.

The callback use case is the same; the unit of work it runs on here knows only what
applying a notice to a one-off order needs: the member and the payment of an order,
locked in that order (the payment with the price of the member's program), and the
audit trail. Their rows are loaded straight into the domain's entities, as a session
loads them (without their constructors), and kept as loaded. ``commit`` compares each
entity with what was loaded and writes what a session's flush writes for the same
change, in the same order: the columns that changed (and what the tables keep beside
them), the ledger's hourly and daily sums and the per-day counts the payment's change
moves, and the outbox's events.

Anything else the use case asks of it — a subscription's new charge, another
repository, a change that a flush would index for search — raises ``Unhandled`` before
the transaction is committed: nothing of it is kept, and the caller applies the notice
again on a session's unit of work.

The statements run on the connection's DBAPI cursor (``direct``), each compiled once.

Why: on a busy worker a session's bookkeeping (its identity map, attribute histories,
the flush's sort of what depends on what) was about a fifth of a callback's CPU, and
SQLAlchemy's execution of each statement about as much again.
"""

from __future__ import annotations

import copy
import functools
from types import TracebackType
from typing import Any, Self

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Mapper

from kasa.adapters.sql import ledger, search
from kasa.adapters.sql import repositories as repos
from kasa.adapters.sql import schema as tables
from kasa.adapters.sql.database import outbox_rows, raise_if_nothing_kept
from kasa.adapters.sql.direct import DirectStatements
from kasa.adapters.sql.orm import kept_beside, payment_loaded
from kasa.domain.audit import AuditEvent
from kasa.domain.members import Member
from kasa.domain.money import Money
from kasa.domain.payments import Payment


class Unhandled(Exception):
    """Something a callback's unit of work does not do: nothing of it is kept."""


@functools.cache
def _mapped(entity: type) -> tuple[tuple[str, Any], ...]:
    """An entity's attributes and the columns they are kept in (the order its rows are
    selected in)."""
    mapper: Mapper[Any] = sa.inspect(entity)
    return tuple((prop.key, prop.columns[0]) for prop in mapper.column_attrs)


@functools.cache
def _member_of_order() -> Any:
    return repos.member_of_order(*(column for _, column in _mapped(Member)))


@functools.cache
def _order_with_price() -> Any:
    return repos.order_with_price(*(column for _, column in _mapped(Payment)))


@functools.cache
def _update(table: sa.Table, columns: tuple[str, ...]) -> Any:
    """One row's update of these columns (built once for each set of columns)."""
    values: dict[str, Any] = {name: sa.bindparam(f"new_{name}") for name in columns}
    return sa.update(table).where(table.c.id == sa.bindparam("row_id")).values(values)


_AUDIT = sa.insert(tables.audit_events)
_OUTBOX = sa.insert(tables.outbox)


def _not_here(name: str) -> Exception:
    """What asking for something the unit of work was not given raises (Python's own
    questions, ``__…__``, are answered as for any object)."""
    if name.rpartition(".")[2].startswith("__"):
        return AttributeError(name)
    return Unhandled(f"no {name} here")


def _as_loaded(value: Any) -> Any:
    # a value the domain might change in place is kept as a copy
    return copy.deepcopy(value) if isinstance(value, dict | list) else value


@attrs.define
class _Loaded:
    entity: Any
    kind: type
    table: sa.Table
    before: dict[str, Any]

    def changes(self) -> dict[str, Any]:
        """The columns whose attributes differ from what was loaded, by column name."""
        now = self.entity.__dict__
        return {
            column.name: now.get(key)
            for key, column in _mapped(self.kind)
            if now.get(key) != self.before[key]
        }

    def changed(self, keys: tuple[str, ...]) -> bool:
        now = self.entity.__dict__
        return any(now.get(key) != self.before[key] for key in keys)


class SettlingUnitOfWork:
    """One transaction on a Core connection, for the callback use case (see the module)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __enter__(self) -> Self:
        self.connection: Connection = self.engine.connect()
        self.statements = DirectStatements(self.connection)
        self.loaded: list[_Loaded] = []
        self.programs: dict[int, int] = {}
        self.committing = False
        self.members = _Members(self)
        self.payments = _Payments(self)
        self.audit = _Audit(self)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # closing rolls back what was not committed
        try:
            self.statements.close()
        finally:
            self.connection.close()
        raise_if_nothing_kept(exc, committing=self.committing)

    def __getattr__(self, name: str) -> Any:
        # only for what the unit of work was not given (the other repositories)
        raise _not_here(name)

    def load(self, entity: type, table: sa.Table, stmt: Any, identifier: str) -> Any:
        """The row ``stmt`` finds, as an entity (None when there is none), and the row."""
        found_rows = self.statements.rows(stmt, {"identifier": identifier})
        if not found_rows:
            return None, None
        (row,) = found_rows
        found: Any = sa.inspect(entity).class_manager.new_instance()
        values = found.__dict__
        for (key, _), value in zip(_mapped(entity), row, strict=False):
            values[key] = value
        if entity is Payment:
            payment_loaded(found)
        before = {key: _as_loaded(values[key]) for key, _ in _mapped(entity)}
        self.loaded.append(_Loaded(found, entity, table, before))
        return found, row

    def commit(self) -> None:
        writes: list[tuple[_Loaded, dict[str, Any]]] = []
        for loaded in self.loaded:
            if not loaded.changes():
                continue
            kept_beside(loaded.entity)
            if isinstance(loaded.entity, Member) and loaded.changed(search.MEMBER_COLUMNS):
                raise Unhandled("a member's searchable details changed")
            if isinstance(loaded.entity, Payment) and loaded.changed(("member_id",)):
                raise Unhandled("a payment moved to another member")
            writes.append((loaded, loaded.changes()))
        statements = self.statements
        for loaded, changes in writes:
            values = {f"new_{name}": value for name, value in changes.items()}
            stmt = _update(loaded.table, tuple(changes))
            statements.execute(stmt, {"row_id": loaded.entity.id, **values})
        # as a flush does: the ledger's sums, then the counts, then the outbox
        payments = [loaded for loaded, _ in writes if isinstance(loaded.entity, Payment)]
        for loaded in payments:
            if loaded.changed(ledger.LEDGER_COLUMNS):
                program = self.programs.get(loaded.entity.member_id, ledger.NO_PROGRAM)
                ledger.follow_payment(statements, loaded.entity, loaded.before.__getitem__, program)
        for loaded in payments:
            if loaded.changed(search.COUNTED_COLUMNS):
                now = functools.partial(getattr, loaded.entity)
                search.move_payment_count(statements, now, loaded.before.__getitem__)
        rows = outbox_rows([loaded.entity for loaded in self.loaded])
        if rows:
            statements.execute(_OUTBOX, rows)
        self.committing = True
        self.connection.commit()
        self.loaded = []

    def rollback(self) -> None:
        """What was loaded is forgotten with what was done."""
        self.connection.rollback()
        self.loaded = []
        self.programs = {}


@attrs.frozen
class _Members:
    uow: SettlingUnitOfWork

    def of_order_for_update(self, identifier: str) -> Member | None:
        found, _ = self.uow.load(Member, tables.members, _member_of_order(), identifier)
        return found  # type: ignore[no-any-return]


@attrs.frozen
class _Payments:
    uow: SettlingUnitOfWork

    def order_for_update(self, identifier: str) -> tuple[Payment, Money | None] | None:
        found, row = self.uow.load(Payment, tables.payments, _order_with_price(), identifier)
        if found is None:
            return None
        program_id, price = row[-2], row[-1]
        self.uow.programs[found.member_id] = program_id or ledger.NO_PROGRAM
        return found, price

    def __getattr__(self, name: str) -> Any:
        # a subscription's new charge, or any other way to a payment
        raise _not_here(f"payments.{name}")


@attrs.frozen
class _Audit:
    uow: SettlingUnitOfWork

    def add(self, event: AuditEvent) -> AuditEvent:
        key = self.uow.statements.execute(_AUDIT, repos.audit_row(event))
        return attrs.evolve(event, id=key)
