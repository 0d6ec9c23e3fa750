"""A member's new phone is confirmed from the new phone before it becomes the sign-in
phone: another member's future phone can no longer be taken over by typing it in."""

from __future__ import annotations

import pytest

from kasa.application.settings import FundSettings
from kasa.application.uploads import Upload
from kasa.domain.audit import EventType
from kasa.domain.errors import (
    AuthenticationFailed,
    DeliveryFailed,
    InvalidInput,
    RateLimited,
    RuleViolation,
)
from kasa.domain.values import Email, Phone
from tests.integration.app.helpers import JPEG, Fund

NEW = "+380671234567"


def phone_of(fund: Fund, member_id: int) -> str:
    return fund.tables().members[member_id].phone.e164


def test_a_new_phone_changes_only_when_confirmed_from_it(fund: Fund) -> None:
    member_id = fund.sign_up()
    old = phone_of(fund, member_id)
    assert fund.profiles.edit(member_id, phone=Phone.parse(NEW), address="10.0.0.1")
    assert phone_of(fund, member_id) == old
    code = fund.fakes.sms.last_code(NEW)
    # until confirmed, the old phone signs in
    fund.fakes.clock.advance(seconds=61)
    fund.sign.request_code(Phone.parse(old), False)
    fund.sign.sign_in(Phone.parse(old), fund.fakes.sms.last_code(old))
    fund.profiles.confirm_phone(member_id, Phone.parse(NEW), code, "10.0.0.1")
    assert phone_of(fund, member_id) == NEW
    changed = fund.events(EventType.PHONE_CHANGED)
    assert [(e.details["old_phone"], e.details["new_phone"]) for e in changed] == [(old, NEW)]
    assert fund.events(EventType.PHONE_CHANGE_REQUESTED)[0].details["new_phone"] == NEW
    # the new phone signs in to the same member; the old one is nobody's now
    fund.fakes.clock.advance(seconds=61)
    fund.sign.request_code(Phone.parse(NEW), False)
    fund.sign.sign_in(Phone.parse(NEW), fund.fakes.sms.last_code(NEW))
    with pytest.raises(RuleViolation, match="User does not exist"):
        fund.sign.request_code(Phone.parse(old), False)
    with pytest.raises(AuthenticationFailed):  # a code is spent once
        fund.profiles.confirm_phone(member_id, Phone.parse(NEW), code)


def test_an_unconfirmed_phone_stays_free_to_register_and_then_cannot_be_taken(
    fund: Fund,
) -> None:
    """The takeover: an attacker names a stranger's future phone; the owner registers
    it; the attacker's confirmation is refused and the owner's account is their own."""
    attacker = fund.sign_up()
    fund.profiles.edit(attacker, phone=Phone.parse(NEW))
    attackers_code = fund.fakes.sms.last_code(NEW)  # went to the owner's phone, not here
    fund.fakes.clock.advance(seconds=61)
    owner = fund.sign_up(NEW)
    assert owner != attacker and phone_of(fund, attacker) != NEW
    with pytest.raises((AuthenticationFailed, RuleViolation)):
        fund.profiles.confirm_phone(attacker, Phone.parse(NEW), attackers_code)
    assert phone_of(fund, owner) == NEW and phone_of(fund, attacker) != NEW


def test_the_phone_taken_meanwhile_is_refused_at_confirmation(fund: Fund) -> None:
    member_id = fund.sign_up()
    fund.profiles.edit(member_id, phone=Phone.parse(NEW))
    code = fund.fakes.sms.last_code(NEW)
    other = fund.sign_up()
    with fund.uow() as uow:  # another member gets the phone by other means (staff)
        member = uow.members.get_for_update(other)
        assert member is not None
        member.change_contacts(email=None, phone=type(member.phone)(NEW), now=fund.clock.now())
        uow.commit()
    with pytest.raises(RuleViolation, match="Can not assign this phone number"):
        fund.profiles.confirm_phone(member_id, Phone.parse(NEW), code)
    assert phone_of(fund, member_id) != NEW


def test_codes_of_one_purpose_never_do_the_others_work(fund: Fund) -> None:
    member_id = fund.sign_up()
    other = fund.sign_up()
    fund.profiles.edit(member_id, phone=Phone.parse(NEW))
    change_code = fund.fakes.sms.last_code(NEW)
    # a phone-change code signs nobody in, and is bound to the member who asked
    with pytest.raises(AuthenticationFailed):
        fund.sign.sign_in(Phone.parse(NEW), change_code)
    with pytest.raises(AuthenticationFailed):
        fund.profiles.confirm_phone(other, Phone.parse(NEW), change_code)
    # a sign-in code for the phone confirms no change
    fund.fakes.clock.advance(seconds=61)
    fund.sign.request_code(Phone.parse(NEW), True)
    sign_in_code = fund.fakes.sms.last_code(NEW)
    with pytest.raises(AuthenticationFailed):
        fund.profiles.confirm_phone(member_id, Phone.parse(NEW), sign_in_code)
    assert phone_of(fund, member_id) != NEW


def test_wrong_codes_count_like_at_sign_in(fund: Fund) -> None:
    member_id = fund.sign_up()
    fund.profiles.edit(member_id, phone=Phone.parse(NEW))
    code = fund.fakes.sms.last_code(NEW)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        with pytest.raises(AuthenticationFailed):
            fund.profiles.confirm_phone(member_id, Phone.parse(NEW), wrong, "10.0.0.9")
    with pytest.raises(AuthenticationFailed):  # burnt after five wrong tries
        fund.profiles.confirm_phone(member_id, Phone.parse(NEW), code, "10.0.0.9")
    failed = fund.events(EventType.SIGN_IN_FAILED)
    assert len(failed) == 6 and all(e.details["purpose"] == "phone_change" for e in failed)


@pytest.mark.parametrize(
    ("settings", "phone", "prepare", "error"),
    [
        (FundSettings(), "+12025550143", None, InvalidInput),
        (FundSettings(), NEW, "sms_down", DeliveryFailed),
        (FundSettings(), NEW, "daily_limit", RateLimited),
    ],
)
def test_when_no_code_can_be_sent_nothing_of_the_edit_is_saved(
    settings: FundSettings, phone: str, prepare: str | None, error: type[Exception]
) -> None:
    fund = Fund.build(settings)
    member_id = fund.sign_up()
    if prepare == "sms_down":
        fund.fakes.sms.failing = True
    if prepare == "daily_limit":
        for _ in range(5):
            fund.sign.request_code(Phone.parse(phone), True)
            fund.fakes.clock.advance(seconds=61)
    files_before = dict(fund.fakes.files.blobs)
    with pytest.raises(error):
        fund.profiles.edit(
            member_id,
            email=Email.parse("new@example.com"),
            phone=Phone.parse(phone),
            photo=Upload.of("photo", "me.jpg", JPEG),
        )
    member = fund.tables().members[member_id]
    assert member.email is None and member.photo_file_id is None
    assert fund.fakes.files.blobs == files_before
    assert not fund.events(EventType.PHONE_CHANGE_REQUESTED)


def test_phone_changes_count_toward_the_address_limit(fund: Fund) -> None:
    member_id = fund.sign_up()
    for n in range(10):
        fund.profiles.edit(member_id, phone=Phone.parse(f"+38067{n:07d}"), address="10.0.0.5")
    with pytest.raises(RateLimited):
        fund.profiles.edit(member_id, phone=Phone.parse("+380689999999"), address="10.0.0.5")
    with pytest.raises(RateLimited):
        fund.sign.request_code(Phone.parse("+380689999999"), True, "10.0.0.5")
