"""The members' mobile API: the routes the fund's app calls, thin over the use cases.

Each handler decodes its input (msgspec), calls one use case and shapes the answer."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Annotated, Any

from litestar import Litestar, MediaType, Request, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import (
    FromPath,
    HeaderParameter,
    JSONBody,
    MultipartBody,
    PathParameter,
    URLEncodedBody,
)
from litestar.response import Stream

from kasa.application.identity import DiiaSharing
from kasa.application.members import MemberFiles
from kasa.application.payments import GatewayPayments, MemberPayments
from kasa.application.ports import TokenAudience
from kasa.application.profiles import Profiles
from kasa.application.requests import MemberRequests
from kasa.application.signin import MemberSignIn
from kasa.application.views import (
    FileView,
    PaymentView,
    ProfileView,
    ProgramView,
    RequestDetail,
    RequestView,
)
from kasa.domain.money import Money
from kasa.entrypoints.container import Kasa
from kasa.entrypoints.http import schemas as s
from kasa.entrypoints.http.auth import SIGNED_IN
from kasa.entrypoints.http.common import (
    all_uploads,
    build_app,
    client_address,
    errors,
    file_response,
    read_upload,
)
from kasa.entrypoints.http.schemas import MAX_ID
from kasa.entrypoints.http.threads import read, run
from kasa.entrypoints.settings import Settings

MULTIPART = RequestEncodingType.MULTI_PART
URL_ENCODED = RequestEncodingType.URL_ENCODED


class Shapes:
    """Turns the reads' views into the route plan's shapes."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def file_url(self, member_id: int | None, stored_name: str) -> str:
        return f"{self.settings.public_url}/files/{member_id}/{stored_name}"

    def program(self, program: ProgramView) -> s.ProgramOut:
        terms = program.terms_file
        return s.ProgramOut(
            program_id=program.id,
            program_name=program.name,
            program_file=f"{self.settings.admin_public_url}/program/{terms}" if terms else "",
            month_price=s.money(program.month_price),
        )

    def profile(self, view: ProfileView) -> s.ProfileOut:
        m = view.member
        return s.ProfileOut(
            id=m.id,
            phone=m.phone,
            first_name=m.first_name,
            middle_name=m.middle_name,
            last_name=m.last_name,
            email=m.email,
            birth_date=s.dmy(m.birth_date),
            passport_data=m.passport_data,
            inn=m.inn,
            iban=m.iban,
            photo=self.file_url(m.id, view.photo) if view.photo else "",
            certificate=m.certificate,
            expiration_date=s.dmy(m.membership.paid_until),
            is_active=m.is_active,
            is_submitted=m.is_submitted,
            status=m.status.value,
            membership=view.membership,
            credit=s.money(m.membership.credit),
            program=self.program(view.program) if view.program else None,
        )

    @staticmethod
    def charge(payment: PaymentView, diagnosis: str) -> s.Charge:
        return s.Charge(
            date=s.dmy(payment.paid_at),
            sum=s.money(payment.amount),
            diagnosis=diagnosis,
            request_id=payment.request_id,
            type=payment.payment_type.value,
        )

    def files(self, files: Sequence[FileView]) -> list[s.FileOut]:
        return [
            s.FileOut(f.id, f.original_name, self.file_url(f.member_id, f.stored_name))
            for f in files
        ]

    def summary(self, r: RequestView) -> s.RequestSummary:
        return s.RequestSummary(
            id=r.id,
            status=r.status.value,
            comment=r.request_text,
            date=s.dmy(r.created_at),
            date_modified=s.dmy(r.updated_at),
            sum=s.amount(r.approved_amount),
            diagnos=r.diagnosis,
            files=self.files(r.files),
        )

    def detail(self, view: RequestDetail) -> s.RequestDetail:
        r = view.request
        return s.RequestDetail(
            id=r.id,
            status=r.status.value,
            comment=r.request_text,
            date=s.dmy(r.created_at),
            date_modified=s.dmy(r.updated_at),
            sum=s.amount(r.approved_amount),
            diagnos=r.diagnosis,
            files=self.files(r.files),
            messages=[
                s.MessageOut(m.id, m.message, m.author, m.author_name, m.created_at.isoformat())
                for m in view.messages
            ],
            charges=[self.charge(p, r.diagnosis) for p in view.charges],
        )


