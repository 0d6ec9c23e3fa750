"""The office: the staff's pages, served by the admin app under ``/office/``.

Server-rendered HTML (Jinja2 through Litestar's template support) calling the same use
cases and reads as the admin API and the command line; htmx (served by the app, never a
CDN) for small interactions. A signed-in staff user's session is kept on the server and
named by the ``kasa_office`` cookie; every changing form carries the session's CSRF
token (the sign-in form, before there is a session, the token of its own short-lived
cookie). Errors become pages here; JSON stays in the APIs."""

from __future__ import annotations

import hmac
from pathlib import Path
from typing import Annotated, Any

from litestar import Request, Response, Router, get, post
from litestar.datastructures import Cookie, ResponseHeader
from litestar.di import NamedDependency
from litestar.enums import MediaType, RequestEncodingType
from litestar.exceptions import HTTPException
from litestar.params import Body, PathParameter
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import File, Redirect
from litestar.template.config import TemplateConfig

from kasa.application.office import OfficeDesk, OfficeSessions, OfficeUser
from kasa.domain.errors import (
    AuthenticationFailed,
    KasaError,
    NotFound,
    PermissionDenied,
    RateLimited,
)
from kasa.domain.notifications import Language
from kasa.entrypoints.http.common import client_address
from kasa.entrypoints.http.dependencies import given_straight
from kasa.entrypoints.http.office import i18n
from kasa.entrypoints.http.threads import read, run

HERE = Path(__file__).parent
COOKIE = "kasa_office"
# the sign-in form's own token, before there is a session to keep one
LOGIN_COOKIE = "kasa_office_login"
PATH = "/office"
PUBLIC = "office_public"  # a route's opt: answered without a session
STATIC = {
    "office.css": MediaType.CSS,
    "htmx-2.0.11.min.js": "text/javascript",
}
HEADERS = [
    ResponseHeader(
        name="Content-Security-Policy",
        value="default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    ),
    ResponseHeader(name="Cache-Control", value="no-store"),
]
Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]


def templates() -> TemplateConfig[JinjaTemplateEngine]:
    return TemplateConfig(directory=HERE / "templates", engine=JinjaTemplateEngine)


def page(
    request: Request[Any, Any, Any],
    template: str,
    title: str,
    *,
    status: int = 200,
    cookies: list[Cookie] | None = None,
    **context: Any,
) -> Response[str]:
    """A page in the user's language (Ukrainian before anyone has signed in), rendered
    by the app's template engine."""
    user: OfficeUser | None = getattr(request.state, "office_user", None)
    language = user.language if user is not None else Language.UK
    words = i18n.translations(language)
    engine = request.app.template_engine
    assert engine is not None  # the admin app is made with the office's templates
    html = engine.get_template(template).render(
        _=words.gettext,
        title=words.gettext(title),
        language=language.value,
        user=user,
        money=lambda amount: i18n.money(amount, language),
        day=i18n.day,
        **context,
    )
    return Response(html, status_code=status, media_type=MediaType.HTML, cookies=cookies or [])


def said(request: Request[Any, Any, Any], text: str) -> str:
    user: OfficeUser | None = getattr(request.state, "office_user", None)
    return i18n.translations(user.language if user else Language.UK).gettext(text)


def secure(request: Request[Any, Any, Any]) -> bool:
    production: bool = request.app.state.given["office_production"]
    return production


def session_cookie(request: Request[Any, Any, Any], value: str, max_age: int | None) -> Cookie:
    return Cookie(
        key=COOKIE,
        value=value,
        path=PATH,
        httponly=True,
        samesite="strict",
        secure=secure(request),
        max_age=max_age,
    )


# -- the session of each request ---------------------------------------------------------
async def resume(request: Request[Any, Any, Any]) -> Response[Any] | None:
    """A ``before_request`` hook: the signed-in user of the session cookie, or the
    sign-in page for a route that needs one."""
    sessions: OfficeSessions = request.app.state.given["office_sessions"]
    secret = request.cookies.get(COOKIE, "")
    user = await run(sessions.resume, secret) if secret else None
    request.state.office_user = user
    if user is None and not request.route_handler.opt.get(PUBLIC):
        return Redirect(f"{PATH}/login", status_code=303)
    return None


def signed_in(request: Request[Any, Any, Any]) -> OfficeUser:
    user: OfficeUser | None = request.state.office_user
    assert user is not None  # the hook let only signed-in requests through
    return user


def require_form_token(request: Request[Any, Any, Any], data: dict[str, str]) -> OfficeUser:
    """The signed-in user, if the form carries their session's token."""
    user = signed_in(request)
    if not user.sent(data.get("csrf_token", "")):
        raise PermissionDenied("Форму не прийнято: оновіть сторінку і спробуйте ще раз.")
    return user


