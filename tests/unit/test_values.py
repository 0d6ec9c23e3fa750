"""Value objects round-trip what is valid and refuse what is malformed, naming the field."""

from __future__ import annotations

import string
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from kasa.domain.errors import InvalidInput
from kasa.domain.money import Money, kopecks_text, total
from kasa.domain.values import Email, Iban, Phone, TaxNumber, person_name
from tests.unit.strategies import (
    iban_check_digits,
    kopecks,
    rnokpp_check_digit,
    tax_numbers,
    ua_ibans,
    ua_mobiles,
)

# -- Money ---------------------------------------------------------------------------


@given(kopecks)
def test_money_round_trips_through_its_text(k: int) -> None:
    amount = Money(k)
    assert Money.parse(str(amount)) == amount
    assert Money.parse(amount.to_decimal()) == amount


@given(st.lists(kopecks, max_size=20))
def test_money_sums_exactly(values: list[int]) -> None:
    assert total(Money(v) for v in values).kopecks == sum(values)


@pytest.mark.parametrize(
    ("text", "kopecks_"), [("12.34", 1234), ("12,5", 1250), (" 7 ", 700), ("0.01", 1)]
)
def test_money_parses_hryvnias(text: str, kopecks_: int) -> None:
    assert Money.parse(text).kopecks == kopecks_


