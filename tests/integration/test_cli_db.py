"""``kasa db upgrade`` makes the schema and is safe to run again."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from kasa.adapters.sql.migrate import head_revision
from kasa.entrypoints.cli import main


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KASA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("KASA_DATABASE_URL", raising=False)
    return CliRunner()


def test_db_upgrade_creates_then_changes_nothing(runner: CliRunner, tmp_path: Path) -> None:
    first = runner.invoke(main, ["db", "upgrade"])
    assert first.exit_code == 0, first.output
    assert f"created the schema at revision {head_revision()}" in first.output
    assert "6 identity types, 3 payment types, 4 request statuses" in first.output
    database = tmp_path / "data" / "kasa.db"
    engine = sa.create_engine(f"sqlite:///{database}")
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM payment_types")).scalar() == 3
    engine.dispose()
    second = runner.invoke(main, ["db", "upgrade"])
    assert second.exit_code == 0 and "nothing to do" in second.output


def test_db_upgrade_against_mariadb(
    runner: CliRunner, mariadb_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KASA_DATABASE_URL", mariadb_url)
    result = runner.invoke(main, ["db", "upgrade"])
    assert result.exit_code == 0 and "nothing to do" in result.output


def test_a_bad_database_url_is_one_clear_line(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KASA_DATABASE_URL", "nonsense")
    result = runner.invoke(main, ["db", "upgrade"])
    assert result.exit_code == 1
    assert result.output.strip() == (
        "Error: KASA_DATABASE_URL must be a database URL (dialect+driver://…), not 'nonsense'."
    )


def test_an_unreachable_database_fails_cleanly(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KASA_DATABASE_URL", "mysql+pymysql://kasa:pw@127.0.0.1:1/kasa")
    result = runner.invoke(main, ["db", "upgrade"])
    assert result.exit_code == 1 and result.output.startswith("Error: upgrade failed")
    assert "Traceback" not in result.output and "pw@" not in result.output
