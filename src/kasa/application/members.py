"""The back office's work on members: the review queue and search, a member's whole
file, corrections of their data, the decisions staff take (approve, block, unblock,
accept a program change or new documents), certificate numbers, and members' files."""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from datetime import date

import attrs

from kasa.application.access import (
    acting_staff,
    member_for_update,
    require_member,
    require_staff,
)
from kasa.application.auditing import audit
from kasa.application.clock import FundClock
from kasa.application.ports import FileStore
from kasa.application.reads import MemberQuery, MemberReads, OfficeReads, Page
from kasa.application.repositories import UnitOfWork, UnitOfWorkFactory
from kasa.application.retrying import use_cases
from kasa.application.search import SearchField
from kasa.application.views import FileContent, FileView, MemberDetail, MemberView
from kasa.domain.audit import Actor, EventType, ObjectKind
from kasa.domain.errors import Conflict, InvalidInput, NotFound
from kasa.domain.files import StoredFile
from kasa.domain.identity import accept_new_documents, refuse_new_documents
from kasa.domain.identity import refusal_reason as refusal_reason_of
from kasa.domain.members import Member
from kasa.domain.programs import approve_program_change, pending_program
from kasa.domain.values import Email, Iban, Phone, TaxNumber

CERTIFICATE_DIGITS = 6


@attrs.frozen
class MemberData:
    """What staff correct on a member's file; what is None stays as it is."""

    first_name: str | None = None
    middle_name: str | None = None
    last_name: str | None = None
    birth_date: date | None = None
    passport_data: str | None = None
    inn: TaxNumber | None = None
    email: Email | None = None
    iban: Iban | None = None
    phone: Phone | None = None
    certificate: str | None = None

    def given(self) -> list[str]:
        return [f.name for f in attrs.fields(MemberData) if getattr(self, f.name) is not None]


class Decision(enum.StrEnum):
    """What staff decide about a member."""

    ACCEPT_PROGRAM_CHANGE = "accept_program_change"
    ACCEPT_DOCUMENTS = "accept_documents"
    REFUSE_DOCUMENTS = "refuse_documents"
    APPROVE = "approve"
    BLOCK = "block"
    UNBLOCK = "unblock"


NAMES_AND_BIRTH = {"first_name", "middle_name", "last_name", "birth_date"}


