"""Payments: members' top-ups (gateway or manual) and the fund's payouts on requests."""

from __future__ import annotations

import enum
from datetime import date, datetime, timedelta

import attrs

from kasa.domain.errors import Conflict, InvalidInput, PermissionDenied, RuleViolation
from kasa.domain.events import EventKind, RecordsEvents
from kasa.domain.membership import Extension
from kasa.domain.money import Money


class PaymentType(enum.StrEnum):
    TOP_UP = "top_up"
    PAYOUT = "payout"
    PARTIAL_PAYOUT = "partial_payout"

    @property
    def is_payout(self) -> bool:
        return self is not PaymentType.TOP_UP


PAYOUT_TYPES = frozenset({PaymentType.PAYOUT, PaymentType.PARTIAL_PAYOUT})


class PaymentStatus(enum.StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    FAILED = "failed"
    REVERSED = "reversed"
    # a checkout never paid within the expiry window; a late success still confirms it
    EXPIRED = "expired"
    # a confirmed contribution staff asked to refund: it waits for a second staff user
    # (above the four-eyes threshold), then for the gateway's reversal
    REFUND_PENDING_APPROVAL = "refund_pending_approval"
    REFUND_REQUESTED = "refund_requested"


class PaymentSource(enum.StrEnum):
    GATEWAY = "gateway"
    MANUAL = "manual"


class GatewayOutcome(enum.StrEnum):
    """What a gateway callback or status answer means for a payment."""

    SUCCESS = "success"
    FAILURE = "failure"
    REVERSED = "reversed"
    PENDING = "pending"
    # asked about an order, the gateway has no payment for it: nobody has paid yet
    UNPAID = "unpaid"


# a gateway payment the gateway has not (yet) reported paid
UNSETTLED = frozenset({PaymentStatus.PENDING, PaymentStatus.FAILED, PaymentStatus.EXPIRED})
# a contribution whose money the fund holds and whose days count: confirmed, also while a
# refund of it is asked for and not yet done
HELD = frozenset(
    {
        PaymentStatus.CONFIRMED,
        PaymentStatus.REFUND_PENDING_APPROVAL,
        PaymentStatus.REFUND_REQUESTED,
    }
)
REFUND_REASON_MAX = 500


def moved_at(payment_date: datetime | None, created_at: datetime) -> datetime:
    """When a payment's money moved: its payment date, or, not moved yet, when it was
    recorded. Lists sort and filter payments by it."""
    return payment_date or created_at


class Change(enum.StrEnum):
    """What applying an outcome did: the caller extends or takes back membership."""

    NONE = "none"
    CONFIRMED = "confirmed"
    FAILED = "failed"
    REVERSED = "reversed"
    EXPIRED = "expired"
    # a success the gateway reports for a payment it already reversed: nothing changes
    AFTER_REVERSAL = "after_reversal"


@attrs.define(eq=False, slots=False)
class Payment(RecordsEvents):
    member_id: int
    payment_type: PaymentType
    amount: Money
    source: PaymentSource
    created_at: datetime
    updated_at: datetime
    status: PaymentStatus = PaymentStatus.PENDING
    id: int | None = None
    request_id: int | None = None
    iban: str = ""
    payment_identifier: str | None = None
    payment_date: datetime | None = None
    created_by: int | None = None
    approved_by: int | None = None
    needs_approval: bool = False
    extended_to: date | None = None
    extension: Extension | None = None
    gateway_status: str = ""
    gateway_payment_id: str = ""
    # a gateway order for a monthly subscription: each charge is a top-up of its own;
    # a one-off order takes exactly one payment
    is_subscription: bool = False
    # when the gateway took the money back (a reversal is final)
    reversed_at: datetime | None = None
    # when reconciliation last asked the gateway about this payment
    checked_at: datetime | None = None
    # the gateway that took it (by its name); None for what staff record by hand
    gateway: str | None = None
    # the gateway's own time of the last change it told (a gateway that numbers its
    # notifications by time); an older notification changes nothing
    gateway_changed_at: datetime | None = None
    # a refund (or a reversal staff made): why, who asked, who approved
    refund_reason: str = ""
    refund_requested_by: int | None = None
    refund_approved_by: int | None = None

    def event_ids(self) -> tuple[int, int | None, int | None]:
        return self.member_id, self.request_id, self.id

    @property
    def moved_at(self) -> datetime:
        return moved_at(self.payment_date, self.created_at)

    def __attrs_post_init__(self) -> None:
        if not self.amount:
            raise InvalidInput.field("amount", "must be greater than zero")
        if self.payment_type.is_payout and self.request_id is None:
            raise InvalidInput.field("request", "a payout names the request it pays")

    # -- creation ----------------------------------------------------------------
    @classmethod
    def gateway_top_up(
        cls,
        member_id: int,
        amount: Money,
        order_id: str,
        now: datetime,
        *,
        gateway: str,
        reference: str = "",
        subscription: bool = False,
    ) -> Payment:
        """A top-up the member starts at a gateway: pending until the callback.
        ``reference`` is the gateway's own id for the checkout, when it gives one."""
        if not order_id:
            raise InvalidInput.field("order_id", "is required")
        return cls(
            member_id,
            PaymentType.TOP_UP,
            amount,
            PaymentSource.GATEWAY,
            now,
            now,
            payment_identifier=order_id,
            is_subscription=subscription,
            gateway=gateway,
            gateway_payment_id=reference,
        )

    def is_other_gateway_payment(self, gateway_payment_id: str) -> bool:
        """The gateway names a payment of this order other than the one it paid."""
        return bool(
            gateway_payment_id
            and self.gateway_payment_id
            and gateway_payment_id != self.gateway_payment_id
        )

    @classmethod
    def manual_top_up(
        cls, member_id: int, amount: Money, paid_at: datetime, staff_id: int, now: datetime
    ) -> Payment:
        """Money that reached the fund's account outside the gateway, entered by staff."""
        return cls(
            member_id,
            PaymentType.TOP_UP,
            amount,
            PaymentSource.MANUAL,
            now,
            now,
            status=PaymentStatus.CONFIRMED,
            payment_date=paid_at,
            created_by=staff_id,
        )

    # -- gateway outcomes ------------------------------------------------------------
    def require_one_payment(self, gateway_payment_id: str) -> None:
        """A one-off order is paid once: another gateway payment for it is refused."""
        if not self.is_subscription and self.is_other_gateway_payment(gateway_payment_id):
            raise Conflict("This order was a one-off top-up and is already paid.")

    def check_gateway_amount(self, amount: Money, currency: str = "UAH") -> None:
        if currency != "UAH":
            raise RuleViolation(f"The gateway reports a payment in {currency}, not in UAH.")
        if amount != self.amount:
            raise RuleViolation(
                f"The gateway reports {amount} but the payment is for {self.amount}."
            )

    def is_stale(self, outcome: GatewayOutcome, changed_at: datetime | None) -> bool:
        """A notification older than the last one applied changes nothing; at the same
        time a final outcome wins over one that leaves the payment pending."""
        last = self.gateway_changed_at
        if changed_at is None or last is None:
            return False
        if changed_at != last:
            return changed_at < last
        return outcome in (GatewayOutcome.PENDING, GatewayOutcome.UNPAID)

    def apply_outcome(
        self,
        outcome: GatewayOutcome,
        at: datetime,
        raw_status: str = "",
        changed_at: datetime | None = None,
    ) -> Change:
        """Apply what the gateway says. Idempotent: the same outcome twice changes
        nothing the second time; a notification the gateway dated before the last one
        applied (``changed_at``) changes nothing at all."""
        if self.is_stale(outcome, changed_at):
            return Change.NONE
        if changed_at is not None:
            self.gateway_changed_at = changed_at
        change = self._apply(outcome, at)
        if change is not Change.NONE and raw_status:
            self.gateway_status = raw_status
        return change

    def _apply(self, outcome: GatewayOutcome, at: datetime) -> Change:
        """The payment's states: pending → confirmed | failed | expired | reversed;
        failed and expired → confirmed (a late success still counts) or reversed;
        confirmed → reversed; reversed is final. So a success and a reversal of one
        order end ``reversed`` in whichever order they arrive."""
        if outcome is GatewayOutcome.SUCCESS:
            if self.status in UNSETTLED:
                self.status = PaymentStatus.CONFIRMED
                self.payment_date = at
                self.updated_at = at
                return Change.CONFIRMED
            if self.status is PaymentStatus.REVERSED:
                return Change.AFTER_REVERSAL
            return Change.NONE
        if outcome is GatewayOutcome.FAILURE:
            if self.status is PaymentStatus.PENDING:
                self.status = PaymentStatus.FAILED
                self.updated_at = at
                return Change.FAILED
            return Change.NONE
        if outcome is GatewayOutcome.REVERSED:
            # a reversal that overtakes its success marks the payment reversed: it never
            # extends the membership, and the success that follows changes nothing; a
            # refund staff asked for is done by it
            if self.status in HELD or self.status in UNSETTLED:
                self.status = PaymentStatus.REVERSED
                self.reversed_at = at
                self.updated_at = at
                return Change.REVERSED
            return Change.NONE
        return Change.NONE

    # -- refunds and reversals by staff ------------------------------------------------
    def request_refund(
        self, staff_id: int, reason: str, at: datetime, *, threshold: Money | None
    ) -> None:
        """Staff ask to give a whole confirmed contribution back through its gateway;
        above ``threshold`` a second staff user approves it first."""
        if self.payment_type is not PaymentType.TOP_UP or self.source is not PaymentSource.GATEWAY:
            raise RuleViolation(
                "Only a contribution paid through a gateway is refunded through it; money "
                "staff recorded is reversed instead."
            )
        if self.is_subscription or ":" in (self.payment_identifier or ""):
            raise RuleViolation(
                "A subscription's payments are refunded in the gateway's own cabinet."
            )
        if self.status is not PaymentStatus.CONFIRMED:
            raise Conflict(f"This payment is {self.status}: only a confirmed one is refunded.")
        self.refund_reason = _reason(reason)
        self.refund_requested_by = staff_id
        self.refund_approved_by = None
        waits = threshold is not None and self.amount > threshold
        self.status = (
            PaymentStatus.REFUND_PENDING_APPROVAL if waits else PaymentStatus.REFUND_REQUESTED
        )
        self.updated_at = at

    @property
    def refund_waits_for_approval(self) -> bool:
        return self.status is PaymentStatus.REFUND_PENDING_APPROVAL

    def approve_refund(self, staff_id: int, at: datetime) -> None:
        """A second staff user approves a refund waiting under the four-eyes rule."""
        if self.status is not PaymentStatus.REFUND_PENDING_APPROVAL:
            raise Conflict("This payment's refund does not wait for an approval.")
        if staff_id == self.refund_requested_by:
            raise PermissionDenied("The refund must be approved by another staff user.")
        self.status = PaymentStatus.REFUND_REQUESTED
        self.refund_approved_by = staff_id
        self.updated_at = at

    def refund_not_done(self, at: datetime) -> bool:
        """The gateway refused the refund, or could not be asked: the contribution stands
        as it was (False: it is no longer waiting for one)."""
        if self.status is not PaymentStatus.REFUND_REQUESTED:
            return False
        self.status = PaymentStatus.CONFIRMED
        self.updated_at = at
        return True

    def reverse_by_staff(self, staff_id: int, reason: str, at: datetime) -> None:
        """Staff take back money they recorded (a bank transfer returned): the payment is
        reversed at once, as a gateway's reversal would."""
        if self.payment_type is not PaymentType.TOP_UP or self.source is not PaymentSource.MANUAL:
            raise RuleViolation(
                "Only a contribution staff recorded is reversed by staff; one paid through a "
                "gateway is refunded through it."
            )
        if self.status is not PaymentStatus.CONFIRMED:
            raise Conflict(f"This payment is {self.status}: only a confirmed one is reversed.")
        self.refund_reason = _reason(reason)
        self.refund_requested_by = staff_id
        self.status = PaymentStatus.REVERSED
        self.reversed_at = at
        self.updated_at = at

    def expire(self, at: datetime, window: timedelta) -> Change:
        """A gateway checkout still pending ``window`` after it began: nobody paid it.
        Only a pending gateway payment expires; a success the gateway reports later
        still confirms it."""
        if self.status is not PaymentStatus.PENDING or self.source is not PaymentSource.GATEWAY:
            return Change.NONE
        if at - self.created_at < window:
            return Change.NONE
        self.status = PaymentStatus.EXPIRED
        self.updated_at = at
        return Change.EXPIRED

    def record_extension(self, extension: Extension) -> None:
        """What the confirmed top-up granted; the member is told it is confirmed."""
        self.extension = extension
        self.extended_to = extension.extended_to
        paid_until = extension.extended_to.isoformat() if extension.extended_to else None
        self.record(EventKind.PAYMENT_CONFIRMED, amount=str(self.amount), paid_until=paid_until)


def _reason(reason: str) -> str:
    reason = " ".join(reason.split())
    if not reason:
        raise InvalidInput.field("reason", "is required")
    if len(reason) > REFUND_REASON_MAX:
        raise InvalidInput.field("reason", f"is longer than {REFUND_REASON_MAX} characters")
    return reason
