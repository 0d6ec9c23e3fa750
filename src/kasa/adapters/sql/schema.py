"""The schema, declared once as SQLAlchemy ``Table`` objects: Alembic makes the
migrations from (and checks them against) ``metadata``, the read side's statements select
from these tables, and ``orm.py`` maps the domain's entities onto them. Columns that hold
a value object or an enum say so in their type, so both read them back as the domain's
values."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from kasa.adapters.sql.types import Choice, Moments, Text, UtcDateTime, money
from kasa.domain.audit import ActorKind, EventType, ObjectKind
from kasa.domain.events import EventKind
from kasa.domain.files import ContentType, FileKind
from kasa.domain.identity import REFUSAL_REASON_MAX, IdentityType
from kasa.domain.members import MemberStatus
from kasa.domain.notifications import DeliveryState, Language, Platform
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
metadata = sa.MetaData(naming_convention=NAMING)

ID = sa.Integer
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def fk(target: str, **kwargs: Any) -> sa.ForeignKey:
    return sa.ForeignKey(target, **kwargs)


def stamped() -> tuple[sa.Column[Any], sa.Column[Any]]:
    """When a row was made and last changed."""
    return (
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )


# Sums every payment change adds to (per-day counts, the ledger's hours and days) are
# kept in SLOTS rows for each key, a change adding to its member's slot (member id modulo
# SLOTS): concurrent changes of different members then seldom wait for one row's lock.
# Readers add the slots up (every read of these tables sums by its other columns).
SLOTS = 8


def slot() -> sa.Column[Any]:
    return sa.Column(
        "slot", sa.SmallInteger, primary_key=True, autoincrement=False, server_default="0"
    )


def slot_of(member_id: int | None) -> int:
    return (member_id or 0) % SLOTS


# -- reference data -------------------------------------------------------------------
identity_types = sa.Table(
    "identity_types",
    metadata,
    sa.Column("code", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(64), nullable=False),
)

payment_types = sa.Table(
    "payment_types",
    metadata,
    sa.Column("code", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(64), nullable=False),
)

request_statuses = sa.Table(
    "request_statuses",
    metadata,
    sa.Column("code", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(64), nullable=False),
)

# -- staff ----------------------------------------------------------------------------
staff_users = sa.Table(
    "staff_users",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("login", sa.String(32), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("name", sa.String(128), nullable=False, default=""),
    sa.Column("email", Text(Email, 128)),
    sa.Column("phone", Text(Phone, 16)),
    sa.Column("role", Choice(Role, 16), nullable=False),
    sa.Column("is_active", sa.Boolean, nullable=False, default=True),
    sa.Column("token_version", sa.Integer, nullable=False, default=0),
    # the language the office pages speak to them
    sa.Column("language", Choice(Language, 2), nullable=False, default=Language.UK),
    *stamped(),
)

# A staff user's signed-in session in the office pages (the cookie's secret, hashed).
office_sessions = sa.Table(
    "office_sessions",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("staff_id", ID, fk("staff_users.id"), nullable=False, index=True),
    sa.Column("token_version", sa.Integer, nullable=False),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("seen_at", UtcDateTime(), nullable=False, index=True),
)

# One throttle counter (wrong passwords of a login, code requests of an address,
# refused callbacks of an address); locked while a use case checks and moves it.
throttle_counters = sa.Table(
    "throttle_counters",
    metadata,
    sa.Column("key", sa.String(96), primary_key=True),
    sa.Column("started_at", UtcDateTime()),
    sa.Column("count", sa.Integer, nullable=False, default=0),
    sa.Column("total", sa.BigInteger, nullable=False, default=0),
)

# -- members ----------------------------------------------------------------------------
members = sa.Table(
    "members",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("phone", Text(Phone, 16), nullable=False, unique=True),
    sa.Column("first_name", sa.String(32), nullable=False, default=""),
    sa.Column("middle_name", sa.String(32), nullable=False, default=""),
    sa.Column("last_name", sa.String(32), nullable=False, default=""),
    sa.Column("email", Text(Email, 128)),
    sa.Column("birth_date", sa.Date),
    sa.Column("passport_data", sa.String(512), nullable=False, default=""),
    sa.Column("inn", Text(TaxNumber, 10)),
    sa.Column("iban", Text(Iban, 34)),
    sa.Column(
        "photo_file_id", ID, fk("files.id", use_alter=True, name="fk_members_photo_file_id_files")
    ),
    sa.Column("certificate", sa.String(32), unique=True),
    sa.Column("expiration_date", sa.Date),
    sa.Column("credit_units", sa.BigInteger, nullable=False, default=0),
    sa.Column("status", Choice(MemberStatus, 20), nullable=False),
    sa.Column("status_before_block", Choice(MemberStatus, 20)),
    sa.Column("has_new_request", sa.Integer, nullable=False, default=0),
    sa.Column("has_new_program_change", sa.Boolean, nullable=False),
    sa.Column("has_new_passport_data", sa.Boolean, nullable=False),
    sa.Column("has_new_correction", sa.Boolean, nullable=False),
    sa.Column("in_review_queue", sa.Boolean, nullable=False, index=True),
    sa.Column("diia_request_id", sa.String(64)),
    sa.Column("diia_answer", sa.Text),
    *stamped(),
    sa.Index(None, "status", "updated_at"),
    sa.Index(None, "expiration_date"),
    sa.Index(None, "last_name", "first_name"),
    sa.Index(None, "diia_request_id"),
    sa.Index(None, "inn"),
    sa.Index(None, "iban"),
)

sign_in_challenges = sa.Table(
    "sign_in_challenges",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("phone", Text(Phone, 16), nullable=False, unique=True),
    sa.Column("code_hash", sa.String(128)),
    sa.Column("sent_at", UtcDateTime()),
    sa.Column("recent_sends", Moments(), nullable=False),
    sa.Column("to_create", sa.Boolean, nullable=False, default=False),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("used_at", UtcDateTime()),
    sa.Column("purpose", Choice(CodePurpose, 16), nullable=False, default=CodePurpose.SIGN_IN),
    sa.Column("member_id", ID, fk("members.id")),
)

correction_reports = sa.Table(
    "correction_reports",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("member_id", ID, fk("members.id"), nullable=False, index=True),
    sa.Column("first_name", sa.String(32), nullable=False),
    sa.Column("middle_name", sa.String(32), nullable=False),
    sa.Column("last_name", sa.String(32), nullable=False),
    sa.Column("birth_date", sa.Date),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("resolved_at", UtcDateTime()),
    sa.Column("resolved_by", ID, fk("staff_users.id")),
)

# Each row is a certificate number handed out; rows are never deleted.
certificate_numbers = sa.Table(
    "certificate_numbers",
    metadata,
    sa.Column("id", ID, primary_key=True, autoincrement=True),
    sa.Column("issued_at", UtcDateTime(), nullable=False),
    sqlite_autoincrement=True,
)

# -- programs -------------------------------------------------------------------------
programs = sa.Table(
    "programs",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("program_name", sa.String(128), nullable=False),
    sa.Column("month_price", money(), nullable=False),
    sa.Column("program_file", sa.String(255), nullable=False, default="", index=True),
    sa.Column("is_active", sa.Boolean, nullable=False, default=True),
    sa.Column("created_by", ID, fk("staff_users.id")),
    sa.Column("updated_by", ID, fk("staff_users.id")),
    *stamped(),
)

member_programs = sa.Table(
    "member_programs",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("member_id", ID, fk("members.id"), nullable=False, index=True),
    sa.Column("program_id", ID, fk("programs.id"), nullable=False),
    sa.Column("is_active", sa.Boolean, nullable=False),
    sa.Column("is_new", sa.Boolean, nullable=False),
    *stamped(),
)

# -- files and documents ----------------------------------------------------------------
files = sa.Table(
    "files",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("member_id", ID, fk("members.id"), index=True),
    sa.Column("request_id", ID, fk("requests.id"), index=True),
    sa.Column("stored_name", sa.String(64), nullable=False, unique=True),
    sa.Column("original_name", sa.String(255), nullable=False),
    sa.Column("content_type", Choice(ContentType, 64), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False, index=True),
    sa.Column("duplicate_of_request", ID),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("kind", Choice(FileKind, 16), nullable=False, default=FileKind.DOCUMENT),
)

member_identities = sa.Table(
    "member_identities",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("member_id", ID, fk("members.id"), nullable=False, index=True),
    sa.Column("file_id", ID, fk("files.id"), nullable=False),
    sa.Column("identity_type", Choice(IdentityType, 32), fk("identity_types.code"), nullable=False),
    sa.Column("is_active", sa.Boolean, nullable=False),
    sa.Column("is_new", sa.Boolean, nullable=False),
    sa.Column("refused_at", UtcDateTime()),
    sa.Column(
        "refusal_reason",
        sa.String(REFUSAL_REASON_MAX),
        nullable=False,
        default="",
        server_default="",
    ),
    *stamped(),
)

# -- requests -------------------------------------------------------------------------
requests = sa.Table(
    "requests",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("member_id", ID, fk("members.id"), nullable=False),
    sa.Column("request_text", sa.Text, nullable=False),
    sa.Column("diagnosis", sa.String(512), nullable=False, default=""),
    sa.Column("approved_amount", money()),
    sa.Column("status", Choice(RequestStatus, 32), fk("request_statuses.code"), nullable=False),
    sa.Column("resolution", Choice(Resolution, 16)),
    sa.Column("reason", sa.String(1000), nullable=False, default=""),
    sa.Column("has_duplicate_files", sa.Boolean, nullable=False),
    *stamped(),
    sa.Index(None, "member_id", "status"),
    sa.Index(None, "status", "created_at"),
    sa.Index(None, "created_at"),
)

request_messages = sa.Table(
    "request_messages",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("request_id", ID, fk("requests.id"), nullable=False, index=True),
    sa.Column("member_id", ID, fk("members.id")),
    sa.Column("staff_id", ID, fk("staff_users.id")),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.CheckConstraint("(member_id IS NULL) <> (staff_id IS NULL)", name="one_author"),
)

# -- payments -------------------------------------------------------------------------
payments = sa.Table(
    "payments",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("member_id", ID, fk("members.id"), nullable=False),
    sa.Column("payment_type", Choice(PaymentType, 32), fk("payment_types.code"), nullable=False),
    sa.Column("request_id", ID, fk("requests.id")),
    sa.Column("amount", money(), nullable=False),
    sa.Column("iban", sa.String(34), nullable=False, default=""),
    sa.Column("payment_identifier", sa.String(128), unique=True),
    sa.Column("status", Choice(PaymentStatus, 32), nullable=False),
    sa.Column("payment_date", UtcDateTime()),
    sa.Column("sort_at", UtcDateTime(), nullable=False),
    sa.Column("source", Choice(PaymentSource, 16), nullable=False),
    sa.Column("created_by", ID, fk("staff_users.id")),
    sa.Column("approved_by", ID, fk("staff_users.id")),
    sa.Column("needs_approval", sa.Boolean, nullable=False, default=False),
    sa.Column("extended_to", sa.Date),
    sa.Column("has_extension", sa.Boolean, nullable=False, default=False),
    sa.Column("ext_previous_expiration", sa.Date),
    sa.Column("ext_from", sa.Date),
    sa.Column("ext_days", sa.Integer, nullable=False, default=0),
    sa.Column("ext_credit_before", sa.BigInteger, nullable=False, default=0),
    sa.Column("ext_credit_after", sa.BigInteger, nullable=False, default=0),
    sa.Column("ext_month_price", money()),
    sa.Column("gateway_status", sa.String(32), nullable=False, default=""),
    sa.Column("gateway_payment_id", sa.String(64), nullable=False, default=""),
    sa.Column("reversed_at", UtcDateTime()),
    sa.Column("checked_at", UtcDateTime()),
    sa.Column("is_subscription", sa.Boolean, nullable=False, default=False),
    sa.Column("gateway", sa.String(16)),
    sa.Column("gateway_changed_at", UtcDateTime()),
    sa.Column("refund_reason", sa.String(500), nullable=False, default=""),
    sa.Column("refund_requested_by", ID, fk("staff_users.id")),
    sa.Column("refund_approved_by", ID, fk("staff_users.id")),
    *stamped(),
    sa.Index(None, "member_id", "payment_type", "sort_at"),
    sa.Index(None, "request_id"),
    sa.Index(None, "sort_at"),
    sa.Index(None, "payment_type", "sort_at"),
    sa.Index(None, "status", "source", "created_at"),
    sa.Index(None, "amount"),
    sa.Index(None, "reversed_at"),
    sa.Index(None, "payment_date"),  # the ledger's confirmations a page at a time
    # a period's movements from the index alone (see ``ledger``)
    sa.Index(
        "ix_payments_payment_type_payment_date_status",
        *("payment_type", "payment_date", "status", "member_id", "amount", "gateway"),
    ),
    sa.Index(
        "ix_payments_payment_type_status_sort_at",
        *("payment_type", "status", "sort_at", "member_id", "amount"),
    ),
    sa.CheckConstraint("amount > 0", name="positive_amount"),
)

# -- search terms (see kasa.domain.search) ---------------------------------------------
# Binary collation on MariaDB/MySQL: terms are already case-folded, and a prefix range
# (term <= t < term + U+10FFFF) must compare code points, not a language's letters.
TERM = sa.String(64).with_variant(
    mysql.VARCHAR(64, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"
)


# One term of one searchable member field, with the member's name to sort by (so a
# search pages through this index alone); rewritten when the member changes.
member_terms = sa.Table(
    "member_terms",
    metadata,
    sa.Column("member_id", ID, fk("members.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("field", sa.String(16), primary_key=True),
    sa.Column("term", TERM, primary_key=True),
    sa.Column("sort_name", sa.String(64), nullable=False),
    sa.Index(None, "term", "field", "sort_name"),
)

# One term of a request: of its number, text and diagnosis, and of its member's
# name, middle name and certificate (rewritten when either changes), with the
# request's status and creation time (so a search filters and pages through this
# index alone).
request_terms = sa.Table(
    "request_terms",
    metadata,
    sa.Column("request_id", ID, fk("requests.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("term", TERM, primary_key=True),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Index(None, "term", "status", "created_at"),
)

# How many payments there are per day (of ``sort_at``, UTC), type, status and
# source, kept in the same transaction as the payments: list totals add up days
# instead of counting rows.
payment_counts = sa.Table(
    "payment_counts",
    metadata,
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("payment_type", sa.String(32), primary_key=True),
    sa.Column("status", sa.String(32), primary_key=True),
    sa.Column("source", sa.String(16), primary_key=True),
    slot(),
    sa.Column("count", sa.BigInteger, nullable=False),
)

# Money moved, summed by UTC hour, kind of movement, gateway ("" for money staff recorded)
# and the member's current program (0: none): kept with every change of a payment and of a
# member's current program, so reports and balances add up hours, not payments.
ledger_hours = sa.Table(
    "ledger_hours",
    metadata,
    sa.Column("hour", UtcDateTime(), primary_key=True),
    sa.Column("kind", sa.String(16), primary_key=True),
    sa.Column("gateway", sa.String(16), primary_key=True),
    sa.Column("program_id", sa.Integer, primary_key=True, autoincrement=False),
    slot(),
    sa.Column("amount", sa.BigInteger, nullable=False),
)
# the same sums by UTC day (long periods and balances add up days, and hours only where a
# day is split between two of the fund's months)
ledger_days = sa.Table(
    "ledger_days",
    metadata,
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("kind", sa.String(16), primary_key=True),
    sa.Column("gateway", sa.String(16), primary_key=True),
    sa.Column("program_id", sa.Integer, primary_key=True, autoincrement=False),
    slot(),
    sa.Column("amount", sa.BigInteger, nullable=False),
)

# -- audit and jobs -------------------------------------------------------------------
audit_events = sa.Table(
    "audit_events",
    metadata,
    sa.Column("id", BIG_ID, primary_key=True),
    sa.Column("event_type", Choice(EventType, 40), nullable=False),
    sa.Column("actor_kind", Choice(ActorKind, 8), nullable=False),
    sa.Column("actor_id", ID),
    sa.Column("object_kind", Choice(ObjectKind, 16), nullable=False),
    sa.Column("object_id", sa.String(64), nullable=False),
    sa.Column("details", sa.JSON, nullable=False),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Index(None, "object_kind", "object_id"),
    sa.Index(None, "actor_kind", "actor_id"),
    sa.Index(None, "event_type"),
    sa.Index(None, "at"),
)

reminders = sa.Table(
    "reminders",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("member_id", ID, fk("members.id"), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("period", sa.Date, nullable=False),
    sa.Column("sent_at", UtcDateTime(), nullable=False),
    sa.UniqueConstraint("member_id", "kind", "period"),
)


# -- what members are told -------------------------------------------------------------
# The events of committed changes, written in the same transaction as the change; the
# notification worker turns each into the member's notification, once.
outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", BIG_ID, primary_key=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("member_id", ID, fk("members.id"), nullable=False),
    sa.Column("request_id", ID),
    sa.Column("payment_id", ID),
    sa.Column("data", sa.JSON, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("handled_at", UtcDateTime()),
    sa.Index(None, "handled_at", "id"),
)

# The member's inbox and each entry's delivery (push, else SMS where the event has one).
notifications = sa.Table(
    "notifications",
    metadata,
    sa.Column("id", BIG_ID, primary_key=True),
    sa.Column("member_id", ID, fk("members.id"), nullable=False),
    sa.Column("event", Choice(EventKind, 32), nullable=False),
    sa.Column("text", sa.String(500), nullable=False),
    sa.Column("request_id", ID),
    sa.Column("payment_id", ID),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("due_at", UtcDateTime(), nullable=False),
    sa.Column("push", sa.Boolean, nullable=False),
    sa.Column("sms", sa.Boolean, nullable=False),
    sa.Column("collapse_key", sa.String(64), nullable=False, default=""),
    sa.Column("state", Choice(DeliveryState, 16), nullable=False),
    sa.Column("channel", sa.String(8), nullable=False, default=""),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("sent_at", UtcDateTime()),
    sa.Column("read_at", UtcDateTime()),
    sa.Column("reason", sa.String(255), nullable=False, default=""),
    sa.Index(None, "state", "due_at"),
    sa.Index(None, "member_id", "id"),
    sa.Index(None, "request_id"),
    sa.Index(None, "created_at"),
)

devices = sa.Table(
    "devices",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("member_id", ID, fk("members.id"), nullable=False, index=True),
    sa.Column("token", sa.String(255), nullable=False, unique=True),
    sa.Column("platform", Choice(Platform, 8), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("last_seen_at", UtcDateTime(), nullable=False),
)

notification_settings = sa.Table(
    "notification_settings",
    metadata,
    sa.Column("member_id", ID, fk("members.id"), primary_key=True),
    sa.Column("push", sa.Boolean, nullable=False, default=True),
    sa.Column("sms", sa.Boolean, nullable=False, default=True),
    sa.Column("language", Choice(Language, 2), nullable=False, default=Language.UK),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)
