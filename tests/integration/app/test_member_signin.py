"""Members sign in by SMS code: creation, limits, refusals, and what is recorded."""

from __future__ import annotations

import pytest

from kasa.application.ports import TokenAudience
from kasa.domain.audit import EventType
from kasa.domain.errors import (
    AuthenticationFailed,
    DeliveryFailed,
    InvalidInput,
    PermissionDenied,
    RateLimited,
    RuleViolation,
)
from kasa.domain.members import MemberStatus
from kasa.domain.values import Phone
from tests.integration.app.helpers import Fund

PHONE = "+380501112233"


def test_first_sign_in_creates_a_registered_member(fund: Fund) -> None:
    fund.sign.request_code(Phone.parse(PHONE), create=True)
    code = fund.fakes.sms.last_code(PHONE)
    assert len(code) == 6 and code.isdigit()
    token = fund.sign.sign_in(Phone.parse(PHONE), code)
    assert fund.fakes.tokens.issued[-1][0] is TokenAudience.MEMBER
    member_id = int(token.split(":")[1])
    member = fund.tables().members[member_id]
    assert member.status is MemberStatus.REGISTERED and member.phone.e164 == PHONE
    assert [e.event_type for e in fund.events()][-3:] == [
        EventType.CODE_SENT,
        EventType.CREATED,
        EventType.SIGNED_IN,
    ]


def test_the_code_is_stored_only_as_a_hash(fund: Fund) -> None:
    fund.sign.request_code(Phone.parse(PHONE), create=True)
    code = fund.fakes.sms.last_code(PHONE)
    challenge = next(iter(fund.tables().challenges.values()))
    assert challenge.code_hash and code not in challenge.code_hash
    assert all(code not in str(e.details) for e in fund.events())


def test_create_and_existence_must_agree(fund: Fund) -> None:
    with pytest.raises(RuleViolation, match="User does not exist"):
        fund.sign.request_code(Phone.parse(PHONE), create=False)
    fund.sign_up(PHONE)
    with pytest.raises(RuleViolation, match="User already exist"):
        fund.sign.request_code(Phone.parse(PHONE), create=True)
    fund.fakes.clock.advance(seconds=61)
    fund.sign.request_code(Phone.parse(PHONE), create=False)
    token = fund.sign.sign_in(Phone.parse(PHONE), fund.fakes.sms.last_code(PHONE))
    assert len(fund.tables().members) == 1 and token


def test_resend_interval_and_daily_limit_say_when_to_retry(fund: Fund) -> None:
    fund.sign.request_code(Phone.parse(PHONE), create=True)
    with pytest.raises(RateLimited) as caught:
        fund.sign.request_code(Phone.parse(PHONE), create=True)
    assert caught.value.retry_after == 60
    for _ in range(4):
        fund.fakes.clock.advance(seconds=60)
        fund.sign.request_code(Phone.parse(PHONE), create=True)
    fund.fakes.clock.advance(seconds=60)
    with pytest.raises(RateLimited, match="today"):
        fund.sign.request_code(Phone.parse(PHONE), create=True)
    assert len(fund.fakes.sms.sent) == 5


def test_a_failed_sms_is_an_error_and_not_counted(fund: Fund) -> None:
    fund.fakes.sms.failing = True
    with pytest.raises(DeliveryFailed):
        fund.sign.request_code(Phone.parse(PHONE), create=True)
    fund.fakes.sms.failing = False
    fund.sign.request_code(
        Phone.parse(PHONE), create=True
    )  # no resend wait: the first was not sent
    challenge = next(iter(fund.tables().challenges.values()))
    assert len(challenge.recent_sends) == 1


def test_wrong_codes_count_are_recorded_and_burn_the_code(fund: Fund) -> None:
    fund.sign.request_code(Phone.parse(PHONE), create=True)
    good = fund.fakes.sms.last_code(PHONE)
    bad = "000000" if good != "000000" else "111111"
    for _ in range(5):
        with pytest.raises(AuthenticationFailed):
            fund.sign.sign_in(Phone.parse(PHONE), bad)
    with pytest.raises(AuthenticationFailed, match="No valid code"):
        fund.sign.sign_in(Phone.parse(PHONE), good)
    assert len(fund.events(EventType.SIGN_IN_FAILED)) == 6
    assert not fund.tables().members


def test_a_code_signs_in_once(fund: Fund) -> None:
    fund.sign.request_code(Phone.parse(PHONE), create=True)
    code = fund.fakes.sms.last_code(PHONE)
    fund.sign.sign_in(Phone.parse(PHONE), code)
    with pytest.raises(AuthenticationFailed):
        fund.sign.sign_in(Phone.parse(PHONE), code)


def test_expired_code_is_refused(fund: Fund) -> None:
    fund.sign.request_code(Phone.parse(PHONE), create=True)
    fund.fakes.clock.advance(seconds=180)
    with pytest.raises(AuthenticationFailed, match="expired"):
        fund.sign.sign_in(Phone.parse(PHONE), fund.fakes.sms.last_code(PHONE))


