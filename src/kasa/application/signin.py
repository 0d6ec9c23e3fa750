"""Members sign in with a one-time code sent by SMS; the same codes confirm a new phone."""

from __future__ import annotations

from datetime import datetime, timedelta

from kasa.application.context import Context, audit
from kasa.application.ports import TokenAudience
from kasa.application.repositories import UnitOfWork
from kasa.domain.audit import Actor, EventType, ObjectKind
from kasa.domain.errors import AuthenticationFailed, PermissionDenied, RuleViolation
from kasa.domain.members import Member
from kasa.domain.signin import NO_VALID_CODE, CodePurpose, SignInChallenge, check_code_format
from kasa.domain.throttle import counter_key
from kasa.domain.values import Phone

HOUR = timedelta(hours=1)
TOO_MANY_REQUESTS = "Too many code requests from this address. Try again later."
TOO_MANY_WRONG = "Too many wrong codes from this address. Try again later."


def count_code_request(ctx: Context, address: str) -> None:
    """One more code request from ``address`` (any phone, either purpose), refused with
    429 past the hourly limit before anything is looked up or sent. Counted in its own
    transaction, so a request refused later still counts."""
    if not address:
        return
    now = ctx.now()
    key = counter_key("code-requests", address)
    with ctx.uow() as uow:
        counter = uow.counters.locked([key])[key]
        counter.check(ctx.settings.code_requests_per_address_hourly, now, HOUR, TOO_MANY_REQUESTS)
        counter.hit(now, HOUR)
        uow.commit()


def send_code(
    ctx: Context,
    uow: UnitOfWork,
    phone: Phone,
    now: datetime,
    *,
    to_create: bool = False,
    purpose: CodePurpose = CodePurpose.SIGN_IN,
    member_id: int | None = None,
) -> None:
    """Issue a code for ``phone`` (its challenge locked) and send it by SMS, inside the
    caller's transaction: when the SMS cannot go out, nothing is counted or kept."""
    phone.require_country(ctx.settings.sms_countries)
    challenge = uow.challenges.for_phone(phone.e164)
    if challenge is None:
        challenge = uow.challenges.add(SignInChallenge(phone))
    code = ctx.codes.sign_in_code()
    challenge.issue(
        ctx.code_hasher.hash(code),
        now,
        ctx.settings.sign_in,
        to_create,
        purpose=purpose,
        member_id=member_id,
    )
    what = "sign-in code" if purpose is CodePurpose.SIGN_IN else "code to confirm this phone"
    ctx.sms.send(phone, f"{ctx.settings.fund_name}: your {what} is {code}")


def check_code(
    ctx: Context,
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

    A wrong code counts against the phone's code and against ``address`` (wrong codes
    from one address across all phones are throttled, before any code is checked); it
    is recorded and committed, then refused. The counter and the challenge stay locked
    while the code is checked, so racing guesses are counted exactly.
    """
    code = check_code_format(code)
    now = ctx.now()
    window = timedelta(seconds=ctx.settings.staff_failure_window_seconds)
    key = counter_key("code-address", address)
    counter = uow.counters.locked([key])[key] if address else None
    if counter is not None:
        counter.check(ctx.settings.code_failures_per_address, now, window, TOO_MANY_WRONG)
    challenge = uow.challenges.for_phone(phone.e164)
    try:
        if challenge is None:
            raise AuthenticationFailed(NO_VALID_CODE)
        return challenge.verify(
            code,
            now,
            ctx.settings.sign_in,
            ctx.code_hasher.matches,
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


class MemberSignIn:
    def __init__(self, context: Context) -> None:
        self.ctx = context

    def request_code(self, phone_text: str, create: bool, address: str = "") -> None:
        """Send a sign-in code by SMS. ``create``: this is the member's first sign-in.

        Codes go only to phones of the fund's countries, at most so many an hour from
        one address and so many a day to one phone. The SMS goes out inside the
        transaction: if it cannot be sent, nothing is counted against the phone.
        """
        phone = Phone.parse(phone_text)
        phone.require_country(self.ctx.settings.sms_countries)
        count_code_request(self.ctx, address)
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            member = uow.members.by_phone(phone.e164)
            if create and member is not None:
                raise RuleViolation("User already exist")
            if not create and member is None:
                raise RuleViolation("User does not exist")
            if member is not None and member.is_blocked:
                raise PermissionDenied("Your account is blocked. Please contact the fund.")
            send_code(self.ctx, uow, phone, now, to_create=create)
            actor = (
                Actor.system() if member is None or member.id is None else Actor.member(member.id)
            )
            audit(
                uow,
                EventType.CODE_SENT,
                actor,
                ObjectKind.SIGN_IN,
                phone,
                now,
                create=create,
                address=address,
            )
            uow.commit()

    def sign_in(self, phone_text: str, code: str, address: str = "") -> str:
        """Check the code and return an access token; the first sign-in creates the member.

        A wrong code still counts (and is recorded) even though the call fails. A code
        sent to confirm a phone change never signs anyone in.
        """
        phone = Phone.parse(phone_text)
        check_code_format(code)
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            to_create = check_code(self.ctx, uow, phone, code, address, purpose=CodePurpose.SIGN_IN)
            member = uow.members.by_phone(phone.e164)
            if member is None:
                if not to_create:
                    raise AuthenticationFailed("There is no member with this phone.")
                member = uow.members.add(Member(phone, now, now))
                assert member.id is not None
                audit(
                    uow,
                    EventType.CREATED,
                    Actor.member(member.id),
                    ObjectKind.MEMBER,
                    member.id,
                    now,
                )
            assert member.id is not None
            if member.is_blocked:
                audit(
                    uow,
                    EventType.SIGN_IN_FAILED,
                    Actor.member(member.id),
                    ObjectKind.SIGN_IN,
                    phone,
                    now,
                    reason="blocked",
                )
                uow.commit()
                raise PermissionDenied("Your account is blocked. Please contact the fund.")
            audit(uow, EventType.SIGNED_IN, Actor.member(member.id), ObjectKind.SIGN_IN, phone, now)
            uow.commit()
            return self.ctx.tokens.issue(TokenAudience.MEMBER, member.id)
