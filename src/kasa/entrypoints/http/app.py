"""The one way an API is made: its public routes, its routes for signed-in callers
(behind a token check of its audience), the use cases its handlers are given, and what both
APIs share (errors, body limits, request ids, security headers, threads, the health
check, the OpenAPI document)."""

from __future__ import annotations

import gc
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import attrs
from dependency_injector import providers
from litestar import Litestar, MediaType, Request, Response, Router, route
from litestar.config.cors import CORSConfig
from litestar.enums import HttpMethod
from litestar.handlers import HTTPRouteHandler
from litestar.template.config import TemplateConfig

from kasa.adapters.sql.loop import LoopReads, LoopWrites
from kasa.adapters.sql.migrate import head_revision
from kasa.adapters.sql.quick import QuickSqlReads
from kasa.application.ports import TokenAudience
from kasa.domain.errors import KasaError
from kasa.entrypoints.container import Kasa
from kasa.entrypoints.http.auth import OPEN, TokenCheck, signed_in
from kasa.entrypoints.http.common import health, live, ready
from kasa.entrypoints.http.docs import (
    docs_asset,
    every_struct,
    file_answers,
    openapi,
    optional_bodies,
    positive_amounts,
)
from kasa.entrypoints.http.errors import EXCEPTION_HANDLERS, kasa_error
from kasa.entrypoints.http.examples import EXAMPLES, real_examples
from kasa.entrypoints.http.fields import Hryvnias
from kasa.entrypoints.http.metrics import (
    Asked,
    CountedSms,
    forget_dead_workers,
    known_at_zero,
    measured,
    metrics_route,
    noticed,
    watch_pool,
)
from kasa.entrypoints.http.middleware import answer_headers, forwarded_clients, request_context
from kasa.entrypoints.http.routes import Area
from kasa.entrypoints.http.threads import thread_limits
from kasa.entrypoints.http.uploads import BodyLimits, check_json_body, with_body_limits
from kasa.entrypoints.settings import Settings


@attrs.frozen
class Api:
    """What one API is made of."""

    name: str  # ``mobile`` or ``admin``: the examples file of its document
    title: str
    description: str
    audience: TokenAudience
    subject: str  # the name handlers take the signed-in subject's id by
    areas: Sequence[Area]
    dependencies: Callable[[Kasa], Mapping[str, object]]
    token_check: Callable[[Kasa], TokenCheck | None] = lambda _: None
    cors_origins: Callable[[Settings], Sequence[str]] = lambda _: ()
    # pages beside the API (the office), and the templates they are made from
    pages: Callable[[BodyLimits], Sequence[Router]] = lambda _: ()
    templates: Callable[[], TemplateConfig[Any] | None] = lambda: None


def create_app(kasa: Kasa, api: Api) -> Litestar:
    settings: Settings = kasa.settings()
    counting = settings.http.metrics
    if counting:
        watched(kasa)
    limits = BodyLimits(
        max_body_bytes=settings.files.max_body_bytes,
        max_file_bytes=settings.fund.max_upload_bytes,
        max_files=settings.fund.max_files_per_upload,
    )
    public = [
        *with_body_limits([h for a in api.areas if not a.signed_in for h in a.handlers], limits),
        health,
        ready,
        live,
        *(
            [
                metrics_route(
                    settings.http.metrics_allow,
                    Asked(
                        kasa.system.watching(),
                        settings.data_dir,
                        getattr(kasa.adapters.database(), "replica", None),
                    ),
                )
            ]
            if counting
            else []
        ),
        *([docs_asset] if settings.http.docs else []),
    ]
    protected = with_body_limits(
        [h for area in api.areas if area.signed_in for h in area.handlers], limits
    )
    signed_in_routes = Router(
        "/",
        route_handlers=[*options_handlers(protected, besides=public), *protected],
        middleware=[signed_in(api.audience, api.token_check(kasa))],
    )
    cors = api.cors_origins(settings)
    app = Litestar(
        route_handlers=[
            *options_handlers(public, besides=protected),
            *public,
            signed_in_routes,
            *api.pages(limits),
        ],
        template_config=api.templates(),
        exception_handlers={**EXCEPTION_HANDLERS, KasaError: counted_error}
        if counting
        else EXCEPTION_HANDLERS,
        plugins=[Hryvnias()],
        openapi_config=openapi(api.title, api.description) if settings.http.docs else None,
        request_max_body_size=limits.max_body_bytes,
        before_request=check_json_body,
        middleware=[forwarded_clients(settings.http.trusted_proxies), request_context()],
        before_send=[answer_headers(settings.http.hsts)],
        cors_config=CORSConfig(
            allow_origins=list(cors),
            allow_credentials=False,
            allow_headers=["Authorization", "x-access-token", "Content-Type", "X-Request-ID"],
        )
        if cors
        else None,
        debug=False,
        on_startup=[
            thread_limits(settings.process.worker_threads, settings.process.read_threads),
            forget_dead_workers,
            known_at_zero,
            freeze_startup_objects,
        ],
        on_shutdown=[
            closed_on_the_loop(
                kasa.adapters.quick(), kasa.adapters.on_loop(), kasa.adapters.reads_on_loop()
            )
        ],
    )
    optional_bodies(app)
    file_answers(app)
    positive_amounts(app, every_struct())
    real_examples(app, EXAMPLES.read(api.name))
    # what handlers take by name (``dependencies.given_straight``), and the name they take
    # the signed-in subject's id by
    app.state.given = {
        **api.dependencies(kasa),
        "uow": kasa.adapters.uow(),
        "file_store": kasa.adapters.files(),
        "schema_head": head_revision() or "",
        "replica": getattr(kasa.adapters.database(), "replica", None),
    }
    app.state.subject = api.subject
    app.state.tokens = kasa.adapters.tokens()
    app.state.body_limits = limits
    # every request counted and timed, whatever answers it (a route, an error, a 404)
    if counting:
        app.asgi_handler = measured(api.name, app.asgi_handler)
    return app


