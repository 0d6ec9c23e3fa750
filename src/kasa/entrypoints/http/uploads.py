"""Request bodies, read as they arrive and never more than a route needs.

Routes without files take a JSON or form body of at most ``KASA_MAX_BODY_KB``; a
larger one is refused with 413 before it is read (``Content-Length``) or as soon as it
passes the limit (chunked). Routes with files stream each file into a temporary file
(spooled to disk past a small buffer), stopping at the first file over
``KASA_MAX_UPLOAD_MB``, at more files than ``KASA_MAX_FILES`` or at form fields larger
than the body limit: a worker never holds an upload whole in memory.

A route takes files when its handler's ``opt`` says how many (``files=N``, or
``"many"`` for up to ``KASA_MAX_FILES``, or ``"diia"`` for Diia's documents, which
arrive together within one file's limit).
"""

from __future__ import annotations

import asyncio
import copy
import functools
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any
from urllib.parse import parse_qsl

import attrs
import msgspec
import msgspec.inspect
from litestar import Request
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.exceptions import HTTPException, SerializationException, ValidationException
from litestar.handlers import HTTPRouteHandler
from litestar.utils.scope.state import ScopeState
from litestar.utils.sync import ensure_async_callable
from multipart import (  # type: ignore[import-untyped]
    MultipartSegment,
    ParserError,
    ParserLimitReached,
    PushMultipartParser,
)

from kasa.domain.errors import InvalidInput, TooLarge
from kasa.entrypoints.http.errors import TOO_SLOW

MIB = 1024 * 1024
# bytes of a file kept in memory before it goes to a temporary file on disk
SPOOL_BYTES = 256 * 1024
# room for the multipart framing of each part (boundary, headers)
PART_OVERHEAD = 2048
MAX_JSON_DEPTH = 32


@attrs.frozen
class BodyLimits:
    max_body_bytes: int
    max_file_bytes: int
    max_files: int

    def files_of(self, handler: HTTPRouteHandler) -> int:
        wanted = handler.opt["files"]
        if wanted == "many":
            return self.max_files
        if wanted == "diia":
            return 1  # Diia's documents together take at most one file's limit
        return int(wanted)

    def body_of(self, handler: HTTPRouteHandler) -> int:
        files = self.files_of(handler)
        return files * (self.max_file_bytes + PART_OVERHEAD) + self.max_body_bytes


def with_body_limits(
    handlers: Sequence[Any],
    limits: BodyLimits,
    *,
    first: Callable[[Request[Any, Any, Any]], Awaitable[Any]] | None = None,
) -> list[Any]:
    """The handlers, those that take files copied with their body limit and the
    streaming form reader (after ``first``, a hook of their router that may answer
    instead, such as asking a stranger to sign in); the others keep the app's limit for
    small bodies."""
    ready = []
    for handler in handlers:
        if isinstance(handler, HTTPRouteHandler) and "files" in handler.opt:
            handler = copy.copy(handler)
            handler.request_max_body_size = limits.body_of(handler)
            handler.before_request = ensure_async_callable(
                read_form if first is None else _then_read_form(first)
            )
        ready.append(handler)
    return ready


def _then_read_form(
    first: Callable[[Request[Any, Any, Any]], Awaitable[Any]],
) -> Callable[[Request[Any, Any, Any]], Awaitable[Any]]:
    async def hook(request: Request[Any, Any, Any]) -> Any:
        answer = await first(request)
        if answer is None:
            await read_form(request)
        return answer

    return hook


async def read_form(request: Request[Any, Any, Any]) -> None:
    """A ``before_request`` hook: read the multipart form, files to disk, within the
    limits, and leave it where Litestar looks for the parsed form."""
    limits: BodyLimits = request.app.state.body_limits
    state = ScopeState.from_scope(request.scope)
    media, options = request.content_type
    if media == "application/x-www-form-urlencoded":  # a form without files
        state.form = await _small_form(request, limits.max_body_bytes)
        return
    if media != "multipart/form-data":
        state.form = {}
        return
    boundary = options.get("boundary")
    if not boundary:
        raise InvalidInput("The form has no multipart boundary.", {"body": "no boundary"})
    state.form = await _parse(request, boundary.encode("latin-1"), limits)


