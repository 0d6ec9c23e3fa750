"""Programs in the back office: list, read, create and change them, with their terms
file (public: a file uploaded as terms that a program names)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import attrs

from kasa.application.access import acting_staff, require_staff
from kasa.application.auditing import audit
from kasa.application.clock import FundClock
from kasa.application.ports import FileStore
from kasa.application.reads import ProgramReads, Reads
from kasa.application.repositories import UnitOfWork, UnitOfWorkFactory
from kasa.application.retrying import use_cases
from kasa.application.uploads import FileStaging, StagedFiles, Upload
from kasa.application.views import FileContent, ProgramView
from kasa.domain.audit import Actor, EventType, ObjectKind
from kasa.domain.errors import InvalidInput, NotFound
from kasa.domain.files import FileKind
from kasa.domain.money import Money
from kasa.domain.programs import Program


@use_cases
@attrs.frozen
class ProgramAdmin:
    uow: UnitOfWorkFactory
    reads: Reads
    clock: FundClock
    staging: FileStaging
    files: FileStore
    # the lists (a replica's, when there is one); by default the reads themselves
    lists: ProgramReads = attrs.field(
        default=attrs.Factory(lambda self: self.reads, takes_self=True), kw_only=True
    )

    def list(self, staff_id: int | None, *, active_only: bool = True) -> Sequence[ProgramView]:
        if staff_id is not None:
            require_staff(self.reads, staff_id)
        return self.lists.programs(active_only=active_only)

    def get(self, staff_id: int, program_id: int) -> ProgramView:
        require_staff(self.reads, staff_id)
        program = self.reads.program(program_id)
        if program is None:
            raise NotFound(f"There is no program {program_id}.")
        return program

    def create(
        self,
        staff_id: int | None,
        name: str,
        month_price: Money,
        *,
        terms: Upload | None = None,
        program_file: str | None = None,
        is_active: bool = True,
    ) -> ProgramView:
        """A new program. ``staff_id`` None is the command line's operator. An uploaded
        terms file is stored and becomes the program's public terms."""
        now = self.clock.now()
        with self.staging.of([terms] if terms else []) as staged, self.uow() as uow:
            if staff_id is not None:
                acting_staff(uow, staff_id)
            program = uow.programs.add(
                Program(
                    name,
                    month_price,
                    now,
                    now,
                    program_file=_terms(uow, staged, terms, program_file) or "",
                    is_active=is_active,
                    created_by=staff_id,
                    updated_by=staff_id,
                )
            )
            return self._saved(uow, staff_id, program, EventType.CREATED, now)

    def update(
        self,
        staff_id: int | None,
        program_id: int,
        *,
        name: str | None = None,
        month_price: Money | None = None,
        terms: Upload | None = None,
        program_file: str | None = None,
        is_active: bool | None = None,
    ) -> ProgramView:
        """Change a program's name, price, terms or whether it is offered."""
        now = self.clock.now()
        with self.staging.of([terms] if terms else []) as staged, self.uow() as uow:
            if staff_id is not None:
                acting_staff(uow, staff_id)
            program = uow.programs.get(program_id)
            if program is None:
                raise NotFound(f"There is no program {program_id}.")
            program.update(
                staff_id=staff_id or 0,
                now=now,
                name=name,
                price=month_price,
                program_file=_terms(uow, staged, terms, program_file),
                is_active=is_active,
            )
            if staff_id is None:
                program.updated_by = None
            return self._saved(uow, staff_id, program, EventType.UPDATED, now)

    @staticmethod
    def _saved(
        uow: UnitOfWork, staff_id: int | None, program: Program, event: EventType, now: datetime
    ) -> ProgramView:
        audit(
            uow,
            event,
            Actor.staff(staff_id) if staff_id is not None else Actor.system(),
            ObjectKind.PROGRAM,
            program.id,
            now,
            program_name=program.program_name,
            month_price=str(program.month_price),
            is_active=program.is_active,
            program_file=program.program_file,
        )
        uow.commit()
        return ProgramView.of(program)

    def terms_file(self, filename: str) -> FileContent:
        """A program's terms file, public: only a file uploaded as terms that a program
        names; any other stored file is not found here."""
        file = self.reads.terms_file(filename)
        if file is None:
            raise NotFound("There is no such program file.")
        return FileContent(file, self.files.open(file.stored_name))


def _terms(
    uow: UnitOfWork, staged: StagedFiles, terms: Upload | None, program_file: str | None
) -> str | None:
    """The stored name of the program's terms: a new upload, or a terms file already
    stored (a program may name only a file uploaded as terms: they are public)."""
    if terms is not None:
        return uow.files.add(staged.save(terms, member_id=None, kind=FileKind.TERMS)).stored_name
    if program_file:
        file = uow.files.by_stored_name(program_file)
        if file is None or file.kind is not FileKind.TERMS:
            raise InvalidInput.field(
                "program_file", "must name a terms file uploaded with new_program_file"
            )
    return program_file
