"""Giving a contribution back: staff refund one paid through a gateway (through that
gateway, under the four-eyes rule above the threshold), or reverse one they recorded.

A refund is written as asked for first (``refund_requested``, or
``refund_pending_approval`` until a second staff user approves it), then the gateway is
asked. The days the contribution bought are taken back only when the gateway's reversal
arrives (its notification, or reconciliation asking it), exactly once, as any reversal;
a gateway that refuses the refund, or cannot be asked, leaves the contribution confirmed
as it was. Locks are taken in the one order every money write uses: the member, then
the payment."""

from __future__ import annotations

import attrs

from kasa.application.access import acting_staff, member_for_update
from kasa.application.auditing import audit
from kasa.application.clock import FundClock
from kasa.application.payments import program_price
from kasa.application.ports import GatewayOrder, Gateways
from kasa.application.repositories import UnitOfWork, UnitOfWorkFactory
from kasa.application.retrying import retried, runs_many, use_cases
from kasa.application.settings import FundSettings
from kasa.application.views import PaymentView
from kasa.domain.audit import Actor, EventType, ObjectKind
from kasa.domain.errors import DeliveryFailed, NotFound, RuleViolation
from kasa.domain.members import Member
from kasa.domain.money import Money
from kasa.domain.payments import Payment


@use_cases
@attrs.frozen
class Refunds:
    uow: UnitOfWorkFactory
    clock: FundClock
    gateways: Gateways
    settings: FundSettings

    @runs_many
    def refund(self, staff_id: int, payment_id: int, reason: str) -> PaymentView:
        """An admin asks to refund a whole confirmed contribution through its gateway.
        Above the four-eyes threshold it waits for a second admin; otherwise the gateway
        is asked at once. (Each step is a unit of work of its own, retried on its own:
        the refund is written as asked for before the gateway is asked.)"""
        view, order = self._asked_for(staff_id, payment_id, reason)
        if order is None:  # it waits for a second admin
            return view
        return self._ask_gateway(staff_id, payment_id, order, view.amount)

    @runs_many
    def approve_refund(self, staff_id: int, payment_id: int) -> PaymentView:
        """A second admin approves a refund waiting under the four-eyes rule; the gateway
        is asked then."""
        view, order = self._approved(staff_id, payment_id)
        return self._ask_gateway(staff_id, payment_id, order, view.amount)

    @retried
    def _asked_for(
        self, staff_id: int, payment_id: int, reason: str
    ) -> tuple[PaymentView, GatewayOrder | None]:
        now = self.clock.now()
        with self.uow() as uow:
            acting_staff(uow, staff_id, admin=True)
            _, payment = _locked(uow, payment_id)
            payment.request_refund(
                staff_id, reason, now, threshold=self.settings.four_eyes_threshold
            )
            self.gateways.get(payment.gateway or "")  # a gateway switched off refunds nothing
            audit(
                uow,
                EventType.REFUND_REQUESTED,
                Actor.staff(staff_id),
                ObjectKind.PAYMENT,
                payment_id,
                now,
                reason=payment.refund_reason,
                amount=str(payment.amount),
                gateway=payment.gateway,
                waits_for_approval=payment.refund_waits_for_approval,
            )
            uow.commit()
            waits = payment.refund_waits_for_approval
            return PaymentView.of(payment), None if waits else _order(payment)

    @retried
    def _approved(self, staff_id: int, payment_id: int) -> tuple[PaymentView, GatewayOrder]:
        now = self.clock.now()
        with self.uow() as uow:
            acting_staff(uow, staff_id, admin=True)
            _, payment = _locked(uow, payment_id)
            payment.approve_refund(staff_id, now)
            self.gateways.get(payment.gateway or "")
            audit(
                uow,
                EventType.REFUND_APPROVED,
                Actor.staff(staff_id),
                ObjectKind.PAYMENT,
                payment_id,
                now,
                requested_by=payment.refund_requested_by,
            )
            uow.commit()
            return PaymentView.of(payment), _order(payment)

    def reverse(self, staff_id: int, payment_id: int, reason: str) -> PaymentView:
        """An admin takes back a contribution staff recorded (a bank transfer returned):
        reversed at once, the days it bought taken back."""
        now = self.clock.now()
        with self.uow() as uow:
            acting_staff(uow, staff_id, admin=True)
            member, payment = _locked(uow, payment_id)
            payment.reverse_by_staff(staff_id, reason, now)
            member.take_back(payment, program_price(uow, payment.member_id), now)
            audit(
                uow,
                EventType.PAYMENT_REVERSED,
                Actor.staff(staff_id),
                ObjectKind.PAYMENT,
                payment_id,
                now,
                reason=payment.refund_reason,
                amount=str(payment.amount),
                extended_to=member.paid_until,
            )
            uow.commit()
            return PaymentView.of(payment)

    def _ask_gateway(
        self, staff_id: int, payment_id: int, order: GatewayOrder, amount: Money
    ) -> PaymentView:
        """Ask the payment's gateway to refund it; a refusal or an unreachable gateway
        returns the payment to confirmed (and says so), a refund taken leaves it waiting
        for the gateway's reversal."""
        gateway = self.gateways.get(order.gateway)
        try:
            answer = gateway.refund(order, amount)
        except DeliveryFailed:
            self._not_done(staff_id, payment_id, "the gateway could not be reached")
            raise
        if not answer.accepted:
            self._not_done(staff_id, payment_id, f"the gateway refused: {answer.raw_status}")
            raise RuleViolation(
                f"{gateway.title} refused the refund ({answer.raw_status}); the contribution "
                "stands as it was."
            )
        return self._asked(staff_id, payment_id, answer.raw_status)

    @retried
    def _asked(self, staff_id: int, payment_id: int, raw_status: str) -> PaymentView:
        now = self.clock.now()
        with self.uow() as uow:
            payment = uow.payments.get(payment_id)
            if payment is None:
                raise NotFound(f"There is no payment {payment_id}.")
            audit(
                uow,
                EventType.REFUND_SENT,
                Actor.staff(staff_id),
                ObjectKind.PAYMENT,
                payment_id,
                now,
                gateway_status=raw_status,
            )
            uow.commit()
            return PaymentView.of(payment)

    @retried
    def _not_done(self, staff_id: int, payment_id: int, why: str) -> None:
        now = self.clock.now()
        with self.uow() as uow:
            _, payment = _locked(uow, payment_id)
            if payment.refund_not_done(now):
                audit(
                    uow,
                    EventType.REFUND_REFUSED,
                    Actor.staff(staff_id),
                    ObjectKind.PAYMENT,
                    payment_id,
                    now,
                    reason=why,
                )
                uow.commit()


def _locked(uow: UnitOfWork, payment_id: int) -> tuple[Member, Payment]:
    """The payment's member, then the payment, both locked."""
    member_id = uow.payments.member_of(payment_id)
    if member_id is None:
        raise NotFound(f"There is no payment {payment_id}.")
    member = member_for_update(uow, member_id)
    payment = uow.payments.get_for_update(payment_id)
    if payment is None:
        raise NotFound(f"There is no payment {payment_id}.")
    return member, payment


def _order(payment: Payment) -> GatewayOrder:
    return GatewayOrder(
        payment.payment_identifier or "", payment.gateway or "", payment.gateway_payment_id
    )