async def _parse(
    request: Request[Any, Any, Any], boundary: bytes, limits: BodyLimits
) -> dict[str, Any]:
    handler = request.route_handler
    max_files = limits.files_of(handler) if handler.opt.get("files") != "diia" else limits.max_files
    max_file = limits.max_file_bytes
    fields: defaultdict[str, list[Any]] = defaultdict(list)
    segment: MultipartSegment | None = None
    upload: UploadFile | None = None
    text = bytearray()
    text_total = 0
    files = 0
    file_size = 0
    total_files = 0
    try:
        with PushMultipartParser(
            boundary, max_header_count=8, max_segment_count=max_files + 64
        ) as parser:
            async for chunk in _arriving(request):
                for event in parser.parse(chunk):
                    if isinstance(event, MultipartSegment):
                        segment, text, file_size = event, bytearray(), 0
                        if event.filename:
                            files += 1
                            if files > max_files:
                                raise InvalidInput.field(
                                    "files", f"at most {max_files} files at once"
                                )
                            upload = UploadFile(
                                content_type=event.content_type or "application/octet-stream",
                                filename=event.filename,
                                headers=dict(event.headerlist),
                                max_spool_size=SPOOL_BYTES,
                            )
                    elif event:
                        assert segment is not None
                        if upload is not None:
                            file_size += len(event)
                            total_files += len(event)
                            if file_size > max_file or (
                                handler.opt.get("files") == "diia" and total_files > max_file
                            ):
                                raise _too_large(segment.name, max_file)
                            await upload.write(event)
                        else:
                            text_total += len(event)
                            if text_total > limits.max_body_bytes:
                                raise TooLarge(
                                    "The form's fields are too large.",
                                    {segment.name: "too long"},
                                )
                            text.extend(event)
                    else:
                        assert segment is not None
                        if upload is not None:
                            await upload.seek(0)
                            fields[segment.name].append(upload)
                        else:
                            fields[segment.name].append(_text(segment, text))
                        segment, upload = None, None
                if parser.closed:
                    break
    except (ParserError, ParserLimitReached):
        await _close(fields, upload)
        raise InvalidInput("The multipart form cannot be read.", {"body": "malformed"}) from None
    except BaseException:
        await _close(fields, upload)
        raise
    return {name: values if len(values) > 1 else values[0] for name, values in fields.items()}


async def _small_form(request: Request[Any, Any, Any], limit: int) -> dict[str, Any]:
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise TooLarge("The form is too large.", {"body": f"at most {limit // 1024} KiB"})
    fields: defaultdict[str, list[str]] = defaultdict(list)
    for name, value in parse_qsl(body.decode("utf-8"), keep_blank_values=True):
        fields[name].append(value)
    return {name: values if len(values) > 1 else values[0] for name, values in fields.items()}


# the charsets a text field may say it is in: UTF-8 and its subset ASCII
TEXT_CHARSETS = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})


def _text(segment: MultipartSegment, text: bytearray) -> str:
    """A form field's text: UTF-8 (or ASCII), whatever else its part says it is in is
    refused (a made-up or costly charset is never handed to a decoder)."""
    charset = (segment.charset or "utf-8").strip().lower()
    if charset not in TEXT_CHARSETS:
        raise InvalidInput.field(segment.name, f"must be UTF-8 text, not {charset[:32]}")
    try:
        return text.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput.field(segment.name, "must be UTF-8 text") from None


# a body must come at least this fast, measured over each window (and never pause a
# whole window): one byte every few seconds would otherwise hold a worker's upload open
MIN_BYTES_PER_SECOND = 3 * 1024
WINDOW_SECONDS = 10.0


async def _arriving(request: Request[Any, Any, Any]) -> AsyncIterator[bytes]:
    """The body's chunks as they arrive, cut off (408, nothing kept) when fewer than
    ``MIN_BYTES_PER_SECOND`` came over a window, or none for a whole window."""
    chunks = request.stream().__aiter__()
    loop = asyncio.get_running_loop()
    started, received = loop.time(), 0
    while True:
        try:
            chunk = await asyncio.wait_for(anext(chunks), timeout=WINDOW_SECONDS)
        except StopAsyncIteration:
            return
        except TimeoutError:
            raise _too_slow() from None
        received += len(chunk)
        now = loop.time()
        if now - started >= WINDOW_SECONDS:
            if received < MIN_BYTES_PER_SECOND * (now - started):
                raise _too_slow()
            started, received = now, 0
        yield chunk


def _too_slow() -> HTTPException:
    return HTTPException(status_code=408, detail=TOO_SLOW)


