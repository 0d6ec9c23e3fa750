"""One mapping from Kasa's error kinds to the APIs' error JSON and status codes.

Every error is ``{"status": "error", "message": ...}`` (plus ``errors`` per field for
bad input). Nothing unexpected ever reaches a client as a stack trace: it is logged with
the request id and answered with a plain 500."""

from __future__ import annotations

import logging
import re
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from sqlalchemy import exc as sa_exc

from kasa.application.retrying import Aborted
from kasa.domain import errors as e
from kasa.entrypoints.http.fields import PATTERN_WORDS

log = logging.getLogger("kasa.http")

STATUS = {
    e.InvalidInput: 400,
    e.TooLarge: 413,
    e.AuthenticationFailed: 401,
    e.PermissionDenied: 403,
    e.NotFound: 404,
    e.Conflict: 409,
    e.RuleViolation: 422,
    e.RateLimited: 429,
    e.DeliveryFailed: 502,
    e.NotConfigured: 503,
    e.Busy: 503,
}

ERROR_RESPONSES = {
    400: "Malformed or invalid input: `errors` names each bad field and what it must be. "
    "Nothing was changed; correct those fields and send again.",
    401: "Not signed in: the token is missing, invalid or expired. Sign in again.",
    403: "Not allowed for this caller.",
    404: "Not found: the id or name points at nothing the caller may see. Refresh the list "
    "it came from.",
    409: "Not allowed in the object's current state; the message says why. Refresh it and "
    "decide again.",
    422: "A business rule refused it; the message says which, in words to show the user.",
    408: "The body arrived too slowly (less than a few KiB a second over 10 seconds, or "
    "nothing for 10 seconds) and was cut off; nothing was kept. Send it again.",
    413: "The body is larger than the route takes (a file over the upload limit, a JSON or "
    "form body over its limit), or the member's files would pass their storage bound. "
    "Send smaller or fewer files.",
    429: "Too many attempts: wait the seconds `Retry-After` gives, then try again.",
    502: "An outside service (SMS, LiqPay, Diia, the file store) failed and nothing was "
    "changed; the message names which. Try again later.",
    503: "The database is unavailable or busy with other changes to the same records "
    "(nothing was changed; try again after `Retry-After`), or the feature is not "
    "configured on this server (the message says so; do not retry).",
}


def error_body(message: str, errors: dict[str, str] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"status": "error", "message": message}
    if errors:
        body["errors"] = errors
    return body


def status_of(error: e.KasaError) -> int:
    for kind in type(error).__mro__:
        if kind in STATUS:
            return STATUS[kind]
    return 400


FIELD_NAMES = "field_names"


def _error(message: str, **errors: str) -> dict[str, object]:
    return {"status": "error", "message": message, **({"errors": errors} if errors else {})}


# what a body cut off for arriving too slowly is answered (on any route that takes files)
TOO_SLOW = "The request body arrived too slowly; nothing was kept."
# the examples of answers that are the same on every route that gives them; every other
# example is a route's own real answer (``examples.real_examples``)
SHARED_EXAMPLES = {408: _error(TOO_SLOW)}


def in_route_names(
    request: Request[Any, Any, Any], error: e.InvalidInput
) -> tuple[str, dict[str, str]]:
    """An error's message and fields in the names the route's clients send: the use
    cases name the business thing (``approved_amount``), a route may call it otherwise
    (``opt={"field_names": {"approved_amount": "suma"}}``)."""
    handler = request.scope.get("route_handler")
    names: dict[str, str] = handler.opt.get(FIELD_NAMES, {}) if handler is not None else {}
    message, fields = error.message, dict(error.errors)
    for ours, theirs in names.items():
        if ours in fields:
            fields[theirs] = fields.pop(ours)
        if message.startswith(f"{ours}: "):
            message = f"{theirs}: " + message[len(ours) + 2 :]
    if names:  # the names also inside the texts ("missing: id_card_back" → "missing: id_2")
        said = re.compile(r"\b(" + "|".join(map(re.escape, names)) + r")\b")
        fields = {key: said.sub(lambda m: names[m.group(1)], text) for key, text in fields.items()}
    return message, fields


def kasa_error(request: Request[Any, Any, Any], error: e.KasaError) -> Response[Any]:
    headers = {}
    if isinstance(error, e.DeliveryFailed):
        # the client hears only which service failed; the log (with the request id)
        # keeps what happened
        log.error("%s service failed: %s", error.service, error.detail or "no detail")
    if isinstance(error, e.RateLimited):
        headers["Retry-After"] = str(error.retry_after)
    if isinstance(error, e.Busy):
        headers["Retry-After"] = "1"
    message, errors = error.message, None
    if isinstance(error, e.InvalidInput):
        message, errors = in_route_names(request, error)
    return Response(
        error_body(message, errors),
        status_code=status_of(error),
        headers=headers,
        media_type=MediaType.JSON,
    )


