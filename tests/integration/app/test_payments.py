"""Top-ups through the gateway, callbacks, subscriptions, manual payments and payouts,
listings and reconciliation."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from kasa.adapters import liqpay_codec
from kasa.application.reads import Page, PaymentQuery
from kasa.application.requests import Assessment
from kasa.application.settings import FundSettings
from kasa.domain.audit import EventType
from kasa.domain.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RuleViolation,
)
from kasa.domain.money import Money
from kasa.domain.payments import PaymentStatus, PaymentType
from tests.integration.app.helpers import Fund
from tests.support.fakes import liqpay_message


def member_state(fund: Fund, member_id: int) -> tuple[date | None, int]:
    member = fund.tables().members[member_id]
    return member.paid_until, member.credit_units


def test_top_up_gives_signed_checkout_and_a_pending_payment(fund: Fund) -> None:
    member_id = fund.approved_member()
    checkout = fund.payments.start_top_up(member_id, Money.parse("300"), "liqpay")
    liqpay_codec.verify(
        fund.fakes.gateway.private_key, checkout.form["data"], checkout.form["signature"]
    )
    params = liqpay_codec.decode(checkout.form["data"])
    assert params["amount"] == "300.00" and params["currency"] == "UAH"
    payment = fund.tables().payments[1]
    assert payment.status is PaymentStatus.PENDING
    assert payment.payment_identifier == params["order_id"]


def test_success_callback_extends_paid_until_once(fund: Fund) -> None:
    member_id = fund.approved_member(fund.program(price="300"))
    order_id = fund.pay(member_id, "300")
    today = fund.clock.today()
    assert member_state(fund, member_id) == (today + timedelta(days=30), 0)
    data, signature = fund.fakes.gateway.callback(order_id, "300", "success")
    result = fund.gateway.callback("liqpay", liqpay_message(data, signature))  # the gateway retries
    assert result.change == "none"
    assert member_state(fund, member_id) == (today + timedelta(days=30), 0)
    assert len(fund.events(EventType.PAYMENT_CONFIRMED)) == 1
    payment = fund.payments.top_ups(member_id)[0]
    assert payment.extended_to == today + timedelta(days=30)


def test_callback_refusals_are_recorded_and_change_nothing(fund: Fund) -> None:
    member_id = fund.approved_member()
    fund.payments.start_top_up(member_id, Money.parse("300"), "liqpay")
    order_id = fund.fakes.gateway.checkouts[-1]["order_id"]
    data, signature = fund.fakes.gateway.callback(order_id, "300")
    with pytest.raises(InvalidInput, match="signature"):
        fund.gateway.callback("liqpay", liqpay_message(data, signature[:-2] + "xx"))
    wrong_amount = fund.fakes.gateway.callback(order_id, "30")
    with pytest.raises(RuleViolation, match=r"reports 30\.00"):
        fund.gateway.callback("liqpay", liqpay_message(*wrong_amount))
    unknown = fund.fakes.gateway.callback("nope", "300")
    with pytest.raises(NotFound):
        fund.gateway.callback("liqpay", liqpay_message(*unknown))
    with pytest.raises(InvalidInput, match="cannot be read"):
        fund.gateway.callback(
            "liqpay",
            liqpay_message("%%%", liqpay_codec.sign(fund.fakes.gateway.private_key, "%%%")),
        )
    # the two unverifiable ones came from one address within a minute: audited once
    refused = fund.events(EventType.CALLBACK_REFUSED)
    assert len(refused) == 3 and refused[0].details["source"] == "liqpay"
    assert refused[2].details["reason"] == "unknown order"
    assert member_state(fund, member_id) == (None, 0)
    assert fund.tables().payments[1].status is PaymentStatus.PENDING


def test_junk_callbacks_are_counted_and_audited_once_a_minute(fund: Fund) -> None:
    for _ in range(50):
        with pytest.raises(InvalidInput):
            fund.gateway.callback("liqpay", liqpay_message("junk", "junk"), "203.0.113.9")
    for n in range(300):  # from as many addresses: still no row of the trail for each
        with pytest.raises(InvalidInput):
            fund.gateway.callback(
                "liqpay", liqpay_message("junk", "junk"), f"198.51.{n // 250}.{n % 250 + 1}"
            )
    refused = fund.events(EventType.CALLBACK_REFUSED)
    assert [e.details["address"] for e in refused] == ["203.0.113.9"]
    fund.fakes.clock.advance(seconds=61)
    with pytest.raises(InvalidInput):
        fund.gateway.callback("liqpay", liqpay_message("junk", "junk"), "203.0.113.9")
    latest = fund.events(EventType.CALLBACK_REFUSED)[-1]
    assert latest.details["address"] == "203.0.113.9"
    assert latest.details["not_audited_before"] == 349  # counted, from every address
    assert latest.details["total_from_address"] == 51
    with fund.uow() as uow:
        counter = uow.counters.locked(["callback-liqpay:203.0.113.9"])[
            "callback-liqpay:203.0.113.9"
        ]
    assert counter.total == 51


def test_a_one_off_order_takes_one_payment(fund: Fund) -> None:
    """A signed `regular` callback with a new payment id for a one-off order is refused."""
    member_id = fund.approved_member(fund.program(price="300"))
    fund.payments.start_top_up(member_id, Money.parse("300"), "liqpay")
    order_id = fund.fakes.gateway.checkouts[-1]["order_id"]
    first = fund.fakes.gateway.callback(order_id, "300", payment_id="111", action="pay")
    fund.gateway.callback("liqpay", liqpay_message(*first))
    paid_until = member_state(fund, member_id)
    assert paid_until[0] is not None
    fund.gateway.callback(
        "liqpay", liqpay_message(*first)
    )  # the same callback again changes nothing
    regular = fund.fakes.gateway.callback(order_id, "300", payment_id="222", action="regular")
    with pytest.raises(Conflict, match="one-off"):
        fund.gateway.callback("liqpay", liqpay_message(*regular))
    assert member_state(fund, member_id) == paid_until
    assert len([p for p in fund.tables().payments.values()]) == 1
    assert "one-off" in fund.events(EventType.CALLBACK_REFUSED)[-1].details["reason"]


def test_failure_then_retry_then_reversal(fund: Fund) -> None:
    member_id = fund.approved_member(fund.program(price="300"))
    fund.payments.start_top_up(member_id, Money.parse("150"), "liqpay")
    order_id = fund.fakes.gateway.checkouts[-1]["order_id"]
    fund.gateway.callback("liqpay", fund.fakes.gateway.message(order_id, "150", "failure"))
    assert fund.payments.top_ups(member_id)[0].status is PaymentStatus.FAILED
    fund.gateway.callback("liqpay", fund.fakes.gateway.message(order_id, "150", "sandbox"))
    assert member_state(fund, member_id)[0] == fund.clock.today() + timedelta(days=15)
    fund.gateway.callback("liqpay", fund.fakes.gateway.message(order_id, "150", "reversed"))
    assert member_state(fund, member_id) == (None, 0)
    fund.gateway.callback("liqpay", fund.fakes.gateway.message(order_id, "150", "wait_accept"))
    assert fund.payments.top_ups(member_id)[0].status is PaymentStatus.REVERSED


def test_payment_before_a_program_is_current_waits_as_credit(fund: Fund) -> None:
    program_id = fund.program(price="300")
    member_id = fund.sign_up()
    fund.submit(member_id, program_id)
    fund.pay(member_id, "100")
    assert member_state(fund, member_id) == (None, 30 * 10000)
    fund.approve(member_id)
    fund.pay(member_id, "200")
    assert member_state(fund, member_id) == (fund.clock.today() + timedelta(days=30), 0)


def test_only_members_who_submitted_can_pay(fund: Fund) -> None:
    member_id = fund.sign_up()
    with pytest.raises(RuleViolation, match="Submit your profile"):
        fund.payments.start_top_up(member_id, Money.parse("10"), "liqpay")
    with pytest.raises(InvalidInput):
        fund.payments.start_top_up(member_id, Money(0), "liqpay")
    fund.submit(member_id, fund.program())
    with pytest.raises(RuleViolation, match="current program"):
        fund.payments.start_subscription(member_id, "liqpay")


def test_subscription_charges_each_extend_once(fund: Fund) -> None:
    member_id = fund.approved_member(fund.program(price="300"))
    fund.payments.start_subscription(member_id, "liqpay")
    params = fund.fakes.gateway.checkouts[-1]
    assert params["action"] == "subscribe" and params["amount"] == "300.00"
    order_id = params["order_id"]
    gw = fund.fakes.gateway
    first = gw.callback(order_id, "300", "success", action="subscribe", payment_id=101)
    fund.gateway.callback("liqpay", liqpay_message(*first))
    second = gw.callback(order_id, "300", "success", action="regular", payment_id=102)
    fund.gateway.callback("liqpay", liqpay_message(*second))
    fund.gateway.callback("liqpay", liqpay_message(*second))  # replayed
    fund.gateway.callback("liqpay", liqpay_message(*first))  # replayed
    assert member_state(fund, member_id)[0] == fund.clock.today() + timedelta(days=60)
    assert len(fund.payments.top_ups(member_id)) == 2


def test_manual_top_up_and_refusals(fund: Fund) -> None:
    member_id = fund.approved_member(fund.program(price="300"))
    payment = fund.staff_payments.record_top_up(
        fund.operator_id, member_id, Money.parse("600"), date(2026, 1, 10)
    )
    assert payment.status is PaymentStatus.CONFIRMED
    assert member_state(fund, member_id)[0] == date(2026, 3, 11)
    with pytest.raises(NotFound):
        fund.staff_payments.record_top_up(fund.operator_id, 999, Money(1), date(2026, 1, 10))


def test_payouts_are_capped_and_typed(fund: Fund) -> None:
    member_id = fund.approved_member()
    request_id = fund.requests.create(member_id, "", []).request.id or 0
    record = fund.staff_payments.record_payout
    today = fund.clock.today()
    with pytest.raises(RuleViolation, match="no approved amount"):
        record(fund.operator_id, request_id, Money(100), today)
    fund.staff_requests.assess(
        fund.operator_id, request_id, Assessment(approved_amount=Money(1000))
    )
    part = record(fund.operator_id, request_id, Money(400), today, member_id=member_id)
    assert part.payment_type is PaymentType.PARTIAL_PAYOUT
    with pytest.raises(RuleViolation, match=r"at most 6\.00 remains"):
        record(fund.operator_id, request_id, Money(601), today)
    rest = record(fund.operator_id, request_id, Money(600), today)
    assert rest.payment_type is PaymentType.PAYOUT
    with pytest.raises(NotFound):
        record(fund.operator_id, request_id, Money(1), today, member_id=member_id + 1000)
    with pytest.raises(NotFound):
        record(fund.operator_id, request_id + 1000, Money(1), today)
    charges = fund.payments.charges(member_id, today, today)
    assert [c.payment.amount for c in charges] == [Money(600), Money(400)]
    assert fund.payments.charges(member_id, today + timedelta(days=1)) == []
    with pytest.raises(InvalidInput):
        fund.payments.charges(member_id, today, today - timedelta(days=1))


def test_four_eyes_payout_waits_for_a_second_staff_user() -> None:
    fund = Fund.build(FundSettings(four_eyes_threshold=Money(50000)))
    member_id = fund.approved_member()
    request_id = fund.requests.create(member_id, "", []).request.id or 0
    fund.staff_requests.assess(
        fund.operator_id, request_id, Assessment(approved_amount=Money(100000))
    )
    payout = fund.staff_payments.record_payout(
        fund.operator_id, request_id, Money(60000), fund.clock.today()
    )
    assert payout.status is PaymentStatus.PENDING and payout.needs_approval
    assert fund.payments.charges(member_id) == []
    with pytest.raises(PermissionDenied):
        fund.staff_payments.approve_payout(fund.operator_id, payout.id or 0)
    approved = fund.staff_payments.approve_payout(fund.admin_id, payout.id or 0)
    assert approved.status is PaymentStatus.CONFIRMED
    with pytest.raises(Conflict):
        fund.staff_payments.approve_payout(fund.admin_id, payout.id or 0)
    with pytest.raises(NotFound):
        fund.staff_payments.approve_payout(fund.admin_id, 999)
    assert len(fund.payments.charges(member_id)) == 1


def test_approved_amount_cannot_drop_below_a_payout_waiting_for_approval() -> None:
    fund = Fund.build(FundSettings(four_eyes_threshold=Money(50000)))
    member_id = fund.approved_member()
    request_id = fund.requests.create(member_id, "", []).request.id or 0
    fund.staff_requests.assess(
        fund.operator_id, request_id, Assessment(approved_amount=Money(80000))
    )
    fund.staff_payments.record_payout(
        fund.operator_id, request_id, Money(60000), fund.clock.today()
    )
    with pytest.raises(RuleViolation, match="already paid"):
        fund.staff_requests.assess(
            fund.operator_id, request_id, Assessment(approved_amount=Money(1))
        )


def test_staff_list_applies_every_filter(fund: Fund) -> None:
    alice = fund.approved_member(fund.program(price="300"))
    bob = fund.approved_member()
    fund.pay(alice, "300")
    fund.pay(alice, "50")
    fund.pay(bob, "300")
    cert = fund.tables().members[alice].certificate
    both = PaymentQuery(amount_start=Money.parse("100"), certificate=cert)
    listing = fund.staff_payments.list(fund.operator_id, both, Page())
    assert listing.total == 1 and listing.items[0].member.id == alice
    paged = fund.staff_payments.list(fund.operator_id, PaymentQuery(), Page(limit=2, offset=2))
    assert paged.total == 3 and len(paged.items) == 1
    none = PaymentQuery(types=frozenset({PaymentType.PAYOUT}), certificate=cert)
    assert fund.staff_payments.list(fund.operator_id, none, Page()).total == 0


def test_reconcile_settles_pending_payments_from_the_gateway(fund: Fund) -> None:
    member_id = fund.approved_member(fund.program(price="300"))
    for amount in ("300", "300", "300", "300"):
        fund.payments.start_top_up(member_id, Money.parse(amount), "liqpay")
    orders = [c["order_id"] for c in fund.fakes.gateway.checkouts]
    gw = fund.fakes.gateway
    gw.statuses[orders[0]] = {"status": "success", "amount": "300"}
    gw.statuses[orders[1]] = {"status": "failure", "amount": "300"}
    gw.statuses[orders[2]] = {"status": "processing", "amount": "300"}
    # orders[3]: the gateway has no payment for it (nobody paid the checkout)
    assert fund.gateway.reconcile().checked == 0  # all are younger than the threshold
    fund.fakes.clock.advance(hours=1)
    report = fund.gateway.reconcile()
    assert (report.checked, report.confirmed, report.failed, report.unchanged) == (4, 1, 1, 2)
    assert not report.errors and report.expired == 0
    assert member_state(fund, member_id)[0] is not None
    gw.unreachable = True
    again = fund.gateway.reconcile(older_than_seconds=0)
    assert again.checked == 2 and len(again.errors) == 2
    fund.fakes.clock.advance(hours=24)
    assert fund.gateway.reconcile().checked == 2  # an unreachable gateway expires nothing


def test_reconcile_finds_a_lost_reversal_of_a_recently_confirmed_payment(fund: Fund) -> None:
    member_id = fund.approved_member(fund.program(price="300"))
    orders = [fund.pay(member_id, "300") for _ in range(3)]  # 90 days, each confirmed
    asked: list[str] = []
    gw = fund.fakes.gateway
    for order in orders:
        gw.statuses[order] = {"status": "success", "amount": "300"}
    gw.statuses[orders[1]] = {"status": "reversed", "amount": "300"}  # its callback was lost
    fund.fakes.clock.advance(hours=1)
    plain = fund.gateway.reconcile()
    assert plain.checked == 0  # without --reversals-days only pending payments are asked
    # at most two a run, the least recently checked first: the third waits for the next
    first = fund.gateway.reconcile(reversals_days=7, limit=2)
    assert (first.checked, first.reversed, first.unchanged) == (2, 1, 1)
    assert member_state(fund, member_id)[0] == fund.clock.today() + timedelta(days=60)
    fund.fakes.clock.advance(minutes=15)
    second = fund.gateway.reconcile(reversals_days=7, limit=2, progress=asked.append)
    # the one never asked first, then the one asked longest ago; the reversed one no more
    assert (second.checked, second.reversed) == (2, 0)
    assert asked == [f"{orders[2]}: none", f"{orders[0]}: none"]
    payments = {p.payment_identifier: p for p in fund.tables().payments.values()}
    assert all(payments[o].checked_at is not None for o in (orders[0], orders[2]))
    assert payments[orders[1]].status is PaymentStatus.REVERSED
    # payments confirmed longer ago than the days asked about are not asked again
    fund.fakes.clock.advance(days=8)
    assert fund.gateway.reconcile(reversals_days=7).checked == 0
    with pytest.raises(InvalidInput):
        fund.gateway.reconcile(reversals_days=-1)


def test_an_abandoned_checkout_expires_and_a_late_success_still_confirms_it(fund: Fund) -> None:
    member_id = fund.approved_member(fund.program(price="300"))
    fund.payments.start_top_up(member_id, Money.parse("300"), "liqpay")
    fund.payments.start_top_up(member_id, Money.parse("150"), "liqpay")
    paid_later, processing = (c["order_id"] for c in fund.fakes.gateway.checkouts)
    fund.fakes.gateway.statuses[processing] = {"status": "processing", "amount": "150"}
    fund.fakes.clock.advance(hours=23)
    report = fund.gateway.reconcile()
    assert (report.checked, report.unchanged, report.expired) == (2, 2, 0)
    fund.fakes.clock.advance(hours=1)
    report = fund.gateway.reconcile()
    assert (report.checked, report.expired) == (2, 2)
    statuses = [p.status for p in fund.payments.top_ups(member_id)]
    assert statuses == [PaymentStatus.EXPIRED, PaymentStatus.EXPIRED]
    assert fund.gateway.reconcile().checked == 0  # expired ones are not asked about again
    assert len(fund.events(EventType.PAYMENT_EXPIRED)) == 2
    assert member_state(fund, member_id)[0] is None  # nothing extended
    # the member paid after all: the gateway's success still confirms and extends
    result = fund.gateway.callback("liqpay", fund.fakes.gateway.message(paid_later, "300.00"))
    assert result.change == "confirmed" and result.payment.status is PaymentStatus.CONFIRMED
    assert member_state(fund, member_id)[0] == fund.clock.today() + timedelta(days=30)


def test_manual_payment_is_not_moved_by_a_gateway_callback(fund: Fund) -> None:
    member_id = fund.approved_member()
    fund.staff_payments.record_top_up(fund.operator_id, member_id, Money(100), fund.clock.today())
    with fund.uow() as uow:
        payment = uow.payments.get(1)
        assert payment is not None
        payment.payment_identifier = "manual-1"  # as if an order id were reused
        uow.commit()
    with pytest.raises(Conflict):
        fund.gateway.apply(
            "liqpay",
            liqpay_codec.notice_from(
                {"order_id": "manual-1", "amount": "1.00", "status": "success"}, sandbox=True
            ),
        )