# -- public routes ---------------------------------------------------------------------
@get("/.well-known/apple-app-site-association", tags=["app"], sync_to_thread=False)
def apple_app_site_association(settings: NamedDependency[Settings]) -> dict[str, Any]:
    """Universal links for the app: Diia sends members back to ``/diia/*``."""
    return {
        "applinks": {
            "details": [{"appIDs": list(settings.apple_app_ids), "components": [{"/": "/diia/*"}]}]
        }
    }


@post(
    "/user/signrequest",
    status_code=200,
    tags=["sign-in"],
    responses=errors(400, 403, 422, 429, 502),
)
async def sign_request(
    data: JSONBody[s.SignRequest],
    request: Request[Any, Any, Any],
    sign_in: NamedDependency[MemberSignIn],
) -> s.Message:
    """Send a sign-in code by SMS (``create`` for the first sign-in)."""
    await run(sign_in.request_code, data.phone, data.create, client_address(request))
    return s.Message("Message was sent.")


@post("/user/signin", status_code=200, tags=["sign-in"], responses=errors(400, 401, 403, 429))
async def sign_in(
    data: JSONBody[s.SignIn],
    request: Request[Any, Any, Any],
    sign_in: NamedDependency[MemberSignIn],
) -> s.AccessToken:
    """Exchange the SMS code for an access token (creates the member on first sign-in).
    Wrong codes from one address, across all phones, are throttled."""
    address = client_address(request)
    return s.AccessToken(await run(sign_in.sign_in, data.phone, data.code, address))


@get("/program/list", tags=["programs"])
async def program_list(
    profiles: NamedDependency[Profiles], shapes: NamedDependency[Shapes]
) -> list[s.ProgramOut]:
    """The programs a member may choose."""
    programs = await read(profiles.list_programs)
    return [shapes.program(p) for p in programs]


@post(
    "/user/payments/liqpay-callback",
    status_code=200,
    tags=["payments"],
    responses=errors(400, 404, 409, 422),
)
async def liqpay_callback(
    data: URLEncodedBody[s.GatewayCallback],
    request: Request[Any, Any, Any],
    gateway_payments: NamedDependency[GatewayPayments],
) -> s.CallbackOut:
    """The gateway's server-to-server callback: signature checked before anything else."""
    result = await run(
        gateway_payments.callback, data.data, data.signature, client_address(request)
    )
    return s.CallbackOut("success", result.payment.status.value, result.change != "none")


@post(
    "/user/profile/diia-callback",
    status_code=200,
    tags=["identity"],
    responses=errors(400, 413, 502),
    opt={"files": "diia"},
)
async def diia_callback(
    data: MultipartBody[s.DiiaCallbackForm],
    request: Request[Any, Any, Any],
    diia: NamedDependency[DiiaSharing],
    trace_id: Annotated[str | None, HeaderParameter(name="X-Document-Request-Trace-Id")] = None,
) -> s.DiiaDone:
    """Diia posts the encrypted documents: ``encodeData`` and one file per document."""
    files = {u.filename or u.field: u.content.read() for u in await all_uploads(request)}
    await run(diia.receive, data.encodeData, files, trace_id, client_address(request))
    return s.DiiaDone(success=True)


