"""The office: the staff's pages, served by the admin app under ``/office/``.

Server-rendered HTML (Jinja2 through Litestar's template support) calling the same use
cases and reads as the admin API and the command line; htmx (served by the app, never a
CDN) for small interactions. A signed-in staff user's session is kept on the server and
named by the ``kasa_office`` cookie; every changing form carries the session's CSRF
token (the sign-in form, before there is a session, the token of its own short-lived
cookie). Errors become pages here; JSON stays in the APIs."""

from __future__ import annotations

from litestar import Router
from litestar.exceptions import HTTPException
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig

from kasa.domain.errors import KasaError
from kasa.entrypoints.http.office import (
    books,
    front,
    members,
    payments,
    reports,
    requests,
    staff,
)
from kasa.entrypoints.http.office.base import HEADERS, HERE, problem_page, resume
from kasa.entrypoints.http.uploads import BodyLimits, with_body_limits


def templates() -> TemplateConfig[JinjaTemplateEngine]:
    return TemplateConfig(directory=HERE / "templates", engine=JinjaTemplateEngine)


def office_router(limits: BodyLimits) -> Router:
    handlers = [
        *front.HANDLERS,
        *members.HANDLERS,
        *requests.HANDLERS,
        *payments.HANDLERS,
        *reports.HANDLERS,
        *staff.HANDLERS,
        *books.HANDLERS,
    ]
    return Router(
        "/",
        # a form with files is read only once the session lets the request through
        route_handlers=with_body_limits(handlers, limits, first=resume),
        before_request=resume,
        response_headers=HEADERS,
        exception_handlers={KasaError: problem_page, HTTPException: problem_page},
    )
