"""The staff back office API: the routes the fund's admin site calls, thin over
the use cases, with the same auth, error and schema machinery as the mobile app."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time
from decimal import Decimal
from typing import Annotated, Any, Literal

from litestar import Litestar, MediaType, Request, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import (
    FromPath,
    FromQuery,
    JSONBody,
    MultipartBody,
    PathParameter,
    QueryParameter,
)
from litestar.response import Stream

from kasa.application.members import BackOfficeMembers
from kasa.application.payments import StaffPayments
from kasa.application.ports import TokenAudience
from kasa.application.programs import ProgramAdmin
from kasa.application.reads import AuditQuery, MemberQuery, Page, PaymentQuery, RequestQuery
from kasa.application.reports import Books
from kasa.application.requests import StaffRequests, parse_statuses
from kasa.application.search import words_of
from kasa.application.staff import StaffAccounts
from kasa.domain.audit import ActorKind, EventType, ObjectKind
from kasa.domain.errors import InvalidInput
from kasa.domain.members import MemberStatus
from kasa.domain.money import Money
from kasa.domain.payments import PaymentType
from kasa.entrypoints.container import Kasa
from kasa.entrypoints.http import admin_schemas as a
from kasa.entrypoints.http.auth import SIGNED_IN
from kasa.entrypoints.http.common import (
    build_app,
    client_address,
    errors,
    file_response,
    read_upload,
)
from kasa.entrypoints.http.schemas import MAX_ID, money, parse_date
from kasa.entrypoints.http.threads import read, run
from kasa.entrypoints.settings import Settings

StaffId = NamedDependency[int]
MAX_PAGE = 500


def page(limit: int, offset: int) -> Page:
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput.field("limit", f"must be between 1 and {MAX_PAGE}")
    if offset < 0:
        raise InvalidInput.field("offset", "cannot be negative")
    return Page(limit, offset)


def _enum(kind: Any, value: str | None, field: str) -> Any:
    if value is None:
        return None
    try:
        return kind(value)
    except ValueError:
        raise InvalidInput.field(
            field, f"must be among {', '.join(k.value for k in kind)}"
        ) from None


def payment_query(f: a.PaymentFilter) -> PaymentQuery:
    return PaymentQuery(
        types=frozenset(_enum(PaymentType, t, "type") for t in f.type or []),
        date_start=parse_date(f.date_start, "date_start"),
        date_end=parse_date(f.date_end, "date_end"),
        amount_start=a.money_or_none(f.amount_start, "amount_start"),
        amount_end=a.money_or_none(f.amount_end, "amount_end"),
        certificate=f.certificate or None,
    )


def request_query(f: a.RequestFilter) -> RequestQuery:
    return RequestQuery(
        words=words_of(f.query),
        statuses=frozenset(parse_statuses(f.status)),
        date_start=parse_date(f.date_start, "date_start"),
        date_end=parse_date(f.date_end, "date_end"),
    )


# -- public ------------------------------------------------------------------------------
@post("/signin", status_code=200, tags=["staff"], responses=errors(400, 401, 403, 429))
async def sign_in(
    data: JSONBody[a.SignIn],
    request: Request[Any, Any, Any],
    staff_accounts: NamedDependency[StaffAccounts],
) -> a.SignInOut:
    """Login and password; one message for a wrong login or a wrong password."""
    address = client_address(request)
    session = await run(staff_accounts.sign_in, data.login, data.password, address)
    return a.SignInOut(access_token=session.access_token, user=a.signed_in_user(session.user))


@get(
    "/program/{filename:str}",
    tags=["programs"],
    media_type=MediaType.TEXT,
    responses=errors(404, 502),
)
async def program_terms(filename: FromPath[str], programs: NamedDependency[ProgramAdmin]) -> Stream:
    """A program's terms file (public)."""
    found = await read(programs.terms_file, filename)
    return file_response(found)


# -- staff accounts ----------------------------------------------------------------------
STAFF_ERRORS = errors(400, 401, 403, 404, 409, 422)


@get(
    ["/user", "/user/{user_id:int}"],
    tags=["staff"],
    security=SIGNED_IN,
    responses=errors(400, 401, 403, 404),
)
async def users(
    staff_id: StaffId,
    staff_accounts: NamedDependency[StaffAccounts],
    user_id: Annotated[int | None, PathParameter(ge=1, le=MAX_ID)] = None,
) -> a.StaffList:
    """Staff accounts (admin only)."""
    if user_id is None:
        found = await read(staff_accounts.list, staff_id)
        return a.StaffList(data=[a.staff_user(u) for u in found])
    return a.StaffList(data=[a.staff_user(await read(staff_accounts.get, staff_id, user_id))])


