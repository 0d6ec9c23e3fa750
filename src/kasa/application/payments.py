"""Money in and out: gateway top-ups and their callbacks, subscriptions, manual payments
and payouts, four-eyes approval, listings, and reconciliation with the gateway."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta

import attrs

from kasa.application.context import (
    Context,
    audit,
    load_member,
    load_staff,
    member_of,
    require_member,
    require_staff,
)
from kasa.application.ports import Checkout, GatewayNotice
from kasa.application.profiles import current_program_of
from kasa.application.reads import Page, PaymentQuery
from kasa.application.refusals import refuse_unverified
from kasa.application.repositories import UnitOfWork
from kasa.application.views import ChargeView, Listing, PaymentRow, PaymentView
from kasa.domain.audit import Actor, EventType, ObjectKind
from kasa.domain.errors import (
    Conflict,
    DeliveryFailed,
    InvalidInput,
    KasaError,
    NotFound,
    RuleViolation,
)
from kasa.domain.members import Member, MemberStatus
from kasa.domain.money import Money
from kasa.domain.payments import (
    Change,
    Payment,
    PaymentSource,
    PaymentType,
    record_payout,
)

PAYING_STATUSES = (MemberStatus.PENDING_REVIEW, MemberStatus.APPROVED)


def extend_membership(ctx: Context, uow: UnitOfWork, member: Member, payment: Payment) -> None:
    """A confirmed top-up buys days at the member's current program price."""
    assert member.id is not None and payment.payment_date is not None
    program = current_program_of(uow, member.id)
    price = program.month_price if program else None
    after, extension = member.membership.top_up(
        payment.amount, price, ctx.local_date(payment.payment_date)
    )
    member.membership = after
    member.updated_at = ctx.now()
    payment.record_extension(extension)


def take_back(ctx: Context, uow: UnitOfWork, member: Member, payment: Payment) -> None:
    """A reversed top-up gives back the days it bought."""
    assert member.id is not None
    if payment.extension is None:
        return
    program = current_program_of(uow, member.id)
    member.membership = member.membership.reverse(
        payment.extension, program.month_price if program else None
    )
    member.updated_at = ctx.now()


@attrs.frozen
class CallbackResult:
    payment: Payment
    change: Change


@attrs.define
class ReconcileReport:
    checked: int = 0
    confirmed: int = 0
    failed: int = 0
    reversed: int = 0
    unchanged: int = 0
    errors: list[str] = attrs.field(factory=list)


def payment_time(day: date, ctx: Context) -> datetime:
    """A date entered by staff, taken as noon at the fund (so it stays that date)."""
    return datetime.combine(day, time(12, 0), tzinfo=ctx.settings.zone)


class MemberPayments:
    def __init__(self, context: Context) -> None:
        self.ctx = context

    def start_top_up(self, member_id: int, amount: Money) -> Checkout:
        """A pending top-up with a new order id, and the gateway's signed checkout."""
        if not amount:
            raise InvalidInput.field("amount", "must be greater than zero")
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            member = load_member(uow, member_id)
            self._require_can_pay(member)
            order_id = self.ctx.codes.order_id()
            payment = uow.payments.add(Payment.gateway_top_up(member_id, amount, order_id, now))
            checkout = self.ctx.gateway.checkout(
                order_id, amount, f"Contribution of member {member.certificate or member_id}"
            )
            audit(
                uow,
                EventType.PAYMENT_STARTED,
                Actor.member(member_id),
                ObjectKind.PAYMENT,
                payment.id,
                now,
                order_id=order_id,
                amount=str(amount),
            )
            uow.commit()
            return checkout

    def start_subscription(self, member_id: int) -> Checkout:
        """A monthly automatic contribution at the current program's price."""
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            member = load_member(uow, member_id)
            self._require_can_pay(member)
            program = current_program_of(uow, member_id)
            if program is None:
                raise RuleViolation("A subscription needs a current program; yours is not set yet.")
            order_id = self.ctx.codes.order_id()
            payment = Payment.gateway_top_up(
                member_id, program.month_price, order_id, now, subscription=True
            )
            payment = uow.payments.add(payment)
            checkout = self.ctx.gateway.subscribe(
                order_id, program.month_price, f"Monthly contribution: {program.program_name}", now
            )
            audit(
                uow,
                EventType.PAYMENT_STARTED,
                Actor.member(member_id),
                ObjectKind.PAYMENT,
                payment.id,
                now,
                order_id=order_id,
                subscription=True,
            )
            uow.commit()
            return checkout

    @staticmethod
    def _require_can_pay(member: Member) -> None:
        if member.status not in PAYING_STATUSES:
            raise RuleViolation("Submit your profile before paying contributions.")

    def top_ups(self, member_id: int) -> Sequence[PaymentView]:
        """The member's own top-ups, newest first."""
        require_member(self.ctx.reads, member_id)
        return self.ctx.reads.top_ups(member_id)

    def charges(
        self, member_id: int, begin: date | None = None, end: date | None = None
    ) -> Sequence[ChargeView]:
        """Payouts the fund made to the member, optionally within dates."""
        if begin and end and begin > end:
            raise InvalidInput.field("begin", "must not be after end")
        require_member(self.ctx.reads, member_id)
        return self.ctx.reads.charges(member_id, begin, end)


