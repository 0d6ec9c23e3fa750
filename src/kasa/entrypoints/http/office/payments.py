"""Payments in the office: the registry with its filters and total, paged, and its CSV;
money that came by bank transfer recorded; refunds through the gateway (admins, a second
admin above the four-eyes threshold). Each change is asked first."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import PathParameter
from litestar.response import Redirect, Stream

from kasa.application.books import Books
from kasa.application.payments import StaffPayments
from kasa.application.reads import Page, PaymentQuery
from kasa.application.refunds import Refunds
from kasa.application.views import Listing, PaymentRow
from kasa.domain.errors import InvalidInput
from kasa.domain.money import Money
from kasa.domain.payments import PaymentType
from kasa.entrypoints.http.common import csv_stream
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
from kasa.entrypoints.parsing import parse_date, parse_period

PER_PAGE = 50
FILTERS = ("type", "from", "to", "min", "max", "certificate")
RECORDED = ("member", "amount", "date")
PaymentId = Annotated[int, PathParameter(ge=1, le=MAX_ID)]
# each change's name and question
ASKED = {
    "record": (
        "Записати платіж",
        "Записати внесок, що надійшов на рахунок каси? Членство подовжиться одразу.",
    ),
    "refund": ("Повернути внесок", "Повернути весь внесок через шлюз, що його прийняв?"),
    "refund-approve": (
        "Підтвердити повернення",
        "Підтвердити повернення, яке запитав інший адміністратор?",
    ),
    "reverse": (
        "Сторнувати платіж",
        "Сторнувати записаний вручну платіж (переказ повернувся)? Дні, які він купив, "
        "буде забрано.",
    ),
}
DONE = {
    "recorded": "Платіж записано.",
    "refund": "Повернення запитано; дні забере повернення від шлюзу.",
    "refund-waits": "Повернення чекає підтвердження іншого адміністратора.",
    "refund-approved": "Повернення підтверджено і запитано у шлюзу.",
    "reversed": "Платіж сторновано; дні, які він купив, забрано.",
}


def filters_of(request: Request[Any, Any, Any]) -> dict[str, str]:
    return {name: request.query_params.get(name, "")[:64] for name in FILTERS}


def query_of(filters: dict[str, str]) -> PaymentQuery:
    """The registry's filters, read as the admin API reads its own."""
    first, last = parse_period(filters["from"] or None, filters["to"] or None, ("from", "to"))
    kind = filters["type"]
    if kind and kind not in set(PaymentType):
        raise InvalidInput.field("type", "choose top_up, payout or partial_payout")
    return PaymentQuery(
        types=frozenset({PaymentType(kind)}) if kind else frozenset(),
        date_start=first,
        date_end=last,
        amount_start=Money.parse(filters["min"], "min") if filters["min"] else None,
        amount_end=Money.parse(filters["max"], "max") if filters["max"] else None,
        certificate=filters["certificate"] or None,
    )


@get(f"{PATH}/payments", include_in_schema=False)
@given_straight
async def payments(
    request: Request[Any, Any, Any],
    staff_payments: NamedDependency[StaffPayments],
    number: PageNumber = 1,
) -> Response[str]:
    """The registry, newest first: every filter given holds; the total counts them all."""
    return await _registry(request, staff_payments, number)


async def _registry(
    request: Request[Any, Any, Any],
    staff_payments: StaffPayments,
    number: int = 1,
    *,
    recording: dict[str, str] | None = None,
    error: InvalidInput | None = None,
) -> Response[str]:
    """The registry's page; a filter it cannot take shows the filters with their errors
    (and no rows), a payment it could not record shows that form again with its errors."""
    user = signed_in(request)
    filters = filters_of(request)
    failed = "record" if recording is not None else ""
    found: Listing[PaymentRow] = Listing([], 0)
    try:
        found = await read(
            staff_payments.list,
            user.staff_id,
            query_of(filters),
            Page(PER_PAGE, (number - 1) * PER_PAGE),
        )
    except InvalidInput as refused:
        failed, error = "filters", refused
    return page(
        request,
        "payments.html",
        "Платежі",
        status=400 if error else 200,
        section="payments",
        rows=found.items,
        total=found.total,
        filters=filters,
        kinds=list(PaymentType),
        number=number,
        more=number * PER_PAGE < found.total,
        done=DONE.get(request.query_params.get("done", ""), ""),
        recording=recording
        or {"member": "", "amount": "", "date": staff_payments.clock.today().isoformat()},
        failed=failed,
        errors=field_errors(error) if error else {},
    )


