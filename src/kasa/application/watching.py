"""What operators watch a running fund by, read from the database when they ask
(Prometheus's scrape): notifications waiting to be delivered and how long the oldest has
waited, and what the last day's notifications came to, by channel."""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs

from kasa.application.clock import FundClock
from kasa.application.reads import Reads

RECENT = timedelta(hours=24)


@attrs.frozen
class Figures:
    now: datetime
    waiting: int  # due and not delivered
    oldest_waiting: datetime | None  # when the longest-waiting one fell due
    recent: dict[tuple[str, str], int]  # the last day's, (state, channel) → count

    @property
    def oldest_waiting_seconds(self) -> float:
        if self.oldest_waiting is None:
            return 0.0
        return max(0.0, (self.now - self.oldest_waiting).total_seconds())


@attrs.frozen
class Watching:
    reads: Reads
    clock: FundClock

    def figures(self) -> Figures:
        now = self.clock.now()
        waiting, oldest = self.reads.waiting_notifications(now)
        return Figures(
            now, waiting, oldest, self.reads.notifications_by_channel(now - RECENT, None)
        )