# -- member routes ---------------------------------------------------------------------
@get(
    "/files/{uid:int}/{filename:str}",
    tags=["files"],
    media_type=MediaType.TEXT,
    security=SIGNED_IN,
    responses=errors(400, 401, 403, 404, 502),
)
async def member_file(
    uid: Annotated[int, PathParameter(ge=1, le=MAX_ID)],
    filename: FromPath[str],
    member_id: NamedDependency[int],
    member_files: NamedDependency[MemberFiles],
) -> Stream:
    """A member's own file (their id in the path), with its content type."""
    found = await read(member_files.own_file, member_id, uid, filename)
    return file_response(found)


@post(
    "/user/profile/create",
    status_code=200,
    tags=["profile"],
    security=SIGNED_IN,
    responses=errors(400, 401, 403, 409, 413, 422, 502),
    opt={"files": 6},
)
async def profile_create(
    data: MultipartBody[s.ProfileForm],
    member_id: NamedDependency[int],
    profiles: NamedDependency[Profiles],
) -> s.Message:
    """Submit the profile with documents and the program choice."""
    documents = [
        read_upload(field, upload)
        for field in ("inn", "id_1", "id_2", "book_1", "book_2", "book_address")
        if (upload := getattr(data, field)) is not None
    ]
    await run(
        profiles.submit,
        member_id,
        first_name=data.first_name,
        middle_name=data.middle_name,
        last_name=data.last_name,
        email=data.email,
        iban=data.iban,
        program_id=data.program_id,
        documents=documents,
    )
    return s.Message("profile successfully created")


@post(
    "/user/profile/edit",
    status_code=200,
    tags=["profile"],
    security=SIGNED_IN,
    responses=errors(400, 401, 403, 413, 422, 429, 502),
    opt={"files": 1},
)
async def profile_edit(
    data: MultipartBody[s.ProfileEditForm],
    request: Request[Any, Any, Any],
    member_id: NamedDependency[int],
    profiles: NamedDependency[Profiles],
) -> s.ProfileEdited:
    """Change e-mail, phone or photo. A new phone is not taken at once: a code is sent
    to it (``phone_change: code_sent``) and the change waits for
    ``/user/profile/phone/confirm``. When the code cannot be sent, nothing is saved."""
    photo = read_upload("photo", data.photo) if data.photo else None
    code_sent = await run(
        profiles.edit,
        member_id,
        email=data.email,
        phone=data.phone,
        photo=photo,
        address=client_address(request),
    )
    return s.ProfileEdited(
        "Profile successfully updated", phone_change="code_sent" if code_sent else None
    )


@post(
    "/user/profile/phone/confirm",
    status_code=200,
    tags=["profile"],
    security=SIGNED_IN,
    responses=errors(400, 401, 403, 422, 429),
)
async def phone_confirm(
    data: JSONBody[s.PhoneConfirm],
    request: Request[Any, Any, Any],
    member_id: NamedDependency[int],
    profiles: NamedDependency[Profiles],
) -> s.Message:
    """Confirm a new phone with the code sent to it. 401: a wrong, expired or used code
    (attempts count as at sign-in); 422: the phone belongs to another member by now."""
    await run(profiles.confirm_phone, member_id, data.phone, data.code, client_address(request))
    return s.Message("Phone changed")


@post(
    "/user/profile/wrong",
    status_code=200,
    tags=["profile"],
    security=SIGNED_IN,
    responses=errors(400, 401, 403),
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
        birth_date=s.parse_date(data.birth_date, "birth_date"),
    )
    return s.Message("Request successfully sent")


@get("/user/profile/get", tags=["profile"], security=SIGNED_IN, responses=errors(400, 401, 403))
async def profile_get(
    member_id: NamedDependency[int],
    profiles: NamedDependency[Profiles],
    shapes: NamedDependency[Shapes],
) -> s.ProfileOut:
    """The member's profile, once approved."""
    return shapes.profile(await read(profiles.get, member_id))


@post(
    "/program/change",
    status_code=200,
    tags=["programs"],
    security=SIGNED_IN,
    responses=errors(400, 401, 403, 404, 409, 422),
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
            s.money(program.month_price),
            link.is_active,
            link.is_new,
        ),
    )


