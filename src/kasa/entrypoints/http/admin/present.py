"""The admin site's cards, made from the reads' views."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kasa.adapters.sql.reference import PAYMENT_TYPES
from kasa.application.views import (
    CorrectionView,
    FileView,
    FundReport,
    IdentityView,
    MemberDetail,
    MemberView,
    NotificationView,
    PaymentRow,
    PaymentView,
    ProgramView,
    RequestDetail,
    RequestView,
    StaffView,
)
from kasa.domain.audit import AuditEvent
from kasa.entrypoints.http.admin.cards import (
    AuditCard,
    CorrectionCard,
    FileCard,
    FundReportOut,
    IdentityCard,
    MemberCard,
    MemberFile,
    MemberProgramCard,
    MessageCard,
    MonthLineOut,
    NotificationCard,
    PaymentCard,
    PaymentListed,
    PayoutType,
    ProgramCard,
    RequestCard,
    RequestFull,
    RequestListed,
    RequestWithPayoutTypes,
    SignedInUser,
    StaffCard,
)
from kasa.entrypoints.http.fields import amount, iso, money


def staff_user(user: StaffView) -> StaffCard:
    return StaffCard(
        id=user.id,
        login=user.login,
        name=user.name,
        email=user.email,
        phone=user.phone,
        role=user.role,
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
        status=m.status,
        is_active=m.is_active,
        is_submitted=m.is_submitted,
        has_new_request=m.requests_awaiting_staff,
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
        identity_type=doc.identity_type,
        is_active=doc.is_active,
        is_new=doc.is_new,
        file=file(doc.file),
        refused_at=iso(doc.refused_at),
        refusal_reason=doc.refusal_reason,
    )


def _payment_fields(p: PaymentView) -> dict[str, Any]:
    return {
        "id": p.id,
        "member": p.member_id,
        "type": p.payment_type,
        "type_name": PAYMENT_TYPES[p.payment_type],
        "status": p.status,
        "amount": amount(p.amount),
        "date": iso(p.moved_at),
        "request": p.request_id,
        "source": p.source,
        "payment_identifier": p.payment_identifier,
        "iban": p.iban,
        "extended_to": iso(p.extended_to),
        "created_by": p.created_by,
        "approved_by": p.approved_by,
        "needs_approval": p.needs_approval,
        "gateway": p.gateway,
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
        "status": r.status,
        "resolution": r.resolution,
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


def request_with_payout_types(
    view: RequestDetail, told: Sequence[NotificationView]
) -> RequestWithPayoutTypes:
    return RequestWithPayoutTypes(
        **_full_fields(view),
        payout_types=PAYOUT_TYPES,
        notifications=[notification(n) for n in told],
    )


def notification(n: NotificationView) -> NotificationCard:
    return NotificationCard(
        id=n.id,
        member=n.member_id,
        event=n.event,
        text=n.text,
        state=n.state,
        channel=n.channel,
        reason=n.reason,
        attempts=n.attempts,
        request=n.request_id,
        payment=n.payment_id,
        created_at=iso(n.created_at),
        sent_at=iso(n.sent_at),
        read_at=iso(n.read_at),
    )


def member_detail(d: MemberDetail, told: Sequence[NotificationView]) -> MemberFile:
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
        notifications=[notification(n) for n in told],
    )


def audit_event(e: AuditEvent) -> AuditCard:
    return AuditCard(
        id=e.id,
        event_type=e.event_type,
        actor_kind=e.actor.kind,
        actor_id=e.actor.id,
        object_kind=e.object_kind,
        object_id=e.object_id,
        details=dict(e.details),
        at=iso(e.at),
    )


PAYOUT_TYPES = [
    PayoutType(code=t.value, name=name) for t, name in PAYMENT_TYPES.items() if t.is_payout
]


def fund_report(report: FundReport) -> FundReportOut:
    return FundReportOut(
        from_=iso(report.first),
        to=iso(report.last),
        money_in=money(report.money_in),
        money_out=money(report.money_out),
        months=[
            MonthLineOut(
                month=line.month,
                program=line.program,
                money_in=money(line.money_in),
                money_out=money(line.money_out),
                reversed=money(line.reversed),
                balance=line.balance.hryvnias,
            )
            for line in report.lines
        ],
        members_by_status=report.members_by_status,
        reversed=money(report.reversed),
        balance=report.balance.hryvnias,
        balance_total=report.balance_total.hryvnias,
        notifications=report.notifications,
        money_in_by_gateway={k: money(v) for k, v in report.money_in_by_gateway.items()},
    )
