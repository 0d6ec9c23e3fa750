"""Column types: UTC timestamps that come back timezone-aware, and the domain's value
objects stored as plain strings."""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Dialect

from kasa.domain.money import Money


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    """Stored as naive UTC (microseconds kept on MySQL); read back as aware UTC."""

    impl = sa.DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(sa.DateTime())

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("Timestamps must be timezone-aware.")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Text(sa.types.TypeDecorator[Any]):
    """A value object kept as its text (``Phone`` as E.164, ``Iban``, ``Email``, …): read
    back as the value object; plain text is stored as it is (bulk loads, filters)."""

    impl = sa.String
    cache_ok = True

    def __init__(self, kind: Callable[[str], Any], length: int) -> None:
        super().__init__(length)
        self.kind = kind

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else str(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        return None if value is None else self.kind(value)


class Choice(sa.types.TypeDecorator[Any]):
    """One of an enum's values, kept as its text and read back as the enum member."""

    impl = sa.String
    cache_ok = True

    def __init__(self, kind: type[enum.Enum], length: int) -> None:
        super().__init__(length)
        self.kind = kind

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return str(value.value if isinstance(value, enum.Enum) else value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        return None if value is None else self.kind(value)


class Kopecks(sa.types.TypeDecorator[Money]):
    """Money in integer kopecks (never a float), read back as ``Money``."""

    impl = sa.BigInteger
    cache_ok = True

    def process_bind_param(self, value: Money | int | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        return value.kopecks if isinstance(value, Money) else int(value)

    def process_result_value(self, value: int | None, dialect: Dialect) -> Money | None:
        return None if value is None else Money(int(value))


def money() -> Kopecks:
    return Kopecks()


class Moments(sa.types.TypeDecorator[list[datetime]]):
    """A short list of moments, kept as JSON text in ISO 8601 (UTC)."""

    impl = sa.JSON
    cache_ok = True

    def process_bind_param(self, value: list[datetime] | None, dialect: Dialect) -> Any:
        return None if value is None else [moment.isoformat() for moment in value]

    def process_result_value(self, value: Any, dialect: Dialect) -> list[datetime]:
        return [datetime.fromisoformat(text) for text in value or []]
