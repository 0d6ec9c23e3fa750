"""Requests in the office: the list with filters, paged; a request's page with its files,
the message thread (a message posts without a full reload), the assessment, payouts
(and a second approval above the four-eyes threshold), closing and reopening. What moves
money or closes a request is asked first: the form leads to a question page that shows
what will be done, and its button does it."""

from __future__ import annotations

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
from kasa.entrypoints.http.office.base import PATH, Form, page, require_form_token, signed_in
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
    number: Annotated[int, QueryParameter(name="page", ge=1, le=10_000)] = 1,
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
    user = signed_in(request)
    detail = await read(staff_requests.get, user.staff_id, request_id)
    return page(
        request,
        "request.html",
        f"Звернення {request_id}",
        section="requests",
        detail=detail,
        done=DONE.get(request.query_params.get("done", ""), ""),
        resolutions=list(Resolution),
        today=staff_requests.clock.today().isoformat(),
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
    """What the step will do, with the values the form gave, and the button that does it."""
    user = signed_in(request)
    if step not in STEPS:
        raise NotFound("Такої сторінки немає.")
    detail = await read(staff_requests.get, user.staff_id, request_id)
    values = {name: request.query_params.get(name, "")[:500] for name in FIELDS[step]}
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
    if step == "assess":
        approved = data.get("amount", "").strip()
        assessment = Assessment(
            diagnosis=data.get("diagnosis", "").strip() or None,
            approved_amount=Money.parse(approved, "amount") if approved else None,
        )
        if not assessment:
            raise InvalidInput.field("amount", "give a diagnosis or an approved amount")
        await run(staff_requests.assess, staff_id, request_id, assessment)
    elif step == "payout":
        paid_on = parse_date(data.get("date", ""), "date") or staff_requests.clock.today()
        amount = Money.parse(data.get("amount", ""), "amount")
        await run(staff_payments.record_payout, staff_id, request_id, amount, paid_on)
    elif step == "close":
        resolution = data.get("resolution", "")
        if resolution not in set(Resolution):
            raise InvalidInput.field("resolution", "choose paid, rejected or withdrawn")
        reason = data.get("reason", "").strip() or None
        await run(staff_requests.close, staff_id, request_id, Resolution(resolution), reason)
    elif step == "reopen":
        await run(staff_requests.reopen, staff_id, request_id)
    else:
        raise NotFound("Такої сторінки немає.")
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
