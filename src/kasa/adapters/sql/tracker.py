"""The identity map of one unit of work: each loaded row becomes one domain object,
and at commit every tracked object is written back to its row."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from kasa.domain.errors import Conflict

E = TypeVar("E")
R = TypeVar("R")

Loader = Callable[[Any], Any]
Writer = Callable[[Any, Any], None]


class Tracker:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.pairs: dict[tuple[type, object], tuple[Any, Any, Writer]] = {}

    def load(
        self, row: R | None, loader: Callable[[R], E], writer: Callable[[E, R], None]
    ) -> E | None:
        if row is None:
            return None
        key = (type(row), row.id)  # type: ignore[attr-defined]
        if key in self.pairs:
            entity: E = self.pairs[key][0]
            return entity
        entity = loader(row)
        self.pairs[key] = (entity, row, writer)
        return entity

    def load_all(
        self, rows: Any, loader: Callable[[R], E], writer: Callable[[E, R], None]
    ) -> list[E]:
        return [e for e in (self.load(r, loader, writer) for r in rows) if e is not None]

    def add(self, entity: E, row: R, writer: Callable[[E, R], None]) -> E:
        writer(entity, row)
        self.session.add(row)
        flush(self.session)
        entity.id = row.id  # type: ignore[attr-defined]
        self.pairs[(type(row), row.id)] = (entity, row, writer)  # type: ignore[attr-defined]
        return entity

    def write_back(self) -> None:
        """Write each tracked object's state to its row, touching only the columns whose
        value differs (so reading changes nothing and flushing then costs nothing)."""
        for entity, row, writer in self.pairs.values():
            shadow = _Shadow()
            writer(entity, shadow)
            for column, value in vars(shadow).items():
                if getattr(row, column) != value:
                    setattr(row, column, value)
        flush(self.session)

    def clear(self) -> None:
        self.pairs.clear()


class _Shadow:
    """Takes a writer's column values without SQLAlchemy's change tracking."""


def flush(session: Session) -> None:
    """Flush, turning a broken unique constraint into the domain's Conflict."""
    try:
        session.flush()
    except sa.exc.IntegrityError as error:
        session.rollback()
        raise Conflict(f"This conflicts with existing data ({_constraint(error)}).") from None


def _constraint(error: sa.exc.IntegrityError) -> str:
    text = str(error.orig)
    for marker in ("uq_", "UNIQUE constraint failed: ", "Duplicate entry"):
        if marker in text:
            return text[text.index(marker) :].split("\n")[0][:120]
    return "a unique or foreign key rule"
