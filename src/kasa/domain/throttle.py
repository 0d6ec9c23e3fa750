"""Counters against abuse: wrong passwords and codes, code requests and junk callbacks.

A counter counts hits in a window that opens at its first hit and lasts a fixed time
(a login locked after five failures stays locked until fifteen minutes after the first
of them). The database keeps one row a counter and locks it while a use case checks and
moves it, so however many requests race, no more than the limit get through.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import attrs

from kasa.domain.errors import RateLimited

DAY = timedelta(days=1)
# Longest key a counter takes (the database column's size).
KEY_LENGTH = 96


def counter_key(kind: str, subject: str) -> str:
    """``staff-login:olena``, ``code-address:203.0.113.7``: what a counter counts."""
    return f"{kind}:{subject}"[:KEY_LENGTH]


@attrs.define(eq=False, slots=False)
class Counter:
    """Hits of one key in its current window, and all hits ever (``total``)."""

    key: str
    started_at: datetime | None = None
    count: int = 0
    total: int = 0
    id: int | None = None

    def _expired(self, now: datetime, window: timedelta) -> bool:
        return self.started_at is None or now >= self.started_at + window

    def current(self, now: datetime, window: timedelta) -> int:
        """Hits in the window that is open at ``now`` (none once it has passed)."""
        return 0 if self._expired(now, window) else self.count

    def retry_after(self, now: datetime, window: timedelta) -> int:
        """Seconds until the open window closes."""
        if self.started_at is None:
            return 1
        return max(1, math.ceil((self.started_at + window - now).total_seconds()))

    def check(self, limit: int, now: datetime, window: timedelta, message: str) -> None:
        """Refuse (changing nothing) when the window already holds ``limit`` hits."""
        if self.current(now, window) >= limit:
            raise RateLimited(message, self.retry_after(now, window))

    def hit(self, now: datetime, window: timedelta) -> bool:
        """Count one; True when this hit opened a new window."""
        opened = self._expired(now, window)
        if opened:
            self.started_at = now
            self.count = 0
        self.count += 1
        self.total += 1
        return opened

    def take(self, limit: int, now: datetime, window: timedelta, message: str) -> None:
        """Count one, or refuse (changing nothing) when the window already holds
        ``limit`` hits."""
        self.check(limit, now, window, message)
        self.hit(now, window)

    def clear(self) -> None:
        """Forget the open window (a successful sign-in clears the login's failures)."""
        self.started_at = None
        self.count = 0