@put("/user", tags=["staff"], security=SIGNED_IN, responses=errors(400, 401, 403, 409, 422))
async def user_create(
    data: JSONBody[a.NewStaff], staff_id: StaffId, staff_accounts: NamedDependency[StaffAccounts]
) -> a.StaffCreated:
    """Create a staff account; its generated password is returned once."""
    created = await run(
        staff_accounts.create,
        staff_id,
        login=data.login,
        role=data.role,
        name=data.name,
        email=data.email,
        phone=data.phone,
        is_active=data.is_active,
    )
    return a.StaffCreated(
        data=a.staff_user(created.user), initial_password=created.initial_password
    )


@post(
    "/user",
    status_code=200,
    tags=["staff"],
    security=SIGNED_IN,
    responses=errors(400, 401, 403, 404, 409),
)
async def user_update(
    data: JSONBody[a.StaffChanges],
    staff_id: StaffId,
    staff_accounts: NamedDependency[StaffAccounts],
) -> a.StaffOne:
    """Change a staff account (admin only)."""
    user = await run(
        staff_accounts.update,
        staff_id,
        data.id,
        login=data.login,
        name=data.name,
        email=data.email,
        phone=data.phone,
        role=data.role,
        is_active=data.is_active,
    )
    return a.StaffOne(data=a.staff_user(user))


@delete(
    "/user/{user_id:int}",
    status_code=200,
    tags=["staff"],
    security=SIGNED_IN,
    responses=errors(400, 401, 403, 404, 409),
)
async def user_deactivate(
    user_id: Annotated[int, PathParameter(ge=1, le=MAX_ID)],
    staff_id: StaffId,
    staff_accounts: NamedDependency[StaffAccounts],
) -> a.StaffOne:
    """Deactivate an account (kept for the audit trail); not one's own."""
    return a.StaffOne(data=a.staff_user(await run(staff_accounts.deactivate, staff_id, user_id)))


@post(
    "/user/change_password",
    status_code=200,
    tags=["staff"],
    security=SIGNED_IN,
    responses=errors(400, 401, 403, 404),
)
async def change_password(
    data: JSONBody[a.PasswordChange],
    staff_id: StaffId,
    staff_accounts: NamedDependency[StaffAccounts],
) -> a.PasswordChanged:
    """Own password with the old one; an admin may set anyone's. Every token the user
    had ends; changing one's own password answers with a new token."""
    token = await run(
        staff_accounts.change_password,
        staff_id,
        new_password=data.new_password,
        user_id=data.id,
        old_password=data.old_password,
    )
    return a.PasswordChanged(status="success", message="Password changed", access_token=token)


# -- members -------------------------------------------------------------------------------
@post(
    "/files",
    status_code=200,
    tags=["members"],
    media_type=MediaType.TEXT,
    security=SIGNED_IN,
    responses=errors(400, 401, 403, 404, 502),
)
async def member_file(
    data: JSONBody[a.FileQuery], staff_id: StaffId, back_office: NamedDependency[BackOfficeMembers]
) -> Stream:
    """A member's file."""
    found = await read(back_office.member_file, staff_id, data.user_id, data.filename)
    return file_response(found)


@post("/members", status_code=200, tags=["members"], security=SIGNED_IN, responses=STAFF_ERRORS)
async def members(
    data: JSONBody[a.MemberSearch],
    staff_id: StaffId,
    back_office: NamedDependency[BackOfficeMembers],
) -> a.MemberList:
    """The review queue (empty query), or members matching every word in chosen fields."""
    chosen = [
        name for name in a.SearchFields.__struct_fields__ if getattr(data.filter.fields, name)
    ]
    found = await read(
        back_office.search, staff_id, data.filter.query, chosen, page(data.limit, data.offset)
    )
    return a.MemberList(data=[a.member(m) for m in found])


@get(
    "/member/generate_certificate", tags=["members"], security=SIGNED_IN, responses=errors(401, 403)
)
async def generate_certificate(
    staff_id: StaffId, back_office: NamedDependency[BackOfficeMembers]
) -> a.CertificateOut:
    """A new certificate number, never handed out before."""
    return a.CertificateOut(data=await run(back_office.generate_certificate, staff_id))


