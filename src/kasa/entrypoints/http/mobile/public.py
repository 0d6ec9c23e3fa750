"""What anyone may call: signing in by SMS code, the list of programs, the gateway's and
Diia's callbacks, and the app's universal links."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Annotated, Any

from litestar import MediaType, Request
from litestar.di import NamedDependency
from litestar.params import HeaderParameter, JSONBody, MultipartBody, URLEncodedBody

from kasa.adapters.sql.loop import LoopCallbacks
from kasa.application.callbacks import CallbackResult, GatewayCallbacks
from kasa.application.diia import DiiaSharing
from kasa.application.ports import GatewayMessage
from kasa.application.profiles import Profiles
from kasa.application.signin import MemberSignIn
from kasa.domain.errors import KasaError
from kasa.domain.values import Phone
from kasa.entrypoints.http.common import all_uploads, client_address
from kasa.entrypoints.http.metrics import callback_heard
from kasa.entrypoints.http.mobile import schemas as s
from kasa.entrypoints.http.mobile.present import Shapes
from kasa.entrypoints.http.routes import ANYONE, GATEWAYS, PHONE_REFUSED, Area
from kasa.entrypoints.http.threads import read, run
from kasa.entrypoints.paths import LIQPAY_CALLBACK, MONOBANK_CALLBACK, PAYMENT_DONE
from kasa.entrypoints.settings import Settings

SIGN_IN = Area("sign-in", ANYONE)
PROGRAMS = Area("programs", ANYONE)
CALLBACKS = Area("callbacks", GATEWAYS, answers=(400,))
APP = Area("app", ANYONE)


@APP.get("/.well-known/apple-app-site-association", sync_to_thread=False, database=False)
def apple_app_site_association(settings: NamedDependency[Settings]) -> dict[str, Any]:
    """Universal links for the app: Diia sends members back to ``/diia/*``, a gateway's
    page to ``/payments/*``."""
    components = [{"/": "/diia/*"}, {"/": "/payments/*"}]
    return {
        "applinks": {
            "details": [{"appIDs": list(settings.http.apple_app_ids), "components": components}]
        }
    }


PAYMENT_DONE_PAGE = """<!doctype html>
<html lang="uk"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Оплату прийнято до обробки</title></head>
<body><h1>Оплату прийнято до обробки</h1>
<p>Поверніться до застосунку каси: там видно, чи зараховано внесок.</p>
<p lang="en">Your payment is being processed. Return to the fund's app to see whether
the contribution was taken.</p></body></html>
"""


@APP.get(PAYMENT_DONE, sync_to_thread=False, database=False, media_type=MediaType.HTML)
def payment_done() -> str:
    """Where a gateway's page sends the payer back: the app opens it (a universal link);
    a browser shows a page that says to return to the app."""
    return PAYMENT_DONE_PAGE


@SIGN_IN.post(
    "/user/signrequest",
    400,
    403,
    422,
    429,
    502,
    meaning={
        400: "Invalid input, named in `errors`. Past the pattern, `phone` must be a real "
        "number of its country's numbering plan, in a country the fund sends codes to "
        "(Ukraine unless the server says otherwise): correct the number.",
        403: "The phone belongs to a blocked member: no code is sent; the member should "
        "contact the fund.",
        422: "`User does not exist`: no member has this phone; ask again with `create: "
        "true` for a first sign-in. `User already exist`: `create: true` for a phone that "
        "has a member; ask again without it.",
        429: "Too many codes: for this phone today, a new one too soon after the last, or "
        "from this address within the hour. Wait the seconds `Retry-After` gives.",
        502: "The SMS service failed; no code was sent. Try again later.",
    },
)
async def sign_request(
    data: JSONBody[s.SignRequest],
    request: Request[Any, Any, Any],
    sign_in: NamedDependency[MemberSignIn],
) -> s.Message:
    """Send a sign-in code by SMS (``create`` for the first sign-in)."""
    phone = Phone.parse(data.phone)
    await run(sign_in.request_code, phone, data.create, client_address(request))
    return s.Message("Message was sent.")


@SIGN_IN.post(
    "/user/signin",
    400,
    401,
    403,
    429,
    meaning={
        400: PHONE_REFUSED,
        401: "The code is wrong, expired or already used. Let the member type it again, "
        "or ask for a new one with `POST /user/signrequest`.",
        403: "The phone belongs to a blocked member; the member should contact the fund.",
        429: "Too many wrong codes for this phone or from this address: wait the seconds "
        "`Retry-After` gives.",
    },
)
async def sign_in(
    data: JSONBody[s.SignIn],
    request: Request[Any, Any, Any],
    sign_in: NamedDependency[MemberSignIn],
) -> s.AccessToken:
    """Exchange the SMS code for an access token (creates the member on first sign-in).
    Wrong codes from one address, across all phones, are throttled."""
    phone = Phone.parse(data.phone)
    return s.AccessToken(await run(sign_in.sign_in, phone, data.code, client_address(request)))


@PROGRAMS.get("/program/list")
async def program_list(
    profiles: NamedDependency[Profiles], shapes: NamedDependency[Shapes]
) -> list[s.ProgramOut]:
    """The programs a member may choose."""
    return [shapes.program(p) for p in await read(profiles.list_programs)]


@CALLBACKS.post(
    LIQPAY_CALLBACK,
    404,
    409,
    422,
    meaning={
        400: "The signature does not verify or the data cannot be read: nothing was "
        "changed, and the same data will be refused again.",
        404: "No payment has this order id.",
        409: "The order was a one-off top-up that is already paid by another gateway "
        "payment, or it was not made through the gateway.",
        422: "The amount the gateway reports is not the order's, or the top-up would pay "
        "for more than a hundred years ahead.",
    },
)
async def liqpay_callback(
    data: URLEncodedBody[s.GatewayCallback],
    request: Request[Any, Any, Any],
    callbacks: NamedDependency[GatewayCallbacks],
    callbacks_on_loop: NamedDependency[LoopCallbacks | None],
) -> s.CallbackOut:
    """The gateway's server-to-server callback: signature checked before anything else;
    the same callback twice changes nothing the second time."""
    message = GatewayMessage(form={"data": data.data, "signature": data.signature})
    # applied on the event loop where the database allows it (a LiqPay callback calls
    # nothing outside the database), else in a worker thread
    apply = in_a_thread(callbacks) if callbacks_on_loop is None else callbacks_on_loop.callback
    result = await heard(apply, "liqpay", message, request)
    return s.CallbackOut("success", result.payment.status, result.changed)


@CALLBACKS.post(
    MONOBANK_CALLBACK,
    404,
    409,
    422,
    502,
    meaning={
        400: "`X-Sign` is missing, not base64, or not monobank's signature of the body "
        "(checked with monobank's key, fetched again once if it changed), or the body "
        "cannot be read: nothing was changed.",
        404: "No payment has this order id (`reference`).",
        409: "The order was not made through monobank, or it names another invoice.",
        422: "The amount or currency is not the order's, or the top-up would pay for more "
        "than a hundred years ahead.",
        502: "monobank's key could not be fetched to check the signature; send it again.",
        503: "monobank is not switched on here, or the database is unavailable.",
    },
)
async def monobank_callback(
    data: JSONBody[s.MonobankInvoice],
    request: Request[Any, Any, Any],
    callbacks: NamedDependency[GatewayCallbacks],
    x_sign: Annotated[
        str | None,
        HeaderParameter(
            name="X-Sign", description="monobank's ECDSA signature of the body, base64."
        ),
    ] = None,
) -> s.CallbackOut:
    """The webhook monobank sends: the invoice as it stands (see `MonobankInvoice`), its
    signature checked before the body is read; a webhook dated before the last one
    applied changes nothing."""
    # the signature is of the body as it came: the adapter checks it on these bytes before
    # it reads them (the parsed ``data`` only documents and bounds the shape)
    message = GatewayMessage(body=await request.body(), headers={"x-sign": x_sign or ""})
    result = await heard(in_a_thread(callbacks), "monobank", message, request)
    return s.CallbackOut("success", result.payment.status, result.changed)


# the use case's ``callback``, awaited: (gateway, message, address) -> result
ApplyCallback = Callable[[str, GatewayMessage, str], Awaitable[CallbackResult]]


def in_a_thread(callbacks: GatewayCallbacks) -> ApplyCallback:
    """The callbacks' use case run in a worker thread."""
    return partial(run, callbacks.callback)


async def heard(
    apply: ApplyCallback,
    gateway: str,
    message: GatewayMessage,
    request: Request[Any, Any, Any],
) -> CallbackResult:
    """The callback applied by the use case, and counted: applied, ignored or refused."""
    try:
        result = await apply(gateway, message, client_address(request))
    except KasaError:
        callback_heard(gateway, None)
        raise
    callback_heard(gateway, result.changed)
    return result


@CALLBACKS.post(
    "/user/profile/diia-callback",
    413,
    502,
    opt={"files": "diia"},
    meaning={
        400: "The documents cannot be decrypted, or they match no sharing request a "
        "member started: nothing was kept.",
        503: "Diia sharing is not configured on this server, or the database is unavailable.",
    },
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
