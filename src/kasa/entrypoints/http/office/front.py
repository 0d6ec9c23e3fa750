"""The office's front door: signing in and out, the landing page, its static files and
the not-found page."""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.params import PathParameter
from litestar.response import File, Redirect

from kasa.application.office import OfficeDesk, OfficeSessions
from kasa.domain.errors import AuthenticationFailed, NotFound, PermissionDenied, RateLimited
from kasa.entrypoints.http.common import client_address
from kasa.entrypoints.http.dependencies import given_straight
from kasa.entrypoints.http.metrics import noticed
from kasa.entrypoints.http.office.base import (
    COOKIE,
    HERE,
    LOGIN_COOKIE,
    PATH,
    PUBLIC,
    STATIC,
    Form,
    page,
    require_form_token,
    said,
    secure,
    session_cookie,
    signed_in,
)
from kasa.entrypoints.http.threads import read, run


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
        done=SAID.get(request.query_params.get("done", ""), ""),
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


SAID = {"password": "Пароль змінено. Увійдіть з новим паролем."}
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
        noticed(request, refused)
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


HANDLERS = [login_form, login, logout, today, static, nowhere]
