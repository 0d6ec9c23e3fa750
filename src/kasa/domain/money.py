"""Money: exact amounts in hryvnias, held as integer kopecks."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from functools import total_ordering

import attrs

from kasa.domain.errors import InvalidInput

KOPECKS_PER_UAH = 100
_MAX_KOPECKS = 10**13  # a hundred billion hryvnias: far past any fund, well inside BIGINT
# The most an amount typed or sent to Kasa may be: a billion hryvnias.
MAX_INPUT = Decimal("1000000000.00")


@total_ordering
@attrs.frozen
class Money:
    """An exact, non-negative amount of hryvnias. Never a float."""

    kopecks: int = attrs.field()

    @kopecks.validator
    def _check(self, _attribute: object, value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidInput("An amount must be a whole number of kopecks.")
        if value < 0:
            raise InvalidInput("An amount cannot be negative.")
        if value > _MAX_KOPECKS:
            raise InvalidInput("The amount is too large.")

    @classmethod
    def zero(cls) -> Money:
        return cls(0)

    @classmethod
    def parse(cls, value: object, field: str = "amount") -> Money:
        """Read an amount of hryvnias from text, an int or a Decimal.

        At most two decimals; floats are refused because they cannot say an amount
        exactly (``0.1 + 0.2``).
        """
        if isinstance(value, (bool, float)):
            raise InvalidInput.field(field, "give the amount as text or an exact number")
        if isinstance(value, int):
            amount = Decimal(value)
        elif isinstance(value, Decimal):
            amount = value
        elif isinstance(value, str):
            try:
                amount = Decimal(value.strip().replace(",", "."))
            except InvalidOperation:
                raise InvalidInput.field(field, f"{value[:24]!r} is not an amount") from None
        else:
            raise InvalidInput.field(field, "is not an amount")
        if not amount.is_finite():
            raise InvalidInput.field(field, "is not a finite amount")
        if amount < 0:
            raise InvalidInput.field(field, "cannot be negative")
        if amount > MAX_INPUT:
            raise InvalidInput.field(field, "must be at most 1000000000.00")
        if amount != amount.quantize(Decimal("0.01"), rounding=ROUND_DOWN):
            raise InvalidInput.field(field, "has more than two decimal places")
        kopecks = int(amount * KOPECKS_PER_UAH)
        if kopecks > _MAX_KOPECKS:
            raise InvalidInput.field(field, "is too large")
        return cls(kopecks)

    @classmethod
    def positive(cls, value: object, field: str = "amount") -> Money:
        """Like :meth:`parse`, and refuses zero."""
        money = cls.parse(value, field)
        if not money:
            raise InvalidInput.field(field, "must be greater than zero")
        return money

    def to_decimal(self) -> Decimal:
        return (Decimal(self.kopecks) / KOPECKS_PER_UAH).quantize(Decimal("0.01"))

    def __str__(self) -> str:
        return kopecks_text(self.kopecks)

    def __bool__(self) -> bool:
        return self.kopecks != 0

    def __add__(self, other: Money) -> Money:
        return Money(self.kopecks + other.kopecks)

    def __sub__(self, other: Money) -> Money:
        if other.kopecks > self.kopecks:
            raise InvalidInput("The result would be a negative amount.")
        return Money(self.kopecks - other.kopecks)

    def __lt__(self, other: Money) -> bool:
        return self.kopecks < other.kopecks


def total(amounts: Iterable[Money]) -> Money:
    """The sum of some amounts (zero for none)."""
    return Money(sum(amount.kopecks for amount in amounts))


def kopecks_text(kopecks: int) -> str:
    """An amount of kopecks written in hryvnias with two decimals ("-0.05", "300.00")."""
    whole, part = divmod(abs(kopecks), KOPECKS_PER_UAH)
    return f"{'-' if kopecks < 0 else ''}{whole}.{part:02d}"
