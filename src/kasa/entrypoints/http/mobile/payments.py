"""A member's money: top-ups through the gateway, a monthly subscription, and what was
paid in and out."""

from __future__ import annotations

from typing import Annotated

from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter

from kasa.application.payments import MemberPayments
from kasa.application.ports import Checkout
from kasa.domain.money import Money
from kasa.entrypoints.http.mobile import schemas as s
from kasa.entrypoints.http.mobile.present import Shapes
from kasa.entrypoints.http.routes import MEMBER, Area
from kasa.entrypoints.http.threads import read, run
from kasa.entrypoints.parsing import parse_period

PAYMENTS = Area("payments", MEMBER, signed_in=True)
ORDER_ID_MAX = 128


@PAYMENTS.post(
    "/user/charges/list",
    400,
    meaning={400: "`begin` or `end` is not a calendar date, or the period ends before it begins."},
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
        *parse_period(period.begin, period.end, ("begin", "end")),
    )
    return [Shapes.charge(r.payment, r.diagnosis) for r in rows]


@PAYMENTS.get("/user/payments/list", 400)
async def payments_list(
    member_id: NamedDependency[int], member_payments: NamedDependency[MemberPayments]
) -> list[s.TopUpOut]:
    """The member's top-ups and the "paid until" each produced."""
    return [Shapes.top_up(p) for p in await read(member_payments.top_ups, member_id)]


@PAYMENTS.get("/user/payments/methods")
async def payment_methods(
    member_id: NamedDependency[int], member_payments: NamedDependency[MemberPayments]
) -> list[s.PaymentMethod]:
    """The gateways the member may pay through, in the order the app offers them."""
    found = await read(member_payments.methods, member_id)
    return [s.PaymentMethod(m.name, m.title, m.subscription) for m in found]


@PAYMENTS.get(
    "/user/payments/{order_id:str}",
    400,
    404,
    meaning={
        400: f"`order_id` is longer than {ORDER_ID_MAX} characters.",
        404: "The member has no payment with this order id.",
    },
)
async def payment_get(
    order_id: Annotated[str, PathParameter(min_length=1, max_length=ORDER_ID_MAX)],
    member_id: NamedDependency[int],
    member_payments: NamedDependency[MemberPayments],
) -> s.PaymentOut:
    """One of the member's payments by its order id, with its status and gateway: what
    the app shows when the member comes back from the gateway's page."""
    return Shapes.payment(await read(member_payments.payment, member_id, order_id))


@PAYMENTS.post(
    "/user/payments/liqpay",
    400,
    422,
    meaning={
        400: "`amount` must be more than zero, at most 1,000,000,000.00, with at most two "
        "decimals.",
        422: "The member has not submitted a profile yet (submit it first), or the top-up "
        "would pay for more than a hundred years ahead (pay less).",
    },
)
async def liqpay_checkout(
    data: JSONBody[s.TopUp],
    member_id: NamedDependency[int],
    member_payments: NamedDependency[MemberPayments],
) -> s.CheckoutOut:
    """Start a top-up: a pending payment and the gateway's signed checkout."""
    checkout = await run(
        member_payments.start_top_up, member_id, Money.positive(data.amount), "liqpay"
    )
    return liqpay_checkout_out(checkout)


@PAYMENTS.post(
    "/user/payments/liqpay/subscribe",
    422,
    meaning={
        422: "The member has not submitted a profile, or has no current program yet: a "
        "subscription pays a program's monthly price.",
    },
)
async def liqpay_subscribe(
    member_id: NamedDependency[int], member_payments: NamedDependency[MemberPayments]
) -> s.CheckoutOut:
    """A monthly automatic contribution at the current program's price."""
    checkout = await run(member_payments.start_subscription, member_id, "liqpay")
    return liqpay_checkout_out(checkout)


@PAYMENTS.post(
    "/user/payments/monobank",
    400,
    422,
    502,
    meaning={
        400: "`amount` must be more than zero, at most 1,000,000,000.00, with at most two "
        "decimals.",
        422: "The member has not submitted a profile yet (submit it first), or the top-up "
        "would pay for more than a hundred years ahead (pay less).",
        502: "monobank could not make the invoice: nothing was started; try again later.",
        503: "monobank is not switched on here, or the database is unavailable.",
    },
)
async def monobank_checkout(
    data: JSONBody[s.TopUp],
    member_id: NamedDependency[int],
    member_payments: NamedDependency[MemberPayments],
) -> s.MonobankCheckoutOut:
    """Start a top-up through monobank: a pending payment and monobank's invoice; open
    `page_url` for the member, then ask `/user/payments/{order_id}` for the outcome."""
    checkout = await run(
        member_payments.start_top_up, member_id, Money.positive(data.amount), "monobank"
    )
    return s.MonobankCheckoutOut(checkout.order_id, checkout.reference, checkout.page_url)


def liqpay_checkout_out(checkout: Checkout) -> s.CheckoutOut:
    return s.CheckoutOut(checkout.form["data"], checkout.form["signature"], checkout.page_url)
