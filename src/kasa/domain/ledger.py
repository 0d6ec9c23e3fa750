"""The fund's ledger: every movement of money, and the balance they leave.

Three kinds of movement: a contribution confirmed (money in, on the day it was paid), a
reversal of a confirmed contribution (money back out, on the day the fund heard of it)
and a payout on a request (money out, on its payment day). A contribution reversed later
still counts as money in on its own day; its reversal counts on its day. A payment the
gateway reversed before it was ever confirmed moved no money and is not in the ledger.
The balance is money in less reversals less payouts: it may fall below zero, so it is a
signed amount, not ``Money``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime

import attrs

from kasa.domain.money import KOPECKS_PER_UAH, Money


class MoveKind(enum.StrEnum):
    CONFIRMATION = "confirmation"
    REVERSAL = "reversal"
    PAYOUT = "payout"

    @property
    def sign(self) -> int:
        """+1 for money in, -1 for money out."""
        return 1 if self is MoveKind.CONFIRMATION else -1


@attrs.frozen
class Move:
    """One movement of money: ``amount`` as the payment has it (never negative)."""

    at: datetime
    kind: MoveKind
    payment_id: int
    member_id: int
    amount: Money
    order_id: str | None = None
    request_id: int | None = None

    @property
    def signed(self) -> int:
        """The movement's effect on the balance, in kopecks."""
        return self.kind.sign * self.amount.kopecks

    @property
    def reference(self) -> str:
        """What the movement is about: the gateway order, or the request paid; a top-up
        staff recorded has neither and is named by its payment."""
        if self.request_id is not None:
            return f"request {self.request_id}"
        return self.order_id or f"payment {self.payment_id}"


@attrs.frozen
class Balance:
    """A signed amount of hryvnias in kopecks."""

    kopecks: int = 0

    def __add__(self, kopecks: int) -> Balance:
        return Balance(self.kopecks + kopecks)

    @classmethod
    def of(cls, money_in: Money, reversed_: Money, money_out: Money) -> Balance:
        return cls(money_in.kopecks - reversed_.kopecks - money_out.kopecks)

    @classmethod
    def of_totals(cls, totals: Mapping[MoveKind, Money]) -> Balance:
        """The balance the movements summed by kind leave (a kind missing is none)."""
        return cls(sum(kind.sign * amount.kopecks for kind, amount in totals.items()))

    def __str__(self) -> str:
        sign = "-" if self.kopecks < 0 else ""
        return f"{sign}{Money(abs(self.kopecks))}"

    @property
    def hryvnias(self) -> float:
        return self.kopecks / KOPECKS_PER_UAH
