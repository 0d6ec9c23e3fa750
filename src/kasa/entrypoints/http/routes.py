"""The routes of one area of an API declared together: their tag, who may call them,
whether they need a signed-in caller, and the errors they may answer, said once for the
area. Each route's description in the OpenAPI document is its docstring, then who may
call it, then each error it may answer and what the client should do about it."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs
from litestar import delete, get, post, put
from litestar.handlers import HTTPRouteHandler
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import Example

from kasa.entrypoints.http.auth import SIGNED_IN
from kasa.entrypoints.http.dependencies import given_straight
from kasa.entrypoints.http.errors import ERROR_RESPONSES, SHARED_EXAMPLES
from kasa.entrypoints.http.schemas import ErrorOut

# Any route may answer 413 (a body larger than it takes: routes with a body) and 503
# (the database is unavailable); a route for signed-in callers, 401 (no valid token).
ANY_ROUTE = (413, 503)
# who may call an area's routes
ANYONE = "anyone; no token is needed"
MEMBER = "a signed-in member (a member token from `POST /user/signin`)"
ANY_STAFF = "any signed-in staff user, operator or admin (a staff token from `POST /signin`)"
ADMIN = "a signed-in admin (operators get 403)"
GATEWAYS = (
    "the payment gateway and Diia, server to server; each call is verified by its"
    " signature or encryption, not by a token"
)
# what 401 and 403 mean to each kind of caller, and what to do
MEMBER_ANSWERS = {
    401: "Not signed in: the token is missing, invalid or expired. Sign in again: "
    "`POST /user/signrequest`, then `POST /user/signin`.",
    403: "The member's account is blocked by the fund: every call is refused until staff "
    "unblock it. Show the message; the member should contact the fund.",
}
STAFF_ANSWERS = {
    401: "Not signed in: the token is missing, invalid or expired, or it ended with a "
    "password change, a role change or a deactivation of the account. Sign in again with "
    "`POST /signin`.",
}
CALLER_ANSWERS: Mapping[str, Mapping[int, str]] = {
    MEMBER: MEMBER_ANSWERS,
    ANY_STAFF: STAFF_ANSWERS,
    ADMIN: {
        **STAFF_ANSWERS,
        403: "Only an admin may do this; the caller is an operator.",
    },
}

# what an error means on several routes, said once
DATES_REFUSED = (
    "Invalid input, named in `errors`: dates must be calendar dates, and a period must not"
    " end before it begins."
)
PHONE_REFUSED = (
    "Invalid input, named in `errors`: past the pattern, `phone` must be a real number of"
    " its country's numbering plan."
)
FILE_CONTENT = "a JPEG, PNG, PDF or plain text file whose content agrees with its name"
EMPTY_MESSAGE = "The message is empty or only white space (texts are trimmed)."
CLOSED_TO_MESSAGES = "The request is closed and takes no messages."
PROGRAM_GONE = "The program is not offered any more: choose one from `GET /program/list`."
NO_STAFF_USER = "There is no staff user with this id."


def errors(
    *codes: int,
    meaning: Mapping[int, str] | None = None,
    shapes: Mapping[int, type[Any]] | None = None,
) -> dict[int, ResponseSpec]:
    """The error answers a route documents; ``meaning`` says what some of them mean on
    this route (and what to do), in place of the general words; ``shapes`` the body of
    an answer that is not the error body. Their examples are the
    route's real answers, put in when the document is made (``examples.real_examples``);
    408's, the same on every route, is here."""
    said = {**ERROR_RESPONSES, **(meaning or {})}
    return {
        code: ResponseSpec(
            data_container=(shapes or {}).get(code, ErrorOut),
            description=said[code],
            generate_examples=False,
            examples=[Example(summary=f"A {code} answer", value=SHARED_EXAMPLES[code])]
            if code in SHARED_EXAMPLES
            else None,
        )
        for code in sorted(codes)
    }


