"""Requests in the office: the list with filters, paged; a request's page with its files,
the message thread (a message posts without a full reload), the assessment, payouts
(and a second approval above the four-eyes threshold), closing and reopening. What moves
money or closes a request is asked first: the form leads to a question page that shows
what will be done, and its button does it."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter
from litestar.response import Redirect

from kasa.application.payments import StaffPayments
from kasa.application.reads import Page, RequestQuery
from kasa.application.requests import Assessment, StaffRequests
from kasa.domain.errors import InvalidInput, NotFound
from kasa.domain.money import Money
from kasa.domain.requests import RequestStatus, Resolution
from kasa.domain.search import query_terms
from kasa.entrypoints.http.dependencies import given_straight
from kasa.entrypoints.http.fields import MAX_ID
from kasa.entrypoints.http.office.base import (
    PATH,
    Form,
    PageNumber,
    field_errors,
    page,
    require_form_token,
    signed_in,
)
from kasa.entrypoints.http.threads import read, run
from kasa.entrypoints.parsing import parse_date

PER_PAGE = 50
RequestId = Annotated[int, PathParameter(ge=1, le=MAX_ID)]

# each step asked first: its name and its question (what the values make it say)
STEPS = {
    "assess": ("Оцінити звернення", "Записати діагноз і схвалену суму?"),
    "payout": ("Записати виплату", "Записати виплату за цим зверненням?"),
    "close": ("Закрити звернення", "Закрити звернення з цим рішенням?"),
    "reopen": ("Відкрити знову", "Відкрити звернення знову?"),
}
DONE = {
    "assess": "Оцінку записано.",
    "payout": "Виплату записано.",
    "approve": "Виплату підтверджено.",
    "close": "Звернення закрито.",
    "reopen": "Звернення відкрито знову.",
    "message": "Повідомлення надіслано; учасника сповіщено.",
}
FIELDS = {
    "assess": ("diagnosis", "amount"),
    "payout": ("amount", "date"),
    "close": ("resolution", "reason"),
    "reopen": (),
}


@get(f"{PATH}/requests", include_in_schema=False)
@given_straight
async def requests(
    request: Request[Any, Any, Any],
    staff_requests: NamedDependency[StaffRequests],
    q: Annotated[str, QueryParameter(max_length=200)] = "",
    status: Annotated[str, QueryParameter(max_length=32)] = "",
    number: PageNumber = 1,
) -> Response[str]:
    """Requests, newest first: every word must begin a term of the request or its
    member; a status narrows them."""
    user = signed_in(request)
    statuses = frozenset({RequestStatus(status)}) if status in set(RequestStatus) else frozenset()
    query = RequestQuery(words=tuple(query_terms(q.split())), statuses=statuses)
    found = await read(
        staff_requests.list, user.staff_id, query, Page(PER_PAGE, (number - 1) * PER_PAGE)
    )
    return page(
        request,
        "requests.html",
        "Звернення",
        section="requests",
        requests=found.items,
        total=found.total,
        query=q,
        chosen=status,
        statuses=list(RequestStatus),
        number=number,
        more=number * PER_PAGE < found.total,
    )


@get(f"{PATH}/requests/{{request_id:int}}", include_in_schema=False)
@given_straight
async def request_page(
    request: Request[Any, Any, Any],
    staff_requests: NamedDependency[StaffRequests],
    request_id: RequestId,
) -> Response[str]:
    return await _request_page(request, staff_requests, request_id)


async def _request_page(
    request: Request[Any, Any, Any],
    staff_requests: StaffRequests,
    request_id: int,
    *,
    failed: str = "",
    values: dict[str, str] | None = None,
    error: InvalidInput | None = None,
) -> Response[str]:
    """The request's page; after a step's input was refused, that step's form again with
    what was typed and each field's error next to it."""
    user = signed_in(request)
    detail = await read(staff_requests.get, user.staff_id, request_id)
    return page(
        request,
        "request.html",
        f"Звернення {request_id}",
        status=400 if error else 200,
        section="requests",
        detail=detail,
        done=DONE.get(request.query_params.get("done", ""), ""),
        resolutions=list(Resolution),
        today=staff_requests.clock.today().isoformat(),
        failed=failed,
        values=values or {},
        errors=field_errors(error) if error else {},
    )