@get(f"{PATH}/payments.csv", include_in_schema=False)
@given_straight
async def payments_csv(request: Request[Any, Any, Any], books: NamedDependency[Books]) -> Stream:
    """The registry's current filter as CSV for the accountant."""
    user = signed_in(request)
    lines = await run(books.export_payments, user.staff_id, query_of(filters_of(request)))
    return csv_stream(lines, "payments.csv")


@get(f"{PATH}/payments/record", include_in_schema=False)
@given_straight
async def record_question(
    request: Request[Any, Any, Any], staff_payments: NamedDependency[StaffPayments]
) -> Response[str]:
    """Money that came by bank transfer: what will be recorded, before it is."""
    signed_in(request)
    values = {name: request.query_params.get(name, "")[:64] for name in RECORDED}
    try:
        _recorded(values, staff_payments.clock.today())
    except InvalidInput as error:
        return await _registry(request, staff_payments, recording=values, error=error)
    title, question = ASKED["record"]
    return page(
        request,
        "payment_step.html",
        title,
        section="payments",
        action=f"{PATH}/payments/record",
        question=question,
        values=values,
        reason=False,
    )


def _recorded(values: dict[str, str], today: date) -> tuple[int, Money, date]:
    """The member, amount and day of a payment to record, as the form gave them."""
    member = member_number(values.get("member", ""))
    if member is None:
        raise InvalidInput.field("member", "is the member's number")
    amount = Money.parse(values.get("amount", ""), "amount")
    return member, amount, parse_date(values.get("date"), "date") or today


@post(f"{PATH}/payments/record", include_in_schema=False, status_code=303)
@given_straight
async def record(
    request: Request[Any, Any, Any],
    staff_payments: NamedDependency[StaffPayments],
    data: Form,
) -> Response[Any]:
    user = require_form_token(request, data)
    values = {name: data.get(name, "") for name in RECORDED}
    try:
        await run(
            staff_payments.record_top_up,
            user.staff_id,
            *_recorded(values, staff_payments.clock.today()),
        )
    except InvalidInput as error:
        return await _registry(request, staff_payments, recording=values, error=error)
    return Redirect(f"{PATH}/payments?done=recorded", status_code=303)


@get(f"{PATH}/payments/{{payment_id:int}}/{{step:str}}", include_in_schema=False)
async def refund_question(
    request: Request[Any, Any, Any],
    payment_id: PaymentId,
    step: Annotated[str, PathParameter(pattern="^(refund|refund-approve|reverse)$")],
) -> Response[str]:
    """A refund, its second approval or a reversal, asked first."""
    return _step_question(request, payment_id, step)


def _step_question(
    request: Request[Any, Any, Any],
    payment_id: int,
    step: str,
    *,
    reason: str = "",
    error: InvalidInput | None = None,
) -> Response[str]:
    signed_in(request)
    title, question = ASKED[step]
    return page(
        request,
        "payment_step.html",
        title,
        status=400 if error else 200,
        section="payments",
        action=f"{PATH}/payments/{payment_id}/{step}",
        question=question,
        values={"payment": str(payment_id)},
        reason=step in ("refund", "reverse"),
        typed=reason,
        errors=field_errors(error) if error else {},
    )


@post(f"{PATH}/payments/{{payment_id:int}}/{{step:str}}", include_in_schema=False, status_code=303)
@given_straight
async def refund(
    request: Request[Any, Any, Any],
    refunds: NamedDependency[Refunds],
    payment_id: PaymentId,
    step: Annotated[str, PathParameter(pattern="^(refund|refund-approve|reverse)$")],
    data: Form,
) -> Response[Any]:
    """The admin API's own refund and reversal use cases (admins only)."""
    user = require_form_token(request, data)
    reason = data.get("reason", "")
    try:
        if step == "refund":
            done = await run(refunds.refund, user.staff_id, payment_id, reason)
            said = "refund-waits" if done.status == "refund_pending_approval" else "refund"
        elif step == "reverse":
            await run(refunds.reverse, user.staff_id, payment_id, reason)
            said = "reversed"
        else:
            await run(refunds.approve_refund, user.staff_id, payment_id)
            said = "refund-approved"
    except InvalidInput as error:
        return _step_question(request, payment_id, step, reason=reason[:500], error=error)
    return Redirect(f"{PATH}/payments?done={said}", status_code=303)


HANDLERS = [payments, payments_csv, record_question, record, refund_question, refund]