@post("/member", status_code=200, tags=["members"], security=SIGNED_IN, responses=STAFF_ERRORS)
async def member_detail(
    data: JSONBody[a.MemberId], staff_id: StaffId, back_office: NamedDependency[BackOfficeMembers]
) -> a.MemberFile:
    """A member's whole file."""
    return a.member_detail(await read(back_office.detail, staff_id, data.id))


@put("/member", tags=["members"], security=SIGNED_IN, responses=STAFF_ERRORS)
async def member_edit(
    data: JSONBody[a.MemberEdit], staff_id: StaffId, back_office: NamedDependency[BackOfficeMembers]
) -> a.MemberSaved:
    """Edit a member and decide: approve, block, unblock, accept changes."""
    edited = await run(
        back_office.edit,
        staff_id,
        data.id,
        first_name=data.first_name,
        middle_name=data.middle_name,
        last_name=data.last_name,
        email=data.email,
        iban=data.iban,
        birth_date=parse_date(data.birth_date, "birth_date"),
        certificate=data.certificate,
        passport_data=data.passport_data,
        inn=data.inn,
        phone=data.phone,
        is_active=data.is_active,
        is_submitted=data.is_submitted,
        approve_program_change=data.approve_program_change,
        approve_documents=data.approve_documents,
    )
    return a.MemberSaved(status="success", data=a.member(edited))


# -- programs ------------------------------------------------------------------------------
@get("/programs", tags=["programs"], security=SIGNED_IN, responses=errors(401, 403))
async def programs_list(
    staff_id: StaffId, programs: NamedDependency[ProgramAdmin]
) -> a.ProgramList:
    """The active programs."""
    found = await read(programs.list, staff_id)
    return a.ProgramList(status="success", data=[a.program(p) for p in found])


@post("/program", status_code=200, tags=["programs"], security=SIGNED_IN, responses=STAFF_ERRORS)
async def program_get(
    data: JSONBody[a.MemberId], staff_id: StaffId, programs: NamedDependency[ProgramAdmin]
) -> a.ProgramOne:
    """One program."""
    return a.ProgramOne(
        status="success", data=a.program(await read(programs.get, staff_id, data.id))
    )


@put(
    "/program",
    tags=["programs"],
    security=SIGNED_IN,
    responses=errors(400, 401, 403, 404, 413, 502),
    opt={"files": 1},
)
async def program_save(
    data: MultipartBody[a.ProgramForm], staff_id: StaffId, programs: NamedDependency[ProgramAdmin]
) -> a.ProgramOne:
    """Create (no id) or update a program, with its terms file."""
    terms = (
        read_upload("new_program_file", data.new_program_file) if data.new_program_file else None
    )
    saved = await run(
        programs.save,
        staff_id,
        program_id=data.id,
        name=data.program_name,
        month_price=a.money_or_none(data.month_price, "month_price"),
        program_file=data.program_file,
        terms=terms,
        is_active=data.is_active,
    )
    return a.ProgramOne(status="success", data=a.program(saved))


# -- payments ------------------------------------------------------------------------------
@put("/payment", tags=["payments"], security=SIGNED_IN, responses=STAFF_ERRORS)
async def payment_record(
    data: JSONBody[a.ManualPayment],
    staff_id: StaffId,
    staff_payments: NamedDependency[StaffPayments],
) -> a.PaymentSaved:
    """Record money that arrived outside the gateway, or a payout of a request."""
    day = parse_date(data.date, "date")
    if day is None:
        raise InvalidInput.field("date", "is required")
    recorded = await run(
        staff_payments.record,
        staff_id,
        member_id=data.member,
        payment_type=data.type,
        amount=Money.positive(data.amount),
        paid_on=day,
        request_id=data.request,
    )
    return a.PaymentSaved(status="success", data=a.payment(recorded))


@post("/payments", status_code=200, tags=["payments"], security=SIGNED_IN, responses=STAFF_ERRORS)
async def payments(
    data: JSONBody[a.PaymentFilter],
    staff_id: StaffId,
    staff_payments: NamedDependency[StaffPayments],
) -> a.PaymentPage:
    """The payments registry: every given filter holds, newest first, with the total."""
    listing = await read(
        staff_payments.list, staff_id, payment_query(data), page(data.limit, data.offset)
    )
    return a.PaymentPage(
        status="success", data=[a.payment_row(r) for r in listing.items], total=listing.total
    )


