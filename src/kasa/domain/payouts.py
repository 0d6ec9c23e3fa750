"""Payouts: the fund pays a request's approved amount, in one payout or in parts, never
past it; above the four-eyes threshold a payout waits for a second staff user."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from kasa.domain.errors import Conflict, InvalidInput, PermissionDenied, RuleViolation
from kasa.domain.events import EventKind
from kasa.domain.money import Money, total
from kasa.domain.payments import Payment, PaymentSource, PaymentStatus, PaymentType
from kasa.domain.requests import Request


def committed_payouts(payouts: Iterable[Payment]) -> Money:
    """What counts against a request's approved amount: confirmed payouts and those
    waiting for a second approval."""
    return total(
        p.amount
        for p in payouts
        if p.payment_type.is_payout and p.status in (PaymentStatus.CONFIRMED, PaymentStatus.PENDING)
    )


def paid_out(payouts: Iterable[Payment]) -> Money:
    return total(
        p.amount
        for p in payouts
        if p.payment_type.is_payout and p.status is PaymentStatus.CONFIRMED
    )


def record_payout(
    request: Request,
    existing: Iterable[Payment],
    amount: Money,
    *,
    paid_at: datetime,
    staff_id: int,
    now: datetime,
    iban: str = "",
    four_eyes_threshold: Money | None = None,
) -> Payment:
    """The fund pays (part of) a request.

    Payouts never sum past the approved amount; a payout that completes it is a
    ``payout``, one that leaves part unpaid a ``partial_payout``. When the request's
    payouts with this one pass the four-eyes threshold, it waits as pending for a
    second staff user.
    """
    if request.id is None:
        raise InvalidInput.field("request", "the request is not saved")
    if request.is_closed:
        raise Conflict("The request is closed; reopen it before paying it.")
    if request.approved_amount is None:
        raise RuleViolation("The request has no approved amount yet; set it before paying.")
    if not amount:
        raise InvalidInput.field("amount", "must be greater than zero")
    committed = committed_payouts(existing)
    remaining = request.approved_amount - committed
    if amount > remaining:
        raise RuleViolation(
            f"The payout of {amount} would exceed the approved amount "
            f"{request.approved_amount}: at most {remaining} remains."
        )
    kind = PaymentType.PAYOUT if amount == remaining else PaymentType.PARTIAL_PAYOUT
    # four-eyes counts the request's whole payout (what is already paid or waiting,
    # and this one), so splitting a payout into smaller ones does not avoid it
    needs_approval = four_eyes_threshold is not None and committed + amount > four_eyes_threshold
    payout = Payment(
        request.member_id,
        kind,
        amount,
        PaymentSource.MANUAL,
        now,
        now,
        status=PaymentStatus.PENDING if needs_approval else PaymentStatus.CONFIRMED,
        request_id=request.id,
        iban=iban,
        payment_date=paid_at,
        created_by=staff_id,
        needs_approval=needs_approval,
    )
    if not needs_approval:
        payout.record(EventKind.PAYOUT, amount=str(amount))
    return payout


def approve_payout(payout: Payment, staff_id: int, now: datetime) -> None:
    """A second staff user approves a payout waiting under the four-eyes rule: only a
    payout that waits for it, only while pending, and never by who recorded it."""
    if not (payout.payment_type.is_payout and payout.needs_approval):
        raise Conflict("This payment does not wait for a second approval.")
    if payout.status is not PaymentStatus.PENDING:
        raise Conflict(f"This payout is already {payout.status}.")
    if staff_id == payout.created_by:
        raise PermissionDenied("The payout must be approved by another staff user.")
    payout.status = PaymentStatus.CONFIRMED
    payout.approved_by = staff_id
    payout.updated_at = now
    payout.record(EventKind.PAYOUT, amount=str(payout.amount))
