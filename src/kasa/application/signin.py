"""Members sign in with a one-time code sent by SMS; the first sign-in creates them."""

from __future__ import annotations

import attrs

from kasa.application.access import BLOCKED
from kasa.application.auditing import audit
from kasa.application.clock import FundClock
from kasa.application.codes import OneTimeCodes
from kasa.application.ports import TokenAudience, TokenIssuer
from kasa.application.repositories import UnitOfWorkFactory
from kasa.application.retrying import use_cases
from kasa.domain.audit import Actor, EventType, ObjectKind
from kasa.domain.errors import AuthenticationFailed, PermissionDenied, RuleViolation
from kasa.domain.members import Member
from kasa.domain.signin import CodePurpose, check_code_format
from kasa.domain.values import Phone


@use_cases
@attrs.frozen
class MemberSignIn:
    uow: UnitOfWorkFactory
    clock: FundClock
    codes: OneTimeCodes
    tokens: TokenIssuer

    def request_code(self, phone: Phone, create: bool, address: str = "") -> None:
        """Send a sign-in code by SMS. ``create``: this is the member's first sign-in.

        Codes go only to phones of the fund's countries, at most so many an hour from
        one address and so many a day to one phone. The SMS goes out inside the
        transaction: if it cannot be sent, nothing is counted against the phone.
        """
        phone.require_country(self.codes.settings.sms_countries)
        self.codes.count_request(address)
        now = self.clock.now()
        with self.uow() as uow:
            member = uow.members.by_phone(phone.e164)
            if create and member is not None:
                raise RuleViolation("User already exist")
            if not create and member is None:
                raise RuleViolation("User does not exist")
            if member is not None and member.is_blocked:
                raise PermissionDenied(BLOCKED)
            self.codes.send(uow, phone, now, to_create=create, address=address)
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

    def sign_in(self, phone: Phone, code: str, address: str = "") -> str:
        """Check the code and return an access token; the first sign-in creates the member.

        A wrong code still counts (and is recorded) even though the call fails. A code
        sent to confirm a phone change never signs anyone in.
        """
        check_code_format(code)
        now = self.clock.now()
        with self.uow() as uow:
            to_create = self.codes.check(uow, phone, code, address, purpose=CodePurpose.SIGN_IN)
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
                raise PermissionDenied(BLOCKED)
            audit(uow, EventType.SIGNED_IN, Actor.member(member.id), ObjectKind.SIGN_IN, phone, now)
            uow.commit()
            return self.tokens.issue(TokenAudience.MEMBER, member.id)
