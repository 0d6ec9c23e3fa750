"""Payments: gateway outcomes are idempotent; payouts never pass the approved amount."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kasa.domain.errors import Conflict, InvalidInput, PermissionDenied, RuleViolation
from kasa.domain.membership import Membership
from kasa.domain.money import Money, total
from kasa.domain.payments import (
    Change,
    GatewayOutcome,
    Payment,
    PaymentSource,
    PaymentStatus,
    PaymentType,
)
from kasa.domain.payouts import approve_payout, committed_payouts, paid_out, record_payout
from kasa.domain.requests import Request, Resolution

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
OPERATOR, SECOND = 10, 11


def approved_request(amount: int) -> Request:
    request = Request.file(1, "receipt", member_approved=True, now=NOW)
    request.id = 42
    request.assess(NOW, paid=Money.zero(), approved_amount=Money(amount))
    return request


@given(
    approved=st.integers(min_value=1, max_value=1_000_000),
    attempts=st.lists(st.integers(min_value=1, max_value=600_000), max_size=12),
    threshold=st.none() | st.integers(min_value=1, max_value=500_000),
    approvals=st.lists(st.booleans(), max_size=12),
)
def test_payouts_never_sum_past_the_approved_amount(
    approved: int, attempts: list[int], threshold: int | None, approvals: list[bool]
) -> None:
    request = approved_request(approved)
    payouts: list[Payment] = []
    for index, amount in enumerate(attempts):
        # counted here on its own: every payout recorded so far (none is ever cancelled),
        # whether confirmed or still waiting for a second approval
        remaining = approved - sum(p.amount.kopecks for p in payouts)
        try:
            payout = record_payout(
                request,
                payouts,
                Money(amount),
                paid_at=NOW,
                staff_id=OPERATOR,
                now=NOW,
                four_eyes_threshold=None if threshold is None else Money(threshold),
            )
        except RuleViolation:
            assert amount > remaining
            continue
        assert amount <= remaining
        expected = PaymentType.PAYOUT if amount == remaining else PaymentType.PARTIAL_PAYOUT
        assert payout.payment_type is expected
        # the request's whole payout counts, this one included (splitting avoids nothing)
        already = approved - remaining
        assert payout.needs_approval == (threshold is not None and already + amount > threshold)
        payouts.append(payout)
        if payout.needs_approval and index < len(approvals) and approvals[index]:
            approve_payout(payout, SECOND, NOW)
        assert sum(p.amount.kopecks for p in payouts) <= approved
        assert committed_payouts(payouts).kopecks == sum(p.amount.kopecks for p in payouts)
        assert paid_out(payouts).kopecks == sum(
            p.amount.kopecks for p in payouts if p.status is PaymentStatus.CONFIRMED
        )


@given(st.integers(min_value=2, max_value=100_000), st.randoms())
def test_any_order_of_partial_payouts_reaches_but_never_passes_the_amount(
    approved: int, rnd: random.Random
) -> None:
    request = approved_request(approved)
    cuts = sorted(rnd.sample(range(1, approved), min(5, approved - 1)))
    parts = [b - a for a, b in zip([0, *cuts], [*cuts, approved], strict=True)]
    rnd.shuffle(parts)
    payouts: list[Payment] = []
    for part in parts:
        payouts.append(
            record_payout(request, payouts, Money(part), paid_at=NOW, staff_id=1, now=NOW)
        )
    assert total(p.amount for p in payouts) == Money(approved)
    assert [p.payment_type for p in payouts][-1] is PaymentType.PAYOUT
    assert all(p.payment_type is PaymentType.PARTIAL_PAYOUT for p in payouts[:-1])
    with pytest.raises(RuleViolation, match=r"at most 0\.00 remains"):
        record_payout(request, payouts, Money(1), paid_at=NOW, staff_id=1, now=NOW)
    request.close(Resolution.PAID, NOW, paid=paid_out(payouts))


outcomes = st.sampled_from(GatewayOutcome)


@given(st.lists(outcomes, min_size=1, max_size=12))
def test_gateway_outcomes_are_idempotent_and_membership_is_extended_once(
    sequence: list[GatewayOutcome],
) -> None:
    payment = Payment.gateway_top_up(1, Money(10000), "order-1", NOW, gateway="liqpay")
    membership, extension = Membership(), None
    for outcome in sequence:
        before = payment.status
        change = payment.apply_outcome(outcome, NOW, raw_status=str(outcome))
        again = payment.apply_outcome(outcome, NOW)
        # the same callback twice: nothing changes the second time
        assert again in (Change.NONE, Change.AFTER_REVERSAL)
        if change is Change.CONFIRMED:
            assert before in (PaymentStatus.PENDING, PaymentStatus.FAILED)
            membership, extension = membership.top_up(payment.amount, Money(10000), NOW.date())
        elif change is Change.REVERSED:
            if extension is not None:  # a reversal of a confirmed payment takes back
                membership = membership.reverse(extension, Money(10000))
            extension = None
        # the membership holds exactly the days of a currently confirmed payment
        confirmed = payment.status is PaymentStatus.CONFIRMED
        assert (membership.paid_until is not None) == confirmed
    assert payment.status is not PaymentStatus.REVERSED or extension is None
    # whatever came before or after it, a reversal is final
    assert (payment.status is PaymentStatus.REVERSED) == (GatewayOutcome.REVERSED in sequence)


@given(
    st.lists(
        st.sampled_from([GatewayOutcome.SUCCESS, GatewayOutcome.REVERSED, GatewayOutcome.FAILURE]),
        min_size=1,
        max_size=10,
    ).filter(lambda found: GatewayOutcome.REVERSED in found)
)
def test_success_and_reversal_in_any_order_end_reversed_as_if_never_paid(
    sequence: list[GatewayOutcome],
) -> None:
    payment = Payment.gateway_top_up(1, Money(10000), "order-1", NOW, gateway="liqpay")
    membership, extension = Membership(), None
    for outcome in sequence:
        change = payment.apply_outcome(outcome, NOW)
        if change is Change.CONFIRMED:
            membership, extension = membership.top_up(payment.amount, Money(10000), NOW.date())
        elif change is Change.REVERSED and extension is not None:
            membership, extension = membership.reverse(extension, Money(10000)), None
    assert payment.status is PaymentStatus.REVERSED and payment.reversed_at == NOW
    assert membership == Membership()  # paid-until and credit as if never paid


def test_a_reversed_payment_never_comes_back() -> None:
    payment = Payment.gateway_top_up(1, Money(100), "o", NOW, gateway="liqpay")
    assert payment.apply_outcome(GatewayOutcome.SUCCESS, NOW) is Change.CONFIRMED
    assert payment.apply_outcome(GatewayOutcome.FAILURE, NOW) is Change.NONE
    assert payment.apply_outcome(GatewayOutcome.REVERSED, NOW) is Change.REVERSED
    assert payment.apply_outcome(GatewayOutcome.SUCCESS, NOW) is Change.AFTER_REVERSAL
    assert payment.apply_outcome(GatewayOutcome.PENDING, NOW) is Change.NONE
    assert payment.status is PaymentStatus.REVERSED


def test_a_reversal_that_arrives_first_makes_the_later_success_change_nothing() -> None:
    payment = Payment.gateway_top_up(1, Money(100), "o", NOW, gateway="liqpay")
    later = NOW + timedelta(seconds=1)
    assert payment.apply_outcome(GatewayOutcome.REVERSED, NOW) is Change.REVERSED
    assert payment.status is PaymentStatus.REVERSED and payment.payment_date is None
    assert payment.apply_outcome(GatewayOutcome.SUCCESS, later) is Change.AFTER_REVERSAL
    assert payment.status is PaymentStatus.REVERSED and payment.extension is None
    assert payment.payment_date is None and payment.reversed_at == NOW


def test_gateway_amount_must_match() -> None:
    payment = Payment.gateway_top_up(1, Money(10000), "o", NOW, gateway="liqpay")
    payment.check_gateway_amount(Money(10000))
    with pytest.raises(RuleViolation, match=r"reports 99\.99"):
        payment.check_gateway_amount(Money(9999))


def test_manual_top_up_is_confirmed_and_records_its_extension() -> None:
    payment = Payment.manual_top_up(1, Money(5000), NOW - timedelta(days=1), OPERATOR, NOW)
    assert (payment.status, payment.source, payment.created_by) == (
        PaymentStatus.CONFIRMED,
        PaymentSource.MANUAL,
        OPERATOR,
    )
    _, extension = Membership().top_up(payment.amount, Money(5000), NOW.date())
    payment.record_extension(extension)
    assert payment.extended_to == NOW.date() + timedelta(days=30)


def test_four_eyes_payout_needs_another_staff_user() -> None:
    request = approved_request(100_000)
    payout = record_payout(
        request,
        [],
        Money(60_000),
        paid_at=NOW,
        staff_id=OPERATOR,
        now=NOW,
        four_eyes_threshold=Money(50_000),
    )
    assert payout.status is PaymentStatus.PENDING and payout.needs_approval
    with pytest.raises(PermissionDenied, match="another staff user"):
        approve_payout(payout, OPERATOR, NOW)
    approve_payout(payout, SECOND, NOW)
    assert (payout.status, payout.approved_by) == (PaymentStatus.CONFIRMED, SECOND)
    with pytest.raises(Conflict, match="already confirmed"):
        approve_payout(payout, 12, NOW)
    # the rest of the request is past the threshold together with what was paid
    rest = record_payout(
        request,
        [payout],
        Money(40_000),
        paid_at=NOW,
        staff_id=OPERATOR,
        now=NOW,
        four_eyes_threshold=Money(50_000),
    )
    assert rest.status is PaymentStatus.PENDING and rest.payment_type is PaymentType.PAYOUT
    small = record_payout(
        approved_request(100_000),
        [],
        Money(40_000),
        paid_at=NOW,
        staff_id=OPERATOR,
        now=NOW,
        four_eyes_threshold=Money(50_000),
    )
    assert small.status is PaymentStatus.CONFIRMED
    assert small.payment_type is PaymentType.PARTIAL_PAYOUT
    with pytest.raises(Conflict, match="does not wait"):
        approve_payout(small, SECOND, NOW)


def test_splitting_a_payout_does_not_avoid_the_second_approval() -> None:
    """Three payouts of 1,000 under a 1,000 threshold: the request's total counts."""
    request = approved_request(300_000)
    payouts: list[Payment] = []
    for _ in range(3):
        payouts.append(
            record_payout(
                request,
                payouts,
                Money(100_000),
                paid_at=NOW,
                staff_id=OPERATOR,
                now=NOW,
                four_eyes_threshold=Money(100_000),
            )
        )
    assert [p.status for p in payouts] == [
        PaymentStatus.CONFIRMED,
        PaymentStatus.PENDING,
        PaymentStatus.PENDING,
    ]
    assert [p.needs_approval for p in payouts] == [False, True, True]


