"""Migrations make the schema: from empty, twice in a row, and matching the models."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from kasa.adapters.sql.database import make_engine
from kasa.adapters.sql.migrate import head_revision, upgrade
from kasa.adapters.sql.models import Base
from kasa.adapters.sql.reference import REFERENCE
from tests.support.mariadb import MariaDBServer


@pytest.fixture(params=["sqlite", "mariadb"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.db'}"
    server: MariaDBServer | str = request.getfixturevalue("mariadb_server")
    if isinstance(server, str):
        pytest.skip("migration tests need a server they may create databases on")
    return server.create_database(f"kasa_migrations_{request.node.name[-8:-1]}")


def schema(url: str) -> dict[str, list[tuple[str, str]]]:
    engine = make_engine(url)
    try:
        inspector = sa.inspect(engine)
        return {
            table: sorted((c["name"], str(c["type"])) for c in inspector.get_columns(table))
            for table in sorted(inspector.get_table_names())
        }
    finally:
        engine.dispose()


def reference_rows(url: str) -> dict[str, dict[str, str]]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return {
                name: dict(connection.execute(sa.text(f"SELECT code, name FROM {name}")).all())
                for name in REFERENCE
            }
    finally:
        engine.dispose()


def test_upgrade_from_empty_makes_every_table_and_the_reference_data(empty_url: str) -> None:
    result = upgrade(empty_url)
    assert (result.before, result.after) == (None, head_revision())
    tables = set(schema(empty_url))
    assert set(Base.metadata.tables) | {"alembic_version"} == tables
    assert reference_rows(empty_url) == REFERENCE


def test_a_second_upgrade_changes_nothing(empty_url: str) -> None:
    upgrade(empty_url)
    before = (schema(empty_url), reference_rows(empty_url))
    again = upgrade(empty_url)
    assert not again.changed
    assert (schema(empty_url), reference_rows(empty_url)) == before


def test_the_models_match_the_migrations(empty_url: str) -> None:
    upgrade(empty_url)
    engine = make_engine(empty_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_upgrade_repairs_reference_data(empty_url: str) -> None:
    upgrade(empty_url)
    engine = make_engine(empty_url)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE payment_types SET name = 'x' WHERE code = 'payout'"))
    engine.dispose()
    result = upgrade(empty_url)
    assert result.changed and result.reference_rows == 1
    assert reference_rows(empty_url) == REFERENCE


def test_mariadb_tables_use_full_unicode(request: pytest.FixtureRequest) -> None:
    server = request.getfixturevalue("mariadb_server")
    if isinstance(server, str):
        pytest.skip("needs the private server")
    url = server.create_database("kasa_charset")
    upgrade(url)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text(
                    "SELECT table_name, table_collation, engine FROM information_schema.tables "
                    "WHERE table_schema = 'kasa_charset'"
                )
            ).all()
    finally:
        engine.dispose()
    assert rows and all(r[1].startswith("utf8mb4") and r[2] == "InnoDB" for r in rows)


def test_upgrade_to_0002_gives_existing_members_and_requests_their_search_terms(
    empty_url: str,
) -> None:
    from alembic import command

    from kasa.adapters.sql.migrate import alembic_config

    command.upgrade(alembic_config(empty_url), "0001")
    stamp = "2026-01-02 03:04:05"
    engine = make_engine(empty_url)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO members (id, phone, first_name, middle_name, last_name,"
                " passport_data, certificate, credit_units, status, has_new_request,"
                " has_new_program_change, has_new_passport_data, has_new_correction,"
                " in_review_queue, created_at, updated_at) VALUES (7, '+380671234567',"
                " 'Мар''яна', 'Петрівна', 'Коваленко', 'КВ 123456', '000042', 0, 'approved',"
                " 0, false, false, false, false, :at, :at)"
            ),
            {"at": stamp},
        )
        connection.execute(
            sa.text(
                "INSERT INTO requests (id, member_id, request_text, diagnosis, status, reason,"
                " has_duplicate_files, created_at, updated_at) VALUES (31, 7,"
                " 'Ліки від застуди', 'Бронхіт', 'opened', '', false, :at, :at)"
            ),
            {"at": stamp},
        )
        for n, status in enumerate(("confirmed", "confirmed", "pending"), start=1):
            connection.execute(
                sa.text(
                    "INSERT INTO payments (id, member_id, payment_type, amount, iban, status,"
                    " sort_at, source, needs_approval, has_extension, ext_days,"
                    " ext_credit_before, ext_credit_after, gateway_status, gateway_payment_id,"
                    " created_at, updated_at) VALUES (:n, 7, 'top_up', 100, '', :status, :at,"
                    " 'gateway', false, false, 0, 0, 0, '', '', :at, :at)"
                ),
                {"n": n, "status": status, "at": stamp},
            )
    result = upgrade(empty_url)
    assert (result.before, result.after) == ("0001", head_revision())
    with engine.connect() as connection:
        member_terms = set(
            connection.execute(sa.text("SELECT field, term FROM member_terms WHERE member_id = 7"))
        )
        counts = set(
            connection.execute(
                sa.text("SELECT day, payment_type, status, source, count FROM payment_counts")
            )
        )
        request_terms = {
            t for (t,) in connection.execute(sa.text("SELECT term FROM request_terms"))
        }
    engine.dispose()
    assert {("name", "маряна"), ("name", "коваленко"), ("middle_name", "петрівна")} <= member_terms
    assert {("phone", "380671234567"), ("phone", "0671234567")} <= member_terms
    assert {("certificate", "000042"), ("passport", "кв"), ("passport", "123456")} <= member_terms
    day = date(2026, 1, 2)
    assert {tuple(row) for row in counts} <= {
        (day, "top_up", "confirmed", "gateway", 2),
        (day, "top_up", "pending", "gateway", 1),
        (str(day), "top_up", "confirmed", "gateway", 2),  # SQLite gives dates back as text
        (str(day), "top_up", "pending", "gateway", 1),
    }
    assert len(counts) == 2
    assert request_terms == {
        "31",
        "ліки",
        "від",
        "застуди",
        "бронхіт",
        "маряна",
        "коваленко",
        "петрівна",
        "000042",
    }
