"""Staff accounts: signing in, and the accounts an admin manages."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter

from kasa.application.staff import BLANK, StaffAccounts
from kasa.domain.values import Email, Phone
from kasa.entrypoints.http.admin import cards as c
from kasa.entrypoints.http.admin import inputs as i
from kasa.entrypoints.http.admin import present as p
from kasa.entrypoints.http.common import client_address
from kasa.entrypoints.http.fields import MAX_ID
from kasa.entrypoints.http.routes import ADMIN, ANY_STAFF, NO_STAFF_USER, PHONE_REFUSED, Area
from kasa.entrypoints.http.threads import read, run

SIGN_IN = Area("staff", "anyone; this is how a staff user gets a token")
STAFF = Area("staff", ANY_STAFF, signed_in=True, answers=(400,))
UserId = Annotated[int, PathParameter(ge=1, le=MAX_ID)]


@SIGN_IN.post(
    "/signin",
    400,
    401,
    403,
    429,
    meaning={
        401: "The login or the password is wrong (one message for both).",
        403: "The staff account is deactivated; an admin can reactivate it.",
        429: "Too many failed sign-ins for this login or from this address: wait the "
        "seconds `Retry-After` gives.",
    },
)
async def sign_in(
    data: JSONBody[i.SignIn],
    request: Request[Any, Any, Any],
    staff_accounts: NamedDependency[StaffAccounts],
) -> c.SignInOut:
    """Login and password; one message for a wrong login or a wrong password."""
    address = client_address(request)
    session = await run(staff_accounts.sign_in, data.login, data.password, address)
    return c.SignInOut(access_token=session.access_token, user=p.signed_in_user(session.user))


@STAFF.get("/user", caller=ADMIN)
async def users(
    staff_id: NamedDependency[int],
    staff_accounts: NamedDependency[StaffAccounts],
) -> c.StaffList:
    """Every staff account (admin only)."""
    found = await read(staff_accounts.list, staff_id)
    return c.StaffList(data=[p.staff_user(u) for u in found])


@STAFF.get(
    "/user/{user_id:int}",
    404,
    caller=ADMIN,
    meaning={404: NO_STAFF_USER},
)
async def user_one(
    staff_id: NamedDependency[int],
    staff_accounts: NamedDependency[StaffAccounts],
    user_id: Annotated[int, PathParameter(ge=1, le=MAX_ID, description="The staff user's id.")],
) -> c.StaffList:
    """One staff account, as a list of one (admin only)."""
    return c.StaffList(data=[p.staff_user(await read(staff_accounts.get, staff_id, user_id))])


@STAFF.put(
    "/user",
    409,
    caller=ADMIN,
    meaning={
        400: PHONE_REFUSED,
        409: "This login is taken: choose another.",
    },
)
async def user_create(
    data: JSONBody[i.NewStaff],
    staff_id: NamedDependency[int],
    staff_accounts: NamedDependency[StaffAccounts],
) -> c.StaffCreated:
    """Create a staff account; its generated password is returned once."""
    created = await run(
        staff_accounts.create,
        staff_id,
        login=data.login,
        role=data.role,
        name=data.name,
        email=Email.parse(data.email) if data.email else None,
        phone=Phone.parse(data.phone) if data.phone else None,
        is_active=data.is_active,
    )
    return c.StaffCreated(
        data=p.staff_user(created.user), initial_password=created.initial_password
    )


@STAFF.post(
    "/user",
    404,
    409,
    caller=ADMIN,
    meaning={
        400: PHONE_REFUSED,
        404: NO_STAFF_USER,
        409: "The login is taken, or an admin tried to change their own role or to "
        "deactivate their own account (another admin must).",
    },
)
async def user_update(
    data: JSONBody[i.StaffChanges],
    staff_id: NamedDependency[int],
    staff_accounts: NamedDependency[StaffAccounts],
) -> c.StaffOne:
    """Change a staff account (admin only); an empty e-mail or phone clears it."""
    user = await run(
        staff_accounts.update,
        staff_id,
        data.id,
        login=data.login,
        name=data.name,
        email=None if data.email is None else Email.parse(data.email) if data.email else BLANK,
        phone=None if data.phone is None else Phone.parse(data.phone) if data.phone else BLANK,
        role=data.role,
        is_active=data.is_active,
    )
    return c.StaffOne(data=p.staff_user(user))


@STAFF.delete(
    "/user/{user_id:int}",
    404,
    409,
    caller=ADMIN,
    meaning={
        404: NO_STAFF_USER,
        409: "The account is already deactivated, or it is the caller's own.",
    },
)
async def user_deactivate(
    user_id: UserId,
    staff_id: NamedDependency[int],
    staff_accounts: NamedDependency[StaffAccounts],
) -> c.StaffOne:
    """Deactivate an account (kept for the audit trail); not one's own."""
    return c.StaffOne(data=p.staff_user(await run(staff_accounts.deactivate, staff_id, user_id)))


@STAFF.post(
    "/user/change_password",
    403,
    404,
    429,
    meaning={
        400: "Invalid input, named in `errors`: the new password is 10 to 256 characters "
        "with no spaces at its ends; `id` names the user when an admin sets another's.",
        401: "The old password is wrong, or the token is not valid. A wrong old password "
        "counts as a failed sign-in of the login (and of the address).",
        403: "Only an admin may set another user's password.",
        404: NO_STAFF_USER,
        429: "Too many failed sign-ins of this login or from this address: wait the "
        "seconds `Retry-After` gives.",
    },
)
async def change_password(
    request: Request[Any, Any, Any],
    data: JSONBody[i.PasswordChange],
    staff_id: NamedDependency[int],
    staff_accounts: NamedDependency[StaffAccounts],
) -> c.PasswordChanged:
    """Own password with the old one; an admin may set anyone's. Every token the user
    had ends; changing one's own password answers with a new token."""
    token = await run(
        staff_accounts.change_password,
        staff_id,
        new_password=data.new_password,
        user_id=data.id,
        old_password=data.old_password,
        address=client_address(request),
    )
    return c.PasswordChanged(status="success", message="Password changed", access_token=token)
