"""Members are told: every event from the use case that causes it to the push (or SMS)
at the fake, through the outbox, with the rules of channels, quiet hours, limits and
devices."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from kasa.adapters.sql import schema as tables
from kasa.application.ports import PushOutcome, PushResult
from kasa.application.reads import Page
from kasa.application.requests import Assessment
from kasa.application.settings import FundSettings
from kasa.application.views import NotificationQuery
from kasa.domain.errors import InvalidInput, NotFound
from kasa.domain.events import EventKind
from kasa.domain.money import Money
from kasa.domain.notifications import Language, Platform, QuietHours
from kasa.domain.requests import RequestStatus, Resolution
from tests.integration.app.helpers import Fund
from tests.support.fakes import liqpay_message

TOKEN = "fcm-token-alice-phone"
NO_QUIET = FundSettings(quiet_hours=None)


@pytest.fixture
def fund() -> Fund:
    return Fund.build(NO_QUIET)


def member_with_phone(fund: Fund, token: str = TOKEN) -> int:
    member_id = fund.approved_member(fund.program(price="300"))
    fund.inbox.register_device(member_id, token, Platform.ANDROID)
    return member_id


def outbox(fund: Fund) -> list[str]:
    with fund.database.engine.connect() as c:
        return [row.kind for row in c.execute(sa.select(tables.outbox).order_by("id"))]


def inbox_events(fund: Fund, member_id: int) -> list[str]:
    return [n.event.value for n in fund.inbox.inbox(member_id)]


def test_a_staff_message_reaches_the_phone_and_the_inbox_once(fund: Fund) -> None:
    member_id = member_with_phone(fund)
    fund.fakes.push.sent.clear()
    request = fund.requests.create(member_id, "Ліки", [])
    request_id = request.request.id
    fund.notifier.once()  # the approval's notification
    fund.fakes.push.sent.clear()
    fund.staff_requests.write(fund.operator_id, request_id, "Додайте рецепт")
    assert outbox(fund)[-1] == "message"
    assert fund.fakes.push.sent == []  # nothing goes before the worker runs
    report = fund.notifier.once()
    assert report.pushed == 1
    (push,) = fund.fakes.push.sent
    assert push.token == TOKEN and push.request_id == request_id and push.event == "message"
    assert push.text == f"Олена, нове повідомлення щодо запиту №{request_id}."
    assert push.collapse_key == f"request-{request_id}-messages"
    assert fund.notifier.once().pushed == 0  # delivered once
    inbox = fund.inbox.inbox(member_id)
    assert inbox[0].event is EventKind.MESSAGE and inbox[0].state.value == "sent"
    assert inbox[0].channel == "push" and inbox[0].request_id == request_id


def test_more_messages_within_a_minute_make_one_push_on_the_phone(fund: Fund) -> None:
    member_id = member_with_phone(fund)
    request_id = fund.requests.create(member_id, "Ліки", []).request.id
    fund.notifier.once()
    fund.fakes.push.sent.clear()
    for text in ("Перше", "Друге", "Третє"):
        fund.staff_requests.write(fund.operator_id, request_id, text)
        fund.notifier.handle_events()
    fund.notifier.once()
    texts = [m.text for m in fund.fakes.push.sent]
    assert texts[-1] == f"Олена, 3 нові повідомлення щодо запиту №{request_id}."
    assert {m.collapse_key for m in fund.fakes.push.sent} == {f"request-{request_id}-messages"}
    assert len(fund.inbox.inbox(member_id)) == 1 + 3  # the approval, and each message


def test_a_rolled_back_change_tells_no_one(fund: Fund) -> None:
    member_id = member_with_phone(fund)
    request_id = fund.requests.create(member_id, "Ліки", []).request.id
    before = outbox(fund)
    with pytest.raises(InvalidInput):  # the message is refused: the change rolls back
        fund.staff_requests.write(fund.operator_id, request_id, "   ")
    assert outbox(fund) == before


def test_every_event_from_its_use_case_in_both_languages(fund: Fund) -> None:
    member_id = member_with_phone(fund)
    fund.inbox.change_settings(member_id, push=True, sms=True, language=Language.EN)
    request_id = fund.requests.create(member_id, "Ліки", []).request.id
    staff = fund.operator_id
    fund.staff_requests.write(staff, request_id, "Скільки?")
    fund.staff_requests.move(staff, request_id, RequestStatus.AWAITING_AGENT)
    fund.staff_requests.assess(staff, request_id, Assessment(approved_amount=Money(150_000)))
    fund.staff_payments.record_payout(staff, request_id, Money(150_000), fund.clock.today())
    fund.staff_requests.close(staff, request_id, Resolution.PAID)
    fund.staff_requests.reopen(staff, request_id)
    fund.pay(member_id, "300")
    fund.notifier.once()
    texts = fund.fakes.push.to(TOKEN)
    assert texts[-7:] == [
        f"Олена, a new message on request No. {request_id}.",
        f"Олена, request No. {request_id} is being reviewed by the fund.",
        f"Олена, UAH 1,500.00 was approved on request No. {request_id}.",
        f"Олена, UAH 1,500.00 was paid out on request No. {request_id}.",
        f"Олена, request No. {request_id} is closed: paid.",
        f"Олена, request No. {request_id} is open again.",
        texts[-1],
    ]
    assert texts[-1].startswith("Олена, your contribution of UAH 300.00 is confirmed. Paid until")


def test_an_unregistered_token_is_forgotten_and_the_sms_goes_instead(fund: Fund) -> None:
    member_id = member_with_phone(fund)
    fund.notifier.once()
    fund.fakes.push.answers[TOKEN] = PushResult(PushOutcome.TOKEN_GONE, detail="UNREGISTERED")
    fund.office.block(fund.operator_id, member_id)  # blocked: SMS only, whatever the phone
    fund.office.unblock(fund.operator_id, member_id)
    request_id = fund.requests.create(member_id, "Ліки", []).request.id
    fund.staff_requests.close(fund.operator_id, request_id, Resolution.WITHDRAWN)
    sms_before = len(fund.fakes.sms.sent)
    fund.notifier.once()
    with fund.database.engine.connect() as c:  # the token is forgotten
        assert c.execute(sa.select(sa.func.count()).select_from(tables.devices)).scalar() == 0
    assert fund.inbox.inbox(member_id)[0].channel == "sms"  # the closing, by SMS
    texts = [s.body for s in fund.fakes.sms.sent[sms_before:]]
    assert any("заблоковано" in t for t in texts) and any("знову активний" in t for t in texts)
    assert any(f"запит №{request_id} закрито: відкликано" in t for t in texts)


def test_quiet_hours_hold_the_sms_and_the_daily_limit_stops_it() -> None:
    fund = Fund.build(FundSettings(quiet_hours=QuietHours(9, 21), sms_daily_limit=2))
    member_id = fund.approved_member(fund.program(price="300"))  # no device: SMS
    fund.fakes.clock.moment = fund.fakes.clock.moment.replace(hour=10)  # 12:00 in Kyiv
    sms_before = len(fund.fakes.sms.sent)
    fund.notifier.once()
    held = fund.inbox.inbox(member_id)[0]
    assert held.state.value == "pending" and "quiet" in held.reason
    assert len(fund.fakes.sms.sent) == sms_before
    fund.fakes.clock.advance(hours=10)  # 22:00 in Kyiv
    fund.notifier.once()
    assert fund.inbox.inbox(member_id)[0].channel == "sms"
    for _ in range(3):
        fund.office.block(fund.operator_id, member_id)
        fund.office.unblock(fund.operator_id, member_id)
    fund.notifier.once()
    states = [n.state.value for n in fund.inbox.inbox(member_id)]
    assert states.count("failed") == 5  # the approval and one more went; the day is used up
    assert "used up" in fund.inbox.inbox(member_id)[0].reason


def test_a_token_moves_to_the_member_who_registers_it_and_ten_devices_at_most(
    fund: Fund,
) -> None:
    alice = member_with_phone(fund, "shared-phone")
    bob = fund.approved_member(fund.program(price="300"))
    fund.inbox.register_device(bob, "shared-phone", Platform.IOS)
    with fund.database.engine.connect() as c:
        owners = c.execute(sa.select(tables.devices.c.member_id, tables.devices.c.token)).all()
    assert list(owners) == [(bob, "shared-phone")]
    for n in range(12):
        fund.fakes.clock.advance(seconds=1)
        fund.inbox.register_device(alice, f"alice-{n}", Platform.ANDROID)
    with fund.database.engine.connect() as c:
        tokens = set(
            c.execute(
                sa.select(tables.devices.c.token).where(tables.devices.c.member_id == alice)
            ).scalars()
        )
    assert tokens == {f"alice-{n}" for n in range(2, 12)}
    with pytest.raises(NotFound):
        fund.inbox.forget_device(alice, "shared-phone")
    fund.inbox.forget_device(bob, "shared-phone")


def test_push_refused_for_the_credentials_pauses_push_and_busy_waits(fund: Fund) -> None:
    member_id = member_with_phone(fund)
    fund.notifier.once()
    fund.fakes.push.answers[TOKEN] = PushResult(PushOutcome.BUSY, retry_after=120, detail="429")
    request_id = fund.requests.create(member_id, "Ліки", []).request.id
    fund.staff_requests.write(fund.operator_id, request_id, "Питання")
    fund.notifier.once()
    waiting = fund.inbox.inbox(member_id)[0]
    assert waiting.state.value == "pending" and waiting.attempts == 1
    fund.fakes.push.answers[TOKEN] = PushResult(PushOutcome.CREDENTIALS, detail="401")
    fund.fakes.clock.advance(seconds=121)
    fund.notifier.once()
    assert fund.inbox.inbox(member_id)[0].state.value == "pending"
    del fund.fakes.push.answers[TOKEN]
    fund.fakes.clock.advance(minutes=2)
    fund.notifier.once()  # still paused: nothing pushed
    assert fund.fakes.push.to(TOKEN)[-1:] != [
        f"Олена, нове повідомлення щодо запиту №{request_id}."
    ]
    fund.fakes.clock.advance(minutes=6)
    fund.notifier.once()
    assert fund.fakes.push.to(TOKEN)[-1] == f"Олена, нове повідомлення щодо запиту №{request_id}."


def test_the_expiry_reminder_is_a_notification_once_per_date(fund: Fund) -> None:
    member_id = fund.approved_member(fund.program(price="300"))  # no device
    fund.pay(member_id, "300")
    fund.notifier.once()
    fund.fakes.clock.advance(days=24)
    assert fund.reminders.send().sent == 1
    assert fund.reminders.send().already_sent == 1
    sms_before = len(fund.fakes.sms.sent)
    fund.notifier.once()
    (text,) = [s.body for s in fund.fakes.sms.sent[sms_before:]]
    assert text.startswith("Олена, членство сплачено до ")
    fund.fakes.clock.advance(days=7)
    assert fund.reminders.send().sent == 1
    fund.notifier.once()
    assert "закінчилося" in fund.fakes.sms.sent[-1].body
    assert inbox_events(fund, member_id)[:2] == ["membership_expiring", "membership_expiring"]


def test_staff_retry_a_failed_notification(fund: Fund) -> None:
    member_id = fund.approved_member(fund.program(price="300"))  # SMS for the approval
    fund.fakes.sms.failing = True
    for _ in range(6):
        fund.notifier.once()
        fund.fakes.clock.advance(hours=13)
    failed = fund.inbox.inbox(member_id)[0]
    assert failed.state.value == "failed" and "SMS failed" in failed.reason
    fund.fakes.sms.failing = False
    fund.notifier.retry(fund.operator_id, failed.id)
    fund.notifier.once()
    assert fund.inbox.inbox(member_id)[0].state.value == "sent"


def test_profile_reviews_a_reversal_and_blocking_are_told(fund: Fund) -> None:
    program_id = fund.program(price="300")
    member_id = fund.sign_up()
    fund.inbox.register_device(member_id, TOKEN, Platform.IOS)
    fund.submit(member_id, program_id)
    fund.office.refuse_documents(fund.operator_id, member_id, "Розмито")
    fund.submit(member_id, program_id)
    fund.approve(member_id)
    other = fund.program("Розширена", "450")
    fund.profiles.change_program(member_id, other)
    fund.office.accept_program_change(fund.operator_id, member_id)
    order = fund.pay(member_id, "450")
    data, signature = fund.fakes.gateway.callback(order, "450.00", "reversed")
    fund.gateway.callback("liqpay", liqpay_message(data, signature))
    sms_before = len(fund.fakes.sms.sent)
    fund.office.block(fund.operator_id, member_id)
    fund.notifier.once()
    assert fund.fakes.push.to(TOKEN) == [
        "Олена, документи не прийнято. Подивіться причину в застосунку.",
        "Олена, ваш профіль схвалено. Ласкаво просимо до фонду!",
        "Олена, вашу нову програму підтверджено.",
        fund.fakes.push.to(TOKEN)[3],
        "Олена, внесок 450,00\u00a0грн повернуто платіжною системою.",
    ]
    assert fund.fakes.push.to(TOKEN)[3].startswith("Олена, внесок 450,00\u00a0грн зараховано")
    blocked = [s.body for s in fund.fakes.sms.sent[sms_before:]]
    assert blocked == ["Олена, ваш обліковий запис у фонді заблоковано. Зверніться до фонду."]
    report = fund.books.fund_report(fund.operator_id)
    assert report.notifications["push"] == 5 and report.notifications["sms"] == 1
    listed = fund.books.notifications(
        fund.operator_id, NotificationQuery(member_id=member_id), Page(2, 0)
    ).items
    assert [n.event.value for n in listed] == ["blocked", "payment_reversed"]
