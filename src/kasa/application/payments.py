"""Money in and out that people start: members' gateway top-ups and subscriptions,
money staff record (a top-up that came by bank, a payout on a request), the second
approval of a large payout, and the registry."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import attrs

from kasa.application.access import (
    acting_staff,
    member_for_update,
    require_member,
    require_staff,
    signed_in_member,
)
from kasa.application.auditing import audit
from kasa.application.clock import FundClock
from kasa.application.ports import Checkout, Gateways, RandomSource
from kasa.application.profiles import current_program_of
from kasa.application.reads import MemberReads, OfficeReads, Page, PaymentQuery
from kasa.application.repositories import UnitOfWork, UnitOfWorkFactory
from kasa.application.requests import locked_request
from kasa.application.retrying import use_cases
from kasa.application.settings import FundSettings
from kasa.application.views import ChargeView, Listing, PaymentRow, PaymentView
from kasa.domain.audit import Actor, EventType, ObjectKind
from kasa.domain.errors import InvalidInput, NotFound, RuleViolation
from kasa.domain.members import Member, MemberStatus
from kasa.domain.money import Money
from kasa.domain.payments import Payment
from kasa.domain.payouts import approve_payout, record_payout

PAYING_STATUSES = (MemberStatus.PENDING_REVIEW, MemberStatus.APPROVED)


@attrs.frozen
class PaymentMethod:
    name: str
    title: str
    subscription: bool


def program_price(uow: UnitOfWork, member_id: int) -> Money | None:
    """The monthly price of the member's current program (None without one)."""
    program = current_program_of(uow, member_id)
    return program.month_price if program else None


@use_cases
@attrs.frozen
class MemberPayments:
    uow: UnitOfWorkFactory
    reads: MemberReads
    clock: FundClock
    random: RandomSource
    gateways: Gateways

    def methods(self, member_id: int) -> list[PaymentMethod]:
        """The gateways a member may pay through, in the order they are offered."""
        require_member(self.reads, member_id)
        return [PaymentMethod(g.name, g.title, g.subscriptions) for g in self.gateways]

    def payment(self, member_id: int, order_id: str) -> PaymentView:
        """One of the member's own gateway payments, by its order id (another member's
        is not found)."""
        require_member(self.reads, member_id)
        found = self.reads.payment_of_order(order_id)
        if found is None or found.member_id != member_id:
            raise NotFound("Payment not found.")
        return found

    def start_top_up(self, member_id: int, amount: Money, gateway_name: str) -> Checkout:
        """A pending top-up with a new order id, and the gateway's checkout (the gateway
        is asked before anything is written: a checkout it refuses leaves nothing)."""
        gateway = self.gateways.get(gateway_name)
        if not amount:
            raise InvalidInput.field("amount", "must be greater than zero")
        now = self.clock.now()
        with self.uow() as uow:
            member = signed_in_member(uow, member_id)
            _require_can_pay(member)
            # what the confirmation would refuse (too many years ahead) is refused before
            # the member pays
            program = current_program_of(uow, member_id)
            member.membership.top_up(
                amount, program.month_price if program else None, self.clock.today()
            )
            order_id = self.random.order_id()
            checkout = gateway.checkout(
                order_id, amount, f"Contribution of member {member.certificate or member_id}"
            )
            payment = uow.payments.add(
                Payment.gateway_top_up(
                    member_id,
                    amount,
                    order_id,
                    now,
                    gateway=gateway.name,
                    reference=checkout.reference,
                )
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
                gateway=gateway.name,
            )
            uow.commit()
            return checkout

    def start_subscription(self, member_id: int, gateway_name: str) -> Checkout:
        """A monthly automatic contribution at the current program's price."""
        gateway = self.gateways.get(gateway_name)
        if not gateway.subscriptions:
            raise RuleViolation(f"{gateway.title} takes no monthly subscriptions.")
        now = self.clock.now()
        with self.uow() as uow:
            member = signed_in_member(uow, member_id)
            _require_can_pay(member)
            program = current_program_of(uow, member_id)
            if program is None:
                raise RuleViolation("A subscription needs a current program; yours is not set yet.")
            order_id = self.random.order_id()
            checkout = gateway.subscribe(
                order_id, program.month_price, f"Monthly contribution: {program.program_name}", now
            )
            payment = uow.payments.add(
                Payment.gateway_top_up(
                    member_id,
                    program.month_price,
                    order_id,
                    now,
                    gateway=gateway.name,
                    reference=checkout.reference,
                    subscription=True,
                )
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
                gateway=gateway.name,
            )
            uow.commit()
            return checkout

    def top_ups(self, member_id: int) -> Sequence[PaymentView]:
        """The member's own top-ups, newest first."""
        require_member(self.reads, member_id)
        return self.reads.top_ups(member_id)

    def charges(
        self, member_id: int, begin: date | None = None, end: date | None = None
    ) -> Sequence[ChargeView]:
        """Payouts the fund made to the member, optionally within dates."""
        if begin and end and begin > end:
            raise InvalidInput.field("begin", "must not be after end")
        require_member(self.reads, member_id)
        return self.reads.charges(member_id, begin, end)