def test_money_parses_int_and_decimal() -> None:
    assert Money.parse(15) == Money(1500)
    assert Money.parse(Decimal("0.10")) == Money(10)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("1.234", "more than two decimal places"),
        ("-1", "cannot be negative"),
        ("abc", "is not an amount"),
        ("NaN", "not a finite amount"),
        (0.1, "exact number"),
        (True, "exact number"),
        ([1], "is not an amount"),
        ("1e20", "at most 1000000000.00"),
        ("1e26", "at most 1000000000.00"),
        (10**30, "at most 1000000000.00"),
        ("1000000000.01", "at most 1000000000.00"),
        ("9" * 5000, "at most 1000000000.00"),
    ],
)
def test_money_refuses_bad_amounts(value: object, problem: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        Money.parse(value, field="amount")
    assert problem in caught.value.errors["amount"]


def test_money_positive_refuses_zero() -> None:
    with pytest.raises(InvalidInput, match="greater than zero"):
        Money.positive("0.00")
    assert Money.positive("0.01") == Money(1)


@given(st.integers(min_value=-(10**13), max_value=10**13))
def test_kopecks_are_written_as_hryvnias_with_two_decimals(k: int) -> None:
    assert kopecks_text(k) == f"{Decimal(k) / 100:.2f}"


def test_money_invariants() -> None:
    with pytest.raises(InvalidInput):
        Money(-1)
    with pytest.raises(InvalidInput):
        Money(1.5)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        Money(10**14)
    with pytest.raises(InvalidInput, match="negative"):
        _ = Money(1) - Money(2)
    assert Money(5) - Money(2) == Money(3)
    assert Money(1) < Money(2) <= Money(2)
    assert str(Money(1234567)) == "12345.67"
    assert not Money.zero()


# -- Phone -----------------------------------------------------------------------


@given(ua_mobiles)
def test_phone_round_trips(text: str) -> None:
    phone = Phone.parse(text)
    assert str(phone) == text
    assert Phone.parse(str(phone)) == phone


def test_phone_accepts_spacing_and_normalises() -> None:
    assert Phone.parse("+380 (50) 123-45-67").e164 == "+380501234567"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("380501234567", "starting with +"),
        ("0501234567", "starting with +"),
        ("+38050123456a", "only digits"),
        ("+3805012345", "not a valid phone number"),
        ("+38050123456789", "not"),
        ("+", "only digits"),
        ("+3800501234567", "E.164"),  # a trunk 0 kept after the country code
        ("", "starting with +"),
    ],
)
def test_phone_refuses_non_e164(text: str, problem: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        Phone.parse(text)
    assert problem in caught.value.errors["phone"]


@given(st.text(string.digits, min_size=1, max_size=15))
def test_phone_without_plus_is_always_refused(digits: str) -> None:
    with pytest.raises(InvalidInput):
        Phone.parse(digits)


# -- IBAN --------------------------------------------------------------------------


@given(ua_ibans())
def test_iban_round_trips(text: str) -> None:
    iban = Iban.parse(text)
    assert str(iban) == text
    spaced = " ".join(text[i : i + 4] for i in range(0, len(text), 4)).lower()
    assert Iban.parse(spaced) == iban


@given(ua_ibans(), st.integers(min_value=4, max_value=28), st.sampled_from(string.digits))
def test_iban_with_one_digit_changed_is_refused(text: str, position: int, digit: str) -> None:
    assume(text[position] != digit)
    broken = text[:position] + digit + text[position + 1 :]
    with pytest.raises(InvalidInput) as caught:
        Iban.parse(broken)
    assert caught.value.errors["iban"] == "has a wrong checksum"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("DE89370400440532013000", "Ukrainian"),
        ("UA21322313000002600723356600", "29 characters"),
        # a letter in the bank code, with check digits that fit: right sum, wrong shape
        ("UA" + iban_check_digits("X22313" + "0" * 19) + "X22313" + "0" * 19, "not a valid IBAN"),
    ],
)
def test_iban_refuses_malformed(text: str, problem: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        Iban.parse(text)
    assert problem in caught.value.errors["iban"]


# -- Tax number ----------------------------------------------------------------------


@given(tax_numbers())
def test_tax_number_round_trips(text: str) -> None:
    assert str(TaxNumber.parse(text)) == text


@given(tax_numbers(), st.sampled_from(string.digits))
def test_tax_number_with_wrong_check_digit_is_refused(text: str, digit: str) -> None:
    assume(digit != rnokpp_check_digit(text[:9]))
    with pytest.raises(InvalidInput) as caught:
        TaxNumber.parse(text[:9] + digit)
    assert caught.value.errors["inn"] == "has a wrong check digit"


@pytest.mark.parametrize("text", ["12345", "17590137761", "175901377a", ""])
def test_tax_number_refuses_wrong_shape(text: str) -> None:
    with pytest.raises(InvalidInput, match="10 digits"):
        TaxNumber.parse(text)


# -- Email and names -------------------------------------------------------------------


@given(
    st.text(string.ascii_lowercase + string.digits + "._+", min_size=1, max_size=20).filter(
        lambda s: not s.startswith(".")
    ),
    st.text(string.ascii_lowercase, min_size=1, max_size=20),
)
def test_email_round_trips(local: str, host: str) -> None:
    email = Email.parse(f"{local}@{host}.com")
    assert Email.parse(str(email)) == email


def test_email_lowercases_the_domain_only() -> None:
    assert str(Email.parse("Ivan.P@Example.COM")) == "Ivan.P@example.com"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "is required"),
        ("no-at-sign", "not an e-mail"),
        ("a@b", "not an e-mail"),
        ("a@@b.com", "not an e-mail"),
        ("a@b..com", "not an e-mail"),
        ("a@.b.com", "not an e-mail"),
        ("a" * 120 + "@example.com", "at most 128"),
    ],
)
def test_email_refuses_malformed(text: str, problem: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        Email.parse(text)
    assert problem in caught.value.errors["email"]


def test_person_name_rules() -> None:
    assert person_name("  Тарас   Григорович ", "first_name") == "Тарас Григорович"
    assert person_name("Д'Артаньян-Ґудзь", "last_name") == "Д'Артаньян-Ґудзь"
    assert person_name("", "middle_name", required=False) == ""
    with pytest.raises(InvalidInput, match="is required"):
        person_name(" ", "first_name")
    with pytest.raises(InvalidInput, match="at most 32"):
        person_name("А" * 33, "first_name")
    with pytest.raises(InvalidInput, match="only letters"):
        person_name("Robert'); DROP", "first_name")