def test_payout_refusals() -> None:
    request = Request.file(1, "", member_approved=True, now=NOW)
    with pytest.raises(InvalidInput, match="not saved"):
        record_payout(request, [], Money(1), paid_at=NOW, staff_id=1, now=NOW)
    request.id = 5
    with pytest.raises(RuleViolation, match="no approved amount"):
        record_payout(request, [], Money(1), paid_at=NOW, staff_id=1, now=NOW)
    request.assess(NOW, paid=Money.zero(), approved_amount=Money(100))
    with pytest.raises(InvalidInput, match="greater than zero"):
        record_payout(request, [], Money(0), paid_at=NOW, staff_id=1, now=NOW)
    request.close(Resolution.WITHDRAWN, NOW, paid=Money.zero())
    with pytest.raises(Conflict, match="closed"):
        record_payout(request, [], Money(1), paid_at=NOW, staff_id=1, now=NOW)


def test_payment_invariants() -> None:
    with pytest.raises(InvalidInput, match="greater than zero"):
        Payment(1, PaymentType.TOP_UP, Money(0), PaymentSource.MANUAL, NOW, NOW)
    with pytest.raises(InvalidInput, match="names the request"):
        Payment(1, PaymentType.PAYOUT, Money(1), PaymentSource.MANUAL, NOW, NOW)
    with pytest.raises(InvalidInput, match="order_id"):
        Payment.gateway_top_up(1, Money(1), "", NOW, gateway="liqpay")