def _too_large(name: str, limit: int) -> TooLarge:
    return TooLarge(
        f"{name}: the file is larger than {limit // MIB} MB.",
        {name: f"must be at most {limit // MIB} MB"},
    )


async def _close(fields: dict[str, list[Any]], current: UploadFile | None) -> None:
    if current is not None:
        await current.close()
    for values in fields.values():
        for value in values:
            if isinstance(value, UploadFile):
                await value.close()


async def check_json_body(request: Request[Any, Any, Any]) -> None:
    """A ``before_request`` hook for routes without files. A JSON body nested deeper
    than 32 levels is refused before it is decoded (decoding it would recurse). A body
    is then held to the types its route documents, strictly: Litestar's own decoding
    would take ``0`` for ``false`` or ``"5"`` for ``5``, which the document does not
    allow. A whole number written with a fraction of zero (``180.0``) is a whole number,
    as in JSON Schema."""
    if request.method in ("GET", "HEAD", "OPTIONS", "DELETE"):
        return
    body = await request.body()
    if body.count(b"[") + body.count(b"{") > MAX_JSON_DEPTH and json_depth(body) > MAX_JSON_DEPTH:
        raise InvalidInput.field("body", f"JSON may be nested at most {MAX_JSON_DEPTH} deep")
    wanted = json_body_type(request.route_handler)
    if wanted is None or not body.strip():
        return
    try:
        decoded = await request.json()  # Litestar keeps it for the route's own decoding
    except SerializationException:
        return  # not JSON: Litestar's decoding says so in its own words
    if decoded is None:  # an optional body is left out, never sent as null
        message = "Expected `object`, got `null`"
        raise ValidationException(extra=[{"message": message, "key": "body"}])
    try:
        msgspec.convert(whole_numbers(decoded), wanted, strict=True)
    except msgspec.ValidationError as error:
        message, _, where = str(error).partition(" - at `$")
        key = where.rstrip("`").lstrip(".") or "body"
        raise ValidationException(extra=[{"message": message, "key": key}]) from None
    text = amount_as_text(decoded, _type_info(wanted))
    if text is not None:  # msgspec takes a decimal from a string too; the document does not
        raise ValidationException(extra=[{"message": "Expected `decimal`, got `str`", "key": text}])


@functools.lru_cache(maxsize=256)
def _type_info(wanted: Any) -> Any:
    """A route's body type as msgspec describes it (worked out once for each type: it
    took a tenth of a search's time when made for every request)."""
    return msgspec.inspect.type_info(wanted)


def amount_as_text(value: Any, kind: Any, path: str = "") -> str | None:
    """Where the body gives an amount (a decimal) as a JSON string, or ``None``."""
    inspect = msgspec.inspect
    if isinstance(kind, inspect.Metadata):  # an annotated type: its documentation
        return amount_as_text(value, kind.type, path)
    if isinstance(kind, inspect.DecimalType):
        return (path or "body") if isinstance(value, str) else None
    if isinstance(kind, inspect.UnionType):
        found = [amount_as_text(value, t, path) for t in kind.types]
        return found[0] if found and all(found) else None
    if isinstance(kind, inspect.StructType) and isinstance(value, dict):
        for field in kind.fields:
            if field.encode_name in value:
                where = f"{path}.{field.encode_name}" if path else field.encode_name
                inside = amount_as_text(value[field.encode_name], field.type, where)
                if inside is not None:
                    return inside
    if isinstance(kind, inspect.ListType | inspect.SetType) and isinstance(value, list):
        for n, item in enumerate(value):
            inside = amount_as_text(item, kind.item_type, f"{path}[{n}]")
            if inside is not None:
                return inside
    return None


def json_body_type(handler: Any) -> Any:
    """The type a route's JSON body is decoded as, or ``None`` without one."""
    data = handler.parsed_fn_signature.parameters.get("data")
    if data is None:
        return None
    media_type = getattr(data.kwarg_definition, "media_type", RequestEncodingType.JSON)
    return data.annotation if media_type == RequestEncodingType.JSON else None


def whole_numbers(value: Any) -> Any:
    """The decoded JSON with each number whose fraction is zero as a whole number."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [whole_numbers(v) for v in value]
    if isinstance(value, dict):
        return {k: whole_numbers(v) for k, v in value.items()}
    return value


def json_depth(body: bytes) -> int:
    """How deep arrays and objects nest in a JSON text (brackets in strings skipped)."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return deepest
