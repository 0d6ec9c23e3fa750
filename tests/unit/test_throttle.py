"""Throttle counters: a window opens at its first hit and lasts a fixed time; no window
ever lets more than the limit through."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kasa.domain.errors import RateLimited
from kasa.domain.throttle import KEY_LENGTH, Counter, counter_key

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=15)


@given(
    limit=st.integers(min_value=1, max_value=10),
    gaps=st.lists(st.integers(min_value=0, max_value=600), max_size=60),
)
def test_no_window_lets_more_than_the_limit_through(limit: int, gaps: list[int]) -> None:
    counter = Counter("k")
    now = T0
    allowed: list[datetime] = []
    for gap in gaps:
        now += timedelta(seconds=gap)
        try:
            counter.check(limit, now, WINDOW, "too many")
        except RateLimited as refused:
            # refused only while the window holds the limit, and told when it closes
            assert counter.started_at is not None
            left = (counter.started_at + WINDOW - now).total_seconds()
            assert left > 0 and refused.retry_after == math.ceil(left)
            assert len([a for a in allowed if a >= counter.started_at]) >= limit
            continue
        counter.hit(now, WINDOW)
        allowed.append(now)
        assert counter.started_at is not None
        in_window = [a for a in allowed if counter.started_at <= a < counter.started_at + WINDOW]
        assert len(in_window) == counter.count <= limit
    assert counter.total == len(allowed)


def test_a_window_opens_at_the_first_hit_and_clearing_forgets_it() -> None:
    counter = Counter("k")
    assert counter.hit(T0, WINDOW) is True
    assert counter.hit(T0 + timedelta(minutes=14), WINDOW) is False
    assert counter.current(T0 + timedelta(minutes=14), WINDOW) == 2
    assert counter.current(T0 + WINDOW, WINDOW) == 0
    with pytest.raises(RateLimited) as refused:
        counter.check(2, T0 + timedelta(minutes=5), WINDOW, "wait")
    assert refused.value.retry_after == 600
    counter.clear()
    counter.check(2, T0 + timedelta(minutes=5), WINDOW, "wait")
    assert counter.total == 2


def test_keys_are_short_enough_for_the_database() -> None:
    assert counter_key("staff-login", "olena") == "staff-login:olena"
    assert len(counter_key("staff-login", "x" * 500)) == KEY_LENGTH
