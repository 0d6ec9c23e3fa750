"""When a payment was reversed, and when reconciliation last asked about it

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 06:00:00

- ``payments.reversed_at``: the fund's ledger dates a reversal when the fund heard of
  it. Payments reversed before this revision take the time they last changed.
- ``payments.checked_at``: reconciliation asks the gateway again about recently
  confirmed payments, the least recently checked first.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kasa.adapters.sql.types

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reversed_at", kasa.adapters.sql.types.UtcDateTime(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("checked_at", kasa.adapters.sql.types.UtcDateTime(), nullable=True)
        )
        batch_op.create_index(batch_op.f("ix_payments_reversed_at"), ["reversed_at"], unique=False)
    payments = sa.table(
        "payments",
        sa.column("status"),
        sa.column("updated_at"),
        sa.column("reversed_at"),
    )
    op.execute(
        payments.update()
        .where(payments.c.status == "reversed")
        .values(reversed_at=payments.c.updated_at)
    )


def downgrade() -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payments_reversed_at"))
        batch_op.drop_column("checked_at")
        batch_op.drop_column("reversed_at")
