"""Search terms of members and requests; payment counts per day; payments by type and date

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 11:30:00

Member and request searches read the term tables by index range instead of scanning
every row with ``LIKE '%word%'``; payment list totals add up per-day counts instead
of counting rows. Existing rows get their terms and counts here. Payments get an index
for the list's most common filter (type and dates, newest first).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

import kasa.adapters.sql.types
from kasa.adapters.sql.search import (
    MEMBER_COLUMNS,
    member_term_rows,
    rebuild_payment_counts,
    write_member_terms,
    write_request_terms,
)

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TABLE_OPTIONS: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_unicode_ci",
}
TERM = sa.String(64).with_variant(
    mysql.VARCHAR(64, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"
)
BATCH = 2000


def upgrade() -> None:
    op.create_table(
        "member_terms",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=16), nullable=False),
        sa.Column("term", TERM, nullable=False),
        sa.Column("sort_name", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_member_terms_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("member_id", "field", "term", name=op.f("pk_member_terms")),
        **TABLE_OPTIONS,
    )
    op.create_index(
        op.f("ix_member_terms_term_field_sort_name"), "member_terms", ["term", "field", "sort_name"]
    )
    op.create_table(
        "request_terms",
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("term", TERM, nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("created_at", kasa.adapters.sql.types.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["requests.id"],
            name=op.f("fk_request_terms_request_id_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("request_id", "term", name=op.f("pk_request_terms")),
        **TABLE_OPTIONS,
    )
    op.create_index(
        op.f("ix_request_terms_term_status_created_at"),
        "request_terms",
        ["term", "status", "created_at"],
    )
    op.create_table(
        "payment_counts",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("payment_type", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "day", "payment_type", "status", "source", name=op.f("pk_payment_counts")
        ),
        **TABLE_OPTIONS,
    )
    op.create_index(
        op.f("ix_payments_payment_type_sort_at"), "payments", ["payment_type", "sort_at"]
    )
    _index_existing_rows()
    rebuild_payment_counts(op.get_bind())


def _index_existing_rows() -> None:
    connection = op.get_bind()
    members = sa.table("members", sa.column("id"), *(sa.column(c) for c in MEMBER_COLUMNS))
    last = 0
    while True:
        found = (
            connection.execute(
                sa.select(members).where(members.c.id > last).order_by(members.c.id).limit(BATCH)
            )
            .mappings()
            .all()
        )
        if not found:
            break
        rows = [t for row in found for t in member_term_rows(row["id"], row)]
        write_member_terms(connection, [row["id"] for row in found], rows)
        last = found[-1]["id"]
    requests = sa.table("requests", sa.column("id"))
    last = 0
    while True:
        ids = list(
            connection.scalars(
                sa.select(requests.c.id)
                .where(requests.c.id > last)
                .order_by(requests.c.id)
                .limit(BATCH)
            )
        )
        if not ids:
            break
        write_request_terms(connection, requests=ids)
        last = ids[-1]


def downgrade() -> None:
    op.drop_index(op.f("ix_payments_payment_type_sort_at"), table_name="payments")
    op.drop_table("payment_counts")
    op.drop_index(op.f("ix_request_terms_term_status_created_at"), table_name="request_terms")
    op.drop_table("request_terms")
    op.drop_index(op.f("ix_member_terms_term_field_sort_name"), table_name="member_terms")
    op.drop_table("member_terms")
