"""What a gateway tells the fund about a payment, by callback or when asked during
reconciliation, and what it changes. Each payment is asked about, and heard about, only
through the gateway that took it.

The signature is checked before anything is read. The payment of the order is locked
while the outcome is applied, and applying an outcome is idempotent: the same callback
twice — one after the other or at the same moment from two processes — confirms the
payment and extends the membership once; the second changes nothing. A failure after a
success changes nothing either; a reversal takes back exactly the days the top-up
bought. A gateway that dates its notifications is heard in its own order: one dated
before the last applied changes nothing. Each monthly charge of a subscription is a
top-up of its own; a one-off order takes exactly one payment. Callbacks that cannot be
verified are counted per address and audited at most once a minute."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import attrs

from kasa.application.auditing import audit
from kasa.application.clock import FundClock
from kasa.application.ports import GatewayMessage, GatewayNotice, GatewayOrder, Gateways
from kasa.application.reads import OfficeReads
from kasa.application.refusals import UnverifiedCallbacks
from kasa.application.repositories import UnitOfWork, UnitOfWorkFactory
from kasa.application.retrying import retried, runs_many, use_cases
from kasa.application.settings import FundSettings
from kasa.domain.audit import Actor, EventType, ObjectKind
from kasa.domain.errors import (
    Conflict,
    DeliveryFailed,
    InvalidInput,
    KasaError,
    NotFound,
    RuleViolation,
)
from kasa.domain.payments import Change, GatewayOutcome, Payment, PaymentSource


@attrs.frozen
class CallbackResult:
    payment: Payment
    change: Change

    @property
    def changed(self) -> bool:
        return self.change not in (Change.NONE, Change.AFTER_REVERSAL)


@attrs.define
class ReconcileReport:
    checked: int = 0
    confirmed: int = 0
    failed: int = 0
    reversed: int = 0
    expired: int = 0
    unchanged: int = 0
    errors: list[str] = attrs.field(factory=list)


# what a reconciliation report counts by name; anything else counts as unchanged
COUNTED = frozenset({Change.CONFIRMED, Change.FAILED, Change.REVERSED, Change.EXPIRED})
# confirmed payments asked about again in one reconciliation, at most
RECHECK_LIMIT = 500

CHANGE_EVENTS = {
    Change.CONFIRMED: EventType.PAYMENT_CONFIRMED,
    Change.FAILED: EventType.PAYMENT_FAILED,
    Change.REVERSED: EventType.PAYMENT_REVERSED,
    Change.EXPIRED: EventType.PAYMENT_EXPIRED,
    Change.AFTER_REVERSAL: EventType.CALLBACK_AFTER_REVERSAL,
}


@use_cases
@attrs.frozen
class GatewayCallbacks:
    uow: UnitOfWorkFactory
    reads: OfficeReads
    clock: FundClock
    gateways: Gateways
    refusals: UnverifiedCallbacks
    settings: FundSettings

    def callback(
        self, gateway_name: str, message: GatewayMessage, address: str = ""
    ) -> CallbackResult:
        """Apply a gateway's notification; refusals are recorded even though the call
        fails."""
        gateway = self.gateways.get(gateway_name)
        try:
            notice = gateway.verify(message)
        except InvalidInput as error:
            self.refusals.refuse(gateway.name, ObjectKind.PAYMENT, address, error.message)
            raise
        return self.apply(gateway.name, notice)

    def apply(self, gateway_name: str, notice: GatewayNotice) -> CallbackResult:
        """What the gateway says about an order, applied once.

        Locks are taken in the one order every money write uses: the member, then the
        payment (then, as the change is written, the counters), so callbacks for several
        orders of one member at the same moment wait in turn instead of on each other."""
        now = self.clock.now()
        with self.uow() as uow:
            member = uow.members.of_order_for_update(notice.order_id)
            # the price is read with the payment, once the member is locked: it stays
            # current, and nothing is read after the changes begin
            found = uow.payments.order_for_update(notice.order_id)
            if found is None or member is None:
                _refused(uow, notice.order_id, "unknown order", now)
                raise NotFound(f"Unknown order {notice.order_id}.")
            payment, price = found
            if payment.source is not PaymentSource.GATEWAY:
                _refused(uow, notice.order_id, "not a gateway payment", now)
                raise Conflict("This order was not paid through the gateway.")
            if payment.gateway != gateway_name:
                _refused(uow, notice.order_id, f"an order of {payment.gateway}", now)
                raise Conflict("This order was not paid through this gateway.")
            try:
                payment.require_one_payment(notice.gateway_payment_id)
            except Conflict as error:
                _refused(uow, notice.order_id, error.message, now)
                raise
            if _is_new_subscription_charge(payment, notice):
                charge_id = f"{notice.order_id}:{notice.gateway_payment_id}"
                payment = uow.payments.by_identifier_for_update(charge_id) or uow.payments.add(
                    Payment.gateway_top_up(
                        payment.member_id,
                        payment.amount,
                        charge_id,
                        now,
                        gateway=gateway_name,
                    )
                )
            try:
                payment.check_gateway_amount(notice.amount, notice.currency)
            except RuleViolation as error:
                _refused(uow, notice.order_id, error.message, now)
                raise
            if not payment.gateway_payment_id and notice.gateway_payment_id:
                payment.gateway_payment_id = notice.gateway_payment_id
            # a reversal is dated when the fund hears of it; a success when it was paid
            at = now if notice.outcome is GatewayOutcome.REVERSED else notice.paid_at or now
            change = payment.apply_outcome(notice.outcome, at, notice.raw_status, notice.changed_at)
            if change is not Change.NONE:
                if change is Change.CONFIRMED:
                    assert payment.payment_date is not None
                    paid_on = self.clock.local_date(payment.payment_date)
                    member.top_up(payment, price, paid_on, now)
                elif change is Change.REVERSED:
                    member.take_back(payment, price, now)
                # a success after a reversal changes nothing: audited as ignored
                moved = (
                    {} if change is Change.AFTER_REVERSAL else {"extended_to": member.paid_until}
                )
                audit(
                    uow,
                    CHANGE_EVENTS[change],
                    Actor.system(),
                    ObjectKind.PAYMENT,
                    payment.id,
                    now,
                    order_id=payment.payment_identifier,
                    gateway_status=notice.raw_status,
                    **moved,
                )
            uow.commit()
            return CallbackResult(payment, change)

    @runs_many
    def reconcile(
        self,
        older_than_seconds: int | None = None,
        progress: Callable[[str], None] | None = None,
        *,
        reversals_days: int = 0,
        limit: int = RECHECK_LIMIT,
    ) -> ReconcileReport:
        """Ask the gateway about pending payments older than the threshold and settle
        them, so a lost callback loses no money. A checkout the gateway still calls
        pending (or never saw paid) when its expiry window has passed expires. With
        ``reversals_days``, also ask about (at most ``limit``) payments confirmed in
        that many days, the least recently checked first, and apply a reversal the
        gateway reports, so a lost reversal callback leaves no days unpaid for. Refunds
        staff asked for are asked about every time until the gateway reports them done.
        One failure does not stop the rest."""
        if reversals_days < 0:
            raise InvalidInput.field("reversals_days", "must not be negative")
        if limit < 1:
            raise InvalidInput.field("limit", "must be at least 1")
        threshold = (
            self.settings.reconcile_after_seconds
            if older_than_seconds is None
            else older_than_seconds
        )
        report = ReconcileReport()
        now = self.clock.now()
        moment = now - timedelta(seconds=threshold)
        self._each(report, self.reads.pending_gateway_orders(moment), self._settle, progress)
        # a refund asked for is done when the gateway reverses the payment
        self._each(report, self.reads.refunding_gateway_orders(limit), self._recheck, progress)
        if reversals_days:
            since = now - timedelta(days=reversals_days)
            recent = self.reads.confirmed_gateway_orders(since, limit)
            self._each(report, recent, self._recheck, progress)
        return report

    @staticmethod
    def _each(
        report: ReconcileReport,
        orders: list[GatewayOrder],
        settle: Callable[[GatewayOrder], Change],
        progress: Callable[[str], None] | None,
    ) -> None:
        for order in orders:
            report.checked += 1
            try:
                change = settle(order)
            except (DeliveryFailed, KasaError) as error:
                report.errors.append(f"{order.order_id}: {error.message}")
                if progress is not None:
                    progress(f"{order.order_id}: error")
                continue
            counter = change.value if change in COUNTED else "unchanged"
            setattr(report, counter, getattr(report, counter) + 1)
            if progress is not None:
                progress(f"{order.order_id}: {change}")

    def _settle(self, order: GatewayOrder) -> Change:
        notice = self.gateways.get(order.gateway).status(order)
        if notice.outcome is not GatewayOutcome.UNPAID:
            change = self.apply(order.gateway, notice).change
            if change is not Change.NONE:
                return change
        return self._expire_if_abandoned(order.order_id)

    def _recheck(self, order: GatewayOrder) -> Change:
        """A confirmed payment asked about again: a reversal the gateway reports is
        applied; either way the payment is marked checked now."""
        notice = self.gateways.get(order.gateway).status(order)
        change = Change.NONE
        if notice.outcome is GatewayOutcome.REVERSED:
            change = self.apply(order.gateway, notice).change
        self._mark_checked(order.order_id)
        return change

    @retried
    def _mark_checked(self, order_id: str) -> None:
        with self.uow() as uow:
            payment = uow.payments.by_identifier_for_update(order_id)
            if payment is not None:
                payment.checked_at = self.clock.now()
                uow.commit()

    @retried
    def _expire_if_abandoned(self, order_id: str) -> Change:
        """A checkout still unpaid after the expiry window expires."""
        now = self.clock.now()
        window = timedelta(seconds=self.settings.checkout_expiry_seconds)
        with self.uow() as uow:
            payment = uow.payments.by_identifier_for_update(order_id)
            change = payment.expire(now, window) if payment is not None else Change.NONE
            if payment is None or change is Change.NONE:
                return Change.NONE
            audit(
                uow,
                CHANGE_EVENTS[change],
                Actor.system(),
                ObjectKind.PAYMENT,
                payment.id,
                now,
                order_id=order_id,
                began_at=payment.created_at.isoformat(),
            )
            uow.commit()
            return change


def _is_new_subscription_charge(payment: Payment, notice: GatewayNotice) -> bool:
    """Each monthly charge of a subscription is a top-up of its own."""
    return (
        payment.is_subscription
        and notice.is_subscription_charge
        and payment.is_other_gateway_payment(notice.gateway_payment_id)
    )


def _refused(uow: UnitOfWork, order_id: str, why: str, now: datetime) -> None:
    """Refusals are kept in the audit trail even though the callback fails."""
    uow.rollback()
    audit(
        uow,
        EventType.CALLBACK_REFUSED,
        Actor.system(),
        ObjectKind.PAYMENT,
        order_id or "-",
        now,
        reason=why,
    )
    uow.commit()
