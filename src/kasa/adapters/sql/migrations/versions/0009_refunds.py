"""Refunds staff ask for, and reversals staff make

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 10:45:00

- ``payments.status`` and ``payment_counts.status`` take 32 characters:
  ``refund_pending_approval`` and ``refund_requested`` are statuses now.
- ``payments.refund_reason``, ``refund_requested_by``, ``refund_approved_by``: why staff
  asked to refund a contribution (or reversed one they recorded), who asked, and who
  approved it under the four-eyes rule.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.alter_column(
            "status",
            existing_type=sa.String(length=16),
            type_=sa.String(length=32),
            existing_nullable=False,
        )
        batch_op.add_column(
            sa.Column("refund_reason", sa.String(length=500), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("refund_requested_by", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("refund_approved_by", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_payments_refund_requested_by_staff_users",
            "staff_users",
            ["refund_requested_by"],
            ["id"],
        )
        batch_op.create_foreign_key(
            "fk_payments_refund_approved_by_staff_users",
            "staff_users",
            ["refund_approved_by"],
            ["id"],
        )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.alter_column("refund_reason", server_default=None)
    with op.batch_alter_table("payment_counts", schema=None) as batch_op:
        batch_op.alter_column(
            "status",
            existing_type=sa.String(length=16),
            type_=sa.String(length=32),
            existing_nullable=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("payment_counts", schema=None) as batch_op:
        batch_op.alter_column(
            "status",
            existing_type=sa.String(length=32),
            type_=sa.String(length=16),
            existing_nullable=False,
        )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_constraint("fk_payments_refund_approved_by_staff_users", type_="foreignkey")
        batch_op.drop_constraint("fk_payments_refund_requested_by_staff_users", type_="foreignkey")
        batch_op.drop_column("refund_approved_by")
        batch_op.drop_column("refund_requested_by")
        batch_op.drop_column("refund_reason")
        batch_op.alter_column(
            "status",
            existing_type=sa.String(length=32),
            type_=sa.String(length=16),
            existing_nullable=False,
        )