@post(
    "/payout/approve",
    status_code=200,
    tags=["payments"],
    security=SIGNED_IN,
    responses=STAFF_ERRORS,
)
async def payout_approve(
    data: JSONBody[a.PayoutApproval],
    staff_id: StaffId,
    staff_payments: NamedDependency[StaffPayments],
) -> a.PaymentSaved:
    """A second staff user approves a pending four-eyes payout."""
    approved = await run(staff_payments.approve_payout, staff_id, data.payment_id)
    return a.PaymentSaved(status="success", data=a.payment(approved))


# -- requests ------------------------------------------------------------------------------
@post("/requests", status_code=200, tags=["requests"], security=SIGNED_IN, responses=STAFF_ERRORS)
async def requests_list(
    data: JSONBody[a.RequestFilter],
    staff_id: StaffId,
    staff_requests: NamedDependency[StaffRequests],
) -> a.RequestPage:
    """Requests with member name and certificate, newest first, with the total."""
    listing = await read(
        staff_requests.list, staff_id, request_query(data), page(data.limit, data.offset)
    )
    return a.RequestPage(data=[a.request_listed(v) for v in listing.items], total=listing.total)


@put("/request", tags=["requests"], security=SIGNED_IN, responses=STAFF_ERRORS)
async def request_update(
    data: JSONBody[a.RequestChanges],
    staff_id: StaffId,
    staff_requests: NamedDependency[StaffRequests],
) -> a.RequestSaved:
    """Assess a request and move it through its status machine."""
    view = await run(
        staff_requests.update,
        staff_id,
        data.id,
        request_text=data.request_text,
        diagnosis=data.diagnos,
        approved_amount=a.money_or_none(data.suma, "suma"),
        status=data.status,
        resolution=data.resolution,
        reason=data.reason,
    )
    return a.RequestSaved(status="success", data=a.request_full(view))


@post(
    "/request/message",
    status_code=200,
    tags=["requests"],
    security=SIGNED_IN,
    responses=STAFF_ERRORS,
)
async def request_message(
    data: JSONBody[a.StaffMessage],
    staff_id: StaffId,
    staff_requests: NamedDependency[StaffRequests],
) -> a.Done:
    """Write to the member; the request then waits for them."""
    await run(staff_requests.write, staff_id, data.request_id, data.message)
    return a.Done(status="success", message="Message sent")


@post("/request", status_code=200, tags=["requests"], security=SIGNED_IN, responses=STAFF_ERRORS)
async def request_read(
    data: JSONBody[a.RequestRead], staff_id: StaffId, staff_requests: NamedDependency[StaffRequests]
) -> a.RequestOpened:
    """A request with files, messages, payouts and the payout types."""
    view = await read(staff_requests.get, staff_id, data.request, data.member)
    return a.RequestOpened(data=a.request_with_payout_types(view))


# -- books ----------------------------------------------------------------------------------
@post("/audit", status_code=200, tags=["books"], security=SIGNED_IN, responses=STAFF_ERRORS)
async def audit(
    data: JSONBody[a.AuditFilter], staff_id: StaffId, books: NamedDependency[Books]
) -> a.AuditPage:
    """The audit trail, filtered by object, actor, event type and dates."""
    start, end = parse_date(data.date_start, "date_start"), parse_date(data.date_end, "date_end")
    query = AuditQuery(
        object_kind=_enum(ObjectKind, data.object_kind, "object_kind"),
        object_id=data.object_id,
        actor_kind=_enum(ActorKind, data.actor_kind, "actor_kind"),
        actor_id=data.actor_id,
        event_types=frozenset(_enum(EventType, t, "event_type") for t in data.event_type or []),
        since=datetime.combine(start, time.min, tzinfo=UTC) if start else None,
        until=datetime.combine(end, time.max, tzinfo=UTC) if end else None,
    )
    listing = await read(books.audit_trail, staff_id, query, page(data.limit, data.offset))
    return a.AuditPage(data=[a.audit_event(e) for e in listing.items], total=listing.total)


