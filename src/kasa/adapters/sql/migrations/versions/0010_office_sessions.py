"""The office pages: staff sessions kept on the server, and each staff user's language

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 11:20:00

- ``office_sessions``: a signed-in staff user's session in the office pages, named by
  the SHA-256 of the cookie's secret; the user's token version when they signed in; the
  CSRF token of its forms; when it began and when it was last seen.
- ``staff_users.language``: ``uk`` (every existing user) or ``en``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kasa.adapters.sql.types

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "office_sessions",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("token_version", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", kasa.adapters.sql.types.UtcDateTime(), nullable=False),
        sa.Column("seen_at", kasa.adapters.sql.types.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_users.id"],
            name=op.f("fk_office_sessions_staff_id_staff_users"),
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_office_sessions")),
    )
    with op.batch_alter_table("office_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_office_sessions_seen_at"), ["seen_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_office_sessions_staff_id"), ["staff_id"], unique=False)
    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("language", sa.String(length=2), nullable=False, server_default="uk")
        )
    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.alter_column("language", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.drop_column("language")
    with op.batch_alter_table("office_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_office_sessions_staff_id"))
        batch_op.drop_index(batch_op.f("ix_office_sessions_seen_at"))
    op.drop_table("office_sessions")
