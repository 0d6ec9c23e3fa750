"""Migrations make the schema: from empty, twice in a row, and matching the models."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from kasa.adapters.sql.database import make_engine
from kasa.adapters.sql.migrate import head_revision, upgrade
from kasa.adapters.sql.reference import REFERENCE
from kasa.adapters.sql.schema import metadata
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
    assert set(metadata.tables) | {"alembic_version"} == tables
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
            assert compare_metadata(context, metadata) == []
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


def test_upgrade_to_0003_sorts_files_by_kind_and_clears_terms_that_are_not_terms(
    empty_url: str,
) -> None:
    """Before 0003 an operator could name a member's ID scan as a program's public terms
    file; the migration clears such a program file and says so in the audit trail."""
    from alembic import command

    from kasa.adapters.sql.migrate import alembic_config

    command.upgrade(alembic_config(empty_url), "0002")
    at = {"at": "2026-01-02 03:04:05"}
    engine = make_engine(empty_url)
    with engine.begin() as connection:

        def run(sql: str, **values: object) -> None:
            connection.execute(sa.text(sql), {**at, **values})

        run(
            "INSERT INTO members (id, phone, first_name, middle_name, last_name,"
            " passport_data, credit_units, status, has_new_request, has_new_program_change,"
            " has_new_passport_data, has_new_correction, in_review_queue, created_at,"
            " updated_at) VALUES (7, '+380671234567', 'Олена', '', 'Коваль', '', 0,"
            " 'approved', 0, false, false, false, false, :at, :at)"
        )
        run(
            "INSERT INTO requests (id, member_id, request_text, diagnosis, status, reason,"
            " has_duplicate_files, created_at, updated_at) VALUES (31, 7, 'Ліки', '',"
            " 'opened', '', false, :at, :at)"
        )
        for file_id, member, request, name in (
            (1, 7, None, "m7-scan.jpg"),
            (2, 7, None, "m7-photo.jpg"),
            (3, 7, 31, "m7-receipt.jpg"),
            (4, None, None, "shared-terms.pdf"),
        ):
            run(
                "INSERT INTO files (id, member_id, request_id, stored_name, original_name,"
                " content_type, size, sha256, created_at) VALUES (:id, :member, :request,"
                " :name, 'x', 'image/jpeg', 10, :sha, :at)",
                id=file_id,
                member=member,
                request=request,
                name=name,
                sha=str(file_id) * 64,
            )
        run("UPDATE members SET photo_file_id = 2 WHERE id = 7")
        for program_id, terms in ((1, "m7-scan.jpg"), (2, "shared-terms.pdf"), (3, "")):
            run(
                "INSERT INTO programs (id, program_name, month_price, program_file, is_active,"
                " created_at, updated_at) VALUES (:id, 'П', 30000, :terms, true, :at, :at)",
                id=program_id,
                terms=terms,
            )
        for payment_id, details in ((1, '{"subscription": true}'), (2, '{"order_id": "o-2"}')):
            run(
                "INSERT INTO payments (id, member_id, payment_type, amount, iban, status,"
                " sort_at, source, needs_approval, has_extension, ext_days,"
                " ext_credit_before, ext_credit_after, gateway_status, gateway_payment_id,"
                " payment_identifier, created_at, updated_at) VALUES (:id, 7, 'top_up', 100,"
                " '', 'pending', :at, 'gateway', false, false, 0, 0, 0, '', '', :order, :at,"
                " :at)",
                id=payment_id,
                order=f"o-{payment_id}",
            )
            run(
                "INSERT INTO audit_events (event_type, actor_kind, actor_id, object_kind,"
                " object_id, details, at) VALUES ('payment_started', 'member', 7, 'payment',"
                " :id, :details, :at)",
                id=str(payment_id),
                details=details,
            )
    upgrade(empty_url)
    with engine.connect() as connection:
        kinds = dict(connection.execute(sa.text("SELECT id, kind FROM files")).all())
        programs = dict(connection.execute(sa.text("SELECT id, program_file FROM programs")).all())
        cleared = connection.execute(
            sa.text(
                "SELECT object_id, actor_kind, details FROM audit_events"
                " WHERE event_type = 'program_file_cleared'"
            )
        ).all()
        subscriptions = dict(
            connection.execute(sa.text("SELECT id, is_subscription FROM payments")).all()
        )
        tables = set(sa.inspect(connection).get_table_names())
    engine.dispose()
    assert kinds == {1: "document", 2: "photo", 3: "receipt", 4: "terms"}
    assert programs == {1: "", 2: "shared-terms.pdf", 3: ""}
    assert [(object_id, actor) for object_id, actor, _ in cleared] == [("1", "system")]
    details = cleared[0][2]
    details = json.loads(details) if isinstance(details, str) else details
    assert details["program_file"] == "m7-scan.jpg"
    assert {k: bool(v) for k, v in subscriptions.items()} == {1: True, 2: False}
    assert "throttle_counters" in tables and "login_failures" not in tables


def test_upgrade_to_0007_says_earlier_gateway_payments_are_liqpays(empty_url: str) -> None:
    from alembic import command

    from kasa.adapters.sql.migrate import alembic_config

    command.upgrade(alembic_config(empty_url), "0006")
    at = {"at": "2026-01-02 03:04:05"}
    engine = make_engine(empty_url)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO members (id, phone, first_name, middle_name, last_name,"
                " passport_data, credit_units, status, has_new_request,"
                " has_new_program_change, has_new_passport_data, has_new_correction,"
                " in_review_queue, created_at, updated_at) VALUES (7, '+380671234567',"
                " 'Олена', '', 'Коваль', '', 0, 'approved', 0, false, false, false, false,"
                " :at, :at)"
            ),
            at,
        )
        for payment_id, source in ((1, "gateway"), (2, "manual")):
            connection.execute(
                sa.text(
                    "INSERT INTO payments (id, member_id, payment_type, amount, iban, status,"
                    " sort_at, source, needs_approval, has_extension, ext_days,"
                    " ext_credit_before, ext_credit_after, gateway_status,"
                    " gateway_payment_id, is_subscription, created_at, updated_at) VALUES"
                    " (:id, 7, 'top_up', 100, '', 'confirmed', :at, :source, false, false, 0,"
                    " 0, 0, '', '', false, :at, :at)"
                ),
                {**at, "id": payment_id, "source": source},
            )
    engine.dispose()
    command.upgrade(alembic_config(empty_url), "0007")
    engine = make_engine(empty_url)
    with engine.connect() as connection:
        found = dict(connection.execute(sa.text("SELECT id, gateway FROM payments")).all())
    engine.dispose()
    assert found == {1: "liqpay", 2: None}
