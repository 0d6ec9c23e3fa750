"""Hypothesis strategies for the fund's values, built from the rules themselves
(check digits computed here, independently of the library the domain uses)."""

from __future__ import annotations

import string
from datetime import UTC, date, datetime, timedelta

from hypothesis import strategies as st

from kasa.domain.money import Money

T0 = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)

kopecks = st.integers(min_value=1, max_value=10_000_000)  # up to 100 000 UAH
money = kopecks.map(Money)
# contributions and prices as a fund sees them: sequences of these stay within decades
contributions = st.integers(min_value=1, max_value=200_000).map(Money)  # up to 2000 UAH
prices = st.integers(min_value=5_000, max_value=500_000).map(Money)  # 50..5000 UAH a month
days = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))


def iban_check_digits(bban: str, country: str = "UA") -> str:
    """ISO 13616 / ISO 7064 mod 97-10."""
    rearranged = bban + country + "00"
    numeric = "".join(str(int(ch, 36)) for ch in rearranged)
    return f"{98 - int(numeric) % 97:02d}"


@st.composite
def ua_ibans(draw: st.DrawFn) -> str:
    bank = draw(st.text(string.digits, min_size=6, max_size=6))
    account = draw(st.text(string.digits, min_size=19, max_size=19))
    bban = bank + account
    return "UA" + iban_check_digits(bban) + bban


def rnokpp_check_digit(first9: str) -> str:
    weights = (-1, 5, 7, 9, 4, 6, 10, 5, 7)
    return str(sum(w * int(d) for w, d in zip(weights, first9, strict=True)) % 11 % 10)


@st.composite
def tax_numbers(draw: st.DrawFn) -> str:
    first9 = draw(st.text(string.digits, min_size=9, max_size=9))
    return first9 + rnokpp_check_digit(first9)


# Kyivstar, Vodafone and lifecell mobile prefixes: valid Ukrainian mobile numbers.
ua_mobiles = st.builds(
    lambda prefix, rest: f"+380{prefix}{rest}",
    st.sampled_from(["50", "66", "67", "68", "73", "93", "95", "96", "97", "98", "99"]),
    st.text(string.digits, min_size=7, max_size=7),
)


def moments(start: datetime = T0) -> st.SearchStrategy[datetime]:
    return st.integers(min_value=0, max_value=3 * 365 * 24 * 3600).map(
        lambda s: start + timedelta(seconds=s)
    )
