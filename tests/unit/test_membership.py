"""No money is lost: contributions turn into days and credit exactly."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kasa.domain.errors import InvalidInput, RuleViolation
from kasa.domain.membership import DAYS_PER_MONTH, Membership, MembershipState
from kasa.domain.money import Money
from tests.unit.strategies import contributions as money
from tests.unit.strategies import days, prices

START = date(2026, 3, 1)


@st.composite
def memberships(draw: st.DrawFn, price: Money) -> Membership:
    paid_until = draw(st.none() | days)
    credit = draw(st.integers(min_value=0, max_value=price.kopecks - 1))
    return Membership(paid_until, credit)


def pay_all(
    membership: Membership, payments: list[tuple[Money, date]], price: Money
) -> tuple[Membership, int]:
    granted = 0
    for amount, on in payments:
        membership, extension = membership.top_up(amount, price, on)
        granted += extension.days
    return membership, granted


@given(prices, st.lists(money, min_size=1, max_size=20))
def test_days_times_daily_price_plus_credit_equal_what_was_paid(
    price: Money, amounts: list[Money]
) -> None:
    after, granted = pay_all(Membership(), [(a, START) for a in amounts], price)
    paid = Fraction(sum(a.kopecks for a in amounts))
    daily_price = Fraction(price.kopecks, DAYS_PER_MONTH)
    credit = Fraction(after.credit_units, DAYS_PER_MONTH)
    assert granted * daily_price + credit == paid
    assert 0 <= credit < daily_price  # what is left never buys a whole day
    # contributions that have not yet bought a whole day leave "paid until" unset
    assert after.paid_until == (START + timedelta(days=granted) if granted else None)


@given(
    prices,
    st.lists(st.tuples(money, st.integers(min_value=0, max_value=400)), min_size=1, max_size=20),
)
def test_no_money_lost_whatever_the_payment_dates(
    price: Money, payments: list[tuple[Money, int]]
) -> None:
    dated = [
        (amount, START + timedelta(days=offset))
        for amount, offset in sorted(payments, key=lambda p: p[1])
    ]
    after, granted = pay_all(Membership(), dated, price)
    paid_units = DAYS_PER_MONTH * sum(a.kopecks for a, _ in dated)
    assert granted * price.kopecks + after.credit_units == paid_units
    assert after.paid_until is not None or granted == 0


@given(st.data(), prices, money, money, days)
def test_paying_a_then_b_grants_what_a_plus_b_grants(
    data: st.DataObject, price: Money, a: Money, b: Money, on: date
) -> None:
    before = data.draw(memberships(price))
    split, _ = pay_all(before, [(a, on), (b, on)], price)
    whole, _ = pay_all(before, [(a + b, on)], price)
    assert split == whole


@given(
    st.data(),
    prices,
    st.lists(st.tuples(money, st.integers(min_value=0, max_value=200)), max_size=10),
    money,
    st.integers(min_value=0, max_value=200),
)
def test_reversing_the_last_top_up_restores_the_prior_state(
    data: st.DataObject,
    price: Money,
    history: list[tuple[Money, int]],
    last: Money,
    last_offset: int,
) -> None:
    start = data.draw(memberships(price))
    dated = sorted(((a, START + timedelta(days=o)) for a, o in history), key=lambda p: p[1])
    prior, _ = pay_all(start, dated, price)
    on = max([START + timedelta(days=last_offset), *(d for _, d in dated)])
    after, extension = prior.top_up(last, price, on)
    assert after.reverse(extension, price) == prior


@given(prices, st.lists(money, min_size=2, max_size=10), st.data())
def test_reversing_an_earlier_top_up_takes_back_exactly_its_value(
    price: Money, amounts: list[Money], data: st.DataObject
) -> None:
    membership = Membership()
    extensions = []
    for amount in amounts:
        membership, extension = membership.top_up(amount, price, START)
        extensions.append(extension)
    index = data.draw(st.integers(min_value=0, max_value=len(amounts) - 1))
    reversed_ = membership.reverse(extensions[index], price)
    assert reversed_.credit_units >= 0
    kept_units = DAYS_PER_MONTH * sum(a.kopecks for i, a in enumerate(amounts) if i != index)
    kept_days = 0 if reversed_.paid_until is None else (reversed_.paid_until - START).days
    assert kept_days * price.kopecks + reversed_.credit_units == kept_units


@given(prices, money, money, days)
def test_top_up_without_a_program_waits_as_credit(
    price: Money, first: Money, second: Money, on: date
) -> None:
    waiting, extension = Membership().top_up(first, None, on)
    assert waiting.paid_until is None and extension.days == 0
    assert waiting.credit_units == DAYS_PER_MONTH * first.kopecks
    after, _ = waiting.top_up(second, price, on)
    together, _ = Membership().top_up(first + second, price, on)
    assert after == together


def test_a_month_price_buys_thirty_days() -> None:
    after, extension = Membership(date(2026, 5, 10)).top_up(Money(10000), Money(10000), START)
    assert after == Membership(date(2026, 6, 9), 0)
    assert extension.days == 30 and extension.extended_from == date(2026, 5, 10)


def test_a_lapsed_member_does_not_pay_for_the_gap() -> None:
    lapsed = Membership(date(2026, 1, 1))
    after, extension = lapsed.top_up(Money(10000), Money(10000), START)
    assert after.paid_until == START + timedelta(days=30)
    assert extension.previous_expiration == date(2026, 1, 1)
    assert (
        lapsed.top_up(Money(10000), Money(10000), START)[0].reverse(extension, Money(10000))
        == lapsed
    )


def test_remainder_is_kept_as_credit_and_shown_in_whole_kopecks() -> None:
    # 5 UAH at 100 UAH a month: 1.5 days → 1 day, and 1.6666… UAH of credit
    after, extension = Membership().top_up(Money(500), Money(10000), START)
    assert extension.days == 1
    assert after.credit_units == 5000
    assert after.credit == Money(166)


def test_reversal_that_credit_cannot_cover_takes_whole_days() -> None:
    price = Money(3000)  # 100 kopecks a day
    first, ext1 = Membership().top_up(Money(150), price, START)  # 1 day, 50 kopecks credit
    second, _ = first.top_up(Money(50), price, START)  # credit used: 2 days, 0 credit
    back = second.reverse(ext1, price)
    assert back.credit_units >= 0
    assert (back.paid_until - START).days * price.kopecks + back.credit_units == 50 * 30


def test_a_top_up_cannot_pay_for_more_than_a_century() -> None:
    with pytest.raises(RuleViolation, match="hundred years"):
        Membership().top_up(Money(10_000_000), Money(100), START)


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(InvalidInput):
        Membership().top_up(Money(0), Money(100), START)
    with pytest.raises(InvalidInput):
        Membership().top_up(Money(100), Money(0), START)
    with pytest.raises(InvalidInput):
        Membership(None, -1)


@given(days, st.integers(min_value=0, max_value=90), st.integers(min_value=-400, max_value=400))
def test_membership_state_follows_the_calendar(paid_until: date, grace: int, offset: int) -> None:
    today = paid_until + timedelta(days=offset)
    state = Membership(paid_until).state(today, grace)
    if offset < 0:
        assert state is MembershipState.ACTIVE
    elif offset < grace:
        assert state is MembershipState.GRACE
    else:
        assert state is MembershipState.EXPIRED
    assert Membership(paid_until).grace_ends(grace) == paid_until + timedelta(days=grace)


def test_no_contribution_means_no_membership() -> None:
    assert Membership().state(START) is MembershipState.NONE
    assert Membership().grace_ends() is None