MISSING_FIELD = re.compile(r"missing required field `([^`]+)`")
EXPECTED = re.compile(r"^Expected `([^`]+)`, got `([^`]+)`")
KINDS = {
    "str": "text",
    "int": "a whole number",
    "bool": "true or false",
    "float": "a number",
    "decimal": "a number",
    "object": "a JSON object",
    "array": "a list",
    "null": "null",
    "date": "a date",
}


LENGTH = re.compile(r"^Expected `(str|array|object)` of length (<=|>=) (\d+)")
PATTERN = re.compile(r"^Expected `str` matching regex '(.*)'")
BOUND = re.compile(r"^Expected `(int|float|decimal)` (<=|>=|<|>) (\S+)")
UNITS = {"str": "characters", "array": "items", "object": "fields"}
COMPARED = {"<=": "at most", ">=": "at least", "<": "less than", ">": "more than"}


UNSUPPORTED = re.compile(r"^Unsupported type: <class '([\w.]+)'>")


def in_words(message: str) -> str:
    """A decoder's message in the project's words: ``Expected `str`, got `int```
    becomes "must be text, not a whole number", ``Expected `str` of length <= 200``
    "must be at most 200 characters"; others pass as they are."""
    unsupported = UNSUPPORTED.match(message)
    if unsupported:  # a form's file field sent as text
        return f"must be a file, not {KINDS.get(unsupported.group(1), 'this kind of value')}"
    length = LENGTH.match(message)
    if length:
        kind, compared, n = length.groups()
        return f"must be {COMPARED[compared]} {n} {UNITS[kind]}"
    pattern = PATTERN.match(message)
    if pattern:
        regex = pattern.group(1).replace("\\\\", "\\")  # the message doubles backslashes
        said: str = PATTERN_WORDS.get(regex, "is not in the form the reference gives")
        return said
    bound = BOUND.match(message)
    if bound:
        return f"must be {COMPARED[bound.group(2)]} {bound.group(3)}"
    found = EXPECTED.match(message)
    if not found:
        return message
    wanted = " or ".join(KINDS.get(k.strip(), k.strip()) for k in found.group(1).split("|"))
    return f"must be {wanted}, not {KINDS.get(found.group(2), found.group(2))}"


def validation_error(_request: Request[Any, Any, Any], error: ValidationException) -> Response[Any]:
    """Every bad field named, a missing one too (never the body as a whole)."""
    fields: dict[str, str] = {}
    for item in error.extra if isinstance(error.extra, list) else []:
        if isinstance(item, dict):
            message = str(item.get("message") or "is invalid")
            missing = MISSING_FIELD.search(message)
            if missing:
                fields[missing.group(1)] = "is required"
                continue
            key = str(item.get("key") or "")
            if key in ("", "data", "body"):  # the body as a whole, not one of its fields
                key, message = "body", "must be a JSON object" if "object" in message else message
            fields[key] = in_words(message)
    return Response(
        error_body("The request has invalid fields.", fields or {"body": "is invalid"}),
        status_code=400,
        media_type=MediaType.JSON,
    )


def http_error(_request: Request[Any, Any, Any], error: HTTPException) -> Response[Any]:
    status = error.status_code
    message = error.detail if status < 500 else "Something went wrong on our side."
    if status == 413:
        message = "The request body is larger than this route takes."
    return Response(
        error_body(str(message)),
        status_code=status,
        headers=error.headers,
        media_type=MediaType.JSON,
    )


def undecodable(_request: Request[Any, Any, Any], _error: UnicodeDecodeError) -> Response[Any]:
    """Form fields that are not UTF-8 text (the multipart parser gives up on them)."""
    return Response(
        error_body("The request has text that is not UTF-8.", {"body": "not UTF-8"}),
        status_code=400,
        media_type=MediaType.JSON,
    )


def database_unavailable(
    _request: Request[Any, Any, Any], error: sa_exc.OperationalError
) -> Response[Any]:
    """The database cannot be reached: 503, so clients and the gateway try again."""
    log.error("database unavailable: %s", error.orig)
    return Response(
        error_body("The service is briefly unavailable; please try again."),
        status_code=503,
        headers={"Retry-After": "5"},
        media_type=MediaType.JSON,
    )


def aborted(_request: Request[Any, Any, Any], error: Aborted) -> Response[Any]:
    """A unit of work the database aborted outside a use case that runs it again."""
    log.error("database aborted a change: %s", error)
    return Response(
        error_body("The service is busy; nothing was changed, please try again."),
        status_code=503,
        headers={"Retry-After": "1"},
        media_type=MediaType.JSON,
    )


def unexpected_error(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    return Response(
        error_body("Something went wrong on our side."),
        status_code=HTTP_500_INTERNAL_SERVER_ERROR,
        media_type=MediaType.JSON,
    )


EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    e.KasaError: kasa_error,
    ValidationException: validation_error,
    HTTPException: http_error,
    UnicodeDecodeError: undecodable,
    sa_exc.OperationalError: database_unavailable,
    Aborted: aborted,
    Exception: unexpected_error,
}
