"""What the command line shows, made from the reads' views: one flat record per thing,
for tables and for ``--json``. Money as text with two decimals, dates in ISO 8601."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from kasa.application.views import (
    FundReport,
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
from kasa.domain.money import Money

Record = dict[str, Any]


def text(value: Any) -> Any:
    """A value as JSON takes it."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Money):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): text(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [text(v) for v in value]
    return value


def record(**fields: Any) -> Record:
    return {name: text(value) for name, value in fields.items()}


def member(m: MemberView) -> Record:
    return record(
        id=m.id,
        certificate=m.certificate,
        last_name=m.last_name,
        first_name=m.first_name,
        middle_name=m.middle_name,
        phone=m.phone,
        email=m.email,
        birth_date=m.birth_date,
        inn=m.inn,
        iban=m.iban,
        passport_data=m.passport_data,
        status=m.status,
        paid_until=m.membership.paid_until,
        credit=m.membership.credit,
        requests_awaiting_staff=m.requests_awaiting_staff,
        has_new_program_change=m.has_new_program_change,
        has_new_passport_data=m.has_new_passport_data,
        has_new_correction=m.has_new_correction,
        created_at=m.created_at,
        updated_at=m.updated_at,
    )


def program(p: ProgramView) -> Record:
    return record(
        id=p.id,
        program_name=p.name,
        month_price=p.month_price,
        is_active=p.is_active,
        program_file=p.terms_file,
    )


def member_file(d: MemberDetail) -> Record:
    current = [link.program for link in d.programs if link.is_current]
    pending = [link.program for link in d.programs if link.is_new]
    return {
        "member": member(d.member),
        "actual_program": program(current[0]) if current else None,
        "new_program": program(pending[0]) if pending else None,
        "current_identities": [
            record(type=i.identity_type, file=i.file.original_name)
            for i in d.identities
            if i.is_active
        ],
        "new_identities": [
            record(type=i.identity_type, file=i.file.original_name)
            for i in d.identities
            if i.is_new
        ],
        "requests": [request(r) for r in d.requests],
        "payments": [payment(p) for p in d.payments],
        "corrections": [
            record(id=c.id, last_name=c.last_name, first_name=c.first_name, open=not c.resolved_at)
            for c in d.corrections
        ],
    }


def payment(p: PaymentView) -> Record:
    """A payment under the names of the payments export's columns."""
    return record(
        id=p.id,
        date=p.moved_at.date(),
        type=p.payment_type,
        status=p.status,
        amount=p.amount,
        member_id=p.member_id,
        request_id=p.request_id,
        source=p.source,
        gateway=p.gateway,
        order_id=p.payment_identifier,
        extended_to=p.extended_to,
        iban=p.iban,
        needs_approval=p.needs_approval,
    )


def payment_row(row: PaymentRow) -> Record:
    """A row of the payments registry: the export's columns, and the diagnosis."""
    return {
        **payment(row.payment),
        "member": row.member.full_name,
        "certificate": row.member.certificate,
        "diagnosis": row.diagnosis,
    }


def request(r: RequestView) -> Record:
    return record(
        id=r.id,
        date=r.created_at,
        status=r.status,
        resolution=r.resolution,
        member=r.member_id,
        member_name=r.member.full_name if r.member else None,
        certificate=r.member.certificate if r.member else None,
        approved_amount=r.approved_amount,
        diagnosis=r.diagnosis,
        text=r.request_text,
        reason=r.reason,
        updated=r.updated_at,
    )


def request_detail(d: RequestDetail) -> Record:
    return {
        **request(d.request),
        "files": [f.original_name for f in d.request.files],
        "messages": [
            record(created_at=m.created_at, author_name=m.author_name, message=m.message)
            for m in d.messages
        ],
        "payouts": [payment(p) for p in d.charges],
    }


def staff(u: StaffView) -> Record:
    return record(
        id=u.id,
        login=u.login,
        name=u.name,
        role=u.role,
        is_active=u.is_active,
        email=u.email,
        phone=u.phone,
    )


def audit_event(e: AuditEvent) -> Record:
    return record(
        at=e.at,
        event_type=e.event_type,
        actor_kind=e.actor.kind,
        actor_id=e.actor.id,
        object_kind=e.object_kind,
        object_id=e.object_id,
        details=e.details,
    )


def fund_report(report: FundReport) -> Record:
    return {
        "money_in": str(report.money_in),
        "reversed": str(report.reversed),
        "money_out": str(report.money_out),
        "balance": str(report.balance),
        "balance_total": str(report.balance_total),
        "months": [
            record(
                month=line.month,
                program=line.program,
                money_in=line.money_in,
                reversed=line.reversed,
                money_out=line.money_out,
                balance=str(line.balance),
            )
            for line in report.lines
        ],
        "members_by_status": dict(report.members_by_status),
        "money_in_by_gateway": {k: str(v) for k, v in report.money_in_by_gateway.items()},
    }


def notification(n: NotificationView) -> Record:
    return record(
        id=n.id,
        created_at=n.created_at,
        member_id=n.member_id,
        event=n.event,
        text=n.text,
        state=n.state,
        channel=n.channel,
        sent_at=n.sent_at,
        reason=n.reason,
        attempts=n.attempts,
        request_id=n.request_id,
        payment_id=n.payment_id,
        read_at=n.read_at,
    )
