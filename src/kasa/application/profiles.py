"""Members' own profile: submission with documents and program choice, contact edits,
a new phone confirmed from that phone, correction reports, reading the profile, and
changing program."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Protocol

import attrs

from kasa.application.access import BLOCKED, signed_in_member
from kasa.application.auditing import audit
from kasa.application.clock import FundClock
from kasa.application.codes import OneTimeCodes
from kasa.application.reads import MemberReads, ProgramReads, QuickReads
from kasa.application.repositories import UnitOfWork, UnitOfWorkFactory
from kasa.application.retrying import use_cases
from kasa.application.settings import FundSettings
from kasa.application.uploads import FileStaging, Upload
from kasa.application.views import ProfileView, ProgramView, ReviewView
from kasa.domain.audit import Actor, EventType, ObjectKind
from kasa.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied, RuleViolation
from kasa.domain.files import FileKind
from kasa.domain.identity import (
    IdentityType,
    check_document_set,
    new_identity,
    outstanding_refusals,
    supersede_pending,
)
from kasa.domain.members import CorrectionReport, Member, MemberStatus, PersonalData, ReviewState
from kasa.domain.programs import MemberProgram, Program, choose_program, current_program
from kasa.domain.signin import CodePurpose, check_code_format
from kasa.domain.values import Email, Phone

PHONE_TAKEN = "Can not assign this phone number"


class MemberProfileReads(MemberReads, ProgramReads, Protocol):
    """The reads a member's profile takes."""


def active_program(uow: UnitOfWork, program_id: int) -> Program:
    program = uow.programs.get(program_id)
    if program is None:
        raise InvalidInput.field("program_id", "there is no such program")
    if not program.is_active:
        raise RuleViolation("This program is not offered any more; choose an active one.")
    return program


def current_program_of(uow: UnitOfWork, member_id: int) -> Program | None:
    return uow.programs.current_of(member_id)


