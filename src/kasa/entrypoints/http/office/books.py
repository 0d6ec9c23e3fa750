"""Programs, notifications and the audit trail in the office: the programs members
choose from (list, create, change name, price and whether they are offered, upload
terms), what members were told (a failed notification sent again), and the trail of
who did what, with filters, paged."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, PathParameter, QueryParameter
from litestar.response import Redirect

from kasa.application.books import Books
from kasa.application.notifying import Notifier
from kasa.application.programs import ProgramAdmin
from kasa.application.reads import AuditQuery, Page
from kasa.application.views import NotificationQuery
from kasa.domain.audit import EventType, ObjectKind
from kasa.domain.errors import InvalidInput
from kasa.domain.money import Money
from kasa.domain.notifications import DeliveryState
from kasa.entrypoints.http.common import read_upload
from kasa.entrypoints.http.dependencies import given_straight
from kasa.entrypoints.http.fields import MAX_ID
from kasa.entrypoints.http.office.base import (
    PATH,
    Form,
    PageNumber,
    field_errors,
    member_number,
    page,
    require_form_token,
    signed_in,
)
from kasa.entrypoints.http.threads import read, run
from kasa.entrypoints.paths import PROGRAM_TERMS

PER_PAGE = 50
DONE = {
    "created": "Програму створено.",
    "changed": "Програму змінено.",
    "terms": "Умови програми завантажено.",
    "retry": "Сповіщення надішлеться знову.",
}


@get(f"{PATH}/programs", include_in_schema=False)
@given_straight
async def programs(
    request: Request[Any, Any, Any], programs: NamedDependency[ProgramAdmin]
) -> Response[str]:
    return await _programs_page(request, programs)


async def _programs_page(
    request: Request[Any, Any, Any],
    programs: ProgramAdmin,
    *,
    failed: str = "",
    values: dict[str, str] | None = None,
    error: InvalidInput | None = None,
) -> Response[str]:
    """Every program, offered or not; after a form was refused, that form again (the new
    program's, or one program's) with what was typed and its errors."""
    user = signed_in(request)
    found = await read(programs.list, user.staff_id, active_only=False)
    return page(
        request,
        "programs.html",
        "Програми",
        status=400 if error else 200,
        section="programs",
        programs=found,
        done=DONE.get(request.query_params.get("done", ""), ""),
        failed=failed,
        values=values or {},
        errors=field_errors(error) if error else {},
        terms_path=PROGRAM_TERMS,
    )


def _price(data: dict[str, str]) -> Money:
    return Money.positive(data.get("price", ""), "price")


@post(f"{PATH}/programs", include_in_schema=False, status_code=303)
@given_straight
async def create_program(
    request: Request[Any, Any, Any], programs: NamedDependency[ProgramAdmin], data: Form
) -> Response[Any]:
    user = require_form_token(request, data)
    values = {"name": data.get("name", "").strip(), "price": data.get("price", "").strip()}
    try:
        if not values["name"]:
            raise InvalidInput.field("name", "is required")
        await run(programs.create, user.staff_id, values["name"], _price(values))
    except InvalidInput as error:
        return await _programs_page(request, programs, failed="new", values=values, error=error)
    return Redirect(f"{PATH}/programs?done=created", status_code=303)


@post(f"{PATH}/programs/{{program_id:int}}", include_in_schema=False, status_code=303)
@given_straight
async def change_program(
    request: Request[Any, Any, Any],
    programs: NamedDependency[ProgramAdmin],
    program_id: Annotated[int, PathParameter(ge=1, le=MAX_ID)],
    data: Form,
) -> Response[Any]:
    user = require_form_token(request, data)
    values = {
        "name": data.get("name", "").strip(),
        "price": data.get("price", "").strip(),
        "offered": data.get("offered", ""),
    }
    try:
        await run(
            programs.update,
            user.staff_id,
            program_id,
            name=values["name"] or None,
            month_price=_price(values),
            is_active=values["offered"] == "1",
        )
    except InvalidInput as error:
        return await _programs_page(
            request, programs, failed=str(program_id), values=values, error=error
        )
    return Redirect(f"{PATH}/programs?done=changed", status_code=303)


@post(
    f"{PATH}/programs/{{program_id:int}}/terms",
    include_in_schema=False,
    status_code=303,
    opt={"files": 1},
)
@given_straight
async def program_terms(
    request: Request[Any, Any, Any],
    programs: NamedDependency[ProgramAdmin],
    program_id: Annotated[int, PathParameter(ge=1, le=MAX_ID)],
    data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)],
) -> Response[Any]:
    """A new terms file for a program (PDF, an image or text): stored as the admin API
    stores it, public once saved."""
    user = require_form_token(request, data)
    terms = data.get("terms")
    try:
        if not isinstance(terms, UploadFile) or not terms.filename:
            raise InvalidInput.field("terms", "choose a file")
        await run(programs.update, user.staff_id, program_id, terms=read_upload("terms", terms))
    except InvalidInput as error:
        return await _programs_page(request, programs, failed=f"terms-{program_id}", error=error)
    return Redirect(f"{PATH}/programs?done=terms", status_code=303)


@get(f"{PATH}/notifications", include_in_schema=False)
@given_straight
async def notifications(
    request: Request[Any, Any, Any],
    books: NamedDependency[Books],
    delivery: Annotated[str, QueryParameter(name="state", max_length=16)] = "",
    member: Annotated[str, QueryParameter(max_length=12)] = "",
    number: PageNumber = 1,
) -> Response[str]:
    """What members were told, newest first, by delivery state (and member); a failed
    one is sent again from here."""
    user = signed_in(request)
    if delivery and delivery not in set(DeliveryState):
        raise InvalidInput.field("state", "choose pending, sent or failed")
    query = NotificationQuery(
        member_id=member_number(member),
        state=DeliveryState(delivery) if delivery else None,
    )
    found = await read(
        books.notifications, user.staff_id, query, Page(PER_PAGE, (number - 1) * PER_PAGE)
    )
    return page(
        request,
        "notifications.html",
        "Сповіщення",
        section="",
        notifications=found.items,
        total=found.total,
        states=list(DeliveryState),
        chosen=delivery,
        member=member.strip(),
        number=number,
        more=number * PER_PAGE < found.total,
        done=DONE.get(request.query_params.get("done", ""), ""),
    )


@post(
    f"{PATH}/notifications/{{notification_id:int}}/retry",
    include_in_schema=False,
    status_code=303,
)
@given_straight
async def retry(
    request: Request[Any, Any, Any],
    notifier: NamedDependency[Notifier],
    notification_id: Annotated[int, PathParameter(ge=1, le=MAX_ID)],
    data: Form,
) -> Response[Any]:
    """A failed notification sent again (the notification worker delivers it)."""
    user = require_form_token(request, data)
    await run(notifier.retry, user.staff_id, notification_id)
    return Redirect(f"{PATH}/notifications?state=failed&done=retry", status_code=303)


@get(f"{PATH}/audit", include_in_schema=False)
@given_straight
async def audit(
    request: Request[Any, Any, Any],
    books: NamedDependency[Books],
    kind: Annotated[str, QueryParameter(max_length=32)] = "",
    object_id: Annotated[str, QueryParameter(name="id", max_length=64)] = "",
    event: Annotated[str, QueryParameter(max_length=40)] = "",
    number: PageNumber = 1,
) -> Response[str]:
    """Who did what, newest first; by what it was done to and by the kind of event."""
    user = signed_in(request)
    if kind and kind not in set(ObjectKind):
        raise InvalidInput.field("kind", "is not a kind of object")
    if event and event not in set(EventType):
        raise InvalidInput.field("event", "is not a kind of event")
    query = AuditQuery(
        object_kind=ObjectKind(kind) if kind else None,
        object_id=object_id.strip() or None,
        event_types=frozenset({EventType(event)}) if event else frozenset(),
    )
    found = await read(
        books.audit_trail, user.staff_id, query, Page(PER_PAGE, (number - 1) * PER_PAGE)
    )
    return page(
        request,
        "audit.html",
        "Журнал дій",
        section="audit",
        events=found.items,
        total=found.total,
        kinds=list(ObjectKind),
        types=list(EventType),
        chosen={"kind": kind, "id": object_id, "event": event},
        number=number,
        more=number * PER_PAGE < found.total,
    )


HANDLERS = [
    programs,
    create_program,
    change_program,
    program_terms,
    notifications,
    retry,
    audit,
]
