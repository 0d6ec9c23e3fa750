"""What the admin site sends (msgspec Structs) and how answers are shaped. Dates go out
as ISO 8601; inputs accept ``dd.mm.YYYY`` and ``YYYY-MM-DD``; money is a number."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

import msgspec
from litestar.datastructures import UploadFile

from kasa.application.views import IdentityView, MemberDetail, PaymentRow, RequestView
from kasa.domain.audit import AuditEvent
from kasa.domain.files import StoredFile
from kasa.domain.members import CorrectionReport, Member
from kasa.domain.money import Money
from kasa.domain.payments import PAYMENT_TYPE_TITLES, Payment
from kasa.domain.programs import Program
from kasa.domain.requests import Request
from kasa.domain.staff import StaffUser
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


# -- shapes --------------------------------------------------------------------------------
def staff_user(user: StaffUser) -> dict[str, Any]:
    """A staff account: never its password hash."""
    return {
        "id": user.id,
        "login": user.login,
        "name": user.name,
        "email": str(user.email or ""),
        "phone": str(user.phone or ""),
        "role": user.role.value,
        "is_active": user.is_active,
        "created_at": iso(user.created_at),
        "updated_at": iso(user.updated_at),
    }


def member(m: Member) -> dict[str, Any]:
    return {
        "id": m.id,
        "phone": m.phone.e164,
        "first_name": m.first_name,
        "middle_name": m.middle_name,
        "last_name": m.last_name,
        "email": str(m.email or ""),
        "birth_date": iso(m.birth_date),
        "passport_data": m.passport_data,
        "inn": str(m.inn or ""),
        "iban": str(m.iban or ""),
        "photo": m.photo_file_id,
        "certificate": m.certificate or "",
        "expiration_date": iso(m.expiration_date),
        "credit": amount(m.membership.credit),
        "status": m.status.value,
        "is_active": m.is_active,
        "is_submitted": m.is_submitted,
        "has_new_request": m.has_new_request,
        "has_new_program_change": m.has_new_program_change,
        "has_new_passport_data": m.has_new_passport_data,
        "has_new_correction": m.has_new_correction,
        "created_at": iso(m.created_at),
        "updated_at": iso(m.updated_at),
    }


def program(p: Program) -> dict[str, Any]:
    return {
        "id": p.id,
        "program_name": p.program_name,
        "month_price": amount(p.month_price),
        "program_file": p.program_file,
        "is_active": p.is_active,
        "created_by": p.created_by,
        "updated_by": p.updated_by,
        "created_at": iso(p.created_at),
        "updated_at": iso(p.updated_at),
    }


def file(f: StoredFile) -> dict[str, Any]:
    return {
        "id": f.id,
        "filename": f.stored_name,
        "original_name": f.original_name,
        "content_type": f.content_type.value,
        "size": f.size,
        "sha256": f.sha256,
        "duplicate_of_request": f.duplicate_of_request,
        "created_at": iso(f.created_at),
    }


def identity(view: IdentityView) -> dict[str, Any]:
    doc = view.document
    return {
        "id": doc.id,
        "identity_type": doc.identity_type.value,
        "is_active": doc.is_active,
        "is_new": doc.is_new,
        "file": file(view.file),
    }


def payment(p: Payment, m: Member | None = None, r: Request | None = None) -> dict[str, Any]:
    shaped = {
        "id": p.id,
        "member": p.member_id,
        "type": p.payment_type.value,
        "type_name": p.payment_type.label,
        "status": p.status.value,
        "amount": amount(p.amount),
        "date": iso(p.payment_date or p.created_at),
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
    if m is not None:
        shaped["member_name"] = m.full_name
        shaped["certificate"] = m.certificate or ""
    if r is not None:
        shaped["diagnos"] = r.diagnosis
    return shaped


def payment_row(row: PaymentRow) -> dict[str, Any]:
    return payment(row.payment, row.member, row.request)


def correction(c: CorrectionReport) -> dict[str, Any]:
    return {
        "id": c.id,
        "first_name": c.first_name,
        "middle_name": c.middle_name,
        "last_name": c.last_name,
        "birth_date": iso(c.birth_date),
        "created_at": iso(c.created_at),
        "resolved_at": iso(c.resolved_at),
        "resolved_by": c.resolved_by,
    }


def request(r: Request) -> dict[str, Any]:
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


def request_view(view: RequestView, *, full: bool) -> dict[str, Any]:
    shaped = request(view.request)
    if view.member is not None:
        shaped["member_name"] = view.member.full_name
        shaped["certificate"] = view.member.certificate or ""
    shaped["files"] = [file(f) for f in view.files]
    if full:
        shaped["messages"] = [
            {
                "id": m.message.id,
                "message": m.message.message,
                "author": m.message.author.value,
                "author_name": m.author_name,
                "created_at": iso(m.message.created_at),
            }
            for m in view.messages
        ]
        shaped["charges"] = [payment(p) for p in view.charges]
    return shaped


def member_detail(d: MemberDetail) -> dict[str, Any]:
    return {
        "member": member(d.member),
        "actual_program": program(d.actual_program) if d.actual_program else None,
        "new_program": program(d.new_program) if d.new_program else None,
        "programs": [
            {
                **program(link.program),
                "link_id": link.link.id,
                "is_current": link.link.is_active,
                "is_new": link.link.is_new,
            }
            for link in d.programs
        ],
        "current_identities": [identity(v) for v in d.current_identities],
        "new_identities": [identity(v) for v in d.new_identities],
        "identities": [identity(v) for v in d.identities],
        "requests": [request(r) for r in d.requests],
        "payments": [payment(p) for p in d.payments],
        "corrections": [correction(c) for c in d.corrections],
    }


def audit_event(e: AuditEvent) -> dict[str, Any]:
    return {
        "id": e.id,
        "event_type": e.event_type.value,
        "actor_kind": e.actor.kind.value,
        "actor_id": e.actor.id,
        "object_kind": e.object_kind.value,
        "object_id": e.object_id,
        "details": dict(e.details),
        "at": iso(e.at),
    }


PAYOUT_TYPES = [
    {"code": t.value, "name": name} for t, name in PAYMENT_TYPE_TITLES.items() if t.is_payout
]


def money_or_none(value: Decimal | None, field: str) -> Money | None:
    return None if value is None else Money.parse(value, field)
