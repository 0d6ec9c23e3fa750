"""The sign-in code policy: limits hold and codes are single use, whatever callers do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from kasa.domain.errors import AuthenticationFailed, InvalidInput, RateLimited
from kasa.domain.signin import SignInChallenge, SignInPolicy, check_code_format
from kasa.domain.values import Phone

T0 = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
DAY = timedelta(days=1)
codes = st.text("0123456789", min_size=6, max_size=6)


def hashed(code: str) -> str:
    return "h:" + code


def matches(code: str, code_hash: str) -> bool:
    return hashed(code) == code_hash


class SignInMachine(RuleBasedStateMachine):
    """One phone; time moves on by random steps; codes are asked for and tried at random.

    The model is a plain record of what happened, and the checks say what the policy
    promises: never more codes in any 24 hours than the daily limit, never one code
    accepted twice, never an expired code or a code after the attempt limit.
    """

    @initialize(
        policy=st.builds(
            SignInPolicy,
            code_ttl_seconds=st.integers(30, 600),
            max_attempts=st.integers(1, 6),
            daily_limit=st.integers(1, 6),
            resend_seconds=st.integers(0, 120),
        )
    )
    def start(self, policy: SignInPolicy) -> None:
        self.policy = policy
        self.challenge = SignInChallenge(Phone.parse("+380501234567"))
        self.now = T0
        self.sent: list[datetime] = []
        self.live: str | None = None  # the code the phone received last
        self.live_sent_at: datetime | None = None
        self.wrong_tries = 0
        self.accepted: list[int] = []  # which sent code (by its number) was accepted
        self.spent = False

    @rule(seconds=st.integers(0, 30_000))
    def time_passes(self, seconds: int) -> None:
        self.now += timedelta(seconds=seconds)

    @rule(code=codes, create=st.booleans())
    def ask_for_code(self, code: str, create: bool) -> None:
        in_last_day = [t for t in self.sent if self.now - t < DAY]
        too_many = len(in_last_day) >= self.policy.daily_limit
        too_soon = bool(self.sent) and self.now - self.sent[-1] < timedelta(
            seconds=self.policy.resend_seconds
        )
        if too_many or too_soon:
            before = (self.challenge.code_hash, self.challenge.sent_at, self.challenge.attempts)
            with pytest.raises(RateLimited) as caught:
                self.challenge.issue(hashed(code), self.now, self.policy, create)
            assert caught.value.retry_after >= 1
            # trying again after Retry-After is no longer refused for the same reason
            later = self.now + timedelta(seconds=caught.value.retry_after)
            assert len([t for t in self.sent if later - t < DAY]) < self.policy.daily_limit or (
                too_soon and not too_many
            )
            after = (self.challenge.code_hash, self.challenge.sent_at, self.challenge.attempts)
            assert before == after  # a refusal changes nothing
            return
        self.challenge.issue(hashed(code), self.now, self.policy, create)
        self.sent.append(self.now)
        self.live, self.live_sent_at = code, self.now
        self.wrong_tries = 0
        self.spent = False

    @rule(guess=codes, use_live=st.booleans())
    def try_code(self, guess: str, use_live: bool) -> None:
        code = self.live if use_live and self.live is not None else guess
        valid = (
            self.live is not None
            and code == self.live
            and not self.spent
            and self.wrong_tries < self.policy.max_attempts
            and self.live_sent_at is not None
            and self.now - self.live_sent_at < timedelta(seconds=self.policy.code_ttl_seconds)
        )
        if valid:
            self.challenge.verify(code, self.now, self.policy, matches)
            self.accepted.append(len(self.sent))
            self.spent = True
        else:
            with pytest.raises(AuthenticationFailed):
                self.challenge.verify(code, self.now, self.policy, matches)
            if (
                self.live is not None
                and code != self.live
                and not self.spent
                and self.wrong_tries < self.policy.max_attempts
                and self.now - self.live_sent_at  # type: ignore[operator]
                < timedelta(seconds=self.policy.code_ttl_seconds)
            ):
                self.wrong_tries += 1

    @invariant()
    def never_more_codes_in_any_24_hours_than_the_limit(self) -> None:
        for start in self.sent:
            window = [t for t in self.sent if start <= t < start + DAY]
            assert len(window) <= self.policy.daily_limit
        assert self.challenge.daily_counter(self.now) == len(
            [t for t in self.sent if self.now - t < DAY]
        )

    @invariant()
    def each_code_is_accepted_at_most_once(self) -> None:
        assert len(self.accepted) == len(set(self.accepted))

    @invariant()
    def no_clear_code_is_kept(self) -> None:
        assert self.challenge.code_hash is None or self.challenge.code_hash.startswith("h:")


TestSignInMachine = SignInMachine.TestCase

POLICY = SignInPolicy()


def sent_challenge(code: str = "123456") -> SignInChallenge:
    challenge = SignInChallenge(Phone.parse("+380501234567"))
    challenge.issue(hashed(code), T0, POLICY, to_create=True)
    return challenge


def test_defaults_are_those_of_the_operations_guide() -> None:
    assert (POLICY.code_ttl_seconds, POLICY.max_attempts) == (180, 5)
    assert (POLICY.daily_limit, POLICY.resend_seconds) == (20, 60)  # a phone, all addresses


def test_correct_code_signs_in_once_and_says_whether_to_create() -> None:
    challenge = sent_challenge()
    assert challenge.verify("123456", T0 + timedelta(seconds=10), POLICY, matches) is True
    with pytest.raises(AuthenticationFailed, match="No valid code"):
        challenge.verify("123456", T0 + timedelta(seconds=11), POLICY, matches)


def test_code_expires_after_its_ttl() -> None:
    challenge = sent_challenge()
    with pytest.raises(AuthenticationFailed, match="expired"):
        challenge.verify("123456", T0 + timedelta(seconds=180), POLICY, matches)


def test_wrong_tries_count_down_and_burn_the_code() -> None:
    challenge = sent_challenge()
    for left in range(4, 0, -1):
        with pytest.raises(AuthenticationFailed, match=f"{left} attempts left"):
            challenge.verify("000000", T0, POLICY, matches)
    with pytest.raises(AuthenticationFailed, match="burnt"):
        challenge.verify("000000", T0, POLICY, matches)
    with pytest.raises(AuthenticationFailed, match="No valid code"):
        challenge.verify("123456", T0, POLICY, matches)


def test_refusals_say_when_to_try_again() -> None:
    challenge = sent_challenge()
    with pytest.raises(RateLimited, match="30 seconds") as caught:
        challenge.issue(hashed("1"), T0 + timedelta(seconds=30), POLICY, False)
    assert caught.value.retry_after == 30
    policy = SignInPolicy(daily_limit=1)
    with pytest.raises(RateLimited, match="24 hours") as caught:
        challenge.issue(hashed("1"), T0 + timedelta(seconds=60), policy, False)
    assert caught.value.retry_after == 24 * 3600 - 60
    with pytest.raises(RateLimited, match="minutes"):
        challenge.issue(hashed("1"), T0 + timedelta(hours=23), policy, False)


@pytest.mark.parametrize("code", ["12345", "1234567", "abcdef", ""])
def test_code_must_be_six_digits(code: str) -> None:
    with pytest.raises(InvalidInput, match="6 digits"):
        check_code_format(code)


@pytest.mark.parametrize(
    "kwargs",
    [{"code_ttl_seconds": 0}, {"max_attempts": 0}, {"daily_limit": 0}, {"resend_seconds": -1}],
)
def test_policy_refuses_nonsense(kwargs: dict[str, int]) -> None:
    with pytest.raises(InvalidInput):
        SignInPolicy(**kwargs)
