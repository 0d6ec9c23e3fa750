"""Days as ranges of moments. Moments are kept in UTC; a day a list or the audit trail
is filtered by is that UTC day, from its first moment up to (not including) the next
day's."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta


def day_start(day: date) -> datetime:
    """The first moment of ``day`` (UTC)."""
    return datetime.combine(day, time.min, tzinfo=UTC)


def after_day(day: date) -> datetime:
    """The first moment after ``day`` (UTC): the end of a range that includes ``day``."""
    return day_start(day + timedelta(days=1))
