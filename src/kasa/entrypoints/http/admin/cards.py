"""What the admin site gets back (msgspec Structs): cards of staff, members, programs,
files, payments, requests and audit events, and the envelopes the routes answer in.
Dates go out as ISO 8601; money as a number with at most two decimals."""

from __future__ import annotations

from typing import Any

import msgspec


class Shape(msgspec.Struct, kw_only=True):
    pass


class StaffCard(Shape):
    """A staff account: never its password hash."""

    id: int | None
    login: str
    name: str
    email: str
    phone: str
    role: str
    is_active: bool
    created_at: str | None
    updated_at: str | None


class SignedInUser(Shape):
    name: str
    login: str
    email: str
    role: str
    is_active: bool
    updated_at: str | None


class MemberCard(Shape):
    id: int | None
    phone: str
    first_name: str
    middle_name: str
    last_name: str
    email: str
    birth_date: str | None
    passport_data: str
    inn: str
    iban: str
    photo: int | None
    certificate: str
    expiration_date: str | None
    credit: float | None
    status: str
    is_active: bool
    is_submitted: bool
    has_new_request: int
    has_new_program_change: bool
    has_new_passport_data: bool
    has_new_correction: bool
    created_at: str | None
    updated_at: str | None


class ProgramCard(Shape):
    id: int | None
    program_name: str
    month_price: float | None
    program_file: str
    is_active: bool
    created_by: int | None
    updated_by: int | None
    created_at: str | None
    updated_at: str | None


class MemberProgramCard(ProgramCard):
    link_id: int | None
    is_current: bool
    is_new: bool


class FileCard(Shape):
    id: int | None
    filename: str
    original_name: str
    content_type: str
    size: int
    sha256: str
    duplicate_of_request: int | None
    created_at: str | None


class IdentityCard(Shape):
    id: int | None
    identity_type: str
    is_active: bool
    is_new: bool
    file: FileCard


class PaymentCard(Shape):
    id: int | None
    member: int
    type: str
    type_name: str
    status: str
    amount: float | None
    date: str | None
    request: int | None
    source: str
    payment_identifier: str | None
    iban: str
    extended_to: str | None
    created_by: int | None
    approved_by: int | None
    needs_approval: bool
    created_at: str | None


class PaymentListed(PaymentCard):
    """A payment in the registry: with its member, and its request's diagnosis."""

    member_name: str
    certificate: str
    diagnos: str | None


class CorrectionCard(Shape):
    id: int | None
    first_name: str
    middle_name: str
    last_name: str
    birth_date: str | None
    created_at: str | None
    resolved_at: str | None
    resolved_by: int | None


class RequestCard(Shape):
    id: int | None
    member: int
    status: str
    resolution: str | None
    reason: str
    request_text: str
    diagnos: str
    suma: float | None
    has_duplicate_files: bool
    date: str | None
    date_modified: str | None


class RequestListed(RequestCard):
    member_name: str
    certificate: str
    files: list[FileCard]


class MessageCard(Shape):
    id: int | None
    message: str
    author: str
    author_name: str
    created_at: str | None


class RequestFull(RequestListed):
    messages: list[MessageCard]
    charges: list[PaymentCard]


class PayoutType(Shape):
    code: str
    name: str


class RequestWithPayoutTypes(RequestFull):
    payout_types: list[PayoutType]


class MemberFile(Shape):
    member: MemberCard
    actual_program: ProgramCard | None
    new_program: ProgramCard | None
    programs: list[MemberProgramCard]
    current_identities: list[IdentityCard]
    new_identities: list[IdentityCard]
    identities: list[IdentityCard]
    requests: list[RequestCard]
    payments: list[PaymentCard]
    corrections: list[CorrectionCard]


class AuditCard(Shape):
    id: int | None
    event_type: str
    actor_kind: str
    actor_id: int | None
    object_kind: str
    object_id: str
    details: dict[str, Any]
    at: str | None


class MonthLineOut(Shape):
    month: str
    program: str
    money_in: float
    money_out: float


# -- envelopes -----------------------------------------------------------------------------
class SignInOut(Shape):
    access_token: str
    user: SignedInUser


class StaffList(Shape):
    data: list[StaffCard]


class StaffOne(Shape):
    data: StaffCard


class StaffCreated(Shape):
    data: StaffCard
    initial_password: str


class Done(Shape):
    status: str
    message: str


class PasswordChanged(Shape):
    status: str
    message: str
    # a new token when one changed one's own password (every older token has ended)
    access_token: str | None = None


class MemberList(Shape):
    data: list[MemberCard]


class CertificateOut(Shape):
    data: str


class MemberSaved(Shape):
    status: str
    data: MemberCard


class ProgramList(Shape):
    status: str
    data: list[ProgramCard]


class ProgramOne(Shape):
    status: str
    data: ProgramCard


class PaymentSaved(Shape):
    status: str
    data: PaymentCard


class PaymentPage(Shape):
    status: str
    data: list[PaymentListed]
    total: int


class RequestPage(Shape):
    data: list[RequestListed]
    total: int


class RequestSaved(Shape):
    status: str
    data: RequestFull


class RequestOpened(Shape):
    data: RequestWithPayoutTypes


class AuditPage(Shape):
    data: list[AuditCard]
    total: int


class FundReportOut(Shape):
    from_: str | None = msgspec.field(name="from")
    to: str | None
    money_in: float
    money_out: float
    months: list[MonthLineOut]
    members_by_status: dict[str, int]
