"""The data mapper: rows to domain objects and back. Each pair of functions is the only
place that knows how one entity is stored."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kasa.adapters.sql import models as m
from kasa.application.repositories import ReminderSent
from kasa.domain.audit import Actor, ActorKind, AuditEvent, EventType, ObjectKind
from kasa.domain.files import ContentType, FileKind, StoredFile
from kasa.domain.identity import IdentityType, MemberIdentity
from kasa.domain.members import CorrectionReport, Member, MemberStatus
from kasa.domain.membership import Extension
from kasa.domain.money import Money
from kasa.domain.payments import Payment, PaymentSource, PaymentStatus, PaymentType
from kasa.domain.programs import MemberProgram, Program
from kasa.domain.requests import Request, RequestMessage, RequestStatus, Resolution
from kasa.domain.signin import CodePurpose, SignInChallenge
from kasa.domain.staff import Role, StaffUser
from kasa.domain.throttle import Counter
from kasa.domain.values import Email, Iban, Phone, TaxNumber


def _opt(value: Any) -> str | None:
    return None if value is None else str(value)


# -- members ---------------------------------------------------------------------------
def member_from(row: m.MemberRow) -> Member:
    return Member(
        phone=Phone(row.phone),
        created_at=row.created_at,
        updated_at=row.updated_at,
        id=row.id,
        first_name=row.first_name,
        middle_name=row.middle_name,
        last_name=row.last_name,
        email=Email(row.email) if row.email else None,
        birth_date=row.birth_date,
        passport_data=row.passport_data,
        inn=TaxNumber(row.inn) if row.inn else None,
        iban=Iban(row.iban) if row.iban else None,
        photo_file_id=row.photo_file_id,
        certificate=row.certificate,
        paid_until=row.expiration_date,
        credit_units=row.credit_units,
        status=MemberStatus(row.status),
        status_before_block=MemberStatus(row.status_before_block)
        if row.status_before_block
        else None,
        requests_awaiting_staff=row.has_new_request,
        has_new_program_change=row.has_new_program_change,
        has_new_passport_data=row.has_new_passport_data,
        has_new_correction=row.has_new_correction,
        diia_request_id=row.diia_request_id,
        diia_answer=row.diia_answer,
    )


def member_to(member: Member, row: m.MemberRow) -> None:
    row.phone = member.phone.e164
    row.created_at, row.updated_at = member.created_at, member.updated_at
    row.first_name, row.middle_name, row.last_name = (
        member.first_name,
        member.middle_name,
        member.last_name,
    )
    row.email = _opt(member.email)
    row.birth_date = member.birth_date
    row.passport_data = member.passport_data
    row.inn, row.iban = _opt(member.inn), _opt(member.iban)
    row.photo_file_id = member.photo_file_id
    row.certificate = member.certificate
    row.expiration_date = member.paid_until
    row.credit_units = member.credit_units
    row.status = member.status.value
    row.status_before_block = (
        member.status_before_block.value if member.status_before_block else None
    )
    row.has_new_request = member.requests_awaiting_staff
    row.has_new_program_change = member.has_new_program_change
    row.has_new_passport_data = member.has_new_passport_data
    row.has_new_correction = member.has_new_correction
    row.in_review_queue = member.in_review_queue
    row.diia_request_id = member.diia_request_id
    row.diia_answer = member.diia_answer


def challenge_from(row: m.ChallengeRow) -> SignInChallenge:
    return SignInChallenge(
        phone=Phone(row.phone),
        code_hash=row.code_hash,
        sent_at=row.sent_at,
        recent_sends=[datetime.fromisoformat(s) for s in row.recent_sends],
        to_create=row.to_create,
        attempts=row.attempts,
        used_at=row.used_at,
        id=row.id,
        purpose=CodePurpose(row.purpose),
        member_id=row.member_id,
    )


def challenge_to(challenge: SignInChallenge, row: m.ChallengeRow) -> None:
    row.phone = challenge.phone.e164
    row.code_hash = challenge.code_hash
    row.sent_at = challenge.sent_at
    row.recent_sends = [s.isoformat() for s in challenge.recent_sends]
    row.to_create = challenge.to_create
    row.attempts = challenge.attempts
    row.used_at = challenge.used_at
    row.purpose = challenge.purpose.value
    row.member_id = challenge.member_id


def correction_from(row: m.CorrectionRow) -> CorrectionReport:
    return CorrectionReport(
        row.member_id,
        row.first_name,
        row.middle_name,
        row.last_name,
        row.birth_date,
        row.created_at,
        id=row.id,
        resolved_at=row.resolved_at,
        resolved_by=row.resolved_by,
    )


def correction_to(report: CorrectionReport, row: m.CorrectionRow) -> None:
    row.member_id = report.member_id
    row.first_name, row.middle_name, row.last_name = (
        report.first_name,
        report.middle_name,
        report.last_name,
    )
    row.birth_date, row.created_at = report.birth_date, report.created_at
    row.resolved_at, row.resolved_by = report.resolved_at, report.resolved_by


# -- programs ---------------------------------------------------------------------------
def program_from(row: m.ProgramRow) -> Program:
    return Program(
        row.program_name,
        Money(row.month_price),
        row.created_at,
        row.updated_at,
        id=row.id,
        program_file=row.program_file,
        is_active=row.is_active,
        created_by=row.created_by,
        updated_by=row.updated_by,
    )


def program_to(program: Program, row: m.ProgramRow) -> None:
    row.program_name = program.program_name
    row.month_price = program.month_price.kopecks
    row.created_at, row.updated_at = program.created_at, program.updated_at
    row.program_file, row.is_active = program.program_file, program.is_active
    row.created_by, row.updated_by = program.created_by, program.updated_by


def member_program_from(row: m.MemberProgramRow) -> MemberProgram:
    return MemberProgram(
        row.member_id,
        row.program_id,
        row.created_at,
        row.updated_at,
        is_active=row.is_active,
        is_new=row.is_new,
        id=row.id,
    )


def member_program_to(link: MemberProgram, row: m.MemberProgramRow) -> None:
    row.member_id, row.program_id = link.member_id, link.program_id
    row.created_at, row.updated_at = link.created_at, link.updated_at
    row.is_active, row.is_new = link.is_active, link.is_new


# -- files and documents -----------------------------------------------------------------
def file_from(row: m.FileRow) -> StoredFile:
    return StoredFile(
        row.stored_name,
        row.original_name,
        ContentType(row.content_type),
        row.size,
        row.sha256,
        row.created_at,
        member_id=row.member_id,
        request_id=row.request_id,
        id=row.id,
        duplicate_of_request=row.duplicate_of_request,
        kind=FileKind(row.kind),
    )


def file_to(file: StoredFile, row: m.FileRow) -> None:
    row.stored_name, row.original_name = file.stored_name, file.original_name
    row.content_type, row.size, row.sha256 = file.content_type.value, file.size, file.sha256
    row.created_at, row.member_id, row.request_id = file.created_at, file.member_id, file.request_id
    row.duplicate_of_request = file.duplicate_of_request
    row.kind = file.kind.value


def identity_from(row: m.MemberIdentityRow) -> MemberIdentity:
    return MemberIdentity(
        row.member_id,
        row.file_id,
        IdentityType(row.identity_type),
        row.created_at,
        row.updated_at,
        is_active=row.is_active,
        is_new=row.is_new,
        id=row.id,
    )


def identity_to(doc: MemberIdentity, row: m.MemberIdentityRow) -> None:
    row.member_id, row.file_id = doc.member_id, doc.file_id
    row.identity_type = doc.identity_type.value
    row.created_at, row.updated_at = doc.created_at, doc.updated_at
    row.is_active, row.is_new = doc.is_active, doc.is_new


# -- requests ------------------------------------------------------------------------------
def request_from(row: m.RequestRow) -> Request:
    return Request(
        row.member_id,
        row.request_text,
        row.created_at,
        row.updated_at,
        id=row.id,
        diagnosis=row.diagnosis,
        approved_amount=None if row.approved_amount is None else Money(row.approved_amount),
        status=RequestStatus(row.status),
        resolution=Resolution(row.resolution) if row.resolution else None,
        reason=row.reason,
        has_duplicate_files=row.has_duplicate_files,
    )


def request_to(request: Request, row: m.RequestRow) -> None:
    row.member_id, row.request_text = request.member_id, request.request_text
    row.created_at, row.updated_at = request.created_at, request.updated_at
    row.diagnosis = request.diagnosis
    row.approved_amount = (
        None if request.approved_amount is None else request.approved_amount.kopecks
    )
    row.status = request.status.value
    row.resolution = request.resolution.value if request.resolution else None
    row.reason, row.has_duplicate_files = request.reason, request.has_duplicate_files


def message_to(message: RequestMessage, row: m.MessageRow) -> None:
    row.request_id, row.message, row.created_at = (
        message.request_id,
        message.message,
        message.created_at,
    )
    row.member_id, row.staff_id = message.member_id, message.staff_id


# -- payments ------------------------------------------------------------------------------
def payment_from(row: m.PaymentRow) -> Payment:
    extension = None
    if row.has_extension:
        extension = Extension(
            previous_expiration=row.ext_previous_expiration,
            extended_from=row.ext_from,
            extended_to=row.extended_to,
            days=row.ext_days,
            credit_before=row.ext_credit_before,
            credit_after=row.ext_credit_after,
            month_price=None if row.ext_month_price is None else Money(row.ext_month_price),
        )
    return Payment(
        row.member_id,
        PaymentType(row.payment_type),
        Money(row.amount),
        PaymentSource(row.source),
        row.created_at,
        row.updated_at,
        status=PaymentStatus(row.status),
        id=row.id,
        request_id=row.request_id,
        iban=row.iban,
        payment_identifier=row.payment_identifier,
        payment_date=row.payment_date,
        created_by=row.created_by,
        approved_by=row.approved_by,
        needs_approval=row.needs_approval,
        extended_to=row.extended_to,
        extension=extension,
        gateway_status=row.gateway_status,
        gateway_payment_id=row.gateway_payment_id,
        is_subscription=row.is_subscription,
    )


def payment_to(payment: Payment, row: m.PaymentRow) -> None:
    row.member_id, row.payment_type = payment.member_id, payment.payment_type.value
    row.amount, row.source = payment.amount.kopecks, payment.source.value
    row.created_at, row.updated_at = payment.created_at, payment.updated_at
    row.status, row.request_id, row.iban = payment.status.value, payment.request_id, payment.iban
    row.payment_identifier, row.payment_date = payment.payment_identifier, payment.payment_date
    row.sort_at = payment.moved_at
    row.created_by, row.approved_by = payment.created_by, payment.approved_by
    row.needs_approval, row.extended_to = payment.needs_approval, payment.extended_to
    row.gateway_status, row.gateway_payment_id = payment.gateway_status, payment.gateway_payment_id
    row.is_subscription = payment.is_subscription
    ext = payment.extension
    row.has_extension = ext is not None
    row.ext_previous_expiration = ext.previous_expiration if ext else None
    row.ext_from = ext.extended_from if ext else None
    row.ext_days = ext.days if ext else 0
    row.ext_credit_before = ext.credit_before if ext else 0
    row.ext_credit_after = ext.credit_after if ext else 0
    row.ext_month_price = ext.month_price.kopecks if ext and ext.month_price else None


# -- staff, audit, jobs -------------------------------------------------------------------
def staff_from(row: m.StaffRow) -> StaffUser:
    return StaffUser(
        row.login,
        row.password_hash,
        row.name,
        Role(row.role),
        row.created_at,
        row.updated_at,
        email=Email(row.email) if row.email else None,
        phone=Phone(row.phone) if row.phone else None,
        is_active=row.is_active,
        id=row.id,
        token_version=row.token_version,
    )


def staff_to(user: StaffUser, row: m.StaffRow) -> None:
    row.token_version = user.token_version
    row.login, row.password_hash, row.name = user.login, user.password_hash, user.name
    row.role, row.is_active = user.role.value, user.is_active
    row.created_at, row.updated_at = user.created_at, user.updated_at
    row.email, row.phone = _opt(user.email), _opt(user.phone)


def counter_from(row: m.CounterRow) -> Counter:
    return Counter(row.key, row.started_at, row.count, row.total)


def counter_to(counter: Counter, row: m.CounterRow) -> None:
    row.key = counter.key
    row.started_at = counter.started_at
    row.count = counter.count
    row.total = counter.total


def audit_from(row: m.AuditRow) -> AuditEvent:
    return AuditEvent(
        EventType(row.event_type),
        Actor(ActorKind(row.actor_kind), row.actor_id),
        ObjectKind(row.object_kind),
        row.object_id,
        row.at,
        row.details,
        row.id,
    )


def audit_to(event: AuditEvent, row: m.AuditRow) -> None:
    row.event_type = event.event_type.value
    row.actor_kind, row.actor_id = event.actor.kind.value, event.actor.id
    row.object_kind, row.object_id = event.object_kind.value, event.object_id
    row.details = dict(event.details)
    row.at = event.at


def reminder_to(reminder: ReminderSent, row: m.ReminderRow) -> None:
    row.member_id, row.kind, row.period, row.sent_at = (
        reminder.member_id,
        reminder.kind,
        reminder.period,
        reminder.sent_at,
    )