@use_cases
@attrs.frozen
class BackOfficeMembers:
    uow: UnitOfWorkFactory
    reads: OfficeReads
    clock: FundClock
    files: FileStore
    # the lists (a replica's, when there is one); by default the reads themselves
    lists: OfficeReads = attrs.field(
        default=attrs.Factory(lambda self: self.reads, takes_self=True), kw_only=True
    )

    def search(
        self, staff_id: int, words: Sequence[str], fields: frozenset[SearchField], page: Page
    ) -> Sequence[MemberView]:
        """No words: the review queue; otherwise every word must begin a word of one of
        the chosen fields (all fields when none is chosen)."""
        require_staff(self.reads, staff_id)
        if not words:
            return self.lists.review_queue(page)
        return self.lists.members(MemberQuery(tuple(words), fields or frozenset(SearchField)), page)

    def detail(self, staff_id: int, member_id: int) -> MemberDetail:
        """A member's whole file: programs, documents, requests, payments, reports."""
        require_staff(self.reads, staff_id)
        detail = self.reads.member(member_id)
        if detail is None:
            raise NotFound(f"There is no member {member_id}.")
        return detail

    # -- one thing at a time ----------------------------------------------------------
    def correct(self, staff_id: int, member_id: int, data: MemberData) -> MemberView:
        return self.apply(staff_id, member_id, data=data)

    def approve(
        self, staff_id: int, member_id: int, *, next_certificate: bool = False
    ) -> MemberView:
        """Approve the profile (and the program and documents submitted with it); it
        needs a certificate number. ``next_certificate``: a member without one gets the
        next number, taken in the same unit of work, so a refused approval takes none."""
        return self.apply(
            staff_id, member_id, decisions=[Decision.APPROVE], next_certificate=next_certificate
        )

    def block(self, staff_id: int, member_id: int) -> MemberView:
        return self.apply(staff_id, member_id, decisions=[Decision.BLOCK])

    def unblock(self, staff_id: int, member_id: int) -> MemberView:
        """Back to the status before blocking."""
        return self.apply(staff_id, member_id, decisions=[Decision.UNBLOCK])

    def accept_documents(self, staff_id: int, member_id: int) -> MemberView:
        return self.apply(staff_id, member_id, decisions=[Decision.ACCEPT_DOCUMENTS])

    def refuse_documents(self, staff_id: int, member_id: int, reason: str) -> MemberView:
        """Refuse the member's new documents, telling them why (a profile awaiting review
        goes back to the member to submit again)."""
        return self.apply(
            staff_id, member_id, decisions=[Decision.REFUSE_DOCUMENTS], refusal_reason=reason
        )

    def accept_program_change(self, staff_id: int, member_id: int) -> MemberView:
        return self.apply(staff_id, member_id, decisions=[Decision.ACCEPT_PROGRAM_CHANGE])

    # -- what one screen of the back office sends ----------------------------------------
    def apply(
        self,
        staff_id: int,
        member_id: int,
        *,
        data: MemberData | None = None,
        decisions: Sequence[Decision] = (),
        next_certificate: bool = False,
        refusal_reason: str = "",
    ) -> MemberView:
        """Corrections and decisions together, in one unit of work, in that order; each
        is its own audit event. ``next_certificate``: see :meth:`approve`;
        ``refusal_reason``: what refusing documents tells the member."""
        check_decisions(decisions)
        reason = refusal_reason
        if Decision.REFUSE_DOCUMENTS in decisions:
            reason = refusal_reason_of(refusal_reason, "refuse_documents")
        now = self.clock.now()
        actor = Actor.staff(staff_id)
        with self.uow() as uow:
            acting_staff(uow, staff_id)
            member = member_for_update(uow, member_id)
            if data is not None and data.given():
                self._correct(uow, member, data, staff_id)
                audit(
                    uow,
                    EventType.UPDATED,
                    actor,
                    ObjectKind.MEMBER,
                    member_id,
                    now,
                    fields=data.given(),
                )
            approving = Decision.APPROVE in decisions
            if next_certificate and approving and not member.certificate:
                member.require_review()
                member.assign_certificate(self._new_certificate(uow, actor), now)
            for decision in decisions:
                if decision is Decision.REFUSE_DOCUMENTS:
                    self._refuse_documents(uow, member, actor, reason)
                else:
                    DECISIONS[decision](self, uow, member, actor)
            uow.commit()
            return MemberView.of(member)

    def _correct(self, uow: UnitOfWork, member: Member, data: MemberData, staff_id: int) -> None:
        now = self.clock.now()
        member.set_identity_data(
            first_name=data.first_name,
            middle_name=data.middle_name,
            last_name=data.last_name,
            birth_date=data.birth_date,
            inn=data.inn,
            passport_data=data.passport_data,
            now=now,
        )
        if data.email is not None:
            member.email = data.email
        if data.iban is not None:
            member.iban = data.iban
        if data.phone is not None:
            holder = uow.members.by_phone(data.phone.e164)
            if holder is not None and holder.id != member.id:
                raise Conflict("Another member has this phone number.")
            member.phone = data.phone
        certificate = (data.certificate or "").strip()
        if data.certificate is not None and certificate != (member.certificate or ""):
            holder = uow.members.by_certificate(certificate)
            if holder is not None and holder.id != member.id:
                raise Conflict("Another member has this certificate number.")
            member.assign_certificate(certificate, now)
        if NAMES_AND_BIRTH & set(data.given()):
            for report in uow.corrections.for_member(member.id or 0):
                if report.is_open:
                    report.resolve(staff_id, now)
            member.corrections_resolved(now)

    def _approve(self, uow: UnitOfWork, member: Member, actor: Actor) -> None:
        """Approving a profile also accepts the program and documents submitted with it."""
        now = self.clock.now()
        member.approve(now)
        links = uow.member_programs.for_member(member.id or 0)
        if pending_program(links) is not None:
            approve_program_change(links, now)
            member.program_change_accepted(now, told=False)  # told as the approval
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

    def _block(self, uow: UnitOfWork, member: Member, actor: Actor) -> None:
        now = self.clock.now()
        member.block(now)
        audit(
            uow, EventType.BLOCKED, actor, ObjectKind.MEMBER, member.id, now, status=member.status
        )

    def _unblock(self, uow: UnitOfWork, member: Member, actor: Actor) -> None:
        now = self.clock.now()
        member.unblock(now)
        audit(
            uow, EventType.UNBLOCKED, actor, ObjectKind.MEMBER, member.id, now, status=member.status
        )

    def _accept_program(self, uow: UnitOfWork, member: Member, actor: Actor) -> None:
        now = self.clock.now()
        link = approve_program_change(uow.member_programs.for_member(member.id or 0), now)
        member.program_change_accepted(now)
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
        now = self.clock.now()
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

    def _refuse_documents(self, uow: UnitOfWork, member: Member, actor: Actor, reason: str) -> None:
        now = self.clock.now()
        refused = refuse_new_documents(uow.identities.for_member(member.id or 0), reason, now)
        member.documents_refused(now)
        audit(
            uow,
            EventType.DOCUMENTS_REFUSED,
            actor,
            ObjectKind.MEMBER,
            member.id,
            now,
            documents=sorted(d.identity_type for d in refused),
            reason=reason,
            status=member.status,
        )

    def generate_certificate(self, staff_id: int) -> str:
        """A new certificate number, never handed out before and not held by anyone.
        Numbers handed out and never given to a member are skipped for good: gaps in
        the sequence are expected (the admin site asks for one when its form opens)."""
        with self.uow() as uow:
            acting_staff(uow, staff_id)
            number = self._new_certificate(uow, Actor.staff(staff_id))
            uow.commit()
            return number

    def _new_certificate(self, uow: UnitOfWork, actor: Actor) -> str:
        while True:
            number = f"{uow.certificates.next_number():0{CERTIFICATE_DIGITS}d}"
            if uow.members.by_certificate(number) is None:
                break
        audit(
            uow,
            EventType.CERTIFICATE_ISSUED,
            actor,
            ObjectKind.CERTIFICATE,
            number,
            self.clock.now(),
        )
        return number

    # -- files -------------------------------------------------------------------------
    def member_file(self, staff_id: int, member_id: int, filename: str) -> FileContent:
        """A member's file, for staff; every such read is in the audit trail."""
        return self._read_file(staff_id, lambda uow: _file_of(uow, member_id, filename))

    def file(self, staff_id: int, file_id: int) -> FileContent:
        """Any member's file by its id, for staff (the office shows documents inline);
        every such read is in the audit trail."""

        def found(uow: UnitOfWork) -> StoredFile:
            file = uow.files.get(file_id)
            if file is None or file.member_id is None:
                raise NotFound("File not found.")
            return file

        return self._read_file(staff_id, found)

    def _read_file(self, staff_id: int, find: Callable[[UnitOfWork], StoredFile]) -> FileContent:
        now = self.clock.now()
        with self.uow() as uow:
            acting_staff(uow, staff_id)
            file = FileView.of(find(uow))
            member_id = file.member_id
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
        return FileContent(file, self.files.open(file.stored_name))