def closed_on_the_loop(
    *users: QuickSqlReads | LoopWrites | LoopReads | None,
) -> Callable[[], Awaitable[None]]:
    """An ``on_shutdown`` hook: the database connections the app's event loop opened (its
    quick reads, its units of work, its reads) are closed with it."""

    async def close() -> None:
        for user in users:
            if user is not None:
                await user.close()

    return close


def watched(kasa: Kasa) -> None:
    """The sends and the database pool the metrics count (once for a container)."""
    sms = kasa.adapters.sms()
    if not isinstance(sms, CountedSms):
        kasa.adapters.sms.override(providers.Object(CountedSms(sms)))
    engine = kasa.adapters.database().engine
    if not getattr(engine, "kasa_watched", False):
        watch_pool(engine)
        engine.kasa_watched = True


def counted_error(request: Request[Any, Any, Any], error: KasaError) -> Response[Any]:
    noticed(request, error)
    return kasa_error(request, error)


def app_from_environment(api: Api) -> Litestar:
    """For ASGI servers: an API on the environment's settings, with Kasa's logs."""
    from kasa.entrypoints.container import build_container
    from kasa.entrypoints.logs import configure

    container = build_container()
    settings = container.settings()
    configure(json_lines=settings.process.json_logs)
    for line in settings.warnings():
        logging.getLogger("kasa.settings").warning(line)
    return create_app(container, api)


def options_handlers(
    handlers: Sequence[HTTPRouteHandler], besides: Sequence[HTTPRouteHandler]
) -> list[HTTPRouteHandler]:
    """An ``OPTIONS`` handler for each path, answering every method the path takes.

    Litestar adds one to a path itself, but registers a router's handlers one at a time
    and keeps the methods of the path as they were when it made it, so a path that takes
    ``POST`` and ``PUT`` answered ``Allow: OPTIONS, POST`` (litestar-org/litestar issue
    4169, fixed in Litestar 3). A path that has an ``OPTIONS`` handler gets none from
    Litestar; these are made once every handler is known. CORS preflights are answered
    by the CORS middleware before any of them. A path is either public or for signed-in
    callers (``besides``: the other kind), so its ``OPTIONS`` handler is made once."""
    methods: dict[str, set[str]] = defaultdict(set)
    for handler in handlers:
        for path in handler.paths:
            methods[path] |= set(handler.http_methods)
    shared = set(methods) & {path for handler in besides for path in handler.paths}
    if shared:
        raise ValueError(f"paths both public and for signed-in callers: {sorted(shared)}")
    return [allow(path, sorted(found | {"OPTIONS"})) for path, found in methods.items()]


def allow(path: str, methods: Sequence[str]) -> HTTPRouteHandler:
    header = {"Allow": ", ".join(methods)}

    def options() -> Response[None]:
        return Response(None, status_code=204, headers=header, media_type=MediaType.TEXT)

    return route(
        path,
        http_method=[HttpMethod.OPTIONS],
        include_in_schema=False,
        sync_to_thread=False,
        opt={OPEN: True},
    )(options)


def freeze_startup_objects() -> None:
    """Move everything made while starting (the app, its routes and OpenAPI models,
    SQLAlchemy's metadata) out of the garbage collector's sight: a full collection
    then walks only what requests made, instead of pausing for 100 ms."""
    gc.collect()
    gc.freeze()
