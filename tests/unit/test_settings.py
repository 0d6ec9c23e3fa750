"""Settings come from the environment and an optional .env file, with safe defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from kasa.domain.errors import InvalidInput
from kasa.domain.money import Money
from kasa.entrypoints.settings import Settings, read_dotenv


def test_defaults_run_anywhere(tmp_path: Path) -> None:
    settings = Settings.load({}, dotenv=tmp_path / "missing.env")
    assert settings.env == "dev"
    assert settings.database_url == "sqlite:///var/kasa.db"
    assert settings.files_dir == Path("var/files")
    assert settings.fund.sign_in.daily_limit == 5 and settings.fund.grace_days == 30
    assert settings.fund.four_eyes_threshold is None
    assert settings.fund.max_upload_bytes == 10 * 1024 * 1024


def test_environment_wins_over_dotenv(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text(
        "# local\nKASA_DATA_DIR=/srv/kasa\nexport KASA_OTP_DAILY_LIMIT='3'\n"
        'KASA_FOUR_EYES_THRESHOLD="5000"\nnot a setting\n',
        encoding="utf-8",
    )
    settings = Settings.load({"KASA_OTP_DAILY_LIMIT": "7"}, dotenv=dotenv)
    assert settings.database_url == "sqlite:////srv/kasa/kasa.db"
    assert settings.fund.sign_in.daily_limit == 7
    assert settings.fund.four_eyes_threshold == Money(500000)
    assert read_dotenv(dotenv)["KASA_OTP_DAILY_LIMIT"] == "3"


def test_database_url_is_shown_without_its_password(tmp_path: Path) -> None:
    settings = Settings.load(
        {"KASA_DATABASE_URL": "mysql+pymysql://kasa:s3cret@db/kasa?charset=utf8mb4"},
        dotenv=tmp_path / "none",
    )
    assert "s3cret" not in settings.safe_database_url
    assert settings.safe_database_url.startswith("mysql+pymysql://kasa:***@db/kasa")


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"KASA_ENV": "staging"}, "KASA_ENV"),
        ({"KASA_OTP_DAILY_LIMIT": "many"}, "whole number"),
        ({"KASA_OTP_MAX_ATTEMPTS": "0"}, "at least 1"),
        ({"KASA_DATABASE_URL": "not a url"}, "not a database URL"),
        ({"KASA_FOUR_EYES_THRESHOLD": "1.234"}, "two decimal"),
    ],
)
def test_bad_settings_are_refused_with_their_name(
    environ: dict[str, str], message: str, tmp_path: Path
) -> None:
    with pytest.raises(InvalidInput, match=message):
        Settings.load(environ, dotenv=tmp_path / "none")
