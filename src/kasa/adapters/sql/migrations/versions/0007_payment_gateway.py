"""Each payment records the gateway that took it

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 10:08:55

- ``payments.gateway``: the gateway's name (``liqpay``…); none for what staff record by
  hand. Every payment that came through a gateway before this revision came through
  LiqPay, the only one there was.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("gateway", sa.String(length=16), nullable=True))
    payments = sa.table("payments", sa.column("source"), sa.column("gateway"))
    op.execute(payments.update().where(payments.c.source == "gateway").values(gateway="liqpay"))


def downgrade() -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_column("gateway")
