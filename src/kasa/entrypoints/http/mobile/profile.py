"""A member's own profile: submitting it with documents, changing contacts and photo, a
new phone confirmed from that phone, reporting wrong data, reading it, choosing another
program, sharing documents from Diia, and downloading one's own files."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from litestar import MediaType, Request
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, MultipartBody, PathParameter
from litestar.response import Stream

from kasa.application.diia import DiiaSharing
from kasa.application.members import MemberFiles
from kasa.application.profiles import Profiles
from kasa.domain.errors import InvalidInput
from kasa.domain.identity import IdentityType
from kasa.domain.members import PersonalData
from kasa.domain.values import Email, Phone
from kasa.entrypoints.http.common import client_address, file_response, read_upload
from kasa.entrypoints.http.errors import FIELD_NAMES
from kasa.entrypoints.http.fields import MAX_ID, money
from kasa.entrypoints.http.mobile import schemas as s
from kasa.entrypoints.http.mobile.present import Shapes
from kasa.entrypoints.http.routes import FILE_CONTENT, MEMBER, PROGRAM_GONE, Area
from kasa.entrypoints.http.threads import read, run
from kasa.entrypoints.parsing import parse_date
from kasa.entrypoints.paths import MEMBER_FILE

PROFILE = Area("profile", MEMBER, signed_in=True, answers=(400,))
FILES = Area("files", MEMBER, signed_in=True, answers=(400,))

# The profile form's file fields and the documents they carry.
DOCUMENT_FIELDS: Mapping[str, IdentityType] = {
    "inn": IdentityType.TAX_NUMBER_CARD,
    "id_1": IdentityType.ID_CARD_FRONT,
    "id_2": IdentityType.ID_CARD_BACK,
    "book_1": IdentityType.PASSPORT_PAGE_1,
    "book_2": IdentityType.PASSPORT_PAGE_2,
    "book_address": IdentityType.PASSPORT_ADDRESS_PAGE,
}
FORM_FIELDS = {kind: name for name, kind in DOCUMENT_FIELDS.items()}


@FILES.get(
    MEMBER_FILE + "/{uid:int}/{filename:str}",
    404,
    502,
    media_type=MediaType.TEXT,
    meaning={404: "The member has no file of this name, or the path names another member."},
)
async def member_file(
    uid: Annotated[int, PathParameter(ge=1, le=MAX_ID)],
    filename: FromPath[str],
    member_id: NamedDependency[int],
    member_files: NamedDependency[MemberFiles],
) -> Stream:
    """A member's own file (their id in the path), with its content type."""
    return file_response(await read(member_files.own_file, member_id, uid, filename))


@PROFILE.post(
    "/user/profile/create",
    413,
    422,
    502,
    opt={"files": 6, FIELD_NAMES: {kind.value: field for field, kind in DOCUMENT_FIELDS.items()}},
    meaning={
        400: "Invalid input, named in `errors` by the form's fields. Past the schema: names "
        "are letters (any alphabet), an apostrophe, hyphens and spaces; `iban` must pass "
        f"its check digits; each file must be {FILE_CONTENT}; and the documents must make a "
        "whole identity (`identity`): the tax number card (`inn`) with both sides of the ID "
        "card (`id_1`, `id_2`) or with the passport book's pages (`book_1`, `book_2`, "
        "`book_address`).",
        422: PROGRAM_GONE,
    },
)
async def profile_create(
    data: MultipartBody[s.ProfileForm],
    member_id: NamedDependency[int],
    profiles: NamedDependency[Profiles],
) -> s.Message:
    """Submit the profile with documents and the program choice."""
    personal = PersonalData.parse(
        first_name=data.first_name,
        middle_name=data.middle_name,
        last_name=data.last_name,
        email=data.email,
        iban=data.iban,
    )
    documents = {
        kind: read_upload(field, upload)
        for field, kind in DOCUMENT_FIELDS.items()
        if (upload := getattr(data, field)) is not None
    }
    await run(profiles.submit, member_id, personal, data.program_id, documents)
    return s.Message("profile successfully created")


