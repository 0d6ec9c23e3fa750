"""What anyone may call: signing in by SMS code, the list of programs, the gateway's and
Diia's callbacks, and the app's universal links."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request
from litestar.di import NamedDependency
from litestar.params import HeaderParameter, JSONBody, MultipartBody, URLEncodedBody

from kasa.application.callbacks import GatewayCallbacks
from kasa.application.identity import DiiaSharing
from kasa.application.profiles import Profiles
from kasa.application.signin import MemberSignIn
from kasa.domain.payments import Change
from kasa.domain.values import Phone
from kasa.entrypoints.http.common import all_uploads, client_address
from kasa.entrypoints.http.mobile import schemas as s
from kasa.entrypoints.http.mobile.present import Shapes
from kasa.entrypoints.http.routes import ANYONE, GATEWAYS, Area
from kasa.entrypoints.http.threads import read, run
from kasa.entrypoints.paths import LIQPAY_CALLBACK
from kasa.entrypoints.settings import Settings

SIGN_IN = Area("sign-in", ANYONE)
PROGRAMS = Area("programs", ANYONE)
CALLBACKS = Area("callbacks", GATEWAYS, answers=(400,))
APP = Area("app", ANYONE)


@APP.get("/.well-known/apple-app-site-association", sync_to_thread=False)
def apple_app_site_association(settings: NamedDependency[Settings]) -> dict[str, Any]:
    """Universal links for the app: Diia sends members back to ``/diia/*``."""
    return {
        "applinks": {
            "details": [{"appIDs": list(settings.apple_app_ids), "components": [{"/": "/diia/*"}]}]
        }
    }


@SIGN_IN.post("/user/signrequest", 400, 403, 422, 429, 502)
async def sign_request(
    data: JSONBody[s.SignRequest],
    request: Request[Any, Any, Any],
    sign_in: NamedDependency[MemberSignIn],
) -> s.Message:
    """Send a sign-in code by SMS (``create`` for the first sign-in)."""
    phone = Phone.parse(data.phone)
    await run(sign_in.request_code, phone, data.create, client_address(request))
    return s.Message("Message was sent.")


@SIGN_IN.post("/user/signin", 400, 401, 403, 429)
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


@CALLBACKS.post(LIQPAY_CALLBACK, 404, 409, 422)
async def liqpay_callback(
    data: URLEncodedBody[s.GatewayCallback],
    request: Request[Any, Any, Any],
    callbacks: NamedDependency[GatewayCallbacks],
) -> s.CallbackOut:
    """The gateway's server-to-server callback: signature checked before anything else;
    the same callback twice changes nothing the second time."""
    result = await run(callbacks.callback, data.data, data.signature, client_address(request))
    return s.CallbackOut("success", result.payment.status, result.change is not Change.NONE)


@CALLBACKS.post("/user/profile/diia-callback", 413, 502, opt={"files": "diia"})
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
