"""The schema, as SQLAlchemy row classes: Alembic migrations are made from (and checked
against) this metadata, the read side's statements select from these tables, and
``orm.py`` maps the domain's entities onto them. Columns that hold a value object or an
enum say so in their type, so both read them back as the domain's values."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kasa.adapters.sql.types import Choice, Moments, Text, UtcDateTime, money
from kasa.domain.audit import ActorKind, EventType, ObjectKind
from kasa.domain.files import ContentType, FileKind
from kasa.domain.identity import REFUSAL_REASON_MAX, IdentityType
from kasa.domain.members import MemberStatus
from kasa.domain.money import Money
from kasa.domain.payments import PaymentSource, PaymentStatus, PaymentType
from kasa.domain.requests import RequestStatus, Resolution
from kasa.domain.signin import CodePurpose
from kasa.domain.staff import Role
from kasa.domain.values import Email, Iban, Phone, TaxNumber

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ID = sa.Integer
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime(),
        dict[str, Any]: sa.JSON(),
    }


def fk(target: str, **kwargs: Any) -> sa.ForeignKey:
    return sa.ForeignKey(target, **kwargs)


class Stamped:
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)


# -- reference data -------------------------------------------------------------------
class IdentityTypeRow(Base):
    __tablename__ = "identity_types"
    code: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64), nullable=False)


class PaymentTypeRow(Base):
    __tablename__ = "payment_types"
    code: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64), nullable=False)


class RequestStatusRow(Base):
    __tablename__ = "request_statuses"
    code: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64), nullable=False)


# -- staff ----------------------------------------------------------------------------
class StaffRow(Stamped, Base):
    __tablename__ = "staff_users"
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    login: Mapped[str] = mapped_column(sa.String(32), nullable=False, unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    name: Mapped[str] = mapped_column(sa.String(128), nullable=False, default="")
    email: Mapped[Email | None] = mapped_column(Text(Email, 128))
    phone: Mapped[Phone | None] = mapped_column(Text(Phone, 16))
    role: Mapped[Role] = mapped_column(Choice(Role, 16), nullable=False)
    is_active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    token_version: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)


class CounterRow(Base):
    """One throttle counter (wrong passwords of a login, code requests of an address,
    refused callbacks of an address); locked while a use case checks and moves it."""

    __tablename__ = "throttle_counters"
    key: Mapped[str] = mapped_column(sa.String(96), primary_key=True)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    count: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    total: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)


# -- members ----------------------------------------------------------------------------
class MemberRow(Stamped, Base):
    __tablename__ = "members"
    __table_args__ = (
        sa.Index(None, "status", "updated_at"),
        sa.Index(None, "expiration_date"),
        sa.Index(None, "last_name", "first_name"),
        sa.Index(None, "diia_request_id"),
        sa.Index(None, "inn"),
        sa.Index(None, "iban"),
    )
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    phone: Mapped[Phone] = mapped_column(Text(Phone, 16), nullable=False, unique=True)
    first_name: Mapped[str] = mapped_column(sa.String(32), nullable=False, default="")
    middle_name: Mapped[str] = mapped_column(sa.String(32), nullable=False, default="")
    last_name: Mapped[str] = mapped_column(sa.String(32), nullable=False, default="")
    email: Mapped[Email | None] = mapped_column(Text(Email, 128))
    birth_date: Mapped[date | None] = mapped_column(sa.Date)
    passport_data: Mapped[str] = mapped_column(sa.String(512), nullable=False, default="")
    inn: Mapped[TaxNumber | None] = mapped_column(Text(TaxNumber, 10))
    iban: Mapped[Iban | None] = mapped_column(Text(Iban, 34))
    photo_file_id: Mapped[int | None] = mapped_column(
        ID, fk("files.id", use_alter=True, name="fk_members_photo_file_id_files")
    )
    certificate: Mapped[str | None] = mapped_column(sa.String(32), unique=True)
    expiration_date: Mapped[date | None] = mapped_column(sa.Date)
    credit_units: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)
    status: Mapped[MemberStatus] = mapped_column(Choice(MemberStatus, 20), nullable=False)
    status_before_block: Mapped[MemberStatus | None] = mapped_column(Choice(MemberStatus, 20))
    has_new_request: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    has_new_program_change: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    has_new_passport_data: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    has_new_correction: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    in_review_queue: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, index=True)
    diia_request_id: Mapped[str | None] = mapped_column(sa.String(64))
    diia_answer: Mapped[str | None] = mapped_column(sa.Text)


class ChallengeRow(Base):
    __tablename__ = "sign_in_challenges"
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    phone: Mapped[Phone] = mapped_column(Text(Phone, 16), nullable=False, unique=True)
    code_hash: Mapped[str | None] = mapped_column(sa.String(128))
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    recent_sends: Mapped[list[datetime]] = mapped_column(Moments(), nullable=False)
    to_create: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    attempts: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    purpose: Mapped[CodePurpose] = mapped_column(
        Choice(CodePurpose, 16), nullable=False, default=CodePurpose.SIGN_IN
    )
    member_id: Mapped[int | None] = mapped_column(ID, fk("members.id"))


class CorrectionRow(Base):
    __tablename__ = "correction_reports"
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    member_id: Mapped[int] = mapped_column(ID, fk("members.id"), nullable=False, index=True)
    first_name: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    middle_name: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    last_name: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    birth_date: Mapped[date | None] = mapped_column(sa.Date)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    resolved_by: Mapped[int | None] = mapped_column(ID, fk("staff_users.id"))


class CertificateNumberRow(Base):
    """Each row is a certificate number handed out; rows are never deleted."""

    __tablename__ = "certificate_numbers"
    __table_args__ = ({"sqlite_autoincrement": True},)
    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)


# -- programs -------------------------------------------------------------------------
class ProgramRow(Stamped, Base):
    __tablename__ = "programs"
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    program_name: Mapped[str] = mapped_column(sa.String(128), nullable=False)
    month_price: Mapped[Money] = mapped_column(money(), nullable=False)
    program_file: Mapped[str] = mapped_column(
        sa.String(255), nullable=False, default="", index=True
    )
    is_active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    created_by: Mapped[int | None] = mapped_column(ID, fk("staff_users.id"))
    updated_by: Mapped[int | None] = mapped_column(ID, fk("staff_users.id"))


class MemberProgramRow(Stamped, Base):
    __tablename__ = "member_programs"
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    member_id: Mapped[int] = mapped_column(ID, fk("members.id"), nullable=False, index=True)
    program_id: Mapped[int] = mapped_column(ID, fk("programs.id"), nullable=False)
    is_active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    is_new: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)


# -- files and documents ----------------------------------------------------------------
class FileRow(Base):
    __tablename__ = "files"
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    member_id: Mapped[int | None] = mapped_column(ID, fk("members.id"), index=True)
    request_id: Mapped[int | None] = mapped_column(ID, fk("requests.id"), index=True)
    stored_name: Mapped[str] = mapped_column(sa.String(64), nullable=False, unique=True)
    original_name: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    content_type: Mapped[ContentType] = mapped_column(Choice(ContentType, 64), nullable=False)
    size: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False, index=True)
    duplicate_of_request: Mapped[int | None] = mapped_column(ID)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    kind: Mapped[FileKind] = mapped_column(
        Choice(FileKind, 16), nullable=False, default=FileKind.DOCUMENT
    )


class MemberIdentityRow(Stamped, Base):
    __tablename__ = "member_identities"
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    member_id: Mapped[int] = mapped_column(ID, fk("members.id"), nullable=False, index=True)
    file_id: Mapped[int] = mapped_column(ID, fk("files.id"), nullable=False)
    identity_type: Mapped[IdentityType] = mapped_column(
        Choice(IdentityType, 32), fk("identity_types.code"), nullable=False
    )
    is_active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    is_new: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    refused_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    refusal_reason: Mapped[str] = mapped_column(
        sa.String(REFUSAL_REASON_MAX), nullable=False, default="", server_default=""
    )


# -- requests -------------------------------------------------------------------------
class RequestRow(Stamped, Base):
    __tablename__ = "requests"
    __table_args__ = (
        sa.Index(None, "member_id", "status"),
        sa.Index(None, "status", "created_at"),
        sa.Index(None, "created_at"),
    )
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    member_id: Mapped[int] = mapped_column(ID, fk("members.id"), nullable=False)
    request_text: Mapped[str] = mapped_column(sa.Text, nullable=False)
    diagnosis: Mapped[str] = mapped_column(sa.String(512), nullable=False, default="")
    approved_amount: Mapped[Money | None] = mapped_column(money())
    status: Mapped[RequestStatus] = mapped_column(
        Choice(RequestStatus, 32), fk("request_statuses.code"), nullable=False
    )
    resolution: Mapped[Resolution | None] = mapped_column(Choice(Resolution, 16))
    reason: Mapped[str] = mapped_column(sa.String(1000), nullable=False, default="")
    has_duplicate_files: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)


class MessageRow(Base):
    __tablename__ = "request_messages"
    __table_args__ = (
        sa.CheckConstraint("(member_id IS NULL) <> (staff_id IS NULL)", name="one_author"),
    )
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    request_id: Mapped[int] = mapped_column(ID, fk("requests.id"), nullable=False, index=True)
    member_id: Mapped[int | None] = mapped_column(ID, fk("members.id"))
    staff_id: Mapped[int | None] = mapped_column(ID, fk("staff_users.id"))
    message: Mapped[str] = mapped_column(sa.Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)


# -- payments -------------------------------------------------------------------------
class PaymentRow(Stamped, Base):
    __tablename__ = "payments"
    __table_args__ = (
        sa.Index(None, "member_id", "payment_type", "sort_at"),
        sa.Index(None, "request_id"),
        sa.Index(None, "sort_at"),
        sa.Index(None, "payment_type", "sort_at"),
        sa.Index(None, "status", "source", "created_at"),
        sa.Index(None, "amount"),
        sa.Index(None, "reversed_at"),
        sa.CheckConstraint("amount > 0", name="positive_amount"),
    )
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    member_id: Mapped[int] = mapped_column(ID, fk("members.id"), nullable=False)
    payment_type: Mapped[PaymentType] = mapped_column(
        Choice(PaymentType, 32), fk("payment_types.code"), nullable=False
    )
    request_id: Mapped[int | None] = mapped_column(ID, fk("requests.id"))
    amount: Mapped[Money] = mapped_column(money(), nullable=False)
    iban: Mapped[str] = mapped_column(sa.String(34), nullable=False, default="")
    payment_identifier: Mapped[str | None] = mapped_column(sa.String(128), unique=True)
    status: Mapped[PaymentStatus] = mapped_column(Choice(PaymentStatus, 16), nullable=False)
    payment_date: Mapped[datetime | None] = mapped_column(UtcDateTime())
    sort_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    source: Mapped[PaymentSource] = mapped_column(Choice(PaymentSource, 16), nullable=False)
    created_by: Mapped[int | None] = mapped_column(ID, fk("staff_users.id"))
    approved_by: Mapped[int | None] = mapped_column(ID, fk("staff_users.id"))
    needs_approval: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    extended_to: Mapped[date | None] = mapped_column(sa.Date)
    has_extension: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    ext_previous_expiration: Mapped[date | None] = mapped_column(sa.Date)
    ext_from: Mapped[date | None] = mapped_column(sa.Date)
    ext_days: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    ext_credit_before: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)
    ext_credit_after: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)
    ext_month_price: Mapped[Money | None] = mapped_column(money())
    gateway_status: Mapped[str] = mapped_column(sa.String(32), nullable=False, default="")
    gateway_payment_id: Mapped[str] = mapped_column(sa.String(64), nullable=False, default="")
    reversed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    checked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    is_subscription: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)


# -- search terms (see kasa.domain.search) ---------------------------------------------
# Binary collation on MariaDB/MySQL: terms are already case-folded, and a prefix range
# (term <= t < term + U+10FFFF) must compare code points, not a language's letters.
TERM = sa.String(64).with_variant(
    mysql.VARCHAR(64, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"
)


class MemberTermRow(Base):
    """One term of one searchable member field, with the member's name to sort by (so a
    search pages through this index alone); rewritten when the member changes."""

    __tablename__ = "member_terms"
    __table_args__ = (sa.Index(None, "term", "field", "sort_name"),)
    member_id: Mapped[int] = mapped_column(
        ID, fk("members.id", ondelete="CASCADE"), primary_key=True
    )
    field: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    term: Mapped[str] = mapped_column(TERM, primary_key=True)
    sort_name: Mapped[str] = mapped_column(sa.String(64), nullable=False)


class RequestTermRow(Base):
    """One term of a request: of its number, text and diagnosis, and of its member's
    name, middle name and certificate (rewritten when either changes), with the
    request's status and creation time (so a search filters and pages through this
    index alone)."""

    __tablename__ = "request_terms"
    __table_args__ = (sa.Index(None, "term", "status", "created_at"),)
    request_id: Mapped[int] = mapped_column(
        ID, fk("requests.id", ondelete="CASCADE"), primary_key=True
    )
    term: Mapped[str] = mapped_column(TERM, primary_key=True)
    status: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)


class PaymentCountRow(Base):
    """How many payments there are per day (of ``sort_at``, UTC), type, status and
    source, kept in the same transaction as the payments: list totals add up days
    instead of counting rows."""

    __tablename__ = "payment_counts"
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    payment_type: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    status: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    source: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    count: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)


# -- audit and jobs -------------------------------------------------------------------
class AuditRow(Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        sa.Index(None, "object_kind", "object_id"),
        sa.Index(None, "actor_kind", "actor_id"),
        sa.Index(None, "event_type"),
        sa.Index(None, "at"),
    )
    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    event_type: Mapped[EventType] = mapped_column(Choice(EventType, 40), nullable=False)
    actor_kind: Mapped[ActorKind] = mapped_column(Choice(ActorKind, 8), nullable=False)
    actor_id: Mapped[int | None] = mapped_column(ID)
    object_kind: Mapped[ObjectKind] = mapped_column(Choice(ObjectKind, 16), nullable=False)
    object_id: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, nullable=False)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)


class ReminderRow(Base):
    __tablename__ = "reminders"
    __table_args__ = (sa.UniqueConstraint("member_id", "kind", "period"),)
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    member_id: Mapped[int] = mapped_column(ID, fk("members.id"), nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    period: Mapped[date] = mapped_column(sa.Date, nullable=False)
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