@post(
    "/user/charges/list",
    status_code=200,
    tags=["payments"],
    security=SIGNED_IN,
    responses=errors(400, 401, 403),
)
async def charges_list(
    member_id: NamedDependency[int],
    member_payments: NamedDependency[MemberPayments],
    data: JSONBody[s.Period | None] = None,
) -> list[s.Charge]:
    """Payouts the fund made to the member, optionally between two dates."""
    period = data or s.Period()
    rows = await read(
        member_payments.charges,
        member_id,
        s.parse_date(period.begin, "begin"),
        s.parse_date(period.end, "end"),
    )
    return [Shapes.charge(r.payment, r.diagnosis) for r in rows]


@get("/user/payments/list", tags=["payments"], security=SIGNED_IN, responses=errors(400, 401, 403))
async def payments_list(
    member_id: NamedDependency[int], member_payments: NamedDependency[MemberPayments]
) -> list[s.TopUpOut]:
    """The member's top-ups and the "paid until" each produced."""
    payments = await read(member_payments.top_ups, member_id)
    return [
        s.TopUpOut(s.dmy(p.paid_at), s.money(p.amount), s.dmy(p.extended_to), p.status.value)
        for p in payments
    ]


@post(
    "/user/request/list",
    status_code=200,
    tags=["requests"],
    security=SIGNED_IN,
    responses=errors(400, 401, 403),
)
async def request_list(
    member_id: NamedDependency[int],
    member_requests: NamedDependency[MemberRequests],
    shapes: NamedDependency[Shapes],
    data: JSONBody[s.StatusFilter | None] = None,
) -> list[s.RequestSummary]:
    """The member's requests, optionally by status."""
    statuses = (data.status if data else None) or []
    views = await read(member_requests.list, member_id, statuses)
    return [shapes.summary(v) for v in views]


@get(
    "/user/request/{request_id:int}",
    tags=["requests"],
    security=SIGNED_IN,
    responses=errors(400, 401, 403, 404),
)
async def request_get(
    request_id: Annotated[int, PathParameter(ge=1, le=MAX_ID)],
    member_id: NamedDependency[int],
    member_requests: NamedDependency[MemberRequests],
    shapes: NamedDependency[Shapes],
) -> s.RequestDetail:
    """One of the member's requests with files, messages and payouts."""
    return shapes.detail(await read(member_requests.get, member_id, request_id))


@post(
    "/user/request/{request_id:int}/message",
    status_code=200,
    tags=["requests"],
    security=SIGNED_IN,
    responses=errors(400, 401, 403, 404, 409),
)
async def request_message(
    request_id: Annotated[int, PathParameter(ge=1, le=MAX_ID)],
    data: JSONBody[s.MessageIn],
    member_id: NamedDependency[int],
    member_requests: NamedDependency[MemberRequests],
) -> s.StatusMessage:
    """Write to the fund about a request (not once it is closed)."""
    await run(member_requests.write, member_id, request_id, data.message)
    return s.StatusMessage("success", "Message sent")


@post(
    "/user/request/create",
    status_code=200,
    tags=["requests"],
    security=SIGNED_IN,
    responses=errors(400, 401, 403, 413, 422, 502),
    opt={"files": "many"},
)
async def request_create(
    data: MultipartBody[s.RequestForm],
    request: Request[Any, Any, Any],
    member_id: NamedDependency[int],
    member_requests: NamedDependency[MemberRequests],
    shapes: NamedDependency[Shapes],
) -> s.RequestDetail:
    """File a request for aid with any number of receipt files."""
    files = await all_uploads(request)
    view = await run(member_requests.create, member_id, data.comment, files)
    return shapes.detail(view)