@get(
    "/export/{kind:str}",
    tags=["books"],
    security=SIGNED_IN,
    media_type="text/csv",
    responses=errors(400, 401, 403),
)
async def export(
    kind: FromPath[Literal["payments.csv", "requests.csv", "members.csv"]],
    staff_id: StaffId,
    books: NamedDependency[Books],
    type: FromQuery[list[str] | None] = None,
    status: FromQuery[list[str] | None] = None,
    words: Annotated[str | None, QueryParameter(name="query")] = None,
    date_start: FromQuery[str | None] = None,
    date_end: FromQuery[str | None] = None,
    amount_start: FromQuery[Decimal | None] = None,
    amount_end: FromQuery[Decimal | None] = None,
    certificate: FromQuery[str | None] = None,
) -> Stream:
    """CSV for the accountant (UTF-8 with a byte order mark, a header row), with the
    filters of the list routes: payments by ``type``, dates, amounts and ``certificate``;
    requests by ``query``, dates and ``status`` (all statuses when none is given);
    members by ``query`` (every word in any field) and ``status``."""
    if kind == "payments.csv":
        filters = a.PaymentFilter(
            type=type,
            date_start=date_start,
            date_end=date_end,
            amount_start=amount_start,
            amount_end=amount_end,
            certificate=certificate,
        )
        lines = await run(books.export_payments, staff_id, payment_query(filters))
    elif kind == "requests.csv":
        wanted = a.RequestFilter(
            query=words, date_start=date_start, date_end=date_end, status=status or []
        )
        lines = await run(books.export_requests, staff_id, request_query(wanted))
    else:
        member_query = MemberQuery(
            words=words_of(words),
            statuses=frozenset(_enum(MemberStatus, s, "status") for s in status or []),
        )
        lines = await run(books.export_members, staff_id, member_query)
    return Stream(
        lines,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{kind}"'},
    )


@get("/reports/fund", tags=["books"], security=SIGNED_IN, responses=errors(400, 401, 403))
async def fund_report(
    staff_id: StaffId,
    books: NamedDependency[Books],
    date_from: FromQuery[str | None] = None,
    date_to: FromQuery[str | None] = None,
) -> a.FundReportOut:
    """Money in and out by month and program, and members by status."""
    report = await run(
        books.fund_report,
        staff_id,
        parse_date(date_from, "date_from"),
        parse_date(date_to, "date_to"),
    )
    return a.FundReportOut(
        from_=a.iso(report.first),
        to=a.iso(report.last),
        money_in=money(report.money_in),
        money_out=money(report.money_out),
        months=[
            a.MonthLineOut(
                month=line.month,
                program=line.program,
                money_in=money(line.money_in),
                money_out=money(line.money_out),
            )
            for line in report.lines
        ],
        members_by_status=report.members_by_status,
    )


STAFF_ROUTES = [
    users,
    user_create,
    user_update,
    user_deactivate,
    change_password,
    member_file,
    members,
    generate_certificate,
    member_detail,
    member_edit,
    programs_list,
    program_get,
    program_save,
    payment_record,
    payments,
    payout_approve,
    requests_list,
    request_update,
    request_message,
    request_read,
    audit,
    export,
    fund_report,
]
SERVICES = (
    "staff_accounts",
    "back_office",
    "programs",
    "staff_payments",
    "staff_requests",
    "books",
)


def create_admin_app(kasa: Kasa) -> Litestar:
    """The admin API on a container (real adapters, or fakes in tests)."""
    settings: Settings = kasa.settings()
    return build_app(
        kasa,
        public=[sign_in, program_terms],
        protected=STAFF_ROUTES,
        audience=TokenAudience.STAFF,
        subject_name="staff_id",
        token_check=kasa.services.staff_accounts().authenticate,
        services=SERVICES,
        extra={},
        title="Kasa admin API",
        description="The fund's back office: staff accounts, the review of members and "
        "documents, programs, payments and payouts, requests, the books and the audit trail.",
        hsts=settings.hsts,
        cors_origins=settings.admin_cors_origins,
    )


def app_factory() -> Litestar:
    """For ASGI servers: the admin app on the environment's settings, with Kasa's logs."""
    from kasa.entrypoints.container import build_container
    from kasa.entrypoints.logs import configure

    container = build_container()
    settings = container.settings()
    configure(json_lines=settings.json_logs)
    for line in settings.warnings():
        logging.getLogger("kasa.settings").warning(line)
    return create_admin_app(container)
