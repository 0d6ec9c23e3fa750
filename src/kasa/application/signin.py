"""Members sign in with a one-time code sent by SMS."""

from __future__ import annotations

from datetime import timedelta

from kasa.application.context import Context, audit
from kasa.application.ports import TokenAudience
from kasa.application.repositories import LoginFailure
from kasa.domain.audit import Actor, EventType, ObjectKind
from kasa.domain.errors import AuthenticationFailed, PermissionDenied, RateLimited, RuleViolation
from kasa.domain.members import Member
from kasa.domain.signin import SignInChallenge, check_code_format
from kasa.domain.values import Phone

# Members' wrong codes are kept with the staff's failed sign-ins, told apart by address.
CODE_PREFIX = "code:"


class MemberSignIn:
    def __init__(self, context: Context) -> None:
        self.ctx = context

    def request_code(self, phone_text: str, create: bool) -> None:
        """Send a sign-in code by SMS. ``create``: this is the member's first sign-in.

        The SMS goes out inside the transaction: if it cannot be sent, nothing is
        counted against the phone's limits.
        """
        phone = Phone.parse(phone_text)
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            member = uow.members.by_phone(phone.e164)
            if create and member is not None:
                raise RuleViolation("User already exist")
            if not create and member is None:
                raise RuleViolation("User does not exist")
            if member is not None and member.is_blocked:
                raise PermissionDenied("Your account is blocked. Please contact the fund.")
            challenge = uow.challenges.for_phone(phone.e164)
            if challenge is None:
                challenge = uow.challenges.add(SignInChallenge(phone))
            code = self.ctx.codes.sign_in_code()
            challenge.issue(self.ctx.code_hasher.hash(code), now, self.ctx.settings.sign_in, create)
            self.ctx.sms.send(phone, f"{self.ctx.settings.fund_name}: your sign-in code is {code}")
            actor = (
                Actor.system() if member is None or member.id is None else Actor.member(member.id)
            )
            audit(uow, EventType.CODE_SENT, actor, ObjectKind.SIGN_IN, phone, now, create=create)
            uow.commit()

    def sign_in(self, phone_text: str, code: str, address: str = "") -> str:
        """Check the code and return an access token; the first sign-in creates the member.

        A wrong code still counts (and is recorded) even though the call fails. Besides
        each phone's own limits, wrong codes from one address across all phones are
        throttled: guessing many members' codes from one place is refused before any
        code is checked.
        """
        phone = Phone.parse(phone_text)
        code = check_code_format(code)
        now = self.ctx.now()
        settings = self.ctx.settings
        window = now - timedelta(seconds=settings.staff_failure_window_seconds)
        with self.ctx.uow() as uow:
            if address and (
                uow.login_failures.count_since(
                    login=None, address=CODE_PREFIX + address, since=window
                )
                >= settings.code_failures_per_address
            ):
                raise RateLimited(
                    "Too many wrong codes from this address. Try again later.",
                    settings.staff_failure_window_seconds,
                )
            challenge = uow.challenges.for_phone(phone.e164)
            if challenge is None:
                raise AuthenticationFailed("No valid code for this phone. Ask for a new one.")
            try:
                to_create = challenge.verify(
                    code, now, self.ctx.settings.sign_in, self.ctx.code_hasher.matches
                )
            except AuthenticationFailed as error:
                if address:
                    uow.login_failures.add(LoginFailure(phone.e164, CODE_PREFIX + address, now))
                audit(
                    uow,
                    EventType.SIGN_IN_FAILED,
                    Actor.system(),
                    ObjectKind.SIGN_IN,
                    phone,
                    now,
                    reason=error.message,
                    address=address,
                )
                uow.commit()
                raise
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
