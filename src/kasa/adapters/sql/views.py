"""Rows of the read side's queries turned into the application's views, and the columns
each view needs (selected by name, so a query reads only what its answer shows)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from kasa.adapters.sql import models as m
from kasa.application.views import (
    FileView,
    MemberName,
    MemberView,
    PaymentView,
    ProgramView,
    RequestView,
    StaffView,
)
from kasa.domain.files import ContentType, FileKind
from kasa.domain.members import MemberStatus, full_name
from kasa.domain.membership import Membership
from kasa.domain.money import Money
from kasa.domain.payments import PaymentSource, PaymentStatus, PaymentType
from kasa.domain.requests import RequestStatus, Resolution
from kasa.domain.staff import Role

M, P, F, R, PAY, S = (
    m.MemberRow,
    m.ProgramRow,
    m.FileRow,
    m.RequestRow,
    m.PaymentRow,
    m.StaffRow,
)


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def next_day(day: date) -> datetime:
    return day_start(day + timedelta(days=1))


def labelled(prefix: str, *columns: Any) -> list[Any]:
    """Columns labelled ``<prefix>_<name>``, so that several tables' columns can share
    one row."""
    return [c.label(f"{prefix}_{c.key}") for c in columns]


def _get(row: Any, prefix: str, name: str) -> Any:
    return row._mapping[f"{prefix}_{name}"]


# -- members -----------------------------------------------------------------------------
MEMBER_COLUMNS = (
    M.id,
    M.phone,
    M.first_name,
    M.middle_name,
    M.last_name,
    M.email,
    M.birth_date,
    M.passport_data,
    M.inn,
    M.iban,
    M.photo_file_id,
    M.certificate,
    M.expiration_date,
    M.credit_units,
    M.status,
    M.status_before_block,
    M.has_new_request,
    M.has_new_program_change,
    M.has_new_passport_data,
    M.has_new_correction,
    M.created_at,
    M.updated_at,
)


def member_view(row: Any, prefix: str = "m") -> MemberView:
    def g(name: str) -> Any:
        return _get(row, prefix, name)

    before = g("status_before_block")
    return MemberView(
        id=g("id"),
        phone=g("phone"),
        first_name=g("first_name"),
        middle_name=g("middle_name"),
        last_name=g("last_name"),
        email=g("email") or "",
        birth_date=g("birth_date"),
        passport_data=g("passport_data"),
        inn=g("inn") or "",
        iban=g("iban") or "",
        photo_file_id=g("photo_file_id"),
        certificate=g("certificate") or "",
        membership=Membership(g("expiration_date"), g("credit_units")),
        status=MemberStatus(g("status")),
        status_before_block=MemberStatus(before) if before else None,
        has_new_request=g("has_new_request"),
        has_new_program_change=bool(g("has_new_program_change")),
        has_new_passport_data=bool(g("has_new_passport_data")),
        has_new_correction=bool(g("has_new_correction")),
        created_at=g("created_at"),
        updated_at=g("updated_at"),
    )


NAME_COLUMNS = (M.id, M.last_name, M.first_name, M.middle_name, M.certificate)


def member_name(row: Any, prefix: str = "n") -> MemberName:
    def g(name: str) -> Any:
        return _get(row, prefix, name)

    return MemberName(
        g("id"),
        full_name(g("last_name"), g("first_name"), g("middle_name")),
        g("certificate") or "",
    )


# -- programs and files ------------------------------------------------------------------
PROGRAM_COLUMNS = (
    P.id,
    P.program_name,
    P.month_price,
    P.program_file,
    P.is_active,
    P.created_by,
    P.updated_by,
    P.created_at,
    P.updated_at,
)


def program_view(row: Any, prefix: str = "p") -> ProgramView:
    def g(name: str) -> Any:
        return _get(row, prefix, name)

    return ProgramView(
        id=g("id"),
        name=g("program_name"),
        month_price=Money(g("month_price")),
        terms_file=g("program_file"),
        is_active=bool(g("is_active")),
        created_by=g("created_by"),
        updated_by=g("updated_by"),
        created_at=g("created_at"),
        updated_at=g("updated_at"),
    )


FILE_COLUMNS = (
    F.id,
    F.stored_name,
    F.original_name,
    F.content_type,
    F.size,
    F.sha256,
    F.kind,
    F.created_at,
    F.member_id,
    F.request_id,
    F.duplicate_of_request,
)


def file_view(row: Any, prefix: str = "f") -> FileView:
    def g(name: str) -> Any:
        return _get(row, prefix, name)

    return FileView(
        id=g("id"),
        stored_name=g("stored_name"),
        original_name=g("original_name"),
        content_type=ContentType(g("content_type")),
        size=g("size"),
        sha256=g("sha256"),
        kind=FileKind(g("kind")),
        created_at=g("created_at"),
        member_id=g("member_id"),
        request_id=g("request_id"),
        duplicate_of_request=g("duplicate_of_request"),
    )


# -- requests and payments ---------------------------------------------------------------
REQUEST_COLUMNS = (
    R.id,
    R.member_id,
    R.status,
    R.request_text,
    R.diagnosis,
    R.approved_amount,
    R.resolution,
    R.reason,
    R.has_duplicate_files,
    R.created_at,
    R.updated_at,
)


def request_view(
    row: Any,
    files: list[FileView] | None = None,
    member: MemberName | None = None,
    prefix: str = "r",
) -> RequestView:
    def g(name: str) -> Any:
        return _get(row, prefix, name)

    amount, resolution = g("approved_amount"), g("resolution")
    return RequestView(
        id=g("id"),
        member_id=g("member_id"),
        status=RequestStatus(g("status")),
        request_text=g("request_text"),
        diagnosis=g("diagnosis"),
        approved_amount=None if amount is None else Money(amount),
        resolution=Resolution(resolution) if resolution else None,
        reason=g("reason"),
        has_duplicate_files=bool(g("has_duplicate_files")),
        created_at=g("created_at"),
        updated_at=g("updated_at"),
        files=files or [],
        member=member,
    )


PAYMENT_COLUMNS = (
    PAY.id,
    PAY.member_id,
    PAY.payment_type,
    PAY.amount,
    PAY.status,
    PAY.source,
    PAY.created_at,
    PAY.payment_date,
    PAY.request_id,
    PAY.payment_identifier,
    PAY.iban,
    PAY.extended_to,
    PAY.created_by,
    PAY.approved_by,
    PAY.needs_approval,
)


def payment_view(row: Any, prefix: str = "pay") -> PaymentView:
    def g(name: str) -> Any:
        return _get(row, prefix, name)

    return PaymentView(
        id=g("id"),
        member_id=g("member_id"),
        payment_type=PaymentType(g("payment_type")),
        amount=Money(g("amount")),
        status=PaymentStatus(g("status")),
        source=PaymentSource(g("source")),
        created_at=g("created_at"),
        payment_date=g("payment_date"),
        request_id=g("request_id"),
        payment_identifier=g("payment_identifier"),
        iban=g("iban"),
        extended_to=g("extended_to"),
        created_by=g("created_by"),
        approved_by=g("approved_by"),
        needs_approval=bool(g("needs_approval")),
    )


STAFF_COLUMNS = (
    S.id,
    S.login,
    S.name,
    S.email,
    S.phone,
    S.role,
    S.is_active,
    S.created_at,
    S.updated_at,
)


def staff_view(row: Any, prefix: str = "s") -> StaffView:
    def g(name: str) -> Any:
        return _get(row, prefix, name)

    return StaffView(
        id=g("id"),
        login=g("login"),
        name=g("name"),
        email=g("email") or "",
        phone=g("phone") or "",
        role=Role(g("role")),
        is_active=bool(g("is_active")),
        created_at=g("created_at"),
        updated_at=g("updated_at"),
    )


def select_labelled(*groups: tuple[str, tuple[Any, ...]]) -> Any:
    """``SELECT`` of several tables' columns, each group labelled by its prefix."""
    return sa.select(*(c for prefix, columns in groups for c in labelled(prefix, *columns)))
