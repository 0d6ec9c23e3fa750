"""Identity documents staff refused, and why

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 09:00:00

- ``member_identities.refused_at`` and ``refusal_reason``: staff may refuse a member's
  new documents, telling the member why; the member sees it with the profile's review.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kasa.adapters.sql.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("member_identities", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("refused_at", kasa.adapters.sql.types.UtcDateTime(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("refusal_reason", sa.String(500), server_default="", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("member_identities", schema=None) as batch_op:
        batch_op.drop_column("refusal_reason")
        batch_op.drop_column("refused_at")