@use_cases
@attrs.frozen
class Profiles:
    uow: UnitOfWorkFactory
    reads: MemberProfileReads
    clock: FundClock
    codes: OneTimeCodes
    staging: FileStaging
    settings: FundSettings
    # the lists (a replica's, when there is one); by default the reads themselves
    lists: ProgramReads = attrs.field(
        default=attrs.Factory(lambda self: self.reads, takes_self=True), kw_only=True
    )
    # the profile read without a thread, where the database has such a reader
    quick: QuickReads | None = attrs.field(default=None, kw_only=True)

    def submit(
        self,
        member_id: int,
        data: PersonalData,
        program_id: int,
        documents: Mapping[IdentityType, Upload],
    ) -> None:
        """The member submits the profile with documents and a program choice."""
        check_document_set(list(documents))
        now = self.clock.now()
        with self.staging.of(list(documents.values())) as staged, self.uow() as uow:
            member = signed_in_member(uow, member_id)
            staged.require_room(uow, member_id)
            program = active_program(uow, program_id)
            member.submit_profile(data, now)
            self._choose(uow, member, program)
            existing = uow.identities.for_member(member_id)
            for kind, upload in documents.items():
                stored = uow.files.add(
                    staged.save(upload, member_id=member_id, kind=FileKind.DOCUMENT)
                )
                assert stored.id is not None
                supersede_pending(existing, kind, now)
                uow.identities.add(new_identity(member_id, stored.id, kind, now))
            audit(
                uow,
                EventType.SUBMITTED,
                Actor.member(member_id),
                ObjectKind.MEMBER,
                member_id,
                now,
                program_id=program_id,
                documents=sorted(documents),
                status=member.status,
            )
            uow.commit()

    def _choose(self, uow: UnitOfWork, member: Member, program: Program) -> MemberProgram | None:
        """Record the program choice unless it is already the member's current program."""
        assert member.id is not None
        links = uow.member_programs.for_member(member.id)
        current = current_program(links)
        pending = [link for link in links if link.is_new]
        if current is not None and current.program_id == program.id and not pending:
            return None
        now = self.clock.now()
        link = uow.member_programs.add(choose_program(member.id, links, program, now))
        member.program_change_requested(now)
        return link

    def edit(
        self,
        member_id: int,
        *,
        email: Email | None = None,
        phone: Phone | None = None,
        photo: Upload | None = None,
        address: str = "",
    ) -> bool:
        """The member changes e-mail, phone or photo.

        A new phone is not taken at once: a code goes to it, and the change happens when
        the member confirms it (:meth:`confirm_phone`). Returns whether a code was sent.
        When no code can be sent (a limit, a phone outside the fund's countries, the SMS
        service failing), the whole edit is refused and nothing of it is saved.
        """
        new_phone = phone
        if new_phone is not None:
            new_phone.require_country(self.settings.sms_countries)
            with self.uow(read_only=True) as uow:
                current = uow.members.get(member_id)
                if current is not None and current.phone == new_phone:
                    new_phone = None
        if new_phone is not None:
            self.codes.count_request(address)
        now = self.clock.now()
        with self.staging.of([photo] if photo is not None else []) as staged, self.uow() as uow:
            member = signed_in_member(uow, member_id)
            staged.require_room(uow, member_id)
            changed: list[str] = []
            if email is not None and email != member.email:
                changed.append("email")
            member.change_contacts(email=email, phone=None, now=now)
            if photo is not None:
                stored = uow.files.add(staged.save(photo, member_id=member_id, kind=FileKind.PHOTO))
                member.photo_file_id = stored.id
                changed.append("photo")
            if new_phone is not None and new_phone != member.phone:
                if uow.members.by_phone(new_phone.e164) is not None:
                    raise RuleViolation(PHONE_TAKEN)
                self.codes.send(
                    uow,
                    new_phone,
                    now,
                    purpose=CodePurpose.PHONE_CHANGE,
                    member_id=member_id,
                    address=address,
                )
                audit(
                    uow,
                    EventType.PHONE_CHANGE_REQUESTED,
                    Actor.member(member_id),
                    ObjectKind.MEMBER,
                    member_id,
                    now,
                    new_phone=new_phone,
                    address=address,
                )
            else:
                new_phone = None
            audit(
                uow,
                EventType.UPDATED,
                Actor.member(member_id),
                ObjectKind.MEMBER,
                member_id,
                now,
                fields=changed,
            )
            uow.commit()
            return new_phone is not None

    def confirm_phone(self, member_id: int, phone: Phone, code: str, address: str = "") -> None:
        """The member confirms a new phone with the code sent to it. A wrong code counts
        like one at sign-in; a phone another member took meanwhile is refused."""
        check_code_format(code)
        now = self.clock.now()
        with self.uow() as uow:
            member = signed_in_member(uow, member_id)
            self.codes.check(
                uow, phone, code, address, purpose=CodePurpose.PHONE_CHANGE, member_id=member_id
            )
            holder = uow.members.by_phone(phone.e164)
            if holder is not None and holder.id != member_id:
                raise RuleViolation(PHONE_TAKEN)
            old_phone = member.phone
            member.change_contacts(email=None, phone=phone, now=now)
            audit(
                uow,
                EventType.PHONE_CHANGED,
                Actor.member(member_id),
                ObjectKind.MEMBER,
                member_id,
                now,
                old_phone=old_phone,
                new_phone=phone,
                address=address,
            )
            try:
                uow.commit()
            except Conflict:
                raise RuleViolation(PHONE_TAKEN) from None

    def report_wrong_data(
        self,
        member_id: int,
        *,
        first_name: str,
        middle_name: str,
        last_name: str,
        birth_date: date | None,
    ) -> CorrectionReport:
        """The member tells staff that names or the birth date are wrong."""
        now = self.clock.now()
        with self.uow() as uow:
            member = signed_in_member(uow, member_id)
            report = uow.corrections.add(
                CorrectionReport.file(
                    member_id,
                    first_name=first_name,
                    middle_name=middle_name,
                    last_name=last_name,
                    birth_date=birth_date,
                    now=now,
                )
            )
            member.correction_reported(now)
            audit(
                uow,
                EventType.CORRECTION_REPORTED,
                Actor.member(member_id),
                ObjectKind.CORRECTION,
                report.id,
                now,
            )
            uow.commit()
            return report

    def get(self, member_id: int) -> ProfileView:
        """The member's profile (one read), shown only once staff have approved it."""
        return self.shown(self.reads.profile(member_id))

    async def get_quickly(self, member_id: int) -> ProfileView:
        """``get`` through the quick reader (only when there is one): nothing but the
        read is awaited, and a read needs no retrying."""
        assert self.quick is not None
        return self.shown(await self.quick.profile(member_id))

    def shown(self, view: ProfileView | None) -> ProfileView:
        """What a member sees of the profile read: refused unless approved."""
        if view is None:
            raise NotFound("Member not found.")
        if view.member.status is MemberStatus.BLOCKED:
            raise PermissionDenied(BLOCKED)
        if view.member.status is not MemberStatus.APPROVED:
            raise PermissionDenied("Your profile is not approved yet")
        state = view.member.membership.state(self.clock.today(), self.settings.grace_days)
        return attrs.evolve(view, membership=state.value)

    def review(self, member_id: int) -> ReviewView:
        """Where the member's profile stands with staff, at any status: the profile as
        submitted and the documents staff refused (not yet uploaded again)."""
        found = self.reads.submitted(member_id)
        if found is None:
            raise NotFound("Member not found.")
        profile, documents = found
        state = ReviewState.of(profile.member.status)
        submitted = bool(profile.member.last_name) and state is not ReviewState.BLOCKED
        membership = profile.member.membership.state(self.clock.today(), self.settings.grace_days)
        shown = attrs.evolve(profile, membership=membership.value) if submitted else None
        return ReviewView(state, shown, outstanding_refusals(documents))

    def list_programs(self) -> list[ProgramView]:
        """The programs a member may choose."""
        return self.lists.programs(active_only=True)

    def change_program(self, member_id: int, program_id: int) -> tuple[MemberProgram, Program]:
        """The member asks for another program; staff approve it later."""
        now = self.clock.now()
        with self.uow() as uow:
            member = signed_in_member(uow, member_id)
            if uow.programs.get(program_id) is None:
                raise NotFound("There is no such program.")
            program = active_program(uow, program_id)
            link = uow.member_programs.add(
                choose_program(member_id, uow.member_programs.for_member(member_id), program, now)
            )
            member.program_change_requested(now)
            audit(
                uow,
                EventType.PROGRAM_CHANGE_REQUESTED,
                Actor.member(member_id),
                ObjectKind.MEMBER,
                member_id,
                now,
                program_id=program_id,
            )
            uow.commit()
            return link, program
