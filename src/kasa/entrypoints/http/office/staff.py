"""Staff accounts in the office (admins only: others get the 403 page and no link), and
each staff user's own language."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import PathParameter
from litestar.response import Redirect

from kasa.application.office import OfficeSessions, OfficeUser
from kasa.application.staff import StaffAccounts
from kasa.domain.errors import (
    AuthenticationFailed,
    Conflict,
    InvalidInput,
    KasaError,
    PermissionDenied,
)
from kasa.domain.notifications import Language
from kasa.domain.staff import Role
from kasa.entrypoints.http.common import client_address
from kasa.entrypoints.http.dependencies import given_straight
from kasa.entrypoints.http.errors import STATUS
from kasa.entrypoints.http.fields import MAX_ID
from kasa.entrypoints.http.office.base import (
    COOKIE,
    PATH,
    Form,
    field_errors,
    page,
    require_form_token,
    session_cookie,
    signed_in,
)
from kasa.entrypoints.http.threads import read, run

UserId = Annotated[int, PathParameter(ge=1, le=MAX_ID)]
ADMINS_ONLY = "Ця сторінка лише для адміністраторів."
ASKED = {
    "deactivate": (
        "Вимкнути обліковий запис",
        "Вимкнути обліковий запис? Працівник більше не зможе увійти.",
    ),
    "password": (
        "Новий пароль",
        "Видати новий пароль? Старий перестане діяти, сеанси закінчаться.",
    ),
}
DONE = {"deactivate": "Обліковий запис вимкнено.", "language": "Мову змінено."}


def admin(request: Request[Any, Any, Any]) -> OfficeUser:
    user = signed_in(request)
    if not user.is_admin:
        raise PermissionDenied(ADMINS_ONLY)
    return user


@get(f"{PATH}/staff", include_in_schema=False)
@given_straight
async def staff_page(
    request: Request[Any, Any, Any], staff_accounts: NamedDependency[StaffAccounts]
) -> Response[str]:
    return await _staff_page(request, staff_accounts)


async def _staff_page(
    request: Request[Any, Any, Any],
    staff_accounts: StaffAccounts,
    *,
    values: dict[str, str] | None = None,
    error: KasaError | None = None,
) -> Response[str]:
    """The accounts; after a new account was refused, its form as typed with the errors."""
    user = admin(request)
    users = await read(staff_accounts.list, user.staff_id)
    return page(
        request,
        "staff.html",
        "Працівники",
        status=(STATUS.get(type(error)) or 400) if error else 200,
        section="staff",
        users=users,
        roles=list(Role),
        done=DONE.get(request.query_params.get("done", ""), ""),
        values=values or {"login": "", "name": "", "role": Role.OPERATOR.value},
        errors=field_errors(error) if error else {},
    )


@post(f"{PATH}/staff", include_in_schema=False)
@given_straight
async def create(
    request: Request[Any, Any, Any],
    staff_accounts: NamedDependency[StaffAccounts],
    data: Form,
) -> Response[str]:
    """A new account; its first password is shown once, on the answer."""
    user = require_form_token(request, data)
    admin(request)
    values = {name: data.get(name, "")[:128] for name in ("login", "name", "role")}
    try:
        if values["role"] not in set(Role):
            raise InvalidInput.field("role", "choose admin or operator")
        made = await run(
            staff_accounts.create,
            user.staff_id,
            login=values["login"],
            role=Role(values["role"]),
            name=values["name"],
        )
    except (InvalidInput, Conflict) as error:
        return await _staff_page(request, staff_accounts, values=values, error=error)
    return page(
        request,
        "password.html",
        "Новий працівник",
        section="staff",
        login=made.user.login,
        password=made.initial_password,
    )


@get(f"{PATH}/staff/{{user_id:int}}/{{step:str}}", include_in_schema=False)
async def question(
    request: Request[Any, Any, Any],
    user_id: UserId,
    step: Annotated[str, PathParameter(pattern="^(deactivate|password)$")],
) -> Response[str]:
    admin(request)
    title, asked = ASKED[step]
    return page(
        request,
        "staff_step.html",
        title,
        section="staff",
        action=f"{PATH}/staff/{user_id}/{step}",
        question=asked,
    )


@post(f"{PATH}/staff/{{user_id:int}}/{{step:str}}", include_in_schema=False)
@given_straight
async def take(
    request: Request[Any, Any, Any],
    staff_accounts: NamedDependency[StaffAccounts],
    user_id: UserId,
    step: Annotated[str, PathParameter(pattern="^(deactivate|password)$")],
    data: Form,
) -> Response[Any]:
    user = require_form_token(request, data)
    admin(request)
    if step == "deactivate":
        await run(staff_accounts.deactivate, user.staff_id, user_id)
        return Redirect(f"{PATH}/staff?done=deactivate", status_code=303)
    secret = staff_accounts.random.password()
    await run(staff_accounts.change_password, user.staff_id, new_password=secret, user_id=user_id)
    target = await read(staff_accounts.get, user.staff_id, user_id)
    return page(
        request,
        "password.html",
        "Новий пароль",
        section="staff",
        login=target.login,
        password=secret,
    )


@get(f"{PATH}/me", include_in_schema=False)
async def me(request: Request[Any, Any, Any]) -> Response[str]:
    return _me_page(request)


def _me_page(
    request: Request[Any, Any, Any], *, error: KasaError | None = None, status: int = 200
) -> Response[str]:
    """One's own settings: the pages' language, and one's password (a refused change
    comes back with the error beside its field; passwords are never shown again)."""
    signed_in(request)
    return page(
        request,
        "me.html",
        "Мої налаштування",
        status=status,
        section="me",
        languages=[(Language.UK, "Українська"), (Language.EN, "English")],
        done=DONE.get(request.query_params.get("done", ""), ""),
        errors=field_errors(error) if error else {},
    )


@post(f"{PATH}/me/password", include_in_schema=False, status_code=303)
@given_straight
async def my_password(
    request: Request[Any, Any, Any],
    staff_accounts: NamedDependency[StaffAccounts],
    office_sessions: NamedDependency[OfficeSessions],
    data: Form,
) -> Response[Any]:
    """One's own password, with the current one (a wrong one counts as a failed
    sign-in, under the same limits); every session then ends, this one too, and the
    sign-in page asks for the new password."""
    user = require_form_token(request, data)
    new = data.get("new_password", "")
    try:
        if new != data.get("repeat", ""):
            raise InvalidInput.field("repeat", "does not match the new password")
        await run(
            staff_accounts.change_password,
            user.staff_id,
            new_password=new,
            old_password=data.get("password", ""),
            address=client_address(request),
        )
    except InvalidInput as error:
        return _me_page(request, error=error, status=400)
    except AuthenticationFailed:
        wrong = InvalidInput.field("password", "is not your current password")
        return _me_page(request, error=wrong, status=401)
    await run(office_sessions.sign_out, request.cookies.get(COOKIE, ""))
    response: Response[Any] = Redirect(f"{PATH}/login?done=password", status_code=303)
    response.set_cookie(session_cookie(request, "", 0))
    return response


@post(f"{PATH}/me", include_in_schema=False, status_code=303)
@given_straight
async def choose_language(
    request: Request[Any, Any, Any],
    staff_accounts: NamedDependency[StaffAccounts],
    data: Form,
) -> Response[Any]:
    user = require_form_token(request, data)
    chosen = data.get("language", "")
    if chosen not in set(Language):
        raise InvalidInput.field("language", "choose uk or en")
    await run(staff_accounts.set_language, user.staff_id, Language(chosen))
    return Redirect(f"{PATH}/me?done=language", status_code=303)


HANDLERS = [staff_page, create, question, take, me, my_password, choose_language]
