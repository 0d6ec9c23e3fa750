"""Scheduled jobs: membership reminders (safe to run as often as you like)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import attrs

from kasa.application.auditing import audit
from kasa.application.clock import FundClock
from kasa.application.reads import OfficeReads
from kasa.application.repositories import ReminderSent, UnitOfWorkFactory
from kasa.application.retrying import retried, runs_many, use_cases
from kasa.application.settings import FundSettings
from kasa.application.views import MemberView
from kasa.domain.audit import Actor, EventType, ObjectKind
from kasa.domain.errors import Conflict
from kasa.domain.members import MemberStatus

BEFORE_EXPIRY = "before_expiry"
GRACE = "grace"


@attrs.define
class ReminderReport:
    due: int = 0
    sent: int = 0
    already_sent: int = 0


@use_cases
@attrs.frozen
class Reminders:
    uow: UnitOfWorkFactory
    reads: OfficeReads
    clock: FundClock
    settings: FundSettings

    def due(self, today: date | None = None) -> list[tuple[MemberView, str]]:
        """Approved members whose "paid until" is within the reminder lead (before
        expiry), or who are in grace, each with the kind of reminder they are due."""
        today = today or self.clock.today()
        settings = self.settings
        soon = self.reads.expiring(
            today + timedelta(days=1), today + timedelta(days=settings.reminder_days)
        )
        grace = self.reads.expiring(today - timedelta(days=settings.grace_days - 1), today)
        found = [(m, BEFORE_EXPIRY) for m in soon] + [(m, GRACE) for m in grace]
        return [(m, kind) for m, kind in found if m.status is MemberStatus.APPROVED]

    def expiring(self, days: int, today: date | None = None) -> list[MemberView]:
        today = today or self.clock.today()
        members = self.reads.expiring(today, today + timedelta(days=days))
        return [m for m in members if m.status is MemberStatus.APPROVED]

    @runs_many
    def send(
        self, today: date | None = None, progress: Callable[[MemberView], None] | None = None
    ) -> ReminderReport:
        """Tell each member due a reminder, once per period: the member is told by the
        notifications (push, and SMS), whose event is written with the log entry."""
        today = today or self.clock.today()
        report = ReminderReport()
        for member, kind in self.due(today):
            report.due += 1
            try:
                self._remind(member, kind)
                report.sent += 1
            except Conflict:
                report.already_sent += 1
            if progress is not None:
                progress(member)
        return report

    @retried
    def _remind(self, member: MemberView, kind: str) -> None:
        now = self.clock.now()
        paid_until = member.membership.paid_until
        assert paid_until is not None
        with self.uow() as uow:
            if uow.sent_reminders.exists(member.id, kind, paid_until):
                raise Conflict("Already reminded for this period.")
            uow.sent_reminders.add(ReminderSent(member.id, kind, paid_until, now))
            told = uow.members.get_for_update(member.id)
            assert told is not None
            told.remind(paid_until, lapsed=kind == GRACE)
            audit(
                uow,
                EventType.REMINDER_SENT,
                Actor.system(),
                ObjectKind.MEMBER,
                member.id,
                now,
                kind=kind,
                paid_until=paid_until.isoformat(),
            )
            uow.commit()