@post(f"{PATH}/requests/{{request_id:int}}/message", include_in_schema=False)
@given_straight
async def message(
    request: Request[Any, Any, Any],
    staff_requests: NamedDependency[StaffRequests],
    request_id: RequestId,
    data: Form,
) -> Response[Any]:
    """A message to the member (who is notified), then the request's page (htmx takes
    only its conversation from it: no full reload)."""
    user = require_form_token(request, data)
    await run(staff_requests.write, user.staff_id, request_id, data.get("message", ""))
    return Redirect(f"{PATH}/requests/{request_id}?done=message", status_code=303)


@get(f"{PATH}/requests/{{request_id:int}}/{{step:str}}", include_in_schema=False)
@given_straight
async def step_question(
    request: Request[Any, Any, Any],
    staff_requests: NamedDependency[StaffRequests],
    request_id: RequestId,
    step: Annotated[str, PathParameter(max_length=16)],
) -> Response[str]:
    """What the step will do, with the values the form gave, and the button that does it;
    values it cannot take bring the request's page back with the errors."""
    user = signed_in(request)
    if step not in STEPS:
        raise NotFound("Такої сторінки немає.")
    values = {name: request.query_params.get(name, "")[:500] for name in FIELDS[step]}
    try:
        _taken(step, values, staff_requests.clock.today())
    except InvalidInput as error:
        return await _request_page(
            request, staff_requests, request_id, failed=step, values=values, error=error
        )
    detail = await read(staff_requests.get, user.staff_id, request_id)
    name, question = STEPS[step]
    return page(
        request,
        "step.html",
        name,
        section="requests",
        detail=detail,
        step=step,
        question=question,
        values=values,
    )


def _taken(step: str, values: dict[str, str], today: date) -> Any:
    """What a step's values mean to its use case: refused here, before the question."""
    if step == "assess":
        approved = values.get("amount", "").strip()
        assessment = Assessment(
            diagnosis=values.get("diagnosis", "").strip() or None,
            approved_amount=Money.parse(approved, "amount") if approved else None,
        )
        if not assessment:
            raise InvalidInput.field("amount", "give a diagnosis or an approved amount")
        return assessment
    if step == "payout":
        paid_on = parse_date(values.get("date", ""), "date") or today
        return Money.parse(values.get("amount", ""), "amount"), paid_on
    if step == "close":
        resolution = values.get("resolution", "")
        if resolution not in set(Resolution):
            raise InvalidInput.field("resolution", "choose paid, rejected or withdrawn")
        return Resolution(resolution), values.get("reason", "").strip() or None
    return None


@post(f"{PATH}/requests/{{request_id:int}}/{{step:str}}", include_in_schema=False, status_code=303)
@given_straight
async def take_step(
    request: Request[Any, Any, Any],
    staff_requests: NamedDependency[StaffRequests],
    staff_payments: NamedDependency[StaffPayments],
    request_id: RequestId,
    step: Annotated[str, PathParameter(max_length=16)],
    data: Form,
) -> Response[Any]:
    """The step, by the admin API's own use cases."""
    user = require_form_token(request, data)
    staff_id = user.staff_id
    if step not in STEPS:
        raise NotFound("Такої сторінки немає.")
    values = {name: data.get(name, "") for name in FIELDS[step]}
    try:
        taken = _taken(step, values, staff_requests.clock.today())
        if step == "assess":
            await run(staff_requests.assess, staff_id, request_id, taken)
        elif step == "payout":
            await run(staff_payments.record_payout, staff_id, request_id, *taken)
        elif step == "close":
            await run(staff_requests.close, staff_id, request_id, *taken)
        else:
            await run(staff_requests.reopen, staff_id, request_id)
    except InvalidInput as error:
        return await _request_page(
            request, staff_requests, request_id, failed=step, values=values, error=error
        )
    return Redirect(f"{PATH}/requests/{request_id}?done={step}", status_code=303)


@post(
    f"{PATH}/requests/{{request_id:int}}/payouts/{{payment_id:int}}/approve",
    include_in_schema=False,
    status_code=303,
)
@given_straight
async def approve_payout(
    request: Request[Any, Any, Any],
    staff_payments: NamedDependency[StaffPayments],
    request_id: RequestId,
    payment_id: Annotated[int, PathParameter(ge=1, le=MAX_ID)],
    data: Form,
) -> Response[Any]:
    """A second staff user approves a payout above the four-eyes threshold."""
    user = require_form_token(request, data)
    await run(staff_payments.approve_payout, user.staff_id, payment_id)
    return Redirect(f"{PATH}/requests/{request_id}?done=approve", status_code=303)


HANDLERS = [requests, request_page, message, step_question, take_step, approve_payout]
