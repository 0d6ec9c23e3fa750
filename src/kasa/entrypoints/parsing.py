"""What the two front doors (HTTP and the command line) share when they read what people
typed: dates, amounts, names from a list. Each names the field it reads in its error."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import TypeVar

from kasa.domain.errors import InvalidInput
from kasa.domain.money import Money
from kasa.domain.values import check_date

E = TypeVar("E", bound=enum.Enum)


def parse_date(text: str | None, field: str) -> date | None:
    """``dd.mm.YYYY`` or ``YYYY-MM-DD``; empty means not given."""
    value = (text or "").strip()
    if not value:
        return None
    for pattern in ("%d.%m.%Y", "%Y-%m-%d"):
        try:
            day = datetime.strptime(value, pattern).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
        return check_date(day, field)
    raise InvalidInput.field(field, "must be a date as dd.mm.YYYY or YYYY-MM-DD")


def parse_period(
    start: str | None, end: str | None, fields: tuple[str, str] = ("date_start", "date_end")
) -> tuple[date | None, date | None]:
    """Two days of a period, each optional (see :func:`parse_date`); a period that ends
    before it begins is refused, naming its last day."""
    first, last = parse_date(start, fields[0]), parse_date(end, fields[1])
    if first and last and last < first:
        raise InvalidInput.field(fields[1], f"must not be before {fields[0]}")
    return first, last


def parse_enum(kind: type[E], value: str | None, field: str) -> E | None:
    """One of an enumeration's values, by its text; nothing when not given."""
    if value is None:
        return None
    try:
        return kind(value)
    except ValueError:
        choices = ", ".join(str(k.value) for k in kind)
        raise InvalidInput.field(field, f"must be among {choices}") from None


def parse_enums(kind: type[E], values: Iterable[str] | None, field: str) -> frozenset[E]:
    found = (parse_enum(kind, value, field) for value in values or ())
    return frozenset(value for value in found if value is not None)


def amount_or_none(value: Decimal | str | None, field: str) -> Money | None:
    """An amount of hryvnias, when given (at most two decimals, never a float)."""
    return None if value is None else Money.parse(value, field)
