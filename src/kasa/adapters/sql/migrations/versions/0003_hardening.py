"""Throttle counters, staff token versions, code purposes, file kinds, subscriptions

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 18:00:00

- ``throttle_counters`` replaces ``login_failures``: one locked row a counter, so
  racing attempts are counted exactly on every database.
- ``staff_users.token_version``: tokens of an older version are refused.
- ``sign_in_challenges.purpose`` and ``member_id``: a code to confirm a member's new
  phone is a code of its own kind, bound to the member.
- ``files.kind``: documents, photos, receipts and programs' terms told apart. Existing
  files get their kind from what points at them; a program whose ``program_file``
  names anything but a terms file has it cleared, and the audit trail says so.
- ``payments.is_subscription``: a one-off order takes one payment; subscription orders
  are found from the audit events of their start.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

import kasa.adapters.sql.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TABLE_OPTIONS: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_unicode_ci",
}
BATCH = 2000


def upgrade() -> None:
    op.create_table(
        "throttle_counters",
        sa.Column("key", sa.String(length=96), nullable=False),
        sa.Column("started_at", kasa.adapters.sql.types.UtcDateTime(), nullable=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_throttle_counters")),
        **TABLE_OPTIONS,
    )
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_failures_login_at"))
        batch_op.drop_index(batch_op.f("ix_login_failures_address_at"))
    op.drop_table("login_failures")

    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("token_version", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("sign_in_challenges", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("purpose", sa.String(length=16), nullable=False, server_default="sign_in")
        )
        batch_op.add_column(sa.Column("member_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_sign_in_challenges_member_id_members"), "members", ["member_id"], ["id"]
        )
    with op.batch_alter_table("files", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=16), nullable=False, server_default="document")
        )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("is_subscription", sa.Boolean(), nullable=False, server_default=sa.false())
        )

    connection = op.get_bind()
    files = sa.table(
        "files",
        sa.column("id", sa.Integer),
        sa.column("member_id", sa.Integer),
        sa.column("request_id", sa.Integer),
        sa.column("kind", sa.String),
    )
    members = sa.table("members", sa.column("photo_file_id", sa.Integer))
    connection.execute(files.update().where(files.c.request_id.is_not(None)).values(kind="receipt"))
    connection.execute(
        files.update()
        .where(files.c.id.in_(sa.select(members.c.photo_file_id).scalar_subquery()))
        .values(kind="photo")
    )
    connection.execute(
        files.update()
        .where(files.c.member_id.is_(None), files.c.request_id.is_(None))
        .values(kind="terms")
    )
    _clear_program_files_that_are_not_terms(connection)
    _mark_subscriptions(connection)


def _clear_program_files_that_are_not_terms(connection: Any) -> None:
    programs = sa.table(
        "programs", sa.column("id", sa.Integer), sa.column("program_file", sa.String)
    )
    files = sa.table("files", sa.column("stored_name", sa.String), sa.column("kind", sa.String))
    terms = sa.select(files.c.stored_name).where(files.c.kind == "terms").scalar_subquery()
    wrong = connection.execute(
        sa.select(programs.c.id, programs.c.program_file).where(
            programs.c.program_file != "", programs.c.program_file.not_in(terms)
        )
    ).all()
    if not wrong:
        return
    audit = sa.table(
        "audit_events",
        sa.column("event_type", sa.String),
        sa.column("actor_kind", sa.String),
        sa.column("actor_id", sa.Integer),
        sa.column("object_kind", sa.String),
        sa.column("object_id", sa.String),
        sa.column("details", sa.JSON),
        sa.column("at", kasa.adapters.sql.types.UtcDateTime()),
    )
    now = datetime.now(UTC)
    for program_id, name in wrong:
        connection.execute(
            programs.update().where(programs.c.id == program_id).values(program_file="")
        )
        connection.execute(
            audit.insert().values(
                event_type="program_file_cleared",
                actor_kind="system",
                actor_id=None,
                object_kind="program",
                object_id=str(program_id),
                details={
                    "program_file": name,
                    "reason": "a program may name only a terms file",
                },
                at=now,
            )
        )


def _mark_subscriptions(connection: Any) -> None:
    audit = sa.table(
        "audit_events",
        sa.column("id", sa.BigInteger),
        sa.column("event_type", sa.String),
        sa.column("object_id", sa.String),
        sa.column("details", sa.JSON),
    )
    payments = sa.table(
        "payments", sa.column("id", sa.Integer), sa.column("is_subscription", sa.Boolean)
    )
    last = 0
    while True:
        rows = connection.execute(
            sa.select(audit.c.id, audit.c.object_id, audit.c.details)
            .where(audit.c.event_type == "payment_started", audit.c.id > last)
            .order_by(audit.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        last = rows[-1][0]
        ids = [
            int(object_id)
            for _, object_id, details in rows
            if object_id.isdigit() and _details(details).get("subscription") is True
        ]
        if ids:
            connection.execute(
                payments.update().where(payments.c.id.in_(ids)).values(is_subscription=True)
            )


def _details(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        value = json.loads(value)
    return value if isinstance(value, dict) else {}


def downgrade() -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_column("is_subscription")
    with op.batch_alter_table("files", schema=None) as batch_op:
        batch_op.drop_column("kind")
    with op.batch_alter_table("sign_in_challenges", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_sign_in_challenges_member_id_members"), type_="foreignkey"
        )
        batch_op.drop_column("member_id")
        batch_op.drop_column("purpose")
    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.drop_column("token_version")
    op.create_table(
        "login_failures",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("login", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("at", kasa.adapters.sql.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
        **TABLE_OPTIONS,
    )
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_login_failures_address_at"), ["address", "at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_login_failures_login_at"), ["login", "at"], unique=False
        )
    op.drop_table("throttle_counters")