def test_blocked_member_gets_no_code_and_cannot_sign_in(fund: Fund) -> None:
    member_id = fund.sign_up(PHONE)
    fund.fakes.clock.advance(seconds=61)
    fund.sign.request_code(Phone.parse(PHONE), create=False)
    fund.office.block(fund.operator_id, member_id)
    with pytest.raises(PermissionDenied, match="blocked"):
        fund.sign.sign_in(Phone.parse(PHONE), fund.fakes.sms.last_code(PHONE))
    fund.fakes.clock.advance(seconds=61)
    with pytest.raises(PermissionDenied, match="blocked"):
        fund.sign.request_code(Phone.parse(PHONE), create=False)


def test_malformed_input_is_refused_before_anything_happens(fund: Fund) -> None:
    with pytest.raises(InvalidInput):
        fund.sign.request_code(Phone.parse("0501112233"), create=True)
    with pytest.raises(InvalidInput, match="6 digits"):
        fund.sign.sign_in(Phone.parse(PHONE), "12ab")
    with pytest.raises(AuthenticationFailed, match="No valid code"):
        fund.sign.sign_in(Phone.parse(PHONE), "123456")
    assert not fund.fakes.sms.sent


def test_guessing_codes_across_many_phones_from_one_address_is_throttled(fund: Fund) -> None:
    limit = fund.settings.code_failures_per_address
    phones = [f"+38050{n:07d}" for n in range(limit + 2)]
    for phone in phones:
        fund.sign.request_code(Phone.parse(phone), create=True)
    for phone in phones[:limit]:  # one wrong guess per phone: each phone's own limit holds
        wrong = "000000" if fund.fakes.sms.last_code(phone) != "000000" else "111111"
        with pytest.raises(AuthenticationFailed):
            fund.sign.sign_in(Phone.parse(phone), wrong, "203.0.113.7")
    target = phones[-1]
    right = fund.fakes.sms.last_code(target)
    with pytest.raises(RateLimited) as refused:  # refused before the code is even checked
        fund.sign.sign_in(Phone.parse(target), right, "203.0.113.7")
    assert refused.value.retry_after == fund.settings.staff_failure_window_seconds
    assert fund.sign.sign_in(
        Phone.parse(target), right, "198.51.100.1"
    )  # another address is not held up
    failed = [e for e in fund.events() if e.event_type is EventType.SIGN_IN_FAILED]
    assert len(failed) == limit and {e.details["address"] for e in failed} == {"203.0.113.7"}
    fund.fakes.clock.advance(seconds=fund.settings.staff_failure_window_seconds + 1)
    other = phones[-2]
    fund.fakes.clock.advance(seconds=61)
    fund.sign.request_code(Phone.parse(other), create=True)
    assert fund.sign.sign_in(Phone.parse(other), fund.fakes.sms.last_code(other), "203.0.113.7")


def test_strangers_cannot_use_up_a_members_codes_for_the_day(fund: Fund) -> None:
    """A phone's daily codes are counted per requesting address: five requests from a
    stranger's address, a minute apart, no longer keep the member from signing in from
    their own; all addresses together stop at the phone's larger cap."""
    phone = Phone.parse(PHONE)
    fund.sign.request_code(phone, create=True, address="198.51.100.7")
    fund.sign.sign_in(phone, fund.fakes.sms.last_code(PHONE))
    for _ in range(4):  # the stranger asks for the member's codes until refused
        fund.fakes.clock.advance(seconds=61)
        fund.sign.request_code(phone, create=False, address="198.51.100.7")
    fund.fakes.clock.advance(seconds=61)
    with pytest.raises(RateLimited, match="from this address"):
        fund.sign.request_code(phone, create=False, address="198.51.100.7")
    fund.sign.request_code(phone, create=False, address="203.0.113.20")  # the member
    assert fund.sign.sign_in(phone, fund.fakes.sms.last_code(PHONE), "203.0.113.20")
    # the phone's cap counts every address: 20 a day in all
    for n in range(14):
        fund.fakes.clock.advance(seconds=61)
        fund.sign.request_code(phone, create=False, address=f"192.0.2.{n // 5 + 1}")
    fund.fakes.clock.advance(seconds=61)
    with pytest.raises(RateLimited, match="Too many codes for this phone today"):
        fund.sign.request_code(phone, create=False, address="192.0.2.99")
    assert len([s for s in fund.fakes.sms.sent if s.to == PHONE]) == 20


@pytest.mark.parametrize(
    "number", ["+380800500609", "+380442345678"], ids=["toll-free", "kyiv-landline"]
)
def test_codes_go_only_to_mobile_numbers(fund: Fund, number: str) -> None:
    with pytest.raises(InvalidInput, match="only to mobile numbers") as refused:
        fund.sign.request_code(Phone.parse(number), create=True, address="198.51.100.7")
    assert refused.value.errors == {"phone": "codes are sent only to mobile numbers"}
    assert fund.fakes.sms.sent == []
