"""Members' own profile: submission with documents and program choice, contact edits,
correction reports, reading the profile, and changing program."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from kasa.application.context import Context, Upload, audit, load_member, staged_files
from kasa.application.repositories import UnitOfWork
from kasa.application.views import ProfileView
from kasa.domain.audit import Actor, EventType, ObjectKind
from kasa.domain.errors import InvalidInput, NotFound, PermissionDenied, RuleViolation
from kasa.domain.identity import (
    IdentityType,
    check_document_set,
    new_identity,
    supersede_pending,
)
from kasa.domain.members import CorrectionReport, Member, PersonalData
from kasa.domain.programs import MemberProgram, Program, choose_program, current_program
from kasa.domain.values import Email, Phone

# The profile form's file fields and the documents they carry.
DOCUMENT_FIELDS: Mapping[str, IdentityType] = {
    "inn": IdentityType.TAX_NUMBER_CARD,
    "id_1": IdentityType.ID_CARD_FRONT,
    "id_2": IdentityType.ID_CARD_BACK,
    "book_1": IdentityType.PASSPORT_PAGE_1,
    "book_2": IdentityType.PASSPORT_PAGE_2,
    "book_address": IdentityType.PASSPORT_ADDRESS_PAGE,
}


def active_program(uow: UnitOfWork, program_id: int, field: str = "program_id") -> Program:
    program = uow.programs.get(program_id)
    if program is None:
        raise InvalidInput.field(field, "there is no such program")
    if not program.is_active:
        raise RuleViolation("This program is not offered any more; choose an active one.")
    return program


def current_program_of(uow: UnitOfWork, member_id: int) -> Program | None:
    link = current_program(uow.member_programs.for_member(member_id))
    return None if link is None else uow.programs.get(link.program_id)


class Profiles:
    def __init__(self, context: Context) -> None:
        self.ctx = context

    def submit(
        self,
        member_id: int,
        *,
        first_name: str,
        middle_name: str,
        last_name: str,
        email: str,
        iban: str,
        program_id: int,
        documents: Sequence[Upload],
    ) -> None:
        """The member submits the profile with documents and a program choice."""
        data = PersonalData.parse(
            first_name=first_name,
            middle_name=middle_name,
            last_name=last_name,
            email=email,
            iban=iban,
        )
        unknown = [u.field for u in documents if u.field not in DOCUMENT_FIELDS]
        if unknown:
            raise InvalidInput.field(unknown[0], "is not a document field of the profile")
        if len({u.field for u in documents}) != len(documents):
            raise InvalidInput.field("files", "each document field may carry one file")
        check_document_set([DOCUMENT_FIELDS[u.field] for u in documents])
        now = self.ctx.now()
        with staged_files(self.ctx, documents) as staged, self.ctx.uow() as uow:
            member = load_member(uow, member_id, for_update=True)
            program = active_program(uow, program_id)
            member.submit_profile(data, now)
            self._choose(uow, member, program)
            existing = uow.identities.for_member(member_id)
            for upload in documents:
                kind = DOCUMENT_FIELDS[upload.field]
                stored = uow.files.add(staged.save(upload, member_id=member_id))
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
                documents=sorted(DOCUMENT_FIELDS[u.field] for u in documents),
                status=member.status,
            )
            uow.commit()

    def _choose(self, uow: UnitOfWork, member: Member, program: Program) -> MemberProgram | None:
        """Record the program choice unless it is already the member's current program."""
        assert member.id is not None
        links = uow.member_programs.for_member(member.id)
        current = current_program(links)
        if current is not None and current.program_id == program.id:
            pending = [link for link in links if link.is_new]
            if not pending:
                return None
        link = uow.member_programs.add(choose_program(member.id, links, program, self.ctx.now()))
        member.has_new_program_change = True
        return link

    def edit(
        self,
        member_id: int,
        *,
        email: str | None = None,
        phone: str | None = None,
        photo: Upload | None = None,
    ) -> None:
        """The member changes e-mail, phone (not to another member's) or photo."""
        new_email = Email.parse(email) if email else None
        new_phone = Phone.parse(phone) if phone else None
        now = self.ctx.now()
        uploads = [photo] if photo is not None else []
        with staged_files(self.ctx, uploads) as staged, self.ctx.uow() as uow:
            member = load_member(uow, member_id, for_update=True)
            if new_phone is not None and new_phone != member.phone:
                holder = uow.members.by_phone(new_phone.e164)
                if holder is not None:
                    raise RuleViolation("Can not assign this phone number")
            changed = [
                name
                for name, value, old in (
                    ("email", new_email, member.email),
                    ("phone", new_phone, member.phone),
                )
                if value is not None and value != old
            ]
            member.change_contacts(email=new_email, phone=new_phone, now=now)
            if photo is not None:
                stored = uow.files.add(staged.save(photo, member_id=member_id))
                member.photo_file_id = stored.id
                changed.append("photo")
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
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            member = load_member(uow, member_id, for_update=True)
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
            member.has_new_correction = True
            member.updated_at = now
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
        """The member's profile, shown only once staff have approved it."""
        with self.ctx.uow() as uow:
            member = load_member(uow, member_id)
            if not member.is_approved:
                raise PermissionDenied("Your profile is not approved yet")
            photo = uow.files.get(member.photo_file_id) if member.photo_file_id else None
            state = member.membership_state(self.ctx.today(), self.ctx.settings.grace_days)
            return ProfileView(member, current_program_of(uow, member_id), photo, state.value)

    def list_programs(self) -> Sequence[Program]:
        with self.ctx.uow() as uow:
            return list(uow.programs.list(active_only=True))

    def change_program(self, member_id: int, program_id: int) -> tuple[MemberProgram, Program]:
        """The member asks for another program; staff approve it later."""
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            member = load_member(uow, member_id, for_update=True)
            if uow.programs.get(program_id) is None:
                raise NotFound("There is no such program.")
            program = active_program(uow, program_id)
            link = uow.member_programs.add(
                choose_program(member_id, uow.member_programs.for_member(member_id), program, now)
            )
            member.has_new_program_change = True
            member.updated_at = now
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
