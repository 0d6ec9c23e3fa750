"""Telling members: events of committed changes become the member's notifications, and
the notifications are delivered by push to the member's devices, else by SMS for the
events that have one.

Both steps claim their rows (rows another worker holds are skipped), so several workers
never handle one event or deliver one notification twice; a worker that dies before it
commits leaves its rows to the next (push is at least once; the inbox holds each
notification once)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

import attrs

from kasa.application.access import acting_staff
from kasa.application.clock import FundClock
from kasa.application.ports import PushMessage, PushOutcome, PushSender, SmsSender
from kasa.application.repositories import OutboxEvent, UnitOfWork, UnitOfWorkFactory
from kasa.application.retrying import runs_many, use_cases
from kasa.application.settings import FundSettings
from kasa.application.texts import render
from kasa.domain.errors import Conflict, DeliveryFailed, NotFound
from kasa.domain.events import EventKind
from kasa.domain.members import Member
from kasa.domain.notifications import (
    COLLAPSE_WINDOW,
    PUSH_PAUSE,
    PUSHED,
    Channel,
    Notification,
    NotificationSettings,
    busy_wait,
    sms_allowed,
    sms_wanted,
)

log = logging.getLogger("kasa.notify")
BATCH = 50
PAUSE_KEY = "push:paused"


@attrs.define
class NotifyReport:
    handled: int = 0  # events made into notifications
    pushed: int = 0
    texted: int = 0  # sent by SMS
    in_inbox: int = 0  # nothing to send: in the member's inbox only
    waiting: int = 0  # tried, to be tried again (or held for quiet hours)
    failed: int = 0

    def add(self, other: NotifyReport) -> None:
        for field in attrs.fields(NotifyReport):
            setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))

    @property
    def done(self) -> int:
        return self.handled + self.pushed + self.texted + self.in_inbox + self.failed


@use_cases
@attrs.frozen
class Notifier:
    uow: UnitOfWorkFactory
    clock: FundClock
    push: PushSender
    sms: SmsSender
    settings: FundSettings

    # -- events → notifications ---------------------------------------------------------
    @runs_many
    def handle_events(self, limit: int = BATCH) -> int:
        """Turn the oldest events not yet handled into notifications; how many."""
        now = self.clock.now()
        with self.uow() as uow:
            events = uow.outbox.claim(limit)
            for event in events:
                self._notification(uow, event, now)
            uow.outbox.handled([e.id for e in events], now)
            uow.commit()
            return len(events)

    def _notification(self, uow: UnitOfWork, event: OutboxEvent, now: datetime) -> None:
        member = uow.members.get(event.member_id)
        assert member is not None
        settings = uow.notification_settings.get(event.member_id) or NotificationSettings(
            event.member_id, now
        )
        has_device = bool(uow.devices.for_member(event.member_id))
        count, collapse = 1, ""
        if event.kind is EventKind.MESSAGE and event.request_id is not None:
            collapse = f"request-{event.request_id}-messages"
            count += uow.notifications.messages_since(event.request_id, now - COLLAPSE_WINDOW)
        text = render(
            event.kind,
            event.data,
            settings.language,
            first_name=member.first_name,
            request_id=event.request_id,
            count=count,
        )
        uow.notifications.add(
            Notification(
                member_id=event.member_id,
                event=event.kind,
                text=text,
                created_at=now,
                due_at=now,
                push=event.kind in PUSHED and settings.push,
                sms=sms_wanted(event.kind, dict(event.data))
                and sms_allowed(event.kind, settings, has_device),
                request_id=event.request_id,
                payment_id=event.payment_id,
                collapse_key=collapse,
            )
        )

    # -- notifications → the member's phone ---------------------------------------------
    @runs_many
    def deliver(self, limit: int = BATCH) -> NotifyReport:
        """Deliver the due notifications, oldest first (at most ``limit``)."""
        report = NotifyReport()
        now = self.clock.now()
        with self.uow() as uow:
            paused = self._push_paused(uow, now)
            for notification in uow.notifications.claim_due(now, limit):
                self._deliver(uow, notification, now, paused, report)
                if not paused and self._push_paused(uow, now):
                    paused = True
            uow.commit()
        return report

    def _deliver(
        self,
        uow: UnitOfWork,
        n: Notification,
        now: datetime,
        paused: bool,
        report: NotifyReport,
    ) -> None:
        devices = uow.devices.for_member(n.member_id) if n.push else []
        if devices and not paused:
            reached, wait = self._push(uow, n, devices, now)
            if reached:
                n.sent(Channel.PUSH, now)
                report.pushed += 1
                return
            if wait is not None and not n.sms:
                n.attempts += 1
                n.again_at(now + wait, n.reason)
                report.waiting += 1
                return
        if n.sms:
            self._text(uow, n, now, report)
        elif n.push and devices and paused:
            n.again_at(now + PUSH_PAUSE, "push is paused: the fund's credentials were refused")
            report.waiting += 1
        elif n.push and devices:
            n.failed_once(now, n.reason or "push failed")
            report.failed += n.state.value == "failed"
            report.waiting += n.state.value == "pending"
        else:  # nothing can carry it: the member reads it in the app
            n.sent(Channel.INBOX, now)
            report.in_inbox += 1

    def _push(
        self, uow: UnitOfWork, n: Notification, devices: Sequence[object], now: datetime
    ) -> tuple[bool, timedelta | None]:
        """Push to every device of the member: whether one took it, and how long to wait
        when none did for a reason that passes (``None``: no device can take it)."""
        assert n.id is not None
        reached, wait = False, None
        for device in list(devices):
            token = getattr(device, "token")  # noqa: B009 - a Device
            result = self.push.send(
                PushMessage(
                    token=token,
                    text=n.text,
                    event=n.event.value,
                    notification_id=n.id,
                    request_id=n.request_id,
                    payment_id=n.payment_id,
                    collapse_key=n.collapse_key,
                )
            )
            if result.outcome is PushOutcome.SENT:
                reached = True
            elif result.outcome is PushOutcome.TOKEN_GONE:
                uow.devices.remove(device)  # type: ignore[arg-type]
                log.info("device of member %s forgotten: %s", n.member_id, result.detail)
            elif result.outcome is PushOutcome.BUSY:
                wait = busy_wait(result.retry_after, n.attempts + 1)
                n.reason = f"push busy: {result.detail}"[:255]
            elif result.outcome is PushOutcome.CREDENTIALS:
                self._pause_push(uow, now, result.detail)
                n.reason = "push paused: the fund's credentials were refused"
                break
            else:
                wait = wait or timedelta(0)
                n.reason = f"push failed: {result.detail}"[:255]
        return reached, wait

    def _text(self, uow: UnitOfWork, n: Notification, now: datetime, report: NotifyReport) -> None:
        quiet = self.settings.quiet_hours
        local = self.clock.local(now)
        if quiet is not None and quiet.holds(local):
            n.again_at(quiet.ends_after(local), "held for the quiet hours")
            report.waiting += 1
            return
        day_start = self.clock.start_of_day(now)
        if uow.notifications.sms_sent_since(n.member_id, day_start) >= (
            self.settings.sms_daily_limit
        ):
            n.failed("the member's SMS for today are used up")
            report.failed += 1
            return
        member: Member | None = uow.members.get(n.member_id)
        assert member is not None
        try:
            self.sms.send(member.phone, n.text)
        except DeliveryFailed as error:
            n.failed_once(now, f"SMS failed: {error.detail or error.message}")
            report.failed += n.state.value == "failed"
            report.waiting += n.state.value == "pending"
            return
        n.sent(Channel.SMS, now)
        report.texted += 1

    # -- pausing push for the fund's credentials ------------------------------------------
    def _push_paused(self, uow: UnitOfWork, now: datetime) -> bool:
        counter = uow.counters.peek(PAUSE_KEY)  # not locked: workers never wait on it
        return counter is not None and counter.current(now, PUSH_PAUSE) > 0

    def _pause_push(self, uow: UnitOfWork, now: datetime, detail: str) -> None:
        counter = uow.counters.locked([PAUSE_KEY])[PAUSE_KEY]
        if counter.current(now, PUSH_PAUSE) == 0:
            log.error("push paused for %s: the credentials were refused: %s", PUSH_PAUSE, detail)
        counter.hit(now, PUSH_PAUSE)

    # -- what the worker runs -------------------------------------------------------------
    def once(self, progress: Callable[[NotifyReport], None] | None = None) -> NotifyReport:
        """Handle every event and deliver every notification that is due now, then stop."""
        total = NotifyReport()
        while True:
            step = NotifyReport(handled=self.handle_events())
            step.add(self.deliver())
            total.add(step)
            if progress is not None:
                progress(step)
            if not step.done:
                return total

    def retry(self, staff_id: int, notification_id: int) -> Notification:
        """Staff send a failed notification again."""
        now = self.clock.now()
        with self.uow() as uow:
            acting_staff(uow, staff_id)
            found = uow.notifications.get_for_update(notification_id)
            if found is None:
                raise NotFound(f"There is no notification {notification_id}.")
            if found.state.value != "failed":
                raise Conflict(
                    f"Notification {notification_id} is {found.state.value}, not failed."
                )
            found.retry(now)
            uow.commit()
            return found
