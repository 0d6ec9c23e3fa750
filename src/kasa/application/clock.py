"""The time at the fund: now (UTC), and the calendar date at the fund (Kyiv), where
"paid until" dates and staff-entered payment dates live."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import attrs

from kasa.application.ports import Clock


@attrs.frozen
class FundClock:
    clock: Clock
    zone: ZoneInfo

    def now(self) -> datetime:
        return self.clock.now()

    def local_date(self, moment: datetime) -> date:
        """The calendar date at the fund of a moment."""
        return moment.astimezone(self.zone).date()

    def today(self) -> date:
        return self.local_date(self.now())

    def local(self, moment: datetime) -> datetime:
        """A moment in the fund's time zone."""
        return moment.astimezone(self.zone)

    def start_of_day(self, moment: datetime) -> datetime:
        """Midnight at the fund of the moment's day."""
        return datetime.combine(self.local_date(moment), time(0, 0), tzinfo=self.zone)

    def month_starts(self, since: datetime, until: datetime) -> list[datetime]:
        """The first moments (UTC) of the fund's calendar months from the one ``since``
        falls in up to the one ``until`` falls in."""
        month = self.local_date(since).replace(day=1)
        last = self.local_date(until).replace(day=1)
        found = []
        while month <= last:
            found.append(datetime.combine(month, time(0, 0), tzinfo=self.zone).astimezone(UTC))
            month = (month + timedelta(days=32)).replace(day=1)
        return found

    def noon(self, day: date) -> datetime:
        """A date entered by staff, taken as noon at the fund (so it stays that date)."""
        return datetime.combine(day, time(12, 0), tzinfo=self.zone)
