"""What the admin site sends (msgspec Structs), in the field names the site uses.
Dates are read as ``dd.mm.YYYY`` or ``YYYY-MM-DD``; money is a number."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import msgspec
from litestar.datastructures import UploadFile

from kasa.entrypoints.http.fields import Id

Offset = Annotated[int, msgspec.Meta(ge=0, le=10**9)]


class SignIn(msgspec.Struct):
    login: str
    password: str


class FileQuery(msgspec.Struct):
    user_id: Id
    filename: str


class NewStaff(msgspec.Struct):
    login: str
    email: str | None = None
    is_active: bool = True
    name: str = ""
    phone: str | None = None
    role: str = "operator"


class StaffChanges(msgspec.Struct):
    id: Id
    email: str | None = None
    is_active: bool | None = None
    login: str | None = None
    name: str | None = None
    phone: str | None = None
    role: str | None = None


class PasswordChange(msgspec.Struct):
    new_password: str
    old_password: str | None = None
    id: Id | None = None


class SearchFields(msgspec.Struct):
    name: bool = False
    middle_name: bool = False
    passport: bool = False
    inn: bool = False
    iban: bool = False
    certificate: bool = False


class MemberFilter(msgspec.Struct):
    query: str = ""
    fields: SearchFields = msgspec.field(default_factory=SearchFields)


class MemberSearch(msgspec.Struct):
    filter: MemberFilter = msgspec.field(default_factory=MemberFilter)
    limit: int = 50
    offset: Offset = 0


class MemberId(msgspec.Struct):
    id: Id


class MemberEdit(msgspec.Struct):
    id: Id
    first_name: str | None = None
    middle_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    iban: str | None = None
    birth_date: str | None = None
    certificate: str | None = None
    passport_data: str | None = None
    inn: str | None = None
    phone: str | None = None
    is_active: bool | None = None
    is_submitted: bool | None = None
    approve_program_change: bool = False
    approve_documents: bool = False


class ProgramForm(msgspec.Struct):
    id: Id | None = None
    month_price: Decimal | None = None
    program_file: str | None = None
    new_program_file: UploadFile | None = None
    program_name: str | None = None
    is_active: bool | None = None


class ManualPayment(msgspec.Struct):
    member: Id
    type: str
    date: str
    amount: Decimal
    request: Id | None = None


class PaymentFilter(msgspec.Struct):
    type: list[str] | None = None
    date_start: str | None = None
    date_end: str | None = None
    amount_start: Decimal | None = None
    amount_end: Decimal | None = None
    certificate: str | None = None
    offset: Offset = 0
    limit: int = 50


class RequestFilter(msgspec.Struct):
    query: str | None = None
    date_start: str | None = None
    date_end: str | None = None
    status: list[str] = msgspec.field(default_factory=lambda: ["opened"])
    limit: int = 50
    offset: Offset = 0


class RequestChanges(msgspec.Struct):
    id: Id
    request_text: str | None = None
    diagnos: str | None = None
    suma: Decimal | None = None
    status: str | None = None
    resolution: str | None = None
    reason: str | None = None


class StaffMessage(msgspec.Struct):
    request_id: Id
    message: str


class RequestRead(msgspec.Struct):
    request: Id
    member: Id | None = None


class PayoutApproval(msgspec.Struct):
    payment_id: Id


class AuditFilter(msgspec.Struct):
    object_kind: str | None = None
    object_id: str | None = None
    actor_kind: str | None = None
    actor_id: Id | None = None
    event_type: list[str] | None = None
    date_start: str | None = None
    date_end: str | None = None
    limit: int = 50
    offset: Offset = 0