CONTRARY = (
    {Decision.ACCEPT_DOCUMENTS, Decision.REFUSE_DOCUMENTS},
    {
        Decision.APPROVE,
        Decision.REFUSE_DOCUMENTS,
    },
)


def check_decisions(decisions: Sequence[Decision]) -> None:
    """Refusing documents goes neither with accepting them nor with approving."""
    for pair in CONTRARY:
        if pair <= set(decisions):
            raise InvalidInput.field(
                "refuse_documents",
                "cannot go with accepting the documents or approving the profile",
            )


DECISIONS = {
    Decision.ACCEPT_PROGRAM_CHANGE: BackOfficeMembers._accept_program,
    Decision.ACCEPT_DOCUMENTS: BackOfficeMembers._accept_documents,
    Decision.APPROVE: BackOfficeMembers._approve,
    Decision.BLOCK: BackOfficeMembers._block,
    Decision.UNBLOCK: BackOfficeMembers._unblock,
}


@attrs.frozen
class MemberFiles:
    """Members download their own files (another member's: not found)."""

    reads: MemberReads
    files: FileStore

    def own_file(self, member_id: int, owner_id: int, filename: str) -> FileContent:
        require_member(self.reads, member_id)
        file = self.reads.file(member_id, filename) if owner_id == member_id else None
        if file is None:
            raise NotFound("File not found.")
        return FileContent(file, self.files.open(file.stored_name))


def _file_of(uow: UnitOfWork, member_id: int, filename: str) -> StoredFile:
    file = uow.files.by_stored_name(filename)
    if file is None or file.member_id != member_id:
        raise NotFound("File not found.")
    return file
