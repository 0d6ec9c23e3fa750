"""The nightly housekeeping: what crashes and time leave behind, removed.

A worker killed while an upload is written leaves a partial file; one killed after the
file is stored but before its row is committed leaves a stored file no row names. Both
are removed once older than a threshold (an hour by default, so an upload still in
flight is never touched); a file a row names is never removed. Throttle counters whose
window closed long ago go too. ``dry_run`` only counts.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import attrs

from kasa.application.clock import FundClock
from kasa.application.ports import FileStore, StoredEntry
from kasa.application.repositories import UnitOfWorkFactory
from kasa.application.retrying import use_cases
from kasa.domain.errors import InvalidInput

# the longest window a counter counts in is a day; two leave a margin
COUNTERS_KEPT = timedelta(days=2)
# events the notifications were made of, and members' notifications (the inbox)
EVENTS_KEPT = timedelta(days=90)
INBOX_KEPT = timedelta(days=365)
# office sessions not seen for longer than any session may last (a day: twice the
# longest default) have ended whatever the settings say
SESSIONS_KEPT = timedelta(days=1)


@attrs.define
class Removed:
    """What one kind of leftover came to."""

    count: int = 0
    bytes: int = 0

    def add(self, entry: StoredEntry) -> None:
        self.count += 1
        self.bytes += entry.size


@attrs.define
class SweepReport:
    dry_run: bool
    partial_files: Removed = attrs.field(factory=Removed)
    unnamed_files: Removed = attrs.field(factory=Removed)
    throttle_counters: int = 0
    handled_events: int = 0
    old_notifications: int = 0
    ended_sessions: int = 0


@use_cases
@attrs.frozen
class Housekeeping:
    uow: UnitOfWorkFactory
    files: FileStore
    clock: FundClock

    def sweep(
        self,
        older_than: timedelta,
        *,
        dry_run: bool = False,
        progress: Callable[[str], None] | None = None,
    ) -> SweepReport:
        """Remove partial files and stored files no row names, last written more than
        ``older_than`` ago, and throttle counters whose window closed long ago."""
        if older_than < timedelta(0):
            raise InvalidInput.field("older_than", "must not be negative")
        now = self.clock.now()
        cutoff = now - older_than
        report = SweepReport(dry_run)
        old = [entry for entry in self.files.inventory() if entry.modified_at <= cutoff]
        finished = [entry for entry in old if not entry.partial]
        with self.uow(read_only=True) as uow:
            named = uow.files.named([entry.name for entry in finished])
        for entry in old:
            if not entry.partial and entry.name in named:
                continue
            (report.partial_files if entry.partial else report.unnamed_files).add(entry)
            if not dry_run:
                self.files.discard(entry)
            if progress is not None:
                progress(entry.name)
        with self.uow() as uow:
            report.throttle_counters = uow.counters.prune(now - COUNTERS_KEPT)
            report.handled_events = uow.outbox.prune(now - EVENTS_KEPT)
            report.old_notifications = uow.notifications.prune(now - INBOX_KEPT)
            report.ended_sessions = uow.office_sessions.prune(now - SESSIONS_KEPT)
            if not dry_run:
                uow.commit()
        return report
