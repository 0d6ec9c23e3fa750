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
    texts = [s.body for s in fund.fakes.sms.sent if "membership" in s.body]
    assert "paid until" in texts[0] and "expired" in texts[1]
    assert len(fund.events(EventType.REMINDER_SENT)) == 2


def test_a_failed_sms_is_retried_on_the_next_run(fund: Fund) -> None:
    member_id = fund.approved_member(fund.program(price="300"))
    fund.pay(member_id, "300")
    fund.fakes.clock.advance(days=25)
    fund.fakes.sms.failing = True
    failed = fund.reminders.send()
    assert failed.sent == 0 and len(failed.failed) == 1
    fund.fakes.sms.failing = False
    assert fund.reminders.send().sent == 1


def test_expiring_lists_approved_members_within_days(fund: Fund) -> None:
    member_id = fund.approved_member(fund.program(price="300"))
    fund.pay(member_id, "300")
    assert fund.reminders.expiring(29) == []
    assert [m.id for m in fund.reminders.expiring(30)] == [member_id]
    fund.office.block(fund.operator_id, member_id)
    assert fund.reminders.expiring(30) == []
    assert fund.reminders.due(fund.clock.today() + timedelta(days=25)) == []