def described(doc: str | None, caller: str, answers: Mapping[int, ResponseSpec]) -> str:
    """A route's description: what it does, who may call it, what each error means."""
    lines = [inspect.cleandoc(doc or ""), "", f"May be called by {caller}.", "", "Errors:"]
    lines += [f"- **{code}**: {spec.description}" for code, spec in sorted(answers.items())]
    return "\n".join(lines)


Decorate = Callable[[Callable[..., Any]], HTTPRouteHandler]


SUMMARY_LENGTH = 100


def summary_of(doc: str | None) -> str | None:
    """A route's summary: the first sentence of its docstring, without markup, as a whole
    sentence; a long one ends at its first clause (before a ``:`` or ``;``)."""
    text = " ".join((doc or "").replace("`", "").split())
    sentence = text.split(". ")[0].rstrip(".").strip()
    if len(sentence) > SUMMARY_LENGTH:
        sentence = _first_clause(sentence)
    return f"{sentence}." if sentence else None


def _first_clause(sentence: str) -> str:
    """A sentence up to its first ``:`` or ``;`` outside parentheses (all of it when it
    has none)."""
    depth = 0
    for at, char in enumerate(sentence):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char in ":;" and depth == 0:
            return sentence[:at].rstrip(" ,")
    return sentence


@attrs.define
class Area:
    """``area = Area("profile", MEMBER, signed_in=True)``, then ``@area.post("/path", 400,
    422, meaning={422: "..."})``: the route gets the area's tag, its security and the
    errors every route of the area may answer besides those given, each described in the
    route's words, else in those for its caller, else in the general ones.
    ``area.handlers`` are the routes, for the app."""

    tag: str
    caller: str
    signed_in: bool = False
    answers: Sequence[int] = ()
    handlers: list[HTTPRouteHandler] = attrs.field(factory=list)

    def _route(
        self, method: Any, path: str | list[str], codes: Sequence[int], **kw: Any
    ) -> Decorate:
        """``caller=`` says who may call this route when it is not the area's caller;
        ``meaning={code: text}`` what an error means on it; ``without=(code, ...)`` the
        area's answers this route never gives. A route answers 400 only when it takes
        input, 413 only when it takes a body, 503 unless ``database=False``, and 403 on
        signed-in routes only for members (blocked) and admins' routes (operators)."""
        caller = kw.pop("caller", self.caller)
        own_meaning = kw.pop("meaning", {})
        meaning = {**CALLER_ANSWERS.get(caller, {}), **own_meaning}
        without = set(kw.pop("without", ()))
        shapes = kw.pop("shapes", None)
        if not kw.pop("database", True):
            without.add(503)
        files = "files" in kw.get("opt", {})

        def register(function: Callable[..., Any]) -> HTTPRouteHandler:
            inputs = [
                name
                for name, parameter in inspect.signature(function).parameters.items()
                if name != "request" and not str(parameter.annotation).startswith("Named")
            ]
            answers = {*self.answers, *codes, *ANY_ROUTE}
            if self.signed_in:
                answers |= {401, *((403,) if caller in (MEMBER, ADMIN) else ())}
            if files:
                answers.add(408)  # a body that arrives too slowly is cut off
            if not inputs:
                answers.discard(400)
            if "data" not in inputs:
                answers.discard(413)
            unanswered = set(own_meaning) - (answers - without)
            if unanswered:
                raise ValueError(f"{path}: says what {sorted(unanswered)} mean but never answers")
            documented = errors(*(answers - without), meaning=meaning, shapes=shapes)
            decorate = method(
                path,
                tags=kw.pop("tags", [self.tag]),
                security=SIGNED_IN if self.signed_in else None,
                responses=documented,
                description=described(function.__doc__, caller, documented),
                summary=kw.pop("summary", None) or summary_of(function.__doc__),
                **kw,
            )
            handler: HTTPRouteHandler = decorate(given_straight(function))
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
