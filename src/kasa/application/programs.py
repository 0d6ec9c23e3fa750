"""Programs in the back office: list, read, create and update, with their terms file."""

from __future__ import annotations

from collections.abc import Sequence

from kasa.application.context import (
    Context,
    Upload,
    audit,
    load_staff,
    require_staff,
    staged_files,
)
from kasa.application.repositories import UnitOfWork
from kasa.application.views import FileContent, ProgramView
from kasa.domain.audit import Actor, EventType, ObjectKind
from kasa.domain.errors import InvalidInput, NotFound
from kasa.domain.files import FileKind
from kasa.domain.money import Money
from kasa.domain.programs import Program


class ProgramAdmin:
    def __init__(self, context: Context) -> None:
        self.ctx = context

    def list(self, staff_id: int | None, *, active_only: bool = True) -> Sequence[ProgramView]:
        if staff_id is not None:
            require_staff(self.ctx.reads, staff_id)
        return self.ctx.reads.programs(active_only=active_only)

    def get(self, staff_id: int, program_id: int) -> ProgramView:
        require_staff(self.ctx.reads, staff_id)
        program = self.ctx.reads.program(program_id)
        if program is None:
            raise NotFound(f"There is no program {program_id}.")
        return program

    def save(
        self,
        staff_id: int | None,
        *,
        program_id: int | None = None,
        name: str | None = None,
        month_price: Money | None = None,
        program_file: str | None = None,
        terms: Upload | None = None,
        is_active: bool | None = None,
    ) -> ProgramView:
        """Create a program (no id) or update one. An uploaded terms file is stored and
        its name becomes the program's ``program_file``, served publicly."""
        now = self.ctx.now()
        uploads = [terms] if terms is not None else []
        actor = Actor.staff(staff_id) if staff_id is not None else Actor.system()
        with staged_files(self.ctx, uploads) as staged, self.ctx.uow() as uow:
            if staff_id is not None:
                load_staff(uow, staff_id)
            if terms is not None:
                program_file = uow.files.add(
                    staged.save(terms, member_id=None, kind=FileKind.TERMS)
                ).stored_name
            elif program_file:
                require_terms_file(uow, program_file)
            if program_id is None:
                if name is None or month_price is None:
                    raise InvalidInput(
                        "A new program needs a name and a monthly price.",
                        {
                            k: "is required"
                            for k, v in (("program_name", name), ("month_price", month_price))
                            if v is None
                        },
                    )
                program = uow.programs.add(
                    Program(
                        name,
                        month_price,
                        now,
                        now,
                        program_file=program_file or "",
                        is_active=True if is_active is None else is_active,
                        created_by=staff_id,
                        updated_by=staff_id,
                    )
                )
                event = EventType.CREATED
            else:
                found = uow.programs.get(program_id)
                if found is None:
                    raise NotFound(f"There is no program {program_id}.")
                program = found
                program.update(
                    staff_id=staff_id or 0,
                    now=now,
                    name=name,
                    price=month_price,
                    program_file=program_file,
                    is_active=is_active,
                )
                if staff_id is None:
                    program.updated_by = None
                event = EventType.UPDATED
            audit(
                uow,
                event,
                actor,
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
        file = self.ctx.reads.terms_file(filename)
        if file is None:
            raise NotFound("There is no such program file.")
        return FileContent(file, self.ctx.files.open(file.stored_name))


def require_terms_file(uow: UnitOfWork, name: str) -> None:
    """A program may name only a file uploaded as program terms (they are public)."""
    file = uow.files.by_stored_name(name)
    if file is None or file.kind is not FileKind.TERMS:
        raise InvalidInput.field(
            "program_file", "must name a terms file uploaded with new_program_file"
        )