def _require_can_pay(member: Member) -> None:
    if member.status not in PAYING_STATUSES:
        raise RuleViolation("Submit your profile before paying contributions.")


@use_cases
@attrs.frozen
class StaffPayments:
    uow: UnitOfWorkFactory
    reads: OfficeReads
    clock: FundClock
    settings: FundSettings
    # the lists (a replica's, when there is one); by default the reads themselves
    lists: OfficeReads = attrs.field(
        default=attrs.Factory(lambda self: self.reads, takes_self=True), kw_only=True
    )

    def record_top_up(
        self, staff_id: int, member_id: int, amount: Money, paid_on: date
    ) -> PaymentView:
        """Money that reached the fund's account outside the gateway: it extends the
        member's membership at once."""
        now = self.clock.now()
        with self.uow() as uow:
            acting_staff(uow, staff_id)
            member = member_for_update(uow, member_id)
            payment = Payment.manual_top_up(
                member_id, amount, self.clock.noon(paid_on), staff_id, now
            )
            member.top_up(payment, program_price(uow, member_id), paid_on, now)
            return self._recorded(uow, staff_id, uow.payments.add(payment))

    def record_payout(
        self,
        staff_id: int,
        request_id: int,
        amount: Money,
        paid_on: date,
        *,
        member_id: int | None = None,
    ) -> PaymentView:
        """The fund pays (part of) a request's approved amount; above the four-eyes
        threshold the payout waits for a second staff user. ``member_id``, when the
        caller names the member, must be the request's."""
        now = self.clock.now()
        with self.uow() as uow:
            acting_staff(uow, staff_id)
            owner = uow.requests.member_of(request_id)
            if owner is None or member_id not in (None, owner):
                who = f"Member {member_id} has" if member_id is not None else "There is"
                raise NotFound(f"{who} no request {request_id}.")
            request, member = locked_request(uow, request_id)
            payout = record_payout(
                request,
                uow.payments.for_request(request_id),
                amount,
                paid_at=self.clock.noon(paid_on),
                staff_id=staff_id,
                now=now,
                iban=str(member.iban or ""),
                four_eyes_threshold=self.settings.four_eyes_threshold,
            )
            return self._recorded(uow, staff_id, uow.payments.add(payout))

    @staticmethod
    def _recorded(uow: UnitOfWork, staff_id: int, payment: Payment) -> PaymentView:
        audit(
            uow,
            EventType.PAYMENT_RECORDED,
            Actor.staff(staff_id),
            ObjectKind.PAYMENT,
            payment.id,
            payment.created_at,
            type=payment.payment_type,
            amount=str(payment.amount),
            member_id=payment.member_id,
            request_id=payment.request_id,
            status=payment.status,
        )
        uow.commit()
        return PaymentView.of(payment)

    def approve_payout(self, staff_id: int, payment_id: int) -> PaymentView:
        """A second staff user approves a pending four-eyes payout."""
        now = self.clock.now()
        with self.uow() as uow:
            acting_staff(uow, staff_id)
            payout = uow.payments.get_for_update(payment_id)
            if payout is None:
                raise NotFound(f"There is no payment {payment_id}.")
            approve_payout(payout, staff_id, now)
            audit(
                uow,
                EventType.PAYOUT_APPROVED,
                Actor.staff(staff_id),
                ObjectKind.PAYMENT,
                payment_id,
                now,
                recorded_by=payout.created_by,
            )
            uow.commit()
            return PaymentView.of(payout)

    def list(self, staff_id: int, query: PaymentQuery, page: Page) -> Listing[PaymentRow]:
        """The payments registry: every filter holds, newest first, with the total."""
        require_staff(self.reads, staff_id)
        return self.lists.payments(query, page)
