"""Membership: how contributions turn into "paid until" days, exactly.

A confirmed top-up of ``A`` for a program costing ``P`` a month buys ``30·A/P`` days.
To keep that exact with integers, money inside this module is counted in *units* of
1/30 kopeck: a top-up of ``A`` kopecks is ``30·A`` units and one day of a program
costing ``P`` kopecks a month costs exactly ``P`` units. Whole days go to "paid until";
the remainder (always fewer units than one day costs) stays as the member's credit and
is counted in with the next top-up. So ``days × P + credit = 30 × paid`` holds exactly
after any sequence of top-ups, and paying ``A`` then ``B`` grants what ``A + B`` grants.

"Paid until" is the first day that is *not* paid: the membership is ``active`` while that
date is in the future, then ``grace`` for a number of days, then ``expired``.
"""

from __future__ import annotations

import enum
from datetime import date, timedelta

import attrs

from kasa.domain.errors import InvalidInput, RuleViolation
from kasa.domain.money import Money

DAYS_PER_MONTH = 30
DEFAULT_GRACE_DAYS = 30
MAX_DAYS_AHEAD = 100 * 366  # a top-up may not pay for more than a century ahead


class MembershipState(enum.StrEnum):
    NONE = "none"
    ACTIVE = "active"
    GRACE = "grace"
    EXPIRED = "expired"


def units_of(amount: Money) -> int:
    """An amount in credit units (1/30 kopeck)."""
    return amount.kopecks * DAYS_PER_MONTH


def credit_as_money(credit_units: int) -> Money:
    """Credit shown as money: whole kopecks, rounded down (the rest is still kept)."""
    return Money(credit_units // DAYS_PER_MONTH)


@attrs.frozen
class Extension:
    """What one confirmed top-up did to a membership; kept on the payment so a reversal
    can take exactly that back."""

    previous_expiration: date | None
    extended_from: date | None
    extended_to: date | None
    days: int
    credit_before: int
    credit_after: int
    month_price: Money | None


@attrs.frozen
class Membership:
    """A member's "paid until" date and credit (in units of 1/30 kopeck)."""

    paid_until: date | None = None
    credit_units: int = 0

    def __attrs_post_init__(self) -> None:
        if self.credit_units < 0:
            raise InvalidInput("Membership credit cannot be negative.")

    @property
    def credit(self) -> Money:
        return credit_as_money(self.credit_units)

    def top_up(
        self, amount: Money, month_price: Money | None, paid_on: date
    ) -> tuple[Membership, Extension]:
        """Apply a confirmed top-up made on ``paid_on`` at the current program's price.

        Without a current program (``month_price`` is None) the whole amount is kept as
        credit, to be turned into days by the first top-up once a program is current.
        """
        if not amount:
            raise InvalidInput("A top-up must be greater than zero.")
        pool = self.credit_units + units_of(amount)
        if month_price is None:
            after = Membership(self.paid_until, pool)
            return after, Extension(
                self.paid_until, None, self.paid_until, 0, self.credit_units, pool, None
            )
        if not month_price:
            raise InvalidInput("A program's monthly price must be greater than zero.")
        days, remainder = divmod(pool, month_price.kopecks)
        start = paid_on if self.paid_until is None else max(self.paid_until, paid_on)
        if (start - paid_on).days + days > MAX_DAYS_AHEAD:
            raise RuleViolation("This top-up would pay for more than a hundred years ahead.")
        new_until = start + timedelta(days=days) if days else self.paid_until
        after = Membership(new_until, remainder)
        extension = Extension(
            previous_expiration=self.paid_until,
            extended_from=start if days else None,
            extended_to=new_until,
            days=days,
            credit_before=self.credit_units,
            credit_after=remainder,
            month_price=month_price,
        )
        return after, extension

    def reverse(self, extension: Extension, month_price: Money | None) -> Membership:
        """Take back what one top-up granted (a refund at the gateway).

        Its days leave "paid until" and its effect on the credit is undone. When that
        top-up is the one the membership currently ends with and it had started after a
        lapse, "paid until" goes back to where it was before it, so the reversal does not
        turn the lapse into paid time or move the grace period. Should the credit fall
        below zero (later top-ups already used it), whole days are taken back to cover
        it at the current price, so no unpaid day remains.
        """
        paid_until = self.paid_until
        if extension.days and paid_until is not None:
            paid_until = paid_until - timedelta(days=extension.days)
            if (
                paid_until == extension.extended_from
                and extension.previous_expiration is not None
                and extension.previous_expiration < paid_until
            ):
                paid_until = extension.previous_expiration
            elif paid_until == extension.extended_from and extension.previous_expiration is None:
                paid_until = None
        credit = self.credit_units - (extension.credit_after - extension.credit_before)
        if credit < 0:
            price = month_price or extension.month_price
            if price is None or paid_until is None:
                credit = 0
            else:
                borrowed = -(credit // price.kopecks)  # ceil(-credit / price)
                paid_until = paid_until - timedelta(days=borrowed)
                credit += borrowed * price.kopecks
        return Membership(paid_until, credit)

    def state(self, today: date, grace_days: int = DEFAULT_GRACE_DAYS) -> MembershipState:
        if self.paid_until is None:
            return MembershipState.NONE
        if today < self.paid_until:
            return MembershipState.ACTIVE
        if today < self.paid_until + timedelta(days=grace_days):
            return MembershipState.GRACE
        return MembershipState.EXPIRED

    def grace_ends(self, grace_days: int = DEFAULT_GRACE_DAYS) -> date | None:
        return None if self.paid_until is None else self.paid_until + timedelta(days=grace_days)
