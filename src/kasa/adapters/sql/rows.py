"""Rows of the read side's queries turned into the application's views, and the columns
each view needs: a query selects a view's columns in this order (several views' one
after another), and the view is read from its position in the row."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles

from kasa.adapters.sql import schema as tables
from kasa.adapters.sql.types import UtcDateTime
from kasa.application.views import (
    FileView,
    IdentityView,
    MemberName,
    MemberView,
    PaymentView,
    ProgramView,
    RequestView,
    StaffView,
)
from kasa.domain.files import ContentType, FileKind
from kasa.domain.identity import IdentityType
from kasa.domain.members import MemberStatus, full_name
from kasa.domain.membership import Membership
from kasa.domain.money import Money
from kasa.domain.payments import PaymentSource, PaymentStatus, PaymentType
from kasa.domain.requests import RequestStatus, Resolution
from kasa.domain.staff import Role

M, P, F, R, PAY, S = (
    tables.members,
    tables.programs,
    tables.files,
    tables.requests,
    tables.payments,
    tables.staff_users,
)


class Packed:
    """Several columns read as one: each row comes back as a JSON array of their values
    (``json_array`` on MariaDB and SQLite), decoded by msgspec straight into Python
    values (timestamps written out as UTC ISO text, see :class:`utc_text`). The
    pure-Python driver then describes and parses one column a row instead of dozens,
    which was most of a wide read's time (a profile's 32 columns: 0.8 ms against
    0.35 ms)."""

    def __init__(self, *columns: Any, into: Any = None) -> None:
        """``into``: a named tuple the row is decoded into, its fields' types those of
        the columns (a plain tuple without)."""
        self.columns = columns
        self.expr = sa.func.json_array(
            *(utc_text(c) if isinstance(c.type, UtcDateTime) else c for c in columns)
        )
        kinds = tuple(_python_type(column.type) for column in columns)
        # strict=False: MariaDB writes booleans as 0 and 1
        kind: Any = into or tuple[kinds]  # type: ignore[valid-type]
        self.load: Callable[[str | bytes], tuple[Any, ...]] = msgspec.json.Decoder(
            kind, strict=False
        ).decode
        # many rows gathered into one JSON array (see ``json_lines``)
        self.load_all: Callable[[str | bytes], list[Any]] = msgspec.json.Decoder(
            list[kind], strict=False
        ).decode


class json_lines(sa.sql.expression.FunctionElement[str]):  # noqa: N801 - a SQL function
    """The rows' packed values gathered into one JSON array in the given order
    (MariaDB's ``JSON_ARRAYAGG … ORDER BY``): a page of rows then comes back as one
    value, which the pure-Python driver reads as one packet instead of one a row. The
    first clause is the value, the others the order."""

    inherit_cache = True
    type = sa.Text()


@compiles(json_lines, "mysql")
@compiles(json_lines, "mariadb")
def _json_lines_mariadb(element: json_lines, compiler: Any, **kw: Any) -> str:
    value, *order = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"JSON_ARRAYAGG({value} ORDER BY {', '.join(order)})"


class utc_text(sa.sql.expression.FunctionElement[str]):  # noqa: N801 - a SQL function
    """A UTC timestamp column as ISO 8601 text ending in ``Z``, for JSON."""

    inherit_cache = True
    type = sa.String()


@compiles(utc_text, "mysql")
@compiles(utc_text, "mariadb")
def _utc_text_mysql(element: utc_text, compiler: Any, **kw: Any) -> str:
    column = compiler.process(next(iter(element.clauses)), **kw)
    return f"DATE_FORMAT({column}, '%%Y-%%m-%%dT%%H:%%i:%%s.%%fZ')"


@compiles(utc_text, "sqlite")
def _utc_text_sqlite(element: utc_text, compiler: Any, **kw: Any) -> str:
    # stored as text 'YYYY-MM-DD HH:MM:SS.ffffff'
    column = compiler.process(next(iter(element.clauses)), **kw)
    return f"(replace({column}, ' ', 'T') || 'Z')"


def _python_type(kind: Any) -> Any:
    if isinstance(kind, UtcDateTime):
        return datetime | None
    if isinstance(kind, sa.Date):
        return date | None
    if isinstance(kind, sa.Boolean):
        return bool | None
    return Any


# -- members -----------------------------------------------------------------------------
MEMBER_COLUMNS = (
    M.c.id,
    M.c.phone,
    M.c.first_name,
    M.c.middle_name,
    M.c.last_name,
    M.c.email,
    M.c.birth_date,
    M.c.passport_data,
    M.c.inn,
    M.c.iban,
    M.c.photo_file_id,
    M.c.certificate,
    M.c.expiration_date,
    M.c.credit_units,
    M.c.status,
    M.c.status_before_block,
    M.c.has_new_request,
    M.c.has_new_program_change,
    M.c.has_new_passport_data,
    M.c.has_new_correction,
    M.c.created_at,
    M.c.updated_at,
)


def member_view(row: Any, at: int = 0) -> MemberView:
    """A member from ``MEMBER_COLUMNS`` standing in ``row`` from position ``at``."""
    (
        member_id,
        phone,
        first_name,
        middle_name,
        last_name,
        email,
        birth_date,
        passport_data,
        inn,
        iban,
        photo_file_id,
        certificate,
        paid_until,
        credit_units,
        status,
        before,
        has_new_request,
        has_new_program_change,
        has_new_passport_data,
        has_new_correction,
        created_at,
        updated_at,
    ) = row[at : at + len(MEMBER_COLUMNS)]
    return MemberView(
        id=member_id,
        phone=phone,
        first_name=first_name,
        middle_name=middle_name,
        last_name=last_name,
        email=email or "",
        birth_date=birth_date,
        passport_data=passport_data,
        inn=inn or "",
        iban=iban or "",
        photo_file_id=photo_file_id,
        certificate=certificate or "",
        membership=Membership(paid_until, credit_units),
        status=MemberStatus(status),
        status_before_block=MemberStatus(before) if before else None,
        requests_awaiting_staff=has_new_request,
        has_new_program_change=has_new_program_change,
        has_new_passport_data=has_new_passport_data,
        has_new_correction=has_new_correction,
        created_at=created_at,
        updated_at=updated_at,
    )


NAME_COLUMNS = (M.c.id, M.c.last_name, M.c.first_name, M.c.middle_name, M.c.certificate)


def member_name(row: Any, at: int = 0) -> MemberName:
    member_id, last_name, first_name, middle_name, certificate = row[at : at + 5]
    return MemberName(member_id, full_name(last_name, first_name, middle_name), certificate or "")


# -- programs and files ------------------------------------------------------------------
PROGRAM_COLUMNS = (
    P.c.id,
    P.c.program_name,
    P.c.month_price,
    P.c.program_file,
    P.c.is_active,
    P.c.created_by,
    P.c.updated_by,
    P.c.created_at,
    P.c.updated_at,
)


def program_view(row: Any, at: int = 0) -> ProgramView:
    program_id, name, price, terms, active, created_by, updated_by, created_at, updated_at = row[
        at : at + len(PROGRAM_COLUMNS)
    ]
    return ProgramView(
        program_id,
        name,
        Money(price),
        terms,
        active,
        created_by,
        updated_by,
        created_at,
        updated_at,
    )


FILE_COLUMNS = (
    F.c.id,
    F.c.stored_name,
    F.c.original_name,
    F.c.content_type,
    F.c.size,
    F.c.sha256,
    F.c.kind,
    F.c.created_at,
    F.c.member_id,
    F.c.request_id,
    F.c.duplicate_of_request,
)


def file_view(row: Any, at: int = 0) -> FileView:
    (
        file_id,
        stored_name,
        original_name,
        content_type,
        size,
        sha256,
        kind,
        created_at,
        member_id,
        request_id,
        duplicate_of_request,
    ) = row[at : at + len(FILE_COLUMNS)]
    return FileView(
        file_id,
        stored_name,
        original_name,
        ContentType(content_type),
        size,
        sha256,
        FileKind(kind),
        created_at,
        member_id,
        request_id,
        duplicate_of_request,
    )


def identity_view(row: Any) -> IdentityView:
    """A row of ``FILE_COLUMNS`` and then the document's own columns."""
    doc_id, kind, is_active, is_new, refused_at, reason = row[len(FILE_COLUMNS) :]
    return IdentityView(
        doc_id, IdentityType(kind), is_active, is_new, file_view(row), refused_at, reason
    )


# -- requests and payments ---------------------------------------------------------------
REQUEST_COLUMNS = (
    R.c.id,
    R.c.member_id,
    R.c.status,
    R.c.request_text,
    R.c.diagnosis,
    R.c.approved_amount,
    R.c.resolution,
    R.c.reason,
    R.c.has_duplicate_files,
    R.c.created_at,
    R.c.updated_at,
)


def request_view(
    row: Any,
    files: list[FileView] | None = None,
    member: MemberName | None = None,
    at: int = 0,
) -> RequestView:
    (
        request_id,
        member_id,
        status,
        request_text,
        diagnosis,
        amount,
        resolution,
        reason,
        has_duplicate_files,
        created_at,
        updated_at,
    ) = row[at : at + len(REQUEST_COLUMNS)]
    return RequestView(
        id=request_id,
        member_id=member_id,
        status=RequestStatus(status),
        request_text=request_text,
        diagnosis=diagnosis,
        approved_amount=None if amount is None else Money(amount),
        resolution=Resolution(resolution) if resolution else None,
        reason=reason,
        has_duplicate_files=has_duplicate_files,
        created_at=created_at,
        updated_at=updated_at,
        files=files or [],
        member=member,
    )


PAYMENT_COLUMNS = (
    PAY.c.id,
    PAY.c.member_id,
    PAY.c.payment_type,
    PAY.c.amount,
    PAY.c.status,
    PAY.c.source,
    PAY.c.created_at,
    PAY.c.payment_date,
    PAY.c.request_id,
    PAY.c.payment_identifier,
    PAY.c.iban,
    PAY.c.extended_to,
    PAY.c.created_by,
    PAY.c.approved_by,
    PAY.c.needs_approval,
    PAY.c.gateway,
)


def payment_view(row: Any, at: int = 0) -> PaymentView:
    (
        payment_id,
        member_id,
        payment_type,
        amount,
        status,
        source,
        created_at,
        payment_date,
        request_id,
        payment_identifier,
        iban,
        extended_to,
        created_by,
        approved_by,
        needs_approval,
        gateway,
    ) = row[at : at + len(PAYMENT_COLUMNS)]
    return PaymentView(
        id=payment_id,
        member_id=member_id,
        payment_type=PaymentType(payment_type),
        amount=Money(amount),
        status=PaymentStatus(status),
        source=PaymentSource(source),
        created_at=created_at,
        payment_date=payment_date,
        request_id=request_id,
        payment_identifier=payment_identifier,
        iban=iban,
        extended_to=extended_to,
        created_by=created_by,
        approved_by=approved_by,
        needs_approval=needs_approval,
        gateway=gateway,
    )


STAFF_COLUMNS = (
    S.c.id,
    S.c.login,
    S.c.name,
    S.c.email,
    S.c.phone,
    S.c.role,
    S.c.is_active,
    S.c.created_at,
    S.c.updated_at,
)


def staff_view(row: Any, at: int = 0) -> StaffView:
    staff_id, login, name, email, phone, role, active, created_at, updated_at = row[
        at : at + len(STAFF_COLUMNS)
    ]
    return StaffView(
        staff_id, login, name, email or "", phone or "", Role(role), active, created_at, updated_at
    )