def test_only_a_pending_gateway_checkout_expires_and_only_after_its_window() -> None:
    window = timedelta(hours=24)
    checkout = Payment.gateway_top_up(1, Money(30000), "o-1", NOW, gateway="liqpay")
    assert checkout.expire(NOW + window - timedelta(seconds=1), window) is Change.NONE
    assert checkout.status is PaymentStatus.PENDING
    assert checkout.expire(NOW + window, window) is Change.EXPIRED
    assert checkout.status is PaymentStatus.EXPIRED
    assert checkout.expire(NOW + 2 * window, window) is Change.NONE  # once
    # a success the gateway reports later still confirms it
    assert checkout.apply_outcome(GatewayOutcome.SUCCESS, NOW + 3 * window) is Change.CONFIRMED
    manual = Payment.manual_top_up(1, Money(100), NOW, 7, NOW)
    assert manual.expire(NOW + 2 * window, window) is Change.NONE


# -- a gateway that dates its notifications ---------------------------------------------
LIFE = [
    (GatewayOutcome.PENDING, 1),
    (GatewayOutcome.SUCCESS, 2),
    (GatewayOutcome.REVERSED, 3),
]


@given(st.permutations(LIFE * 2))
def test_dated_notifications_in_any_order_end_as_the_latest_says(
    arrivals: list[tuple[GatewayOutcome, int]],
) -> None:
    payment = Payment.gateway_top_up(1, Money(100), "o", NOW, gateway="monobank")
    for outcome, second in arrivals:
        payment.apply_outcome(outcome, NOW, outcome.value, NOW + timedelta(seconds=second))
    assert payment.status is PaymentStatus.REVERSED
    assert payment.gateway_changed_at == NOW + timedelta(seconds=3)


