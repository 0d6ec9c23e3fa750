"""Payments in the back office: money recorded by staff, payouts and their second
approval, and the registry."""

from __future__ import annotations

from litestar.di import NamedDependency
from litestar.params import JSONBody

from kasa.application.payments import StaffPayments
from kasa.domain.errors import InvalidInput
from kasa.domain.money import Money
from kasa.domain.payments import PaymentType
from kasa.entrypoints.http.admin import cards as c
from kasa.entrypoints.http.admin import inputs as i
from kasa.entrypoints.http.admin import present as p
from kasa.entrypoints.http.admin.queries import page, payment_query
from kasa.entrypoints.http.routes import ANY_STAFF, DATES_REFUSED, Area
from kasa.entrypoints.http.threads import read, run
from kasa.entrypoints.parsing import parse_date

PAYMENTS = Area("payments", ANY_STAFF, signed_in=True, answers=(400,))


@PAYMENTS.put(
    "/payment",
    404,
    409,
    422,
    meaning={
        400: "Invalid input, named in `errors`: `date` is required and a calendar date; "
        "`amount` more than zero; a payout names its `request`, a top-up none.",
        404: "There is no such member, or no such request of the member.",
        409: "The request is closed: reopen it before paying it.",
        422: "The request has no approved amount yet (set `suma` first), or the payout "
        "would exceed what remains of it (the message says how much remains).",
    },
)
async def payment_record(
    data: JSONBody[i.ManualPayment],
    staff_id: NamedDependency[int],
    staff_payments: NamedDependency[StaffPayments],
) -> c.PaymentSaved:
    """Record money that arrived outside the gateway (``top_up``), or a payout of a
    request (``payout``, ``partial_payout``: which one the amount decides)."""
    kind = data.type
    day = parse_date(data.date, "date")
    if day is None:
        raise InvalidInput.field("date", "is required")
    amount = Money.positive(data.amount)
    if kind is PaymentType.TOP_UP:
        if data.request is not None:
            raise InvalidInput.field("request", "a top-up does not name a request")
        recorded = await run(staff_payments.record_top_up, staff_id, data.member, amount, day)
    else:
        if data.request is None:
            raise InvalidInput.field("request", "a payout names the request it pays")
        recorded = await run(
            staff_payments.record_payout,
            staff_id,
            data.request,
            amount,
            day,
            member_id=data.member,
        )
    return c.PaymentSaved(status="success", data=p.payment(recorded))


@PAYMENTS.post(
    "/payments",
    meaning={
        400: DATES_REFUSED,
    },
)
async def payments(
    data: JSONBody[i.PaymentFilter],
    staff_id: NamedDependency[int],
    staff_payments: NamedDependency[StaffPayments],
) -> c.PaymentPage:
    """The payments registry: every given filter holds, newest first, with the total."""
    listing = await read(
        staff_payments.list, staff_id, payment_query(data), page(data.limit, data.offset)
    )
    return c.PaymentPage(
        status="success", data=[p.payment_row(r) for r in listing.items], total=listing.total
    )


@PAYMENTS.post(
    "/payout/approve",
    403,
    404,
    409,
    meaning={
        403: "The payout must be approved by another staff user than the one who recorded it.",
        404: "There is no payment with this id.",
        409: "The payment does not wait for a second approval, or it is already approved.",
    },
)
async def payout_approve(
    data: JSONBody[i.PayoutApproval],
    staff_id: NamedDependency[int],
    staff_payments: NamedDependency[StaffPayments],
) -> c.PaymentSaved:
    """A second staff user approves a pending four-eyes payout."""
    approved = await run(staff_payments.approve_payout, staff_id, data.payment_id)
    return c.PaymentSaved(status="success", data=p.payment(approved))
