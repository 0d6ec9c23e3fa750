"""Programs (plans) and the link of a member to their current and pending program."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import attrs

from kasa.domain.errors import Conflict, InvalidInput, RuleViolation
from kasa.domain.money import Money

PROGRAM_NAME_MAX = 128


def program_name(text: str) -> str:
    value = " ".join((text or "").split())
    if not value:
        raise InvalidInput.field("program_name", "is required")
    if len(value) > PROGRAM_NAME_MAX:
        raise InvalidInput.field("program_name", f"must be at most {PROGRAM_NAME_MAX} characters")
    return value


def month_price(amount: Money) -> Money:
    if not amount:
        raise InvalidInput.field("month_price", "must be greater than zero")
    return amount


@attrs.define(eq=False, slots=False)
class Program:
    """A plan members pay for monthly."""

    program_name: str = attrs.field(converter=program_name)
    month_price: Money = attrs.field(converter=month_price)
    created_at: datetime
    updated_at: datetime
    id: int | None = None
    program_file: str = ""
    is_active: bool = True
    created_by: int | None = None
    updated_by: int | None = None

    def update(
        self,
        *,
        staff_id: int,
        now: datetime,
        name: str | None = None,
        price: Money | None = None,
        program_file: str | None = None,
        is_active: bool | None = None,
    ) -> None:
        if name is not None:
            self.program_name = program_name(name)
        if price is not None:
            self.month_price = month_price(price)
        if program_file is not None:
            self.program_file = program_file
        if is_active is not None:
            self.is_active = is_active
        self.updated_by = staff_id
        self.updated_at = now


@attrs.define(eq=False, slots=False)
class MemberProgram:
    """Links a member to a program: the current one (``is_active``) or a change the
    member asked for that staff have not approved yet (``is_new``)."""

    member_id: int
    program_id: int
    created_at: datetime
    updated_at: datetime
    is_active: bool = False
    is_new: bool = False
    id: int | None = None


def current_program(links: Sequence[MemberProgram]) -> MemberProgram | None:
    return next((link for link in links if link.is_active), None)


def pending_program(links: Sequence[MemberProgram]) -> MemberProgram | None:
    return next((link for link in links if link.is_new), None)


def choose_program(
    member_id: int, links: Sequence[MemberProgram], program: Program, now: datetime
) -> MemberProgram:
    """The member asks for ``program``: a new pending choice replaces any pending one.

    Returns the new link; the pending link it replaces is withdrawn in place.
    """
    if not program.is_active:
        raise RuleViolation("This program is not offered any more; choose an active one.")
    assert program.id is not None
    current = current_program(links)
    pending = pending_program(links)
    if current is not None and current.program_id == program.id and pending is None:
        raise Conflict("This is already your program.")
    if pending is not None:
        pending.is_new = False
        pending.updated_at = now
    return MemberProgram(member_id, program.id, now, now, is_active=False, is_new=True)


def approve_program_change(links: Sequence[MemberProgram], now: datetime) -> MemberProgram:
    """Staff accept the pending choice: it becomes current, the old current one inactive.

    A pending choice of the program that is already current simply closes the request.
    """
    pending = pending_program(links)
    if pending is None:
        raise Conflict("The member has no pending program change.")
    current = current_program(links)
    if current is not None:
        current.is_active = False
        current.updated_at = now
    pending.is_new = False
    pending.is_active = True
    pending.updated_at = now
    return pending
