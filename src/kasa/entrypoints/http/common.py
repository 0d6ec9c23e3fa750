"""What both apps share: reading uploads,
documented error responses, OpenAPI settings and the health check."""

from __future__ import annotations

import gc
import ipaddress
from collections.abc import Callable, Iterator, Sequence
from typing import Any, BinaryIO, TypeVar
from urllib.parse import quote

import sqlalchemy as sa
from litestar import Litestar, Request, Response, Router, get
from litestar.config.cors import CORSConfig
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency, Provide
from litestar.openapi import OpenAPIConfig, ResponseSpec
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.response import Stream

from kasa import __version__
from kasa.application.context import Upload
from kasa.application.ports import TokenAudience
from kasa.application.views import FileContent
from kasa.entrypoints.http.auth import SECURITY_COMPONENTS, TokenCheck, signed_in, subject
from kasa.entrypoints.http.dependencies import resolve_dependencies_in_order
from kasa.entrypoints.http.errors import ERROR_RESPONSES, EXCEPTION_HANDLERS
from kasa.entrypoints.http.middleware import answer_headers, request_context
from kasa.entrypoints.http.schemas import ErrorOut, Health
from kasa.entrypoints.http.threads import run, thread_limits
from kasa.entrypoints.http.uploads import BodyLimits, check_json_depth, with_body_limits

T = TypeVar("T")
DOWNLOAD_CHUNK = 64 * 1024


def client_address(request: Request[Any, Any, Any]) -> str:
    """Who is calling, for throttling and the audit trail (see :func:`forwarded_client`)."""
    return forwarded_client(
        request.client.host if request.client else "",
        request.headers.getall("x-forwarded-for", []),
        request.app.state.trusted_proxies,
    )


def forwarded_client(peer: str, forwarded_for: Sequence[str], trusted: Sequence[Any]) -> str:
    """The TCP peer, unless the peer is a trusted proxy (``KASA_TRUSTED_PROXIES``).
    Then ``X-Forwarded-For`` is read from the right, and the client is the first address
    that is not itself a trusted proxy; whatever a client wrote further left is never
    reached. By default (no trusted proxy) the header is ignored."""
    if not trusted or not _is_trusted(peer, trusted):
        return peer
    hops = [hop.strip() for header in forwarded_for for hop in header.split(",")]
    for hop in reversed(hops):
        if not _is_trusted(hop, trusted):
            return hop if _is_address(hop) else peer
    return peer


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _is_trusted(text: str, trusted: Sequence[Any]) -> bool:
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return False
    return any(address in network for network in trusted)


def read_upload(field: str, upload: UploadFile) -> Upload:
    """An uploaded file for the use cases: its bytes stay in the (spooled) temporary
    file the form was read into."""
    upload.file.seek(0, 2)
    size = upload.file.tell()
    upload.file.seek(0)
    return Upload(field, upload.filename, upload.file, size)  # type: ignore[arg-type]


async def all_uploads(request: Request[Any, Any, Any]) -> list[Upload]:
    """Every file of a multipart form, whatever its field name."""
    form = await request.form()
    return [
        read_upload(name, value)
        for name, value in form.multi_items()
        if isinstance(value, UploadFile)
    ]


def errors(*codes: int) -> dict[int, ResponseSpec]:
    """The error answers a route documents; every route may answer 413 (a body larger
    than it takes) and 503 (the database is unavailable). Routes that use an outside
    service list 502 too."""
    return {
        code: ResponseSpec(data_container=ErrorOut, description=ERROR_RESPONSES[code])
        for code in sorted({*codes, 413, 503})
    }


def openapi(title: str, description: str) -> OpenAPIConfig:
    return OpenAPIConfig(
        title=title,
        version=__version__,
        description=description,
        components=SECURITY_COMPONENTS,
        path="/docs",
        render_plugins=[SwaggerRenderPlugin()],
    )


def constant(value: object) -> Provide:
    """A Litestar dependency that always gives the same object (a use case, settings)."""
    return Provide(lambda: value, sync_to_thread=False, use_cache=True)


