"""When the gateway last changed a payment, as it said

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 10:30:00

- ``payments.gateway_changed_at``: the gateway's own time of the last change it told
  about the payment (monobank's ``modifiedDate``); a notification dated earlier changes
  nothing. Empty for payments before this revision (LiqPay's, which carry no such time).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from kasa.adapters.sql.types import UtcDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("gateway_changed_at", UtcDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_column("gateway_changed_at")
