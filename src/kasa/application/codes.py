"""One-time codes sent by SMS, for signing in and for confirming a new phone: how many
may be asked for, how one is sent, and how one is checked."""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs

from kasa.application.auditing import audit
from kasa.application.clock import FundClock
from kasa.application.ports import CodeHasher, RandomSource, SmsSender
from kasa.application.repositories import UnitOfWork, UnitOfWorkFactory
from kasa.application.retrying import retried
from kasa.application.settings import FundSettings
from kasa.domain.audit import Actor, EventType, ObjectKind
from kasa.domain.errors import AuthenticationFailed
from kasa.domain.signin import NO_VALID_CODE, CodePurpose, SignInChallenge, check_code_format
from kasa.domain.throttle import DAY, counter_key
from kasa.domain.values import Phone

HOUR = timedelta(hours=1)
TOO_MANY_FOR_PHONE = "Too many codes for this phone from this address today. Try again later."
TOO_MANY_REQUESTS = "Too many code requests from this address. Try again later."
TOO_MANY_WRONG = "Too many wrong codes from this address. Try again later."


@attrs.frozen
class OneTimeCodes:
    uow: UnitOfWorkFactory
    clock: FundClock
    random: RandomSource
    hasher: CodeHasher
    sms: SmsSender
    settings: FundSettings

    @retried
    def count_request(self, address: str) -> None:
        """One more code request from ``address`` (any phone, either purpose), refused
        with 429 past the hourly limit before anything is looked up or sent. Counted in
        its own transaction, so a request refused later still counts."""
        if not address:
            return
        now = self.clock.now()
        key = counter_key("code-requests", address)
        with self.uow() as uow:
            counter = uow.counters.locked([key])[key]
            counter.take(
                self.settings.code_requests_per_address_hourly, now, HOUR, TOO_MANY_REQUESTS
            )
            uow.commit()

    def send(
        self,
        uow: UnitOfWork,
        phone: Phone,
        now: datetime,
        *,
        to_create: bool = False,
        purpose: CodePurpose = CodePurpose.SIGN_IN,
        member_id: int | None = None,
        address: str = "",
    ) -> None:
        """Issue a code for ``phone`` (its challenge locked) and send it by SMS, inside
        the caller's transaction: when the SMS cannot go out, nothing is counted or kept.

        A phone gets at most so many codes a day from one address, and a larger number
        from all addresses together: requests from strangers' addresses cannot use up
        the codes a member asks for from their own."""
        phone.require_country(self.settings.sms_countries)
        key = counter_key("code-phone", f"{phone.e164}|{address or '-'}")
        counter = uow.counters.locked([key])[key]
        counter.take(self.settings.codes_per_phone_and_address_daily, now, DAY, TOO_MANY_FOR_PHONE)
        challenge = uow.challenges.for_phone_for_update(phone.e164)
        if challenge is None:
            challenge = uow.challenges.add(SignInChallenge(phone))
        code = self.random.sign_in_code()
        challenge.issue(
            self.hasher.hash(code),
            now,
            self.settings.sign_in,
            to_create,
            purpose=purpose,
            member_id=member_id,
        )
        what = "sign-in code" if purpose is CodePurpose.SIGN_IN else "code to confirm this phone"
        self.sms.send(phone, f"{self.settings.fund_name}: your {what} is {code}")

    def check(
        self,
        uow: UnitOfWork,
        phone: Phone,
        code: str,
        address: str,
        *,
        purpose: CodePurpose,
        member_id: int | None = None,
    ) -> bool:
        """Spend a code of ``purpose`` sent to ``phone``, in the caller's transaction, and
        give the ``to_create`` of its challenge.

        A wrong code counts against the phone's code and against ``address`` (wrong
        codes from one address across all phones are throttled, before any code is
        checked); it is recorded and committed, then refused. The counter and the
        challenge stay locked while the code is checked, so racing guesses are counted
        exactly.
        """
        code = check_code_format(code)
        now = self.clock.now()
        window = timedelta(seconds=self.settings.staff_failure_window_seconds)
        key = counter_key("code-address", address)
        counter = uow.counters.locked([key])[key] if address else None
        if counter is not None:
            counter.check(self.settings.code_failures_per_address, now, window, TOO_MANY_WRONG)
        challenge = uow.challenges.for_phone_for_update(phone.e164)
        try:
            if challenge is None:
                raise AuthenticationFailed(NO_VALID_CODE)
            return challenge.verify(
                code,
                now,
                self.settings.sign_in,
                self.hasher.matches,
                purpose=purpose,
                member_id=member_id,
            )
        except AuthenticationFailed as error:
            if counter is not None:
                counter.hit(now, window)
            audit(
                uow,
                EventType.SIGN_IN_FAILED,
                Actor.system() if member_id is None else Actor.member(member_id),
                ObjectKind.SIGN_IN,
                phone,
                now,
                reason=error.message,
                address=address,
                purpose=purpose,
            )
            uow.commit()
            raise
