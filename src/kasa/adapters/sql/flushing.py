"""Flushing a session, with a broken unique constraint turned into the domain's
``Conflict``."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from kasa.domain.errors import Conflict


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
