"""Access tokens from ``Authorization: Bearer <token>`` or ``x-access-token``.

The token is checked before the request's body is read: a caller without a
valid token never gets an upload streamed to disk."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, cast

from litestar.connection import ASGIConnection
from litestar.openapi.spec import Components, SecurityRequirement, SecurityScheme

from kasa.adapters.tokens import JwtTokens
from kasa.application.access import CHECKED_STAFF, StaffPrincipal
from kasa.application.ports import TokenAudience
from kasa.domain.errors import AuthenticationFailed

SUBJECT = "kasa_subject"

# (subject id, token version) -> None, raising when the token no longer counts
# a subject's check, awaited: (subject id, token version) -> what was checked
TokenCheck = Callable[[int, int], Awaitable[object]]


def token_of(request: ASGIConnection[Any, Any, Any, Any]) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    token = request.headers.get("x-access-token", "").strip()
    if token:
        return token
    raise AuthenticationFailed("Sign in first: the access token is missing.")


# a handler's ``opt`` key: answered without a token even among the signed-in routes
OPEN = "open"


def signed_in(audience: TokenAudience, check: TokenCheck | None = None) -> Any:
    """Middleware factory for the signed-in routes' router: a valid token of ``audience``
    (and, with ``check``, one its subject still accepts: staff tokens end with a new
    password, role or deactivation). The subject's id is kept for :func:`subject`.

    A middleware rather than a guard: it sees the route's handler in the scope, while a
    guard is handed a copy of the handler made for every request."""

    def middleware(app: Any) -> Any:
        async def handle(scope: dict[str, Any], receive: Any, send: Any) -> None:
            # a path's OPTIONS answer says which methods it takes, to anyone
            if not scope["route_handler"].opt.get(OPEN):
                await _check(ASGIConnection(cast(Any, scope)), audience, check)
            await app(scope, receive, send)

        return handle

    return middleware


async def _check(
    connection: ASGIConnection[Any, Any, Any, Any],
    audience: TokenAudience,
    check: TokenCheck | None,
) -> None:
    tokens: JwtTokens = connection.app.state.tokens
    subject_id, version = tokens.claims(token_of(connection), audience)
    if check is not None:
        checked = await check(subject_id, version)
        if isinstance(checked, StaffPrincipal):
            # the use cases this request runs (in threads that copy this context)
            # take the staff user as checked here, without reading them again
            CHECKED_STAFF.set(checked)
    connection.scope.setdefault("state", {})[SUBJECT] = subject_id


SECURITY_COMPONENTS = Components(
    security_schemes={
        "BearerToken": SecurityScheme(
            type="http",
            scheme="bearer",
            bearer_format="JWT",
            description="Authorization: Bearer <access token>",
        ),
        "AccessTokenHeader": SecurityScheme(
            type="apiKey",
            name="x-access-token",
            security_scheme_in="header",
            description="The same token in x-access-token",
        ),
    }
)
SIGNED_IN: list[SecurityRequirement] = [{"BearerToken": []}, {"AccessTokenHeader": []}]