@PROFILE.post(
    "/user/profile/edit",
    413,
    422,
    429,
    502,
    opt={"files": 1},
    meaning={
        400: "Nothing to change (give `email`, `phone` or `photo`), or an invalid field "
        "named in `errors`: past the pattern, a phone of its country's numbering plan in a "
        f"country the fund sends codes to, and a photo that is {FILE_CONTENT}.",
        422: "The new phone belongs to another member. Nothing was saved.",
        429: "Too many codes to the new phone or from this address: wait the seconds "
        "`Retry-After` gives. Nothing was saved.",
        502: "The SMS service failed: no code was sent and nothing was saved. Try again later.",
    },
)
async def profile_edit(
    data: MultipartBody[s.ProfileEditForm],
    request: Request[Any, Any, Any],
    member_id: NamedDependency[int],
    profiles: NamedDependency[Profiles],
) -> s.ProfileEdited:
    """Change e-mail, phone or photo. A new phone is not taken at once: a code is sent
    to it (``phone_change: code_sent``) and the change waits for
    ``/user/profile/phone/confirm``. When the code cannot be sent, nothing is saved.
    At least one of the three must be given."""
    if data.email is None and data.phone is None and data.photo is None:
        raise InvalidInput("Nothing to change.", {"body": "give email, phone or photo"})
    code_sent = await run(
        profiles.edit,
        member_id,
        email=Email.parse(data.email) if data.email else None,
        phone=Phone.parse(data.phone) if data.phone else None,
        photo=read_upload("photo", data.photo) if data.photo else None,
        address=client_address(request),
    )
    return s.ProfileEdited(
        "Profile successfully updated", phone_change="code_sent" if code_sent else None
    )


@PROFILE.post(
    "/user/profile/phone/confirm",
    422,
    429,
    meaning={
        401: "The code is wrong, expired or already used (attempts count as at sign-in), "
        "or the token is not valid. Let the member type the code again, or change the "
        "phone again for a new code.",
        422: "The phone belongs to another member by now; the member keeps the old one.",
        429: "Too many wrong codes: wait the seconds `Retry-After` gives.",
    },
)
async def phone_confirm(
    data: JSONBody[s.PhoneConfirm],
    request: Request[Any, Any, Any],
    member_id: NamedDependency[int],
    profiles: NamedDependency[Profiles],
) -> s.Message:
    """Confirm a new phone with the code sent to it. 401: a wrong, expired or used code
    (attempts count as at sign-in); 422: the phone belongs to another member by now."""
    phone = Phone.parse(data.phone)
    await run(profiles.confirm_phone, member_id, phone, data.code, client_address(request))
    return s.Message("Phone changed")


@PROFILE.post(
    "/user/profile/wrong",
    meaning={400: "Invalid input, named in `errors`: `birth_date` must be a calendar date."},
)
async def profile_wrong(
    data: JSONBody[s.WrongData],
    member_id: NamedDependency[int],
    profiles: NamedDependency[Profiles],
) -> s.Message:
    """Tell staff that names or the birth date are wrong."""
    await run(
        profiles.report_wrong_data,
        member_id,
        first_name=data.first_name,
        middle_name=data.middle_name,
        last_name=data.last_name,
        birth_date=parse_date(data.birth_date, "birth_date"),
    )
    return s.Message("Request successfully sent")


@PROFILE.get(
    "/user/profile/get",
    meaning={
        403: "The profile is not approved yet (show the member that the fund is reviewing "
        "it), or the member is blocked.",
    },
)
async def profile_get(
    member_id: NamedDependency[int],
    profiles: NamedDependency[Profiles],
    shapes: NamedDependency[Shapes],
) -> s.ProfileOut:
    """The member's profile, once approved."""
    if profiles.quick is not None:
        return shapes.profile(await profiles.get_quickly(member_id))
    return shapes.profile(await read(profiles.get, member_id))


@PROFILE.get("/user/profile/review", without=(403,))
async def profile_review(
    member_id: NamedDependency[int],
    profiles: NamedDependency[Profiles],
    shapes: NamedDependency[Shapes],
) -> s.ReviewOut:
    """Where the member's profile stands with staff, at any status: the profile as
    submitted, and the documents staff refused with their reasons."""
    return shapes.review(await read(profiles.review, member_id), FORM_FIELDS)


@PROFILE.post(
    "/program/change",
    404,
    409,
    422,
    tags=["programs"],
    meaning={
        404: "There is no such program.",
        409: "This is already the member's program.",
        422: PROGRAM_GONE,
    },
)
async def program_change(
    data: JSONBody[s.ProgramChoice],
    member_id: NamedDependency[int],
    profiles: NamedDependency[Profiles],
) -> s.ProgramChanged:
    """Ask for another program; staff approve the change."""
    link, program = await run(profiles.change_program, member_id, data.program_id)
    return s.ProgramChanged(
        "success",
        "Program change requested; the fund will confirm it.",
        s.MemberProgramOut(
            link.id or 0,
            program.id or 0,
            program.program_name,
            money(program.month_price),
            link.is_active,
            link.is_new,
        ),
    )


@PROFILE.post(
    "/user/profile/diia",
    502,
    tags=["identity"],
    meaning={
        502: "Diia failed to start the sharing; try again later.",
        503: "Diia sharing is not configured on this server: offer uploading the documents "
        "instead. Or the database is unavailable.",
    },
)
async def diia_start(
    member_id: NamedDependency[int], diia: NamedDependency[DiiaSharing]
) -> s.DiiaLinkOut:
    """Start sharing documents from Diia: the deep link to open."""
    link = await run(diia.start, member_id)
    return s.DiiaLinkOut(link.deeplink, link.request_id)
