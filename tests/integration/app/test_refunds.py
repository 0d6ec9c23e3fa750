"""Refunds staff ask for through the gateway that took the money, the four-eyes rule
over them, and reversals of money staff recorded."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from kasa.application.ports import RefundAnswer
from kasa.application.settings import FundSettings
from kasa.domain.audit import EventType
from kasa.domain.errors import (
    Conflict,
    DeliveryFailed,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RuleViolation,
)
from kasa.domain.money import Money
from kasa.domain.payments import PaymentStatus
from kasa.domain.staff import Role
from tests.integration.app.helpers import Fund


def paid_until(fund: Fund, member_id: int) -> date | None:
    return fund.tables().members[member_id].paid_until


def payment_of(fund: Fund, order_id: str) -> tuple[int, PaymentStatus]:
    found = [p for p in fund.tables().payments.values() if p.payment_identifier == order_id]
    return found[0].id or 0, found[0].status


def test_a_refund_goes_through_the_gateway_and_its_reversal_takes_the_days_back(
    fund: Fund,
) -> None:
    member_id = fund.approved_member()
    before = paid_until(fund, member_id)
    first = fund.pay(member_id, "300")
    second = fund.pay(member_id, "300")
    both = paid_until(fund, member_id)
    assert both == fund.clock.today() + timedelta(days=60) and before is None
    payment_id, _ = payment_of(fund, first)
    view = fund.refunds.refund(fund.admin_id, payment_id, "  paid twice by mistake ")
    assert view.status is PaymentStatus.REFUND_REQUESTED
    assert fund.fakes.gateway.refunds == [(first, Money(30000))]
    # nothing is taken back before the gateway says it reversed the payment
    assert paid_until(fund, member_id) == both
    report = fund.books.fund_report(fund.admin_id)
    assert report.money_in == Money(60000) and report.reversed == Money(0)
    reversal = fund.fakes.gateway.message(first, "300", "reversed")
    assert fund.gateway.callback("liqpay", reversal).change == "reversed"
    assert paid_until(fund, member_id) == fund.clock.today() + timedelta(days=30)
    assert fund.gateway.callback("liqpay", reversal).change == "none"  # exactly once
    assert paid_until(fund, member_id) == fund.clock.today() + timedelta(days=30)
    assert payment_of(fund, first)[1] is PaymentStatus.REVERSED
    assert payment_of(fund, second)[1] is PaymentStatus.CONFIRMED
    report = fund.books.fund_report(fund.admin_id)
    assert (report.money_in, report.reversed) == (Money(60000), Money(30000))
    assert report.money_in_by_gateway == {"liqpay": Money(60000)}
    kinds = [e.event_type for e in fund.events() if e.object_id == str(payment_id)]
    assert kinds[-3:] == [
        EventType.REFUND_REQUESTED,
        EventType.REFUND_SENT,
        EventType.PAYMENT_REVERSED,
    ]
    requested = next(e for e in fund.events(EventType.REFUND_REQUESTED))
    assert requested.details["reason"] == "paid twice by mistake"
    # a refund already done is not asked again
    with pytest.raises(Conflict):
        fund.refunds.refund(fund.admin_id, payment_id, "again")


def test_only_an_admin_refunds_only_a_confirmed_gateway_contribution_with_a_reason(
    fund: Fund,
) -> None:
    member_id = fund.approved_member()
    paid = payment_of(fund, fund.pay(member_id, "300"))[0]
    with pytest.raises(PermissionDenied):
        fund.refunds.refund(fund.operator_id, paid, "why")
    with pytest.raises(InvalidInput):
        fund.refunds.refund(fund.admin_id, paid, "   ")
    with pytest.raises(InvalidInput):
        fund.refunds.refund(fund.admin_id, paid, "x" * 501)
    failed = payment_of(fund, fund.pay(member_id, "100", "failure"))[0]
    with pytest.raises(Conflict):
        fund.refunds.refund(fund.admin_id, failed, "why")
    manual = fund.staff_payments.record_top_up(
        fund.operator_id, member_id, Money(10000), fund.clock.today()
    )
    with pytest.raises(RuleViolation):
        fund.refunds.refund(fund.admin_id, manual.id, "why")
    with pytest.raises(RuleViolation):  # a gateway's is refunded, not reversed
        fund.refunds.reverse(fund.admin_id, paid, "why")
    with pytest.raises(NotFound):
        fund.refunds.refund(fund.admin_id, 999, "why")
    assert fund.fakes.gateway.refunds == []
    assert payment_of(fund, fund.tables().payments[paid].payment_identifier or "")[1] is (
        PaymentStatus.CONFIRMED
    )


def test_a_refund_the_gateway_refuses_or_cannot_take_leaves_the_contribution_confirmed(
    fund: Fund,
) -> None:
    member_id = fund.approved_member()
    order = fund.pay(member_id, "300")
    payment_id, _ = payment_of(fund, order)
    fund.fakes.gateway.refund_answer = RefundAnswer(False, "payment_err_status")
    with pytest.raises(RuleViolation, match="refused the refund"):
        fund.refunds.refund(fund.admin_id, payment_id, "duplicate")
    assert payment_of(fund, order)[1] is PaymentStatus.CONFIRMED
    refused = fund.events(EventType.REFUND_REFUSED)
    assert "payment_err_status" in refused[-1].details["reason"]
    fund.fakes.gateway.refund_answer = RefundAnswer(True, "reversed")
    fund.fakes.gateway.unreachable = True
    with pytest.raises(DeliveryFailed):
        fund.refunds.refund(fund.admin_id, payment_id, "duplicate")
    assert payment_of(fund, order)[1] is PaymentStatus.CONFIRMED
    fund.fakes.gateway.unreachable = False
    assert fund.refunds.refund(fund.admin_id, payment_id, "duplicate").status is (
        PaymentStatus.REFUND_REQUESTED
    )
    assert paid_until(fund, member_id) == fund.clock.today() + timedelta(days=30)


def test_above_the_threshold_a_second_admin_approves_the_refund() -> None:
    fund = Fund.build(FundSettings(four_eyes_threshold=Money(20000)))
    second = fund.accounts.create(None, login="second", role=Role.ADMIN, name="Друга")
    second_id = second.user.id or 0
    member_id = fund.approved_member()
    small = payment_of(fund, fund.pay(member_id, "150"))[0]
    large_order = fund.pay(member_id, "300")
    large = payment_of(fund, large_order)[0]
    assert fund.refunds.refund(fund.admin_id, small, "asked").status is (
        PaymentStatus.REFUND_REQUESTED
    )
    waiting = fund.refunds.refund(fund.admin_id, large, "asked")
    assert waiting.status is PaymentStatus.REFUND_PENDING_APPROVAL
    assert [order for order, _ in fund.fakes.gateway.refunds] == [
        fund.tables().payments[small].payment_identifier
    ]
    with pytest.raises(PermissionDenied):  # not by who asked
        fund.refunds.approve_refund(fund.admin_id, large)
    with pytest.raises(PermissionDenied):  # not by an operator
        fund.refunds.approve_refund(fund.operator_id, large)
    with pytest.raises(Conflict):  # only one that waits
        fund.refunds.approve_refund(second_id, small)
    approved = fund.refunds.approve_refund(second_id, large)
    assert approved.status is PaymentStatus.REFUND_REQUESTED
    assert fund.fakes.gateway.refunds[-1] == (large_order, Money(30000))
    assert fund.events(EventType.REFUND_APPROVED)[-1].details["requested_by"] == fund.admin_id


def test_reconciliation_finds_the_reversal_of_a_refund_whose_callback_was_lost(
    fund: Fund,
) -> None:
    member_id = fund.approved_member()
    order = fund.pay(member_id, "300")
    payment_id, _ = payment_of(fund, order)
    fund.refunds.refund(fund.admin_id, payment_id, "asked")
    report = fund.gateway.reconcile(older_than_seconds=60)
    assert (report.checked, report.reversed) == (1, 0)  # the gateway has not done it yet
    fund.fakes.gateway.statuses[order] = {"amount": "300", "status": "reversed"}
    report = fund.gateway.reconcile(older_than_seconds=60)
    assert (report.checked, report.reversed) == (1, 1)
    assert payment_of(fund, order)[1] is PaymentStatus.REVERSED
    assert paid_until(fund, member_id) is None
    assert fund.gateway.reconcile(older_than_seconds=60).checked == 0


def test_staff_reverse_money_they_recorded_and_its_days_go(fund: Fund) -> None:
    member_id = fund.approved_member()
    recorded = fund.staff_payments.record_top_up(
        fund.operator_id, member_id, Money(30000), fund.clock.today()
    )
    assert paid_until(fund, member_id) == fund.clock.today() + timedelta(days=30)
    with pytest.raises(PermissionDenied):
        fund.refunds.reverse(fund.operator_id, recorded.id, "returned by the bank")
    view = fund.refunds.reverse(fund.admin_id, recorded.id, "returned by the bank")
    assert view.status is PaymentStatus.REVERSED
    assert paid_until(fund, member_id) is None
    with pytest.raises(Conflict):
        fund.refunds.reverse(fund.admin_id, recorded.id, "again")
    report = fund.books.fund_report(fund.admin_id)
    assert (report.money_in, report.reversed) == (Money(30000), Money(30000))
    assert report.money_in_by_gateway == {"manual": Money(30000)}
    reversed_event = fund.events(EventType.PAYMENT_REVERSED)[-1]
    assert reversed_event.details["reason"] == "returned by the bank"
