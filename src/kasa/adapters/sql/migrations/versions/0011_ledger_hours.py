"""The ledger summed by hour, and the indexes the movements of a period are read by

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 12:40:00

- ``ledger_hours``, ``ledger_days``: money moved, summed by UTC hour (and day), kind of
  movement (confirmation, reversal, payout), gateway and the member's current program;
  filled from every payment here and kept in step with each change from now on.
- ``payments (payment_type, payment_date, status, member_id, amount, gateway)`` and
  ``payments (payment_type, status, sort_at, member_id, amount)``: a period's
  contributions and payouts read from the index alone (the ledger's CSV, the sums of a
  period that does not begin on the hour).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kasa.adapters.sql.types
from kasa.adapters.sql import ledger

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ledger_hours",
        sa.Column("hour", kasa.adapters.sql.types.UtcDateTime(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("gateway", sa.String(length=16), nullable=False),
        sa.Column("program_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("hour", "kind", "gateway", "program_id", name="pk_ledger_hours"),
    )
    op.create_table(
        "ledger_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("gateway", sa.String(length=16), nullable=False),
        sa.Column("program_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("day", "kind", "gateway", "program_id", name="pk_ledger_days"),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_payments_payment_type_payment_date_status",
            ["payment_type", "payment_date", "status", "member_id", "amount", "gateway"],
            unique=False,
        )
        batch_op.create_index(
            "ix_payments_payment_type_status_sort_at",
            ["payment_type", "status", "sort_at", "member_id", "amount"],
            unique=False,
        )
    ledger.rebuild(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index("ix_payments_payment_type_status_sort_at")
        batch_op.drop_index("ix_payments_payment_type_payment_date_status")
    op.drop_table("ledger_days")
    op.drop_table("ledger_hours")
