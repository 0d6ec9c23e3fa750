"""The ledger read a page at a time: confirmations in the order they were paid

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 19:20:00

- ``payments`` gains an index on ``payment_date`` (with the row's id after it, as every
  index has): the ledger's confirmations after a given one, in (payment date, id)
  order, are an index range, so an export of every movement reads each page at the
  same cost instead of sorting every movement for every page.
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_payments_payment_date", "payments", ["payment_date"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_payments_payment_date", table_name="payments")
