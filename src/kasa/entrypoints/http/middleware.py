"""What both apps do around every request: who the client is (behind trusted proxies
only), the request id (``X-Request-ID`` accepted
when sane, made otherwise, put in the logs and returned), security headers on every
answer — including those Litestar gives before any handler runs (404, 405) — and one
spelling of every path: a trailing slash, an encoded slash or a doubled one is 404, so
a limit a proxy puts on a path cannot be stepped around by spelling it otherwise."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Sequence
from typing import Any, cast

from litestar.middleware import DefineMiddleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from kasa.entrypoints.logs import request_id

SANE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


def incoming_id(scope: dict[str, Any]) -> str:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            given = value.decode("latin-1")
            return given if SANE_ID.match(given) else ""
    return ""


NOT_FOUND = json.dumps({"status": "error", "message": "Not found."}).encode()


def one_spelling(scope: dict[str, Any]) -> bool:
    """The path as the routes spell it: no trailing slash (but the docs pages' and the
    office's landing page, ``/office/``), no encoded or doubled slash."""
    raw = bytes(scope.get("raw_path") or scope.get("path", "").encode())
    path = raw.split(b"?", 1)[0]
    if b"%2f" in path.lower() or b"//" in path:
        return False
    return (
        len(path) <= 1
        or not path.endswith(b"/")
        or path.startswith(b"/docs")
        or path == b"/office/"
    )


def forwarded_clients(trusted: Sequence[str]) -> DefineMiddleware:
    """The client is the TCP peer, unless the peer is one of the ``trusted`` proxies
    (``KASA_TRUSTED_PROXIES``, addresses or networks): then ``X-Forwarded-For`` is read
    from the right and the client is the first address that is not itself a trusted
    proxy, so whatever a client wrote further left is never reached. uvicorn's proxy
    headers middleware does exactly that; it is given the list every time (its own
    default trusts 127.0.0.1), and with an empty one it ignores the header."""
    # uvicorn types its ASGI callables itself; the middleware is a plain ASGI app
    return DefineMiddleware(cast(Any, ProxyHeadersMiddleware), trusted_hosts=list(trusted))


def request_context() -> Any:
    """Middleware factory for Litestar: the request id for the logs while a handler runs;
    a path spelled otherwise than the routes is not found."""

    def middleware(app: Any) -> Any:
        async def handle(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            rid = incoming_id(scope) or uuid.uuid4().hex
            scope.setdefault("state", {})["kasa_request_id"] = rid
            token = request_id.set(rid)
            try:
                if one_spelling(scope):
                    await app(scope, receive, send)
                    return
                headers = [(b"content-type", b"application/json")]
                await send({"type": "http.response.start", "status": 404, "headers": headers})
                await send({"type": "http.response.body", "body": NOT_FOUND})
            finally:
                request_id.reset(token)

        return handle

    return middleware


def answer_headers(hsts: bool) -> Any:
    """A Litestar ``before_send`` hook adding the request id and security headers to every
    response start, whether or not a handler ran."""

    async def before_send(message: dict[str, Any], scope: dict[str, Any]) -> None:
        if message["type"] != "http.response.start":
            return
        state = scope.setdefault("state", {})
        rid = state.get("kasa_request_id") or incoming_id(scope) or uuid.uuid4().hex
        state["kasa_request_id"] = rid
        headers = list(message.get("headers") or [])
        present = {name.lower() for name, _ in headers}
        headers.append((b"x-request-id", rid.encode()))
        headers += [h for h in SECURITY_HEADERS if h[0] not in present]
        if hsts:
            headers.append(HSTS)
        message["headers"] = headers

    return before_send
