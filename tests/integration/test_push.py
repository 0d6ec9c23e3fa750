"""Push through the real FCM adapter against a local FCM stand-in: OAuth 2 tokens for the
service account asked for once and kept, HTTP v1 messages, and every answer the
notifier acts on; then a member's day from a staff message to the stand-in."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from dependency_injector import providers

from kasa.adapters.push import FcmPush
from kasa.application.ports import PushMessage, PushOutcome
from kasa.application.requests import Assessment
from kasa.application.settings import FundSettings
from kasa.domain.events import EventKind
from kasa.domain.money import Money
from kasa.domain.notifications import Language, Platform
from kasa.domain.requests import RequestStatus, Resolution
from tests.integration.app.helpers import Fund
from tests.support.fakes import liqpay_message
from tests.support.fcm_standin import fcm_standin


def message(token: str, text: str = "Олена, нове повідомлення щодо запиту №3.") -> PushMessage:
    return PushMessage(
        token=token,
        text=text,
        event="message",
        notification_id=7,
        request_id=3,
        collapse_key="request-3-messages",
    )


def test_the_adapter_speaks_http_v1_with_a_service_account_token(tmp_path: Path) -> None:
    with fcm_standin(tmp_path) as stand:
        push = FcmPush(stand.credentials, stand.url)
        assert push.send(message("phone-a")).outcome is PushOutcome.SENT
        assert push.send(message("phone-b")).outcome is PushOutcome.SENT
        assert len(stand.issued) == 1  # the access token is kept until it expires
        sent = stand.to("phone-a")[0]
        assert sent["notification"]["body"] == "Олена, нове повідомлення щодо запиту №3."
        assert sent["data"] == {"event": "message", "notification_id": "7", "request_id": "3"}
        assert sent["android"]["collapse_key"] == "request-3-messages"
        assert sent["apns"]["headers"]["apns-collapse-id"] == "request-3-messages"
        stand.answers.update({"gone": "UNREGISTERED", "busy": "429", "down": "500", "auth": "401"})
        gone = push.send(message("gone"))
        assert gone.outcome is PushOutcome.TOKEN_GONE and "UNREGISTERED" in gone.detail
        busy = push.send(message("busy"))
        assert (busy.outcome, busy.retry_after) == (PushOutcome.BUSY, 30)
        assert push.send(message("down")).outcome is PushOutcome.FAILED
        assert push.send(message("auth")).outcome is PushOutcome.CREDENTIALS
        assert stand.refused == []


def test_no_token_for_a_key_the_stand_in_does_not_know(tmp_path: Path) -> None:
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    with fcm_standin(tmp_path / "one") as one, fcm_standin(tmp_path / "two") as two:
        account = json.loads(two.credentials.read_text())
        account["token_uri"] = f"{one.url}/token"  # another key than the one it knows
        forged = tmp_path / "forged.json"
        forged.write_text(json.dumps(account))
        result = FcmPush(forged, one.url).send(message("phone-a"))
    assert result.outcome is PushOutcome.CREDENTIALS and one.issued == []
    assert one.refused and one.refused[0].startswith("assertion")


def test_a_staff_message_reaches_the_stand_in_and_a_gone_token_falls_back_to_sms(
    tmp_path: Path,
) -> None:
    with fcm_standin(tmp_path) as stand:
        fund = Fund.build(FundSettings(quiet_hours=None))
        fund.kasa.adapters.push.override(providers.Object(FcmPush(stand.credentials, stand.url)))
        member_id = fund.approved_member(fund.program(price="300"))
        fund.inbox.register_device(member_id, "olena-phone", Platform.ANDROID)
        request_id = fund.requests.create(member_id, "Ліки", []).request.id
        fund.notifier.once()
        fund.staff_requests.write(fund.operator_id, request_id, "Додайте рецепт")
        assert fund.notifier.once().pushed == 1
        (told,) = [m for m in stand.to("olena-phone") if m["data"]["event"] == "message"]
        assert told["data"]["request_id"] == str(request_id)
        assert fund.inbox.inbox(member_id)[0].channel == "push"
        stand.answers["olena-phone"] = "UNREGISTERED"
        sms_before = len(fund.fakes.sms.sent)
        fund.staff_requests.close(fund.operator_id, request_id, Resolution.WITHDRAWN)
        fund.notifier.once()
        assert fund.inbox.inbox(member_id)[0].channel == "sms"
        assert "закрито" in fund.fakes.sms.sent[sms_before].body
        assert fund.kasa.members.notifications().inbox(member_id)[0].state.value == "sent"
        fund.staff_requests.reopen(fund.operator_id, request_id)  # no device, no SMS: inbox
        fund.notifier.once()
        assert fund.inbox.inbox(member_id)[0].channel == "inbox"


@pytest.mark.parametrize("language", [Language.UK, Language.EN])
def test_every_pushed_event_reaches_the_stand_in_in_the_members_language(
    tmp_path: Path, language: Language
) -> None:
    with fcm_standin(tmp_path) as stand:
        fund = Fund.build(FundSettings(quiet_hours=None))
        fund.kasa.adapters.push.override(providers.Object(FcmPush(stand.credentials, stand.url)))
        program_id = fund.program(price="300")
        member_id = fund.sign_up()
        fund.inbox.register_device(member_id, "phone", Platform.ANDROID)
        fund.inbox.change_settings(member_id, push=True, sms=True, language=language)
        fund.submit(member_id, program_id)
        fund.office.refuse_documents(fund.operator_id, member_id, "Розмито")
        fund.submit(member_id, program_id)
        fund.approve(member_id)
        fund.profiles.change_program(member_id, fund.program("Розширена", "450"))
        fund.office.accept_program_change(fund.operator_id, member_id)
        request_id = fund.requests.create(member_id, "Ліки", []).request.id
        staff = fund.operator_id
        fund.staff_requests.write(staff, request_id, "Скільки?")
        fund.staff_requests.move(staff, request_id, RequestStatus.AWAITING_AGENT)
        fund.staff_requests.assess(staff, request_id, Assessment(approved_amount=Money(45_000)))
        fund.staff_payments.record_payout(staff, request_id, Money(45_000), fund.clock.today())
        fund.staff_requests.close(staff, request_id, Resolution.PAID)
        fund.staff_requests.reopen(staff, request_id)
        order = fund.pay(member_id, "450")
        data, signature = fund.fakes.gateway.callback(order, "450.00", "reversed")
        fund.gateway.callback("liqpay", liqpay_message(data, signature))
        fund.fakes.clock.advance(days=25)
        fund.pay(member_id, "450")
        fund.fakes.clock.advance(days=26)
        fund.reminders.send()
        fund.notifier.once()
        told = [(m["data"]["event"], m["notification"]["body"]) for m in stand.to("phone")]
        events = [event for event, _ in told]
        assert sorted(set(events)) == sorted(
            k.value for k in EventKind if k not in (EventKind.BLOCKED, EventKind.UNBLOCKED)
        )
        assert len(told) == 13  # three reviews, six on the request, three payments, one reminder
        for event, body in told:
            assert body.startswith("Олена, ") and "{" not in body, (event, body)
            assert any(word in body for word in WORDS[language]), (event, body)


# a word every text of a language has one of
WORDS = {
    Language.UK: ("запит", "внесок", "профіль", "документи", "програм", "членство"),
    Language.EN: ("request", "contribution", "profile", "documents", "program", "membership"),
}
