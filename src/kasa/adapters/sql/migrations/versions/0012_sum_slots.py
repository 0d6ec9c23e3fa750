"""Sums in slots: every payment change adds to its member's slot of a sum

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 15:20:00

- ``payment_counts``, ``ledger_hours``, ``ledger_days`` gain ``slot`` in their primary
  keys: a change adds to the row of its member's slot (member id modulo 8), so that
  concurrent changes of different members seldom wait for the same row's lock until
  their commits. What is there stays in slot 0; readers add the slots up.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from kasa.adapters.sql import ledger
from kasa.adapters.sql.search import rebuild_payment_counts

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

KEYS = {
    "payment_counts": ["day", "payment_type", "status", "source"],
    "ledger_hours": ["hour", "kind", "gateway", "program_id"],
    "ledger_days": ["day", "kind", "gateway", "program_id"],
}


def upgrade() -> None:
    for table, keys in KEYS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("slot", sa.SmallInteger(), server_default="0", nullable=False),
            )
            batch_op.drop_constraint(f"pk_{table}", type_="primary")
            batch_op.create_primary_key(f"pk_{table}", [*keys, "slot"])


def downgrade() -> None:
    # the sums are made from the payments again, without slots
    for table, keys in KEYS.items():
        op.execute(sa.table(table).delete())
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"pk_{table}", type_="primary")
            batch_op.create_primary_key(f"pk_{table}", keys)
            batch_op.drop_column("slot")
    rebuild_payment_counts(op.get_bind())
    ledger.rebuild(op.get_bind())
