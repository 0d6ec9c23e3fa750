"""Access tokens from ``Authorization: Bearer <token>`` or ``x-access-token``."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.openapi.spec import Components, SecurityRequirement, SecurityScheme

from kasa.adapters.tokens import JwtTokens
from kasa.application.ports import TokenAudience
from kasa.domain.errors import AuthenticationFailed


def token_of(request: Request[Any, Any, Any]) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    token = request.headers.get("x-access-token", "").strip()
    if token:
        return token
    raise AuthenticationFailed("Sign in first: the access token is missing.")


def subject_provider(audience: TokenAudience) -> Any:
    """A Litestar dependency giving the signed-in subject's id for one audience."""

    async def provide(request: Request[Any, Any, Any]) -> int:
        tokens: JwtTokens = request.app.state.tokens
        return tokens.subject(token_of(request), audience)

    return provide


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
