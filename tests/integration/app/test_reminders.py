"""Membership reminders: before expiry and on entering grace, never twice a period."""

from __future__ import annotations

from datetime import timedelta

from kasa.domain.audit import EventType
from tests.integration.app.helpers import Fund


def test_reminders_go_once_before_expiry_and_once_in_grace(fund: Fund) -> None:
    member_id = fund.approved_member(fund.program(price="300"))
    fund.pay(member_id, "300")  # paid for 30 days
    assert fund.reminders.send().due == 0
    fund.fakes.clock.advance(days=24)  # six days left
    report = fund.reminders.send()
    assert (report.due, report.sent) == (1, 1)
    again = fund.reminders.send()
    assert (again.sent, again.already_sent) == (0, 1)
    fund.fakes.clock.advance(days=7)  # one day into grace
    seen: list[int] = []
    grace = fund.reminders.send(progress=lambda m: seen.append(m.id or 0))
    assert grace.sent == 1 and seen == [member_id]
    assert fund.reminders.send().sent == 0
    assert len(fund.events(EventType.REMINDER_SENT)) == 2
    fund.notifier.once()  # the member is told by the notifications
    told = [n for n in fund.inbox.inbox(member_id) if n.event == "membership_expiring"]
    assert len(told) == 2 and "закінчилося" in told[0].text


def test_expiring_lists_approved_members_within_days(fund: Fund) -> None:
    member_id = fund.approved_member(fund.program(price="300"))
    fund.pay(member_id, "300")
    assert fund.reminders.expiring(29) == []
    assert [m.id for m in fund.reminders.expiring(30)] == [member_id]
    fund.office.block(fund.operator_id, member_id)
    assert fund.reminders.expiring(30) == []
    assert fund.reminders.due(fund.clock.today() + timedelta(days=25)) == []
