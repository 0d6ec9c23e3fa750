"""Programs: their public terms files, and the programs staff list, create and change."""

from __future__ import annotations

from typing import Annotated

from litestar import MediaType
from litestar.di import NamedDependency
from litestar.params import JSONBody, MultipartBody, PathParameter
from litestar.response import Stream

from kasa.application.programs import ProgramAdmin
from kasa.domain.errors import InvalidInput
from kasa.entrypoints.http.admin import cards as c
from kasa.entrypoints.http.admin import inputs as i
from kasa.entrypoints.http.admin import present as p
from kasa.entrypoints.http.common import file_response, read_upload
from kasa.entrypoints.http.routes import ANY_STAFF, FILE_CONTENT, Area
from kasa.entrypoints.http.threads import read, run
from kasa.entrypoints.parsing import amount_or_none
from kasa.entrypoints.paths import PROGRAM_TERMS

TERMS = Area("programs", "anyone; program terms are public")
PROGRAMS = Area("programs", ANY_STAFF, signed_in=True)


@TERMS.get(
    PROGRAM_TERMS + "/{filename:str}",
    400,
    404,
    502,
    media_type=MediaType.TEXT,
    meaning={404: "No program's terms file has this name."},
)
async def program_terms(
    filename: Annotated[
        str, PathParameter(max_length=64, description="The terms file's stored name.")
    ],
    programs: NamedDependency[ProgramAdmin],
) -> Stream:
    """A program's terms file (public)."""
    return file_response(await read(programs.terms_file, filename))


@PROGRAMS.get("/programs")
async def programs_list(
    staff_id: NamedDependency[int], programs: NamedDependency[ProgramAdmin]
) -> c.ProgramList:
    """The active programs."""
    found = await read(programs.list, staff_id)
    return c.ProgramList(status="success", data=[p.program(x) for x in found])


@PROGRAMS.post("/program", 400, 404, meaning={404: "There is no program with this id."})
async def program_get(
    data: JSONBody[i.MemberId],
    staff_id: NamedDependency[int],
    programs: NamedDependency[ProgramAdmin],
) -> c.ProgramOne:
    """One program."""
    return c.ProgramOne(
        status="success", data=p.program(await read(programs.get, staff_id, data.id))
    )


@PROGRAMS.put(
    "/program",
    400,
    404,
    413,
    502,
    opt={"files": 1},
    meaning={
        400: "Invalid input, named in `errors`: a new program (no `id`) needs "
        "`program_name` and `month_price`; `program_file` must name a terms file already "
        f"uploaded; `new_program_file` must be {FILE_CONTENT}.",
        404: "There is no program with this id.",
    },
)
async def program_save(
    data: MultipartBody[i.ProgramForm],
    staff_id: NamedDependency[int],
    programs: NamedDependency[ProgramAdmin],
) -> c.ProgramOne:
    """Create (no id) or change a program, with its terms file."""
    terms = (
        read_upload("new_program_file", data.new_program_file) if data.new_program_file else None
    )
    price = amount_or_none(data.month_price, "month_price")
    if data.id is None:
        missing = {"program_name": data.program_name, "month_price": price}
        if data.program_name is None or price is None:
            raise InvalidInput(
                "A new program needs a name and a monthly price.",
                {name: "is required" for name, value in missing.items() if value is None},
            )
        saved = await run(
            programs.create,
            staff_id,
            data.program_name,
            price,
            terms=terms,
            program_file=data.program_file,
            is_active=True if data.is_active is None else data.is_active,
        )
    else:
        saved = await run(
            programs.update,
            staff_id,
            data.id,
            name=data.program_name,
            month_price=price,
            terms=terms,
            program_file=data.program_file,
            is_active=data.is_active,
        )
    return c.ProgramOne(status="success", data=p.program(saved))
