"""Who may do what: the signed-in member (a blocked one is refused), the acting staff
user (active, and an admin where it takes one), for changes and for reads."""

from __future__ import annotations

from contextvars import ContextVar

import attrs

from kasa.application.reads import MemberReads, OfficeReads
from kasa.application.repositories import UnitOfWork
from kasa.domain.errors import NotFound, PermissionDenied
from kasa.domain.members import Member, MemberStatus
from kasa.domain.staff import Role, StaffUser

BLOCKED = "Your account is blocked. Please contact the fund."
NO_STAFF = "This staff account is deactivated or does not exist."


def signed_in_member(uow: UnitOfWork, member_id: int) -> Member:
    """The signed-in member, locked for the change; a blocked member is refused."""
    member = uow.members.get_for_update(member_id)
    if member is None:
        raise NotFound("Member not found.")
    if member.is_blocked:
        raise PermissionDenied(BLOCKED)
    return member


def member_for_update(uow: UnitOfWork, member_id: int) -> Member:
    """Any member (blocked ones included), locked, as staff change them."""
    member = uow.members.get_for_update(member_id)
    if member is None:
        raise NotFound(f"There is no member {member_id}.")
    return member


def acting_staff(uow: UnitOfWork, staff_id: int, *, admin: bool = False) -> StaffUser:
    """The staff user making a change: active, and an admin when ``admin``."""
    user = uow.staff.get(staff_id)
    if user is None or not user.is_active:
        raise PermissionDenied(NO_STAFF)
    if admin:
        user.require_admin()
    return user


@attrs.frozen
class StaffPrincipal:
    """A staff user whose token (or office session) this request checked, with their
    role as it was read then."""

    staff_id: int
    role: Role


# the staff user the request being answered was checked for (its token or session):
# a use case that reads for them need not read their role again
CHECKED_STAFF: ContextVar[StaffPrincipal | None] = ContextVar("kasa_checked_staff", default=None)


def require_staff(reads: OfficeReads, staff_id: int, *, admin: bool = False) -> Role:
    """A read by staff: the user must be active (and an admin when ``admin``); the user
    this request was checked for is not read again."""
    checked = CHECKED_STAFF.get()
    role = checked.role if checked and checked.staff_id == staff_id else reads.staff_role(staff_id)
    if role is None:
        raise PermissionDenied(NO_STAFF)
    if admin and role is not Role.ADMIN:
        raise PermissionDenied("Only an admin may manage staff accounts.")
    return role


def require_member(reads: MemberReads, member_id: int) -> None:
    """A read by a member: the member exists and is not blocked."""
    status = reads.standing(member_id)
    if status is None:
        raise NotFound("Member not found.")
    if status is MemberStatus.BLOCKED:
        raise PermissionDenied(BLOCKED)