@post(
    "/user/request/update",
    status_code=200,
    tags=["requests"],
    security=SIGNED_IN,
    responses=errors(400, 401, 403, 404, 409, 413, 502),
    opt={"files": "many"},
)
async def request_update(
    data: MultipartBody[s.RequestFilesForm],
    request: Request[Any, Any, Any],
    member_id: NamedDependency[int],
    member_requests: NamedDependency[MemberRequests],
    shapes: NamedDependency[Shapes],
) -> s.RequestDetail:
    """Add files to a request (not once it is closed)."""
    files = await all_uploads(request)
    view = await run(member_requests.add_files, member_id, data.id, files)
    return shapes.detail(view)


@post(
    "/user/payments/liqpay",
    status_code=200,
    tags=["payments"],
    security=SIGNED_IN,
    responses=errors(400, 401, 403, 422, 502),
)
async def liqpay_checkout(
    data: JSONBody[s.TopUp],
    member_id: NamedDependency[int],
    member_payments: NamedDependency[MemberPayments],
) -> s.CheckoutOut:
    """Start a top-up: a pending payment and the gateway's signed checkout."""
    checkout = await run(member_payments.start_top_up, member_id, Money.positive(data.amount))
    return s.CheckoutOut(checkout.data, checkout.signature, checkout.checkout_url)


@post(
    "/user/payments/liqpay/subscribe",
    status_code=200,
    tags=["payments"],
    security=SIGNED_IN,
    responses=errors(401, 403, 422, 502),
)
async def liqpay_subscribe(
    member_id: NamedDependency[int], member_payments: NamedDependency[MemberPayments]
) -> s.CheckoutOut:
    """A monthly automatic contribution at the current program's price."""
    checkout = await run(member_payments.start_subscription, member_id)
    return s.CheckoutOut(checkout.data, checkout.signature, checkout.checkout_url)


@post(
    "/user/profile/diia",
    status_code=200,
    tags=["identity"],
    security=SIGNED_IN,
    responses=errors(400, 401, 403, 502),
)
async def diia_start(
    member_id: NamedDependency[int], diia: NamedDependency[DiiaSharing]
) -> s.DiiaLinkOut:
    """Start sharing documents from Diia: the deep link to open."""
    link = await run(diia.start, member_id)
    return s.DiiaLinkOut(link.deeplink, link.request_id)


MEMBER_ROUTES = [
    member_file,
    profile_create,
    profile_edit,
    phone_confirm,
    profile_wrong,
    profile_get,
    program_change,
    charges_list,
    payments_list,
    request_list,
    request_get,
    request_message,
    request_create,
    request_update,
    liqpay_checkout,
    liqpay_subscribe,
    diia_start,
]
PUBLIC_ROUTES = [
    apple_app_site_association,
    sign_request,
    sign_in,
    program_list,
    liqpay_callback,
    diia_callback,
]


SERVICES = (
    "sign_in",
    "profiles",
    "member_requests",
    "member_payments",
    "gateway_payments",
    "diia",
    "member_files",
)


def create_mobile_app(kasa: Kasa) -> Litestar:
    """The mobile API on a container (real adapters, or fakes in tests)."""
    settings: Settings = kasa.settings()
    return build_app(
        kasa,
        public=PUBLIC_ROUTES,
        protected=MEMBER_ROUTES,
        audience=TokenAudience.MEMBER,
        subject_name="member_id",
        services=SERVICES,
        extra={"settings": settings, "shapes": Shapes(settings)},
        title="Kasa mobile API",
        description="The members' API of the mutual aid fund: sign-in by SMS code, profile "
        "and documents, programs, contributions through LiqPay, requests for aid.",
        hsts=settings.hsts,
    )


def app_factory() -> Litestar:
    """For ASGI servers: the mobile app on the environment's settings, with Kasa's logs."""
    from kasa.entrypoints.container import build_container
    from kasa.entrypoints.logs import configure

    container = build_container()
    settings = container.settings()
    configure(json_lines=settings.json_logs)
    for line in settings.warnings():
        logging.getLogger("kasa.settings").warning(line)
    return create_mobile_app(container)