class GatewayPayments:
    """What the gateway tells Kasa: callbacks, and answers to reconciliation."""

    def __init__(self, context: Context) -> None:
        self.ctx = context

    def callback(self, data: str, signature: str, address: str = "") -> CallbackResult:
        """Apply a gateway callback. The signature is checked before anything is read;
        refusals are recorded (unverifiable ones counted per address, audited once a
        minute); the same callback twice changes nothing."""
        try:
            notice = self.ctx.gateway.decode_callback(data, signature)
        except InvalidInput as error:
            refuse_unverified(self.ctx, "liqpay", ObjectKind.PAYMENT, address, error.message)
            raise
        return self.apply(notice, Actor.system())

    def apply(self, notice: GatewayNotice, actor: Actor) -> CallbackResult:
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            payment = uow.payments.by_identifier(notice.order_id)
            if payment is None:
                self._record_refusal(uow, notice.order_id, "unknown order", now)
                raise NotFound(f"Unknown order {notice.order_id}.")
            if payment.source is not PaymentSource.GATEWAY:
                self._record_refusal(uow, notice.order_id, "not a gateway payment", now)
                raise Conflict("This order was not paid through the gateway.")
            try:
                payment.require_one_payment(notice.gateway_payment_id)
            except Conflict as error:
                self._record_refusal(uow, notice.order_id, error.message, now)
                raise
            if self._is_new_subscription_charge(payment, notice):
                # each monthly charge of a subscription is a top-up of its own
                charge_id = f"{notice.order_id}:{notice.gateway_payment_id}"
                payment = uow.payments.by_identifier(charge_id) or uow.payments.add(
                    Payment.gateway_top_up(payment.member_id, payment.amount, charge_id, now)
                )
            try:
                payment.check_gateway_amount(notice.amount)
            except RuleViolation as error:
                self._record_refusal(uow, notice.order_id, error.message, now)
                raise
            if not payment.gateway_payment_id and notice.gateway_payment_id:
                payment.gateway_payment_id = notice.gateway_payment_id
            change = payment.apply_outcome(notice.outcome, notice.paid_at or now, notice.raw_status)
            if change is not Change.NONE:
                member = uow.members.get_for_update(payment.member_id)
                assert member is not None
                if change is Change.CONFIRMED:
                    extend_membership(self.ctx, uow, member, payment)
                elif change is Change.REVERSED:
                    take_back(self.ctx, uow, member, payment)
                audit(
                    uow,
                    CHANGE_EVENTS[change],
                    actor,
                    ObjectKind.PAYMENT,
                    payment.id,
                    now,
                    order_id=payment.payment_identifier,
                    gateway_status=notice.raw_status,
                    extended_to=member.expiration_date,
                )
            uow.commit()
            return CallbackResult(payment, change)

    @staticmethod
    def _is_new_subscription_charge(payment: Payment, notice: GatewayNotice) -> bool:
        return (
            payment.is_subscription
            and notice.is_subscription_charge
            and payment.is_other_gateway_payment(notice.gateway_payment_id)
        )

    @staticmethod
    def _record_refusal(uow: UnitOfWork, order_id: str, why: str, now: datetime) -> None:
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

    def reconcile(
        self,
        older_than_seconds: int | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> ReconcileReport:
        """Ask the gateway about pending payments older than the threshold and settle
        them, so a lost callback loses no money. One failure does not stop the rest."""
        threshold = (
            self.ctx.settings.reconcile_after_seconds
            if older_than_seconds is None
            else older_than_seconds
        )
        moment = self.ctx.now() - timedelta(seconds=threshold)
        report = ReconcileReport()
        for order_id in self.ctx.reads.pending_gateway_orders(moment):
            report.checked += 1
            try:
                result = self.apply(self.ctx.gateway.status(order_id), Actor.system())
            except (DeliveryFailed, KasaError) as error:
                report.errors.append(f"{order_id}: {error.message}")
                if progress is not None:
                    progress(f"{order_id}: error")
                continue
            counter = RECONCILE_COUNTERS.get(result.change, "unchanged")
            setattr(report, counter, getattr(report, counter) + 1)
            if progress is not None:
                progress(f"{order_id}: {result.change}")
        return report


CHANGE_EVENTS = {
    Change.CONFIRMED: EventType.PAYMENT_CONFIRMED,
    Change.FAILED: EventType.PAYMENT_FAILED,
    Change.REVERSED: EventType.PAYMENT_REVERSED,
}
RECONCILE_COUNTERS = {
    Change.CONFIRMED: "confirmed",
    Change.FAILED: "failed",
    Change.REVERSED: "reversed",
}


class StaffPayments:
    def __init__(self, context: Context) -> None:
        self.ctx = context

    def record(
        self,
        staff_id: int,
        *,
        member_id: int,
        payment_type: str,
        amount: Money,
        paid_on: date,
        request_id: int | None = None,
    ) -> PaymentView:
        """Staff record money that arrived outside the gateway, or a payout."""
        try:
            kind = PaymentType(payment_type)
        except ValueError:
            raise InvalidInput.field("type", "must be top_up, payout or partial_payout") from None
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            load_staff(uow, staff_id)
            member = member_of(uow, member_id)
            paid_at = payment_time(paid_on, self.ctx)
            if kind is PaymentType.TOP_UP:
                if request_id is not None:
                    raise InvalidInput.field("request", "a top-up does not name a request")
                payment = Payment.manual_top_up(member_id, amount, paid_at, staff_id, now)
                extend_membership(self.ctx, uow, member, payment)
            else:
                if request_id is None:
                    raise InvalidInput.field("request", "a payout names the request it pays")
                request = uow.requests.get_for_update(request_id)
                if request is None or request.member_id != member_id:
                    raise NotFound(f"Member {member_id} has no request {request_id}.")
                payment = record_payout(
                    request,
                    uow.payments.for_request(request_id),
                    amount,
                    paid_at=paid_at,
                    staff_id=staff_id,
                    now=now,
                    iban=str(member.iban or ""),
                    four_eyes_threshold=self.ctx.settings.four_eyes_threshold,
                )
            payment = uow.payments.add(payment)
            audit(
                uow,
                EventType.PAYMENT_RECORDED,
                Actor.staff(staff_id),
                ObjectKind.PAYMENT,
                payment.id,
                now,
                type=payment.payment_type,
                amount=str(amount),
                member_id=member_id,
                request_id=request_id,
                status=payment.status,
            )
            uow.commit()
            return PaymentView.of(payment)

    def approve_payout(self, staff_id: int, payment_id: int) -> PaymentView:
        """A second staff user approves a pending four-eyes payout."""
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            load_staff(uow, staff_id)
            payment = uow.payments.get_for_update(payment_id)
            if payment is None:
                raise NotFound(f"There is no payment {payment_id}.")
            payment.approve_payout(staff_id, now)
            audit(
                uow,
                EventType.PAYOUT_APPROVED,
                Actor.staff(staff_id),
                ObjectKind.PAYMENT,
                payment_id,
                now,
                recorded_by=payment.created_by,
            )
            uow.commit()
            return PaymentView.of(payment)

    def list(self, staff_id: int, query: PaymentQuery, page: Page) -> Listing[PaymentRow]:
        """The payments registry: every filter holds, newest first, with the total."""
        require_staff(self.ctx.reads, staff_id)
        return self.ctx.reads.payments(query, page)
