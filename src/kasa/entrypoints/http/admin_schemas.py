"""What the admin site sends (msgspec Structs) and how answers are shaped. Dates go out
as ISO 8601; inputs accept ``dd.mm.YYYY`` and ``YYYY-MM-DD``; money is a number."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

import msgspec
from litestar.datastructures import UploadFile

from kasa.application.views import (
    CorrectionView,
    FileView,
    IdentityView,
    MemberDetail,
    MemberView,
    PaymentRow,
    PaymentView,
    ProgramView,
    RequestDetail,
    RequestView,
    StaffView,
)
from kasa.domain.audit import AuditEvent
from kasa.domain.money import Money
from kasa.domain.payments import PAYMENT_TYPE_TITLES
from kasa.entrypoints.http.schemas import Id, amount


def iso(value: date | datetime | None) -> str | None:
    return None if value is None else value.isoformat()


Offset = Annotated[int, msgspec.Meta(ge=0, le=10**9)]


# -- inputs ----------------------------------------------------------------------------
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


# -- shapes (what the admin API answers; its OpenAPI document is made from these) ----------
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


# -- shaping -------------------------------------------------------------------------------
def staff_user(user: StaffView) -> StaffCard:
    return StaffCard(
        id=user.id,
        login=user.login,
        name=user.name,
        email=user.email,
        phone=user.phone,
        role=user.role.value,
        is_active=user.is_active,
        created_at=iso(user.created_at),
        updated_at=iso(user.updated_at),
    )


def signed_in_user(user: StaffView) -> SignedInUser:
    card = staff_user(user)
    return SignedInUser(
        name=card.name,
        login=card.login,
        email=card.email,
        role=card.role,
        is_active=card.is_active,
        updated_at=card.updated_at,
    )


def member(m: MemberView) -> MemberCard:
    return MemberCard(
        id=m.id,
        phone=m.phone,
        first_name=m.first_name,
        middle_name=m.middle_name,
        last_name=m.last_name,
        email=m.email,
        birth_date=iso(m.birth_date),
        passport_data=m.passport_data,
        inn=m.inn,
        iban=m.iban,
        photo=m.photo_file_id,
        certificate=m.certificate,
        expiration_date=iso(m.membership.paid_until),
        credit=amount(m.membership.credit),
        status=m.status.value,
        is_active=m.is_active,
        is_submitted=m.is_submitted,
        has_new_request=m.has_new_request,
        has_new_program_change=m.has_new_program_change,
        has_new_passport_data=m.has_new_passport_data,
        has_new_correction=m.has_new_correction,
        created_at=iso(m.created_at),
        updated_at=iso(m.updated_at),
    )


def _program_fields(p: ProgramView) -> dict[str, Any]:
    return {
        "id": p.id,
        "program_name": p.name,
        "month_price": amount(p.month_price),
        "program_file": p.terms_file,
        "is_active": p.is_active,
        "created_by": p.created_by,
        "updated_by": p.updated_by,
        "created_at": iso(p.created_at),
        "updated_at": iso(p.updated_at),
    }


def program(p: ProgramView) -> ProgramCard:
    return ProgramCard(**_program_fields(p))


def file(f: FileView) -> FileCard:
    return FileCard(
        id=f.id,
        filename=f.stored_name,
        original_name=f.original_name,
        content_type=f.content_type.value,
        size=f.size,
        sha256=f.sha256,
        duplicate_of_request=f.duplicate_of_request,
        created_at=iso(f.created_at),
    )


def identity(doc: IdentityView) -> IdentityCard:
    return IdentityCard(
        id=doc.id,
        identity_type=doc.identity_type.value,
        is_active=doc.is_active,
        is_new=doc.is_new,
        file=file(doc.file),
    )


def _payment_fields(p: PaymentView) -> dict[str, Any]:
    return {
        "id": p.id,
        "member": p.member_id,
        "type": p.payment_type.value,
        "type_name": p.payment_type.label,
        "status": p.status.value,
        "amount": amount(p.amount),
        "date": iso(p.paid_at),
        "request": p.request_id,
        "source": p.source.value,
        "payment_identifier": p.payment_identifier,
        "iban": p.iban,
        "extended_to": iso(p.extended_to),
        "created_by": p.created_by,
        "approved_by": p.approved_by,
        "needs_approval": p.needs_approval,
        "created_at": iso(p.created_at),
    }


def payment(p: PaymentView) -> PaymentCard:
    return PaymentCard(**_payment_fields(p))


def payment_row(row: PaymentRow) -> PaymentListed:
    return PaymentListed(
        **_payment_fields(row.payment),
        member_name=row.member.full_name,
        certificate=row.member.certificate,
        diagnos=row.diagnosis,
    )


def correction(c: CorrectionView) -> CorrectionCard:
    return CorrectionCard(
        id=c.id,
        first_name=c.first_name,
        middle_name=c.middle_name,
        last_name=c.last_name,
        birth_date=iso(c.birth_date),
        created_at=iso(c.created_at),
        resolved_at=iso(c.resolved_at),
        resolved_by=c.resolved_by,
    )


def _request_fields(r: RequestView) -> dict[str, Any]:
    return {
        "id": r.id,
        "member": r.member_id,
        "status": r.status.value,
        "resolution": r.resolution.value if r.resolution else None,
        "reason": r.reason,
        "request_text": r.request_text,
        "diagnos": r.diagnosis,
        "suma": amount(r.approved_amount),
        "has_duplicate_files": r.has_duplicate_files,
        "date": iso(r.created_at),
        "date_modified": iso(r.updated_at),
    }


def request(r: RequestView) -> RequestCard:
    return RequestCard(**_request_fields(r))


def _listed_fields(r: RequestView) -> dict[str, Any]:
    return {
        **_request_fields(r),
        "member_name": r.member.full_name if r.member else "",
        "certificate": r.member.certificate if r.member else "",
        "files": [file(f) for f in r.files],
    }


def request_listed(r: RequestView) -> RequestListed:
    return RequestListed(**_listed_fields(r))


def _full_fields(view: RequestDetail) -> dict[str, Any]:
    return {
        **_listed_fields(view.request),
        "messages": [
            MessageCard(
                id=m.id,
                message=m.message,
                author=m.author,
                author_name=m.author_name,
                created_at=iso(m.created_at),
            )
            for m in view.messages
        ],
        "charges": [payment(p) for p in view.charges],
    }


def request_full(view: RequestDetail) -> RequestFull:
    return RequestFull(**_full_fields(view))


def request_with_payout_types(view: RequestDetail) -> RequestWithPayoutTypes:
    return RequestWithPayoutTypes(**_full_fields(view), payout_types=PAYOUT_TYPES)


def member_detail(d: MemberDetail) -> MemberFile:
    return MemberFile(
        member=member(d.member),
        actual_program=program(d.actual_program) if d.actual_program else None,
        new_program=program(d.new_program) if d.new_program else None,
        programs=[
            MemberProgramCard(
                **_program_fields(link.program),
                link_id=link.link_id,
                is_current=link.is_current,
                is_new=link.is_new,
            )
            for link in d.programs
        ],
        current_identities=[identity(v) for v in d.current_identities],
        new_identities=[identity(v) for v in d.new_identities],
        identities=[identity(v) for v in d.identities],
        requests=[request(r) for r in d.requests],
        payments=[payment(p) for p in d.payments],
        corrections=[correction(c) for c in d.corrections],
    )


def audit_event(e: AuditEvent) -> AuditCard:
    return AuditCard(
        id=e.id,
        event_type=e.event_type.value,
        actor_kind=e.actor.kind.value,
        actor_id=e.actor.id,
        object_kind=e.object_kind.value,
        object_id=e.object_id,
        details=dict(e.details),
        at=iso(e.at),
    )


PAYOUT_TYPES = [
    PayoutType(code=t.value, name=name) for t, name in PAYMENT_TYPE_TITLES.items() if t.is_payout
]


def money_or_none(value: Decimal | None, field: str) -> Money | None:
    return None if value is None else Money.parse(value, field)
