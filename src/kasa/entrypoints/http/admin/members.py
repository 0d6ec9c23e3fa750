"""Members in the back office: the review queue and search, a member's whole file and
files, corrections and decisions, certificate numbers.

The admin site sends a member's edited form whole (``PUT /member``): its ``is_active``
and ``is_submitted`` say what the member should be, so they are read against what the
member is now and become decisions (approve, block, unblock), taken with the form's
corrections in one unit of work."""

from __future__ import annotations

from litestar import MediaType
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.response import Stream

from kasa.adapters.sql.loop import LoopReads
from kasa.application.books import Books
from kasa.application.members import BackOfficeMembers, Decision, MemberData
from kasa.application.reads import Page
from kasa.application.search import SearchField, words_of
from kasa.application.views import MemberView, NotificationQuery
from kasa.domain.errors import Conflict
from kasa.domain.members import MemberStatus
from kasa.domain.values import Email, Iban, Phone, TaxNumber
from kasa.entrypoints.http.admin import cards as c
from kasa.entrypoints.http.admin import inputs as i
from kasa.entrypoints.http.admin import present as p
from kasa.entrypoints.http.admin.queries import page
from kasa.entrypoints.http.common import file_response
from kasa.entrypoints.http.routes import ANY_STAFF, Area
from kasa.entrypoints.http.threads import read, run
from kasa.entrypoints.parsing import parse_date

MEMBERS = Area("members", ANY_STAFF, signed_in=True, answers=(400,))


@MEMBERS.post(
    "/files",
    404,
    502,
    media_type=MediaType.TEXT,
    meaning={404: "There is no such member, or the member has no file of this name."},
)
async def member_file(
    data: JSONBody[i.FileQuery],
    staff_id: NamedDependency[int],
    back_office: NamedDependency[BackOfficeMembers],
) -> Stream:
    """A member's file (every such read is in the audit trail)."""
    found = await run(back_office.member_file, staff_id, data.user_id, data.filename)
    return file_response(found)


@MEMBERS.post(
    "/members",
    meaning={400: "Invalid input, named in `errors`: a query is at most 10 words."},
)
async def members(
    data: JSONBody[i.MemberSearch],
    staff_id: NamedDependency[int],
    back_office: NamedDependency[BackOfficeMembers],
    reads_on_loop: NamedDependency[LoopReads | None],
) -> c.MemberList:
    """The review queue (empty query), or members matching every word in chosen fields."""
    chosen = frozenset(
        SearchField(name)
        for name in i.SearchFields.__struct_fields__
        if getattr(data.filter.fields, name)
    )
    words = words_of(data.filter.query)
    # the staff's busiest read: awaited on the event loop where the database allows it
    searched = read if reads_on_loop is None else reads_on_loop.run
    found = await searched(
        back_office.search, staff_id, words, chosen, page(data.limit, data.offset)
    )
    return c.MemberList(data=[p.member(m) for m in found])


@MEMBERS.get("/member/generate_certificate")
async def generate_certificate(
    staff_id: NamedDependency[int], back_office: NamedDependency[BackOfficeMembers]
) -> c.CertificateOut:
    """A new certificate number, never handed out before. Every call takes a number,
    whether or not a member gets it (a prefetch or a trial call takes one too): numbers
    are cheap to skip, and the numbers members hold have gaps."""
    return c.CertificateOut(data=await run(back_office.generate_certificate, staff_id))


@MEMBERS.post("/member", 404, meaning={404: "There is no member with this id."})
async def member_detail(
    data: JSONBody[i.MemberId],
    staff_id: NamedDependency[int],
    back_office: NamedDependency[BackOfficeMembers],
    books: NamedDependency[Books],
) -> c.MemberFile:
    """A member's whole file, with what the member was told lately."""
    detail = await read(back_office.detail, staff_id, data.id)
    told = await read(
        books.notifications, staff_id, NotificationQuery(member_id=data.id), Page(20, 0)
    )
    return p.member_detail(detail, told.items)


@MEMBERS.put(
    "/member",
    404,
    409,
    422,
    meaning={
        400: "Invalid input, named in `errors`. Past the schema: names are letters (any "
        "alphabet), an apostrophe, hyphens and spaces; `phone` must be a real number of "
        "its country's numbering plan; `inn` and `iban` must pass their check digits; "
        "`birth_date` must be a calendar date.",
        404: "There is no member with this id.",
        409: "Another member has this phone or certificate number; or the decision does "
        "not fit the member now: approving a member not awaiting review, blocking a "
        "blocked member or unblocking an unblocked one, accepting or refusing documents "
        "or accepting a program change nobody asked for, or `is_submitted: false` for an "
        "approved profile (block the member instead). Nothing was saved; reload the "
        "member.",
        422: "Approving needs a certificate number: set `certificate` (from `GET "
        "/member/generate_certificate`) in the same save.",
    },
)
async def member_edit(
    data: JSONBody[i.MemberEdit],
    staff_id: NamedDependency[int],
    back_office: NamedDependency[BackOfficeMembers],
) -> c.MemberSaved:
    """Correct a member's data and decide: approve, block, unblock, accept a program
    change, accept or refuse new documents."""
    now = await read(back_office.detail, staff_id, data.id)
    edited = await run(
        back_office.apply,
        staff_id,
        data.id,
        data=member_data(data),
        decisions=decisions(data, now.member),
        refusal_reason=data.refuse_documents or "",
    )
    return c.MemberSaved(status="success", data=p.member(edited))


def member_data(form: i.MemberEdit) -> MemberData:
    return MemberData(
        first_name=form.first_name,
        middle_name=form.middle_name,
        last_name=form.last_name,
        birth_date=parse_date(form.birth_date, "birth_date"),
        passport_data=form.passport_data,
        inn=TaxNumber.parse(form.inn) if form.inn else None,
        email=Email.parse(form.email) if form.email is not None else None,
        iban=Iban.parse(form.iban) if form.iban is not None else None,
        phone=Phone.parse(form.phone) if form.phone is not None else None,
        certificate=form.certificate,
    )


def decisions(form: i.MemberEdit, member: MemberView) -> list[Decision]:
    """What the form's flags ask for, against what the member is now."""
    found = []
    if form.approve_program_change:
        found.append(Decision.ACCEPT_PROGRAM_CHANGE)
    if form.approve_documents:
        found.append(Decision.ACCEPT_DOCUMENTS)
    if form.refuse_documents is not None:
        found.append(Decision.REFUSE_DOCUMENTS)
    if form.is_submitted and not member.is_submitted:
        found.append(Decision.APPROVE)
    elif form.is_submitted is False and member.status is MemberStatus.APPROVED:
        raise Conflict("An approved profile cannot be taken back; block the member.")
    blocked = member.status is MemberStatus.BLOCKED
    if form.is_active is False and not blocked:
        found.append(Decision.BLOCK)
    elif form.is_active is True and blocked:
        found.append(Decision.UNBLOCK)
    return found
