"""The routes of one area of an API declared together: their tag, whether they need a
signed-in caller, and the errors they may answer, said once for the area."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import attrs
from litestar import delete, get, post, put
from litestar.handlers import HTTPRouteHandler
from litestar.openapi import ResponseSpec

from kasa.entrypoints.http.auth import SIGNED_IN
from kasa.entrypoints.http.errors import ERROR_RESPONSES
from kasa.entrypoints.http.schemas import ErrorOut

# Any route may answer 413 (a body larger than it takes) and 503 (the database is
# unavailable); a route for signed-in callers, 401 (no valid token) and 403 (not allowed).
ANY_ROUTE = (413, 503)
SIGNED_IN_ROUTE = (401, 403)


def errors(*codes: int) -> dict[int, ResponseSpec]:
    """The error answers a route documents."""
    return {
        code: ResponseSpec(data_container=ErrorOut, description=ERROR_RESPONSES[code])
        for code in sorted({*codes, *ANY_ROUTE})
    }


Decorate = Callable[[Callable[..., Any]], HTTPRouteHandler]


@attrs.define
class Area:
    """``area = Area("profile", signed_in=True)``, then ``@area.post("/path", 400, 422)``:
    the route gets the area's tag, its security and the errors every route of the area
    may answer besides those given. ``area.handlers`` are the routes, for the app."""

    tag: str
    signed_in: bool = False
    answers: Sequence[int] = ()
    handlers: list[HTTPRouteHandler] = attrs.field(factory=list)

    def _route(
        self, method: Any, path: str | list[str], codes: Sequence[int], **kw: Any
    ) -> Decorate:
        common = (*self.answers, *(SIGNED_IN_ROUTE if self.signed_in else ()))
        decorate = method(
            path,
            tags=kw.pop("tags", [self.tag]),
            security=SIGNED_IN if self.signed_in else None,
            responses=errors(*common, *codes),
            **kw,
        )

        def register(function: Callable[..., Any]) -> HTTPRouteHandler:
            handler: HTTPRouteHandler = decorate(function)
            self.handlers.append(handler)
            return handler

        return register

    def get(self, path: str | list[str], *codes: int, **kw: Any) -> Decorate:
        return self._route(get, path, codes, **kw)

    def post(self, path: str | list[str], *codes: int, **kw: Any) -> Decorate:
        """POST answers 200 here, as the existing clients expect."""
        kw.setdefault("status_code", 200)
        return self._route(post, path, codes, **kw)

    def put(self, path: str | list[str], *codes: int, **kw: Any) -> Decorate:
        return self._route(put, path, codes, **kw)

    def delete(self, path: str | list[str], *codes: int, **kw: Any) -> Decorate:
        kw.setdefault("status_code", 200)
        return self._route(delete, path, codes, **kw)
