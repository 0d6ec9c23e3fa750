"""Values at the HTTP edge: ids clients may send, and how dates and money go out."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import msgspec

from kasa.domain.money import KOPECKS_PER_UAH, Money

MAX_ID = 2**31 - 1
# Ids from clients: a positive number a database key can hold (anything else is a 400).
Id = Annotated[int, msgspec.Meta(ge=1, le=MAX_ID)]


def dmy(value: date | datetime | None) -> str | None:
    """A date as the members' app shows it: ``dd.mm.YYYY``."""
    return None if value is None else value.strftime("%d.%m.%Y")


def iso(value: date | datetime | None) -> str | None:
    """A date or moment as the admin site reads it: ISO 8601."""
    return None if value is None else value.isoformat()


def money(value: Money) -> float:
    """Money for JSON: a number with at most two decimals (exact for any real amount).
    Integer division rounds correctly, so this is the float nearest to the exact amount,
    as ``float(value.to_decimal())`` is."""
    return value.kopecks / KOPECKS_PER_UAH


def amount(value: Money | None) -> float | None:
    """Like :func:`money`, keeping "not set" as null."""
    return None if value is None else money(value)
