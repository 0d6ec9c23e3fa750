"""The interactive docs page of an API (Swagger UI at ``/docs``) and its OpenAPI
document (``/docs/openapi.json``). The page's scripts, styles and icon are served by the
app itself, from the installed ``swagger-ui-py`` package, never from a CDN: the page
renders on a machine without internet."""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, get_type_hints

import msgspec
from litestar import Litestar, MediaType, get
from litestar.exceptions import NotFoundException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import OpenAPIFormat, OpenAPIMediaType, OpenAPIType, RequestBody, Schema
from litestar.params import PathParameter
from litestar.response import File
from litestar.routes import HTTPRoute

from kasa import __version__
from kasa.domain.files import ContentType
from kasa.entrypoints.http.auth import SECURITY_COMPONENTS
from kasa.entrypoints.http.fields import POSITIVE

DOCS = "/docs"
ASSETS = f"{DOCS}/assets"
# what the page loads, and its content type
ASSET_TYPES = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui-standalone-preset.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "favicon-32x32.png": "image/png",
}


def asset_folder() -> Path:
    """Swagger UI's files in the installed package (found without importing it)."""
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the swagger-ui-py package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "static"


@get(f"{ASSETS}/{{name:str}}", include_in_schema=False, sync_to_thread=False, cache=False)
def docs_asset(name: Annotated[str, PathParameter(max_length=64)]) -> File:
    """One of the docs page's scripts, styles or icon."""
    if name not in ASSET_TYPES:
        raise NotFoundException()
    return File(
        asset_folder() / name,
        content_disposition_type="inline",
        media_type=ASSET_TYPES[name],
        headers={"Cache-Control": "public, max-age=86400"},
    )


def openapi(title: str, description: str) -> OpenAPIConfig:
    page = SwaggerRenderPlugin(
        js_url=f"{ASSETS}/swagger-ui-bundle.js",
        css_url=f"{ASSETS}/swagger-ui.css",
        standalone_preset_js_url=f"{ASSETS}/swagger-ui-standalone-preset.js",
        favicon=f"<link rel='icon' type='image/png' href='{ASSETS}/favicon-32x32.png'>",
        path=["/", "/swagger"],
    )
    return OpenAPIConfig(
        title=title,
        version=__version__,
        description=description,
        components=SECURITY_COMPONENTS,
        path=DOCS,
        render_plugins=[page],
        use_handler_docstrings=True,
    )


def optional_bodies(app: Litestar) -> None:
    """Say in the OpenAPI document that a route whose body has a default (``data: X |
    None = None``) may be called without one: Litestar documents every body as
    required."""
    if app.openapi_config is None:
        return
    optional: set[tuple[str, str]] = set()
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            data = handler.parsed_fn_signature.parameters.get("data")
            if data is not None and (data.has_default or data.is_optional):
                path = re.sub(r":[^}]+}", "}", route.path)
                optional |= {(path, method.lower()) for method in handler.http_methods}
    for path, item in (app.openapi_schema.paths or {}).items():
        for method in ("get", "put", "post", "delete", "patch"):
            operation = getattr(item, method)
            body = operation.request_body if operation is not None else None
            if isinstance(body, RequestBody) and (path, method) in optional:
                body.required = False
                # left out is how a client omits it: no null body besides (generated
                # clients otherwise send their "unset" marker as the body)
                for media in (body.content or {}).values():
                    one_of = getattr(media.schema, "one_of", None) or []
                    kept = [s for s in one_of if getattr(s, "type", None) != OpenAPIType.NULL]
                    if one_of and len(kept) == 1:
                        media.schema = kept[0]


def file_answers(app: Litestar) -> None:
    """A route that answers with a stored file says each kind of file it may be (JPEG,
    PNG, PDF or plain text), not only the one media type Litestar takes from the route."""
    if app.openapi_config is None:
        return
    for item in (app.openapi_schema.paths or {}).values():
        for method in ("get", "post"):
            operation = getattr(item, method)
            answers = operation.responses if operation is not None else None
            found = (answers or {}).get("200")
            content = getattr(found, "content", None)
            if found is None or not content or set(content) != {MediaType.TEXT.value}:
                continue
            schema = Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)
            found.content = {kind.value: OpenAPIMediaType(schema=schema) for kind in ContentType}


def positive_amounts(app: Litestar, structs: Iterable[type[msgspec.Struct]]) -> None:
    """An amount a route refuses at zero says so (``exclusiveMinimum: 0``), whether or
    not it may be left out (a schema plugin does not see the field's metadata inside
    ``X | None``, so this is done on the finished document)."""
    if app.openapi_config is None:
        return
    components = app.openapi_schema.components.schemas or {}
    for struct in structs:
        schema = components.get(struct.__name__)
        if schema is None or not schema.properties:
            continue
        hints = get_type_hints(struct, include_extras=True)
        for name, hint in hints.items():
            metas = [m for m in getattr(hint, "__metadata__", ()) if isinstance(m, msgspec.Meta)]
            if not any((m.extra or {}).get(POSITIVE) for m in metas):
                continue
            found = schema.properties.get(name)
            for branch in [found, *(getattr(found, "one_of", None) or [])]:
                if isinstance(branch, Schema) and branch.type == OpenAPIType.NUMBER:
                    branch.minimum, branch.exclusive_minimum = None, 0


def every_struct() -> list[type[msgspec.Struct]]:
    """Every msgspec Struct class defined so far (the APIs' bodies among them)."""
    found: list[type[msgspec.Struct]] = []
    waiting: list[type[msgspec.Struct]] = [msgspec.Struct]
    while waiting:
        for sub in waiting.pop().__subclasses__():
            found.append(sub)
            waiting.append(sub)
    return found
