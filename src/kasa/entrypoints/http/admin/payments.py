"""Payments in the back office: money recorded by staff, payouts and their second
approval, refunds through the gateway and theirs, and the registry."""

from __future__ import annotations

from typing import Annotated

from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter

from kasa.application.payments import StaffPayments
from kasa.application.refunds import Refunds
from kasa.domain.errors import InvalidInput
from kasa.domain.money import Money
from kasa.domain.payments import PaymentType
from kasa.entrypoints.http.admin import cards as c
from kasa.entrypoints.http.admin import inputs as i
from kasa.entrypoints.http.admin import present as p
from kasa.entrypoints.http.admin.queries import page, payment_query
from kasa.entrypoints.http.fields import MAX_ID
from kasa.entrypoints.http.routes import ADMIN, ANY_STAFF, DATES_REFUSED, Area
from kasa.entrypoints.http.threads import read, run
from kasa.entrypoints.parsing import parse_date

PAYMENTS = Area("payments", ANY_STAFF, signed_in=True, answers=(400,))
PaymentId = Annotated[int, PathParameter(ge=1, le=MAX_ID, description="The payment's id.")]


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


@PAYMENTS.post(
    "/payments/{payment_id:int}/refund",
    404,
    409,
    422,
    502,
    caller=ADMIN,
    meaning={
        400: "`reason` is required, at most 500 characters.",
        404: "There is no payment with this id.",
        409: "The payment is not confirmed (pending, failed, reversed, or a refund of it is "
        "already asked for).",
        422: "Only a contribution paid through a gateway is refunded (money staff recorded "
        "is reversed instead; a subscription's payments in the gateway's cabinet), or "
        "the gateway refused the refund: the contribution stands as it was.",
        502: "The gateway could not be asked: the contribution stands as it was; try again.",
        503: "The payment's gateway is not switched on here, or the database is unavailable.",
    },
)
async def payment_refund(
    payment_id: PaymentId,
    data: JSONBody[i.RefundReason],
    staff_id: NamedDependency[int],
    refunds: NamedDependency[Refunds],
) -> c.PaymentSaved:
    """Give a whole confirmed contribution back through the gateway that took it. Above
    the four-eyes threshold it waits as `refund_pending_approval` for a second admin;
    otherwise the gateway is asked at once and the payment is `refund_requested` until
    the gateway's reversal takes back the days it bought."""
    refunded = await run(refunds.refund, staff_id, payment_id, data.reason)
    return c.PaymentSaved(status="success", data=p.payment(refunded))


@PAYMENTS.post(
    "/payments/{payment_id:int}/refund/approve",
    404,
    409,
    422,
    502,
    caller=ADMIN,
    meaning={
        403: "Only an admin may do this, and not the admin who asked for the refund.",
        404: "There is no payment with this id.",
        409: "The payment's refund does not wait for an approval.",
        422: "The gateway refused the refund: the contribution stands as it was.",
        502: "The gateway could not be asked: the contribution stands as it was; try again.",
        503: "The payment's gateway is not switched on here, or the database is unavailable.",
    },
)
async def payment_refund_approve(
    payment_id: PaymentId,
    staff_id: NamedDependency[int],
    refunds: NamedDependency[Refunds],
) -> c.PaymentSaved:
    """A second admin approves a refund waiting under the four-eyes rule; the gateway is
    asked then."""
    approved = await run(refunds.approve_refund, staff_id, payment_id)
    return c.PaymentSaved(status="success", data=p.payment(approved))