def test_an_older_failure_does_not_undo_a_success_nor_an_older_success_a_failure() -> None:
    paid = Payment.gateway_top_up(1, Money(100), "o", NOW, gateway="monobank")
    at = [NOW + timedelta(seconds=n) for n in range(3)]
    assert paid.apply_outcome(GatewayOutcome.SUCCESS, NOW, "success", at[2]) == Change.CONFIRMED
    assert paid.apply_outcome(GatewayOutcome.FAILURE, NOW, "failure", at[1]) == Change.NONE
    refused = Payment.gateway_top_up(1, Money(100), "p", NOW, gateway="monobank")
    assert refused.apply_outcome(GatewayOutcome.FAILURE, NOW, "failure", at[2]) == Change.FAILED
    assert refused.apply_outcome(GatewayOutcome.SUCCESS, NOW, "success", at[1]) == Change.NONE
    # at the same moment a final outcome wins over one that leaves it pending
    assert refused.is_stale(GatewayOutcome.PENDING, at[2])
    assert not refused.is_stale(GatewayOutcome.SUCCESS, at[2])
    # a gateway that dates nothing is never stale
    assert not refused.is_stale(GatewayOutcome.PENDING, None)


def test_the_currency_must_be_hryvnias() -> None:
    payment = Payment.gateway_top_up(1, Money(100), "o", NOW, gateway="monobank")
    with pytest.raises(RuleViolation, match="USD"):
        payment.check_gateway_amount(Money(100), "USD")
    payment.check_gateway_amount(Money(100), "UAH")


# -- refunds ------------------------------------------------------------------------------
def confirmed(amount: int = 30000) -> Payment:
    payment = Payment.gateway_top_up(1, Money(amount), "o", NOW, gateway="liqpay")
    payment.apply_outcome(GatewayOutcome.SUCCESS, NOW, "success")
    return payment


def test_a_refund_waits_above_the_threshold_and_is_approved_by_another() -> None:
    small = confirmed(10000)
    small.request_refund(7, "twice", NOW, threshold=Money(20000))
    assert small.status is PaymentStatus.REFUND_REQUESTED
    large = confirmed(30000)
    large.request_refund(7, "  paid   twice ", NOW, threshold=Money(20000))
    assert large.status is PaymentStatus.REFUND_PENDING_APPROVAL
    assert large.refund_reason == "paid twice"
    with pytest.raises(PermissionDenied):
        large.approve_refund(7, NOW)
    large.approve_refund(8, NOW)
    assert (large.status, large.refund_approved_by) == (PaymentStatus.REFUND_REQUESTED, 8)
    with pytest.raises(Conflict):
        large.approve_refund(9, NOW)


def test_a_refund_under_way_is_done_by_the_reversal_and_undone_by_a_refusal() -> None:
    payment = confirmed()
    payment.request_refund(7, "twice", NOW, threshold=None)
    # a success or a failure reported meanwhile changes nothing
    assert payment.apply_outcome(GatewayOutcome.SUCCESS, NOW, "success") == Change.NONE
    assert payment.apply_outcome(GatewayOutcome.FAILURE, NOW, "failure") == Change.NONE
    assert payment.refund_not_done(NOW)
    assert payment.status is PaymentStatus.CONFIRMED
    assert not payment.refund_not_done(NOW)  # nothing is under way any more
    payment.request_refund(7, "twice", NOW, threshold=None)
    assert payment.apply_outcome(GatewayOutcome.REVERSED, NOW, "reversed") == Change.REVERSED
    assert not payment.refund_not_done(NOW)


def test_what_is_not_refunded_and_what_staff_reverse() -> None:
    pending = Payment.gateway_top_up(1, Money(100), "o", NOW, gateway="liqpay")
    with pytest.raises(Conflict):
        pending.request_refund(7, "x", NOW, threshold=None)
    charge = Payment.gateway_top_up(1, Money(100), "o:2", NOW, gateway="liqpay")
    charge.apply_outcome(GatewayOutcome.SUCCESS, NOW, "success")
    with pytest.raises(RuleViolation, match="subscription"):
        charge.request_refund(7, "x", NOW, threshold=None)
    with pytest.raises(InvalidInput):
        confirmed().request_refund(7, " ", NOW, threshold=None)
    recorded = Payment.manual_top_up(1, Money(100), NOW, 7, NOW)
    with pytest.raises(RuleViolation):
        recorded.request_refund(7, "x", NOW, threshold=None)
    with pytest.raises(RuleViolation):
        confirmed().reverse_by_staff(7, "x", NOW)
    recorded.reverse_by_staff(7, "returned", NOW)
    assert (recorded.status, recorded.reversed_at) == (PaymentStatus.REVERSED, NOW)
    with pytest.raises(Conflict):
        recorded.reverse_by_staff(7, "again", NOW)
