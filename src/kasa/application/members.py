"""The back office's work on members: the review queue and search, a member's whole
file, edits and decisions (approve, block, unblock, accept program change and
documents), certificate numbers, and members' files."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from kasa.application.context import (
    Context,
    audit,
    load_staff,
    member_of,
    require_member,
    require_staff,
)
from kasa.application.reads import MemberQuery, Page
from kasa.application.repositories import UnitOfWork
from kasa.application.search import SearchField, words_of
from kasa.application.views import FileContent, FileView, MemberDetail, MemberView
from kasa.domain.audit import Actor, EventType, ObjectKind
from kasa.domain.errors import Conflict, InvalidInput, NotFound
from kasa.domain.files import StoredFile
from kasa.domain.identity import accept_new_documents
from kasa.domain.members import Member, MemberStatus
from kasa.domain.programs import approve_program_change, pending_program
from kasa.domain.values import Email, Iban, Phone, TaxNumber

CERTIFICATE_DIGITS = 6


def parse_fields(names: Iterable[str]) -> frozenset[SearchField]:
    try:
        return frozenset(SearchField(name) for name in names)
    except ValueError:
        raise InvalidInput.field(
            "fields", f"may be among {', '.join(f.value for f in SearchField)}"
        ) from None


class BackOfficeMembers:
    def __init__(self, context: Context) -> None:
        self.ctx = context

    def search(
        self, staff_id: int, query: str, fields: Iterable[str], page: Page
    ) -> Sequence[MemberView]:
        """An empty query lists the review queue; otherwise every word must begin a word
        of one of the chosen fields (case-insensitive; see ``kasa.domain.search``)."""
        chosen = parse_fields(fields) or frozenset(SearchField)
        words = words_of(query)
        require_staff(self.ctx.reads, staff_id)
        if not words:
            return self.ctx.reads.review_queue(page)
        return self.ctx.reads.members(MemberQuery(words, chosen), page)

    def detail(self, staff_id: int, member_id: int) -> MemberDetail:
        """A member's whole file: programs, documents, requests, payments, reports."""
        require_staff(self.ctx.reads, staff_id)
        detail = self.ctx.reads.member(member_id)
        if detail is None:
            raise NotFound(f"There is no member {member_id}.")
        return detail

    def edit(
        self,
        staff_id: int,
        member_id: int,
        *,
        first_name: str | None = None,
        middle_name: str | None = None,
        last_name: str | None = None,
        email: str | None = None,
        iban: str | None = None,
        birth_date: date | None = None,
        certificate: str | None = None,
        passport_data: str | None = None,
        inn: str | None = None,
        phone: str | None = None,
        is_active: bool | None = None,
        is_submitted: bool | None = None,
        approve_program_change: bool = False,
        approve_documents: bool = False,
    ) -> MemberView:
        """Staff edit a member and take decisions; each decision is its own audit event."""
        now = self.ctx.now()
        actor = Actor.staff(staff_id)
        with self.ctx.uow() as uow:
            load_staff(uow, staff_id)
            member = member_of(uow, member_id)
            changed: list[str] = []
            member.set_identity_data(
                first_name=first_name,
                middle_name=middle_name,
                last_name=last_name,
                birth_date=birth_date,
                inn=TaxNumber.parse(inn) if inn else None,
                passport_data=passport_data,
                now=now,
            )
            for name, value in (
                ("first_name", first_name),
                ("middle_name", middle_name),
                ("last_name", last_name),
                ("birth_date", birth_date),
                ("inn", inn),
                ("passport_data", passport_data),
            ):
                if value is not None:
                    changed.append(name)
            if email is not None:
                member.email = Email.parse(email)
                changed.append("email")
            if iban is not None:
                member.iban = Iban.parse(iban)
                changed.append("iban")
            if phone is not None:
                new_phone = Phone.parse(phone)
                holder = uow.members.by_phone(new_phone.e164)
                if holder is not None and holder.id != member_id:
                    raise Conflict("Another member has this phone number.")
                member.phone = new_phone
                changed.append("phone")
            if certificate is not None and certificate.strip() != (member.certificate or ""):
                holder = uow.members.by_certificate(certificate.strip())
                if holder is not None and holder.id != member_id:
                    raise Conflict("Another member has this certificate number.")
                member.assign_certificate(certificate, now)
                changed.append("certificate")
            if {"first_name", "middle_name", "last_name", "birth_date"} & set(changed):
                self._resolve_corrections(uow, member, staff_id)
            if changed:
                audit(
                    uow, EventType.UPDATED, actor, ObjectKind.MEMBER, member_id, now, fields=changed
                )
            if approve_program_change:
                self._accept_program(uow, member, actor)
            if approve_documents:
                self._accept_documents(uow, member, actor)
            if is_submitted and member.status is not MemberStatus.APPROVED:
                self._approve(uow, member, actor)
            elif is_submitted is False and member.status is MemberStatus.APPROVED:
                raise Conflict("An approved profile cannot be taken back; block the member.")
            if is_active is False and not member.is_blocked:
                member.block(now)
                audit(uow, EventType.BLOCKED, actor, ObjectKind.MEMBER, member_id, now)
            elif is_active is True and member.is_blocked:
                member.unblock(now)
                audit(
                    uow,
                    EventType.UNBLOCKED,
                    actor,
                    ObjectKind.MEMBER,
                    member_id,
                    now,
                    status=member.status,
                )
            uow.commit()
            return MemberView.of(member)

    def block(self, staff_id: int, member_id: int) -> MemberView:
        """Block a member; blocking a blocked member is a conflict."""
        return self._block_or_unblock(staff_id, member_id, block=True)

    def unblock(self, staff_id: int, member_id: int) -> MemberView:
        """Unblock a member (back to the status before); a member not blocked: conflict."""
        return self._block_or_unblock(staff_id, member_id, block=False)

    def _block_or_unblock(self, staff_id: int, member_id: int, *, block: bool) -> MemberView:
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            load_staff(uow, staff_id)
            member = member_of(uow, member_id)
            if block:
                member.block(now)
            else:
                member.unblock(now)
            audit(
                uow,
                EventType.BLOCKED if block else EventType.UNBLOCKED,
                Actor.staff(staff_id),
                ObjectKind.MEMBER,
                member_id,
                now,
                status=member.status,
            )
            uow.commit()
            return MemberView.of(member)

    def _approve(self, uow: UnitOfWork, member: Member, actor: Actor) -> None:
        """Approving a profile also accepts the program and documents submitted with it."""
        now = self.ctx.now()
        member.approve(now)
        links = uow.member_programs.for_member(member.id or 0)
        if pending_program(links) is not None:
            approve_program_change(links, now)
            member.has_new_program_change = False
        docs = uow.identities.for_member(member.id or 0)
        if any(d.is_new for d in docs):
            accept_new_documents(docs, now)
        audit(
            uow,
            EventType.APPROVED,
            actor,
            ObjectKind.MEMBER,
            member.id,
            now,
            certificate=member.certificate,
        )

    def _accept_program(self, uow: UnitOfWork, member: Member, actor: Actor) -> None:
        now = self.ctx.now()
        link = approve_program_change(uow.member_programs.for_member(member.id or 0), now)
        member.has_new_program_change = False
        member.updated_at = now
        audit(
            uow,
            EventType.PROGRAM_CHANGE_APPROVED,
            actor,
            ObjectKind.MEMBER,
            member.id,
            now,
            program_id=link.program_id,
        )

    def _accept_documents(self, uow: UnitOfWork, member: Member, actor: Actor) -> None:
        now = self.ctx.now()
        accepted = accept_new_documents(uow.identities.for_member(member.id or 0), now)
        member.documents_accepted(now)
        audit(
            uow,
            EventType.DOCUMENTS_ACCEPTED,
            actor,
            ObjectKind.MEMBER,
            member.id,
            now,
            documents=sorted(d.identity_type for d in accepted),
        )

    def _resolve_corrections(self, uow: UnitOfWork, member: Member, staff_id: int) -> None:
        for report in uow.corrections.for_member(member.id or 0):
            if report.is_open:
                report.resolve(staff_id, self.ctx.now())
        member.has_new_correction = False

    def generate_certificate(self, staff_id: int) -> str:
        """A new certificate number, never handed out before and not held by anyone."""
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            load_staff(uow, staff_id)
            while True:
                number = f"{uow.certificates.next_number():0{CERTIFICATE_DIGITS}d}"
                if uow.members.by_certificate(number) is None:
                    break
            audit(
                uow,
                EventType.CERTIFICATE_ISSUED,
                Actor.staff(staff_id),
                ObjectKind.CERTIFICATE,
                number,
                now,
            )
            uow.commit()
            return number

    # -- files -------------------------------------------------------------------------
    def member_file(self, staff_id: int, member_id: int, filename: str) -> FileContent:
        """A member's file, for staff; every such read is in the audit trail."""
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            load_staff(uow, staff_id)
            file = FileView.of(_file_of(uow, member_id, filename))
            audit(
                uow,
                EventType.FILE_VIEWED,
                Actor.staff(staff_id),
                ObjectKind.FILE,
                file.id,
                now,
                member_id=member_id,
                kind=file.kind,
            )
            uow.commit()
        return FileContent(file, self.ctx.files.open(file.stored_name))


class MemberFiles:
    """Members download their own files (another member's: not found)."""

    def __init__(self, context: Context) -> None:
        self.ctx = context

    def own_file(self, member_id: int, owner_id: int, filename: str) -> FileContent:
        require_member(self.ctx.reads, member_id)
        file = self.ctx.reads.file(member_id, filename) if owner_id == member_id else None
        if file is None:
            raise NotFound("File not found.")
        return FileContent(file, self.ctx.files.open(file.stored_name))


def _file_of(uow: UnitOfWork, member_id: int, filename: str) -> StoredFile:
    file = uow.files.by_stored_name(filename)
    if file is None or file.member_id != member_id:
        raise NotFound("File not found.")
    return file
