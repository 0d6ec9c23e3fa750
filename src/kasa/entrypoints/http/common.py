"""What both apps share: running use cases off the event loop, reading uploads,
documented error responses, OpenAPI settings and the health check."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

import anyio.to_thread
import sqlalchemy as sa
from litestar import Request
from litestar.datastructures import UploadFile
from litestar.openapi import OpenAPIConfig, ResponseSpec
from litestar.openapi.plugins import SwaggerRenderPlugin

from kasa import __version__
from kasa.application.context import Upload
from kasa.entrypoints.http.auth import SECURITY_COMPONENTS
from kasa.entrypoints.http.errors import ERROR_RESPONSES
from kasa.entrypoints.http.schemas import ErrorOut

T = TypeVar("T")


async def run(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Use cases are synchronous (database, file store): run them in a worker thread."""
    return await anyio.to_thread.run_sync(partial(function, *args, **kwargs))


async def read_upload(field: str, upload: UploadFile) -> Upload:
    return Upload(field, upload.filename, await upload.read())


async def all_uploads(request: Request[Any, Any, Any]) -> list[Upload]:
    """Every file of a multipart form, whatever its field name."""
    form = await request.form()
    return [
        await read_upload(name, value)
        for name, value in form.multi_items()
        if isinstance(value, UploadFile)
    ]


def errors(*codes: int) -> dict[int, ResponseSpec]:
    return {
        code: ResponseSpec(data_container=ErrorOut, description=ERROR_RESPONSES[code])
        for code in codes
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


def database_ready(uow_factory: Callable[[], Any]) -> bool:
    try:
        with uow_factory() as uow:
            session = getattr(uow, "session", None)
            if session is not None:
                session.execute(sa.text("SELECT 1"))
        return True
    except Exception:
        return False