# -- signing in and out ----------------------------------------------------------------------
@get(f"{PATH}/login", opt={PUBLIC: True}, include_in_schema=False)
@given_straight
async def login_form(
    request: Request[Any, Any, Any], office_sessions: NamedDependency[OfficeSessions]
) -> Response[Any]:
    if request.state.office_user is not None:
        return Redirect(f"{PATH}/", status_code=303)
    token = office_sessions.random.secret()
    return page(
        request,
        "login.html",
        "Вхід",
        cookies=[login_cookie(request, token)],
        csrf_token=token,
        login="",
        problem="",
    )


def login_cookie(request: Request[Any, Any, Any], token: str) -> Cookie:
    return Cookie(
        key=LOGIN_COOKIE,
        value=token,
        path=f"{PATH}/login",
        httponly=True,
        samesite="strict",
        secure=secure(request),
        max_age=3600,
    )


REFUSED = {
    AuthenticationFailed: (401, "Неправильний логін або пароль."),
    RateLimited: (429, "Забагато невдалих спроб входу. Спробуйте пізніше."),
    PermissionDenied: (403, "Цей обліковий запис вимкнено."),
}


@post(f"{PATH}/login", opt={PUBLIC: True}, include_in_schema=False, status_code=303)
@given_straight
async def login(
    request: Request[Any, Any, Any],
    data: Form,
    office_sessions: NamedDependency[OfficeSessions],
) -> Response[Any]:
    """The admin API's sign-in: the same accounts, throttles and audit."""
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not same(expected, data.get("csrf_token", "")):
        raise PermissionDenied("Форму не прийнято: оновіть сторінку і спробуйте ще раз.")
    name = data.get("login", "")[:32]
    try:
        opened = await run(
            office_sessions.sign_in, name, data.get("password", ""), client_address(request)
        )
    except (AuthenticationFailed, RateLimited, PermissionDenied) as refused:
        status, text = REFUSED[type(refused)]
        return page(
            request,
            "login.html",
            "Вхід",
            status=status,
            cookies=[login_cookie(request, expected)],
            csrf_token=expected,
            login=name,
            problem=said(request, text),
        )
    response: Response[Any] = Redirect(f"{PATH}/", status_code=303)
    response.set_cookie(session_cookie(request, opened.secret, None))
    response.delete_cookie(LOGIN_COOKIE, path=f"{PATH}/login")
    return response


def same(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), given.encode())


@post(f"{PATH}/logout", include_in_schema=False, status_code=303)
@given_straight
async def logout(
    request: Request[Any, Any, Any],
    data: Form,
    office_sessions: NamedDependency[OfficeSessions],
) -> Response[Any]:
    require_form_token(request, data)
    await run(office_sessions.sign_out, request.cookies.get(COOKIE, ""))
    response: Response[Any] = Redirect(f"{PATH}/login", status_code=303)
    response.delete_cookie(COOKIE, path=PATH)
    return response


# -- pages ------------------------------------------------------------------------------------
@get(PATH, include_in_schema=False)
@given_straight
async def today(
    request: Request[Any, Any, Any], desk: NamedDependency[OfficeDesk]
) -> Response[str]:
    """The landing page: what waits for staff, and this month's money."""
    user = signed_in(request)
    found = await read(desk.today, user.staff_id)
    return page(request, "today.html", "Сьогодні", section="today", today=found)


@get(f"{PATH}/static/{{name:str}}", opt={PUBLIC: True}, include_in_schema=False)
async def static(name: Annotated[str, PathParameter(max_length=64)]) -> File:
    """The office's stylesheet and the pinned htmx, from the package itself."""
    if name not in STATIC:
        raise NotFound("Такої сторінки немає.")
    return File(
        HERE / "static" / name,
        media_type=STATIC[name],
        content_disposition_type="inline",
        headers={"Cache-Control": "public, max-age=86400"},
    )


@get(f"{PATH}/{{rest:path}}", opt={PUBLIC: True}, include_in_schema=False)
async def nowhere(rest: Annotated[str, PathParameter()]) -> None:
    """Any other office address: the not-found page."""
    raise NotFound("Такої сторінки немає.")


# -- errors become pages -----------------------------------------------------------------------
PROBLEM_TITLES = {403: "Немає доступу", 404: "Сторінку не знайдено"}


def problem_page(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    if isinstance(error, KasaError):
        status = {PermissionDenied: 403, NotFound: 404}.get(type(error), 400)
        text = said(request, error.message)
    elif isinstance(error, HTTPException):
        status = error.status_code
        text = said(request, "Такої сторінки немає.") if status == 404 else str(error.detail)
    else:
        raise error
    if not hasattr(request.state, "office_user"):
        request.state.office_user = None
    title = PROBLEM_TITLES.get(status, "Немає доступу")
    return page(request, "problem.html", title, status=status, problem=text)


def office_router() -> Router:
    return Router(
        "/",
        route_handlers=[login_form, login, logout, today, static, nowhere],
        before_request=resume,
        response_headers=HEADERS,
        exception_handlers={KasaError: problem_page, HTTPException: problem_page},
    )