@get("/health", tags=["operations"])
async def health(uow: NamedDependency[Any]) -> Response[Health]:
    """Liveness and database readiness, for a load balancer."""
    ready = await run(database_ready, uow)
    body = Health("ok" if ready else "unavailable", "ok" if ready else "unreachable")
    return Response(body, status_code=200 if ready else 503)


@get("/health/live", tags=["operations"], sync_to_thread=False)
def live() -> dict[str, str]:
    """Liveness only: the process answers (no database involved)."""
    return {"status": "ok"}


class FileStream(Stream):
    """A streamed file whose own content type wins over the route's (Litestar's
    ``Stream`` lets the route's media type win)."""

    def to_asgi_response(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["media_type"] = self.media_type
        return super().to_asgi_response(*args, **kwargs)


def file_response(found: FileContent) -> Stream:
    """A stored file with its content type (never HTML: only JPEG, PNG, PDF and plain text
    are ever stored), shown inline under its own name; browsers must not guess another.
    Sent in chunks from the file store, never read whole."""
    name = quote(found.file.original_name)
    return FileStream(
        _chunks(found.content),
        media_type=found.file.content_type.value,
        headers={
            "Content-Length": str(found.file.size),
            "Cache-Control": "private, max-age=0",
            "X-Content-Type-Options": "nosniff",
            "Content-Disposition": f"inline; filename*=UTF-8''{name}",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


def _chunks(source: BinaryIO) -> Iterator[bytes]:
    with source:
        while chunk := source.read(DOWNLOAD_CHUNK):
            yield chunk


def freeze_startup_objects() -> None:
    """Move everything made while starting (the app, its routes and OpenAPI models,
    SQLAlchemy's metadata) out of the garbage collector's sight: a full collection
    then walks only what requests made, instead of pausing for 100 ms."""
    gc.collect()
    gc.freeze()


def build_app(
    kasa: Any,
    *,
    public: Sequence[Any],
    protected: Sequence[Any],
    audience: TokenAudience,
    subject_name: str,
    services: Sequence[str],
    extra: dict[str, object],
    title: str,
    description: str,
    hsts: bool = False,
    cors_origins: Sequence[str] = (),
    token_check: TokenCheck | None = None,
) -> Litestar:
    """One of the two apps: public routes, routes that need a token of ``audience``
    (its subject id injected as ``subject``), the named use cases as dependencies, the
    shared error mapping and OpenAPI document, and the health check."""
    resolve_dependencies_in_order()
    container = kasa.services
    settings = kasa.settings()
    limits = BodyLimits(
        max_body_bytes=settings.max_body_bytes,
        max_file_bytes=settings.fund.max_upload_bytes,
        max_files=settings.fund.max_files_per_upload,
    )
    signed_in_routes = Router(
        "/",
        route_handlers=with_body_limits(protected, limits),
        guards=[signed_in(audience, token_check)],
        dependencies={subject_name: Provide(subject, sync_to_thread=False)},
    )
    app = Litestar(
        route_handlers=[*with_body_limits(public, limits), health, live, signed_in_routes],
        dependencies={
            **{name: constant(getattr(container, name)()) for name in services},
            "uow": constant(kasa.gateways.uow()),
            **{name: constant(value) for name, value in extra.items()},
        },
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=openapi(title, description) if settings.docs else None,
        request_max_body_size=limits.max_body_bytes,
        before_request=check_json_depth,
        middleware=[request_context()],
        before_send=[answer_headers(hsts)],
        cors_config=CORSConfig(
            allow_origins=list(cors_origins),
            allow_credentials=False,
            allow_headers=["Authorization", "x-access-token", "Content-Type", "X-Request-ID"],
        )
        if cors_origins
        else None,
        debug=False,
        on_startup=[
            thread_limits(settings.worker_threads, settings.read_threads),
            freeze_startup_objects,
        ],
    )
    app.state.tokens = kasa.gateways.tokens()
    app.state.trusted_proxies = tuple(ipaddress.ip_network(n) for n in settings.trusted_proxies)
    app.state.body_limits = limits
    return app


def database_ready(uow_factory: Callable[[], Any]) -> bool:
    try:
        with uow_factory() as uow:
            session = getattr(uow, "session", None)
            if session is not None:
                session.execute(sa.text("SELECT 1"))
        return True
    except Exception:
        return False
