"""The one way an API is made: its public routes, its routes for signed-in callers
(behind a token guard of its audience), its use cases as dependencies, and what both
APIs share (errors, body limits, request ids, security headers, threads, the health
check, the OpenAPI document)."""

from __future__ import annotations

import gc
import ipaddress
import logging
from collections.abc import Callable, Mapping, Sequence

import attrs
from litestar import Litestar, Router
from litestar.config.cors import CORSConfig
from litestar.di import Provide
from litestar.routes import HTTPRoute

from kasa.application.ports import TokenAudience
from kasa.entrypoints.container import Kasa
from kasa.entrypoints.http.auth import TokenCheck, signed_in, subject
from kasa.entrypoints.http.common import health, live
from kasa.entrypoints.http.dependencies import resolve_dependencies_in_order
from kasa.entrypoints.http.docs import (
    docs_asset,
    every_struct,
    file_answers,
    openapi,
    optional_bodies,
    positive_amounts,
)
from kasa.entrypoints.http.errors import EXCEPTION_HANDLERS
from kasa.entrypoints.http.examples import EXAMPLES, real_examples
from kasa.entrypoints.http.fields import Hryvnias
from kasa.entrypoints.http.middleware import answer_headers, request_context
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


def constant(value: object) -> Provide:
    """A Litestar dependency that always gives the same object (a use case, settings)."""
    return Provide(lambda: value, sync_to_thread=False, use_cache=True)


def create_app(kasa: Kasa, api: Api) -> Litestar:
    resolve_dependencies_in_order()
    settings: Settings = kasa.settings()
    limits = BodyLimits(
        max_body_bytes=settings.files.max_body_bytes,
        max_file_bytes=settings.fund.max_upload_bytes,
        max_files=settings.fund.max_files_per_upload,
    )
    public = [h for area in api.areas if not area.signed_in for h in area.handlers]
    protected = [h for area in api.areas if area.signed_in for h in area.handlers]
    signed_in_routes = Router(
        "/",
        route_handlers=with_body_limits(protected, limits),
        guards=[signed_in(api.audience, api.token_check(kasa))],
        dependencies={api.subject: Provide(subject, sync_to_thread=False)},
    )
    cors = api.cors_origins(settings)
    app = Litestar(
        route_handlers=[
            *with_body_limits(public, limits),
            health,
            live,
            signed_in_routes,
            *([docs_asset] if settings.http.docs else []),
        ],
        dependencies={
            **{name: constant(value) for name, value in api.dependencies(kasa).items()},
            "uow": constant(kasa.adapters.uow()),
        },
        exception_handlers=EXCEPTION_HANDLERS,
        plugins=[Hryvnias()],
        openapi_config=openapi(api.title, api.description) if settings.http.docs else None,
        request_max_body_size=limits.max_body_bytes,
        before_request=check_json_body,
        middleware=[request_context()],
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
            freeze_startup_objects,
        ],
    )
    list_every_method(app)
    optional_bodies(app)
    file_answers(app)
    positive_amounts(app, every_struct())
    real_examples(app, EXAMPLES.read(api.name))
    app.state.tokens = kasa.adapters.tokens()
    app.state.trusted_proxies = tuple(
        ipaddress.ip_network(n) for n in settings.http.trusted_proxies
    )
    app.state.body_limits = limits
    return app


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


def list_every_method(app: Litestar) -> None:
    """Make each path's ``OPTIONS`` answer list every method the path takes.

    Litestar 2 registers a router's handlers one at a time; the ``OPTIONS`` handler it
    adds to a path keeps the methods of the path as it was when the handler was made, so
    a path that takes ``POST`` and ``PUT`` answered ``Allow: OPTIONS, POST``
    (litestar-org/litestar issue 4169, fixed only in Litestar 3). Each such handler is
    pointed at its path's final route here."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if handler.handler_name != "options_handler":
                continue
            for cell in handler.fn.__closure__ or ():
                if isinstance(cell.cell_contents, HTTPRoute):
                    cell.cell_contents = route


def freeze_startup_objects() -> None:
    """Move everything made while starting (the app, its routes and OpenAPI models,
    SQLAlchemy's metadata) out of the garbage collector's sight: a full collection
    then walks only what requests made, instead of pausing for 100 ms."""
    gc.collect()
    gc.freeze()
