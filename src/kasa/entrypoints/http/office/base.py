"""What every office page shares: the session of each request, pages in the user's
language, form tokens, and errors as pages."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from litestar import Request, Response
from litestar.datastructures import Cookie, ResponseHeader
from litestar.enums import MediaType, RequestEncodingType
from litestar.exceptions import HTTPException
from litestar.params import Body, QueryParameter
from litestar.response import Redirect

from kasa.application.access import CHECKED_STAFF, StaffPrincipal
from kasa.application.office import OfficeSessions, OfficeUser
from kasa.application.reads import LATEST
from kasa.domain.errors import InvalidInput, KasaError, PermissionDenied
from kasa.domain.notifications import Language
from kasa.entrypoints.http.errors import STATUS
from kasa.entrypoints.http.fields import MAX_ID
from kasa.entrypoints.http.metrics import noticed
from kasa.entrypoints.http.office import i18n
from kasa.entrypoints.http.threads import run

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
# which page of a list (``?page=N``), from the first
PageNumber = Annotated[int, QueryParameter(name="page", ge=1, le=10_000)]


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
        moment=i18n.moment,
        label=lambda value: i18n.label(value, words),
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
    sign-in page for a route that needs one; a page after a change reads the latest."""
    sessions: OfficeSessions = request.app.state.given["office_sessions"]
    secret = request.cookies.get(COOKIE, "")
    user = await run(sessions.resume, secret) if secret else None
    request.state.office_user = user
    if user is None and not request.route_handler.opt.get(PUBLIC):
        return Redirect(f"{PATH}/login", status_code=303)
    if user is not None:  # checked with the session: not read again by the use cases
        CHECKED_STAFF.set(StaffPrincipal(user.staff_id, user.role))
    if request.query_params.get("done"):
        # the page shown right after its user changed something shows that change,
        # even where a list is otherwise read from a replica (for this request only)
        LATEST.set(True)
    return None


def signed_in(request: Request[Any, Any, Any]) -> OfficeUser:
    user: OfficeUser | None = request.state.office_user
    assert user is not None  # the hook let only signed-in requests through
    return user


def require_form_token(request: Request[Any, Any, Any], data: Mapping[str, Any]) -> OfficeUser:
    """The signed-in user, if the form carries their session's token (once)."""
    user = signed_in(request)
    token = data.get("csrf_token", "")
    if not isinstance(token, str) or not user.sent(token):
        raise PermissionDenied("Форму не прийнято: оновіть сторінку і спробуйте ще раз.")
    return user


# -- errors become pages -----------------------------------------------------------------------
PROBLEM_TITLES = {403: "Немає доступу", 404: "Сторінку не знайдено"}


def problem_page(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    if isinstance(error, KasaError):
        noticed(request, error)
        status = STATUS.get(type(error)) or next(
            (code for kind, code in STATUS.items() if isinstance(error, kind)), 400
        )
        text = said(request, error.message)
        if isinstance(error, InvalidInput) and error.errors:
            text += " " + "; ".join(f"{field}: {why}" for field, why in error.errors.items())
    elif isinstance(error, HTTPException):
        status = error.status_code
        text = said(request, "Такої сторінки немає.") if status == 404 else str(error.detail)
    else:
        raise error
    if not hasattr(request.state, "office_user"):
        request.state.office_user = None
    title = PROBLEM_TITLES.get(status, "Немає доступу")
    return page(request, "problem.html", title, status=status, problem=text)


def field_errors(error: KasaError) -> dict[str, str]:
    """What a refused form shows: each field's error next to it, or the form's own."""
    errors = error.errors if isinstance(error, InvalidInput) else {}
    return dict(errors) if errors else {"form": error.message}


def member_number(text: str) -> int | None:
    """A member's number as a form gives it (empty: none)."""
    number = text.strip()
    if not number:
        return None
    if not number.isdigit() or not 1 <= int(number) <= MAX_ID:
        raise InvalidInput.field("member", "is the member's number")
    return int(number)
