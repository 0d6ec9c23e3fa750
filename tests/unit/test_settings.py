"""Settings come from the environment and an optional .env file, with safe defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from kasa.domain.errors import InvalidInput
from kasa.domain.money import Money
from kasa.entrypoints.settings import (
    KNOWN_VARIABLES,
    Settings,
    every_setting,
    read_dotenv,
    settings_table,
)
from kasa.entrypoints.settings.declaring import PATH, TEXT, WORDS, Setting


def test_defaults_run_anywhere(tmp_path: Path) -> None:
    settings = Settings.load({}, dotenv=tmp_path / "missing.env")
    assert settings.env == "dev"
    assert settings.database.url == "sqlite:///var/kasa.db"
    assert settings.files.folder == Path("var/files")
    assert (
        settings.fund.sign_in.daily_limit == 20
        and settings.fund.codes_per_phone_and_address_daily == 5
        and settings.fund.grace_days == 30
    )
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
    assert settings.database.url == "sqlite:////srv/kasa/kasa.db"
    assert settings.fund.codes_per_phone_and_address_daily == 7
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
        ({"KASA_DATABASE_URL": "not a url"}, "KASA_DATABASE_URL must be a database URL"),
        ({"KASA_FOUR_EYES_THRESHOLD": "1.234"}, "two decimal"),
    ],
)
def test_bad_settings_are_refused_with_their_name(
    environ: dict[str, str], message: str, tmp_path: Path
) -> None:
    with pytest.raises(InvalidInput, match=message):
        Settings.load(environ, dotenv=tmp_path / "none")


PRODUCTION = {
    "KASA_ENV": "production",
    "KASA_JWT_SECRET": "Zq3-vR8pL0xW5nT2yK7mB4cF9hJ6dG1sA_eU",
    "KASA_BACKUP_KEY": "snapshot-key-Lk2Vr9Qw4Xz7Bn1Mp5Ts8Yd3",
    "KASA_DATABASE_URL": "mysql+pymysql://kasa:pw@db/kasa?charset=utf8mb4",
    "KASA_PUBLIC_URL": "https://kasa.example.ua",
    "KASA_ADMIN_PUBLIC_URL": "https://admin.kasa.example.ua",
    "KASA_SMS_BACKEND": "twilio",
    "TWILIO_ACCOUNT_SID": "AC1",
    "TWILIO_AUTH_TOKEN": "t",
    "KASA_SMS_FROM": "+15005550006",
    "KASA_LIQPAY_PUBLIC_KEY": "pub",
    "KASA_LIQPAY_PRIVATE_KEY": "priv",
    "KASA_DIIA_DECRYPTOR": "operator_crypto:decrypt",
    "KASA_DIIA_BASIC_AUTH": "b",
    "KASA_DIIA_ACQUIRER_TOKEN": "a",
    "KASA_DIIA_BRANCH_ID": "br",
    "KASA_DIIA_RETURN_LINK": "https://kasa.example.ua/diia",
}


def test_a_complete_production_configuration_has_no_problems(tmp_path: Path) -> None:
    settings = Settings.load(PRODUCTION, dotenv=tmp_path / "none")
    assert settings.problems() == [] and not settings.liqpay.sandbox
    settings.require_runnable()


def test_production_refuses_missing_secrets_and_dev_backends_naming_each(tmp_path: Path) -> None:
    settings = Settings.load({"KASA_ENV": "production"}, dotenv=tmp_path / "none")
    problems = " ".join(settings.problems())
    for name in (
        "KASA_JWT_SECRET",
        "KASA_BACKUP_KEY must be set in production",
        "KASA_SMS_BACKEND=console",
        "SQLite",
        "KASA_LIQPAY_PUBLIC_KEY",
        "KASA_PUBLIC_URL must be https",
        "KASA_ADMIN_PUBLIC_URL must be https",
    ):
        assert name in problems, name
    with pytest.raises(InvalidInput, match="cannot start"):
        settings.require_runnable()
    sandboxed = Settings.load(
        {**PRODUCTION, "KASA_LIQPAY_SANDBOX": "1", "KASA_JWT_SECRET": "short"},
        dotenv=tmp_path / "none",
    )
    assert sandboxed.problems() == [
        "KASA_JWT_SECRET must be at least 32 bytes",
        "KASA_LIQPAY_SANDBOX is on in production",
    ]


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"KASA_JWT_SECRET": "a" * 32}, "at least 16 different characters"),
        ({"KASA_JWT_SECRET": "abcdefghijklmno" * 3}, "at least 16 different characters"),
        ({"KASA_BACKUP_KEY": "too-short"}, "KASA_BACKUP_KEY must be at least 32 bytes"),
        ({"KASA_ADMIN_PUBLIC_URL": "http://admin.kasa.example.ua"}, "KASA_ADMIN_PUBLIC_URL"),
        ({"KASA_PUBLIC_URL": "HTTP://kasa.example.ua"}, "KASA_PUBLIC_URL must be https"),
        ({"KASA_DIIA_DECRYPTOR": "plain"}, "KASA_DIIA_DECRYPTOR=plain"),
        ({"KASA_DIIA_RETURN_LINK": ""}, "KASA_DIIA_RETURN_LINK missing"),
    ],
)
def test_production_refuses_weak_or_half_done_settings(
    changes: dict[str, str], problem: str, tmp_path: Path
) -> None:
    settings = Settings.load({**PRODUCTION, **changes}, dotenv=tmp_path / "none")
    assert any(problem in line for line in settings.problems()), settings.problems()


def test_urls_are_http_or_https_whatever_their_case(tmp_path: Path) -> None:
    loaded = Settings.load({"KASA_PUBLIC_URL": "HTTPS://Kasa.example.ua/"}, dotenv=tmp_path / "n")
    assert loaded.http.public_url == "https://Kasa.example.ua"
    for url in ("ftp://kasa.example.ua", "kasa.example.ua", "https://"):
        with pytest.raises(InvalidInput, match="KASA_PUBLIC_URL"):
            Settings.load({"KASA_PUBLIC_URL": url}, dotenv=tmp_path / "none")


def test_diia_is_optional_in_production_but_all_or_nothing_anywhere(tmp_path: Path) -> None:
    without = {k: v for k, v in PRODUCTION.items() if not k.startswith("KASA_DIIA_")}
    assert Settings.load(without, dotenv=tmp_path / "none").problems() == []
    assert not Settings.load(without, dotenv=tmp_path / "none").diia.configured
    half = Settings.load({"KASA_DIIA_ACQUIRER_TOKEN": "a"}, dotenv=tmp_path / "none")
    assert any("Diia sharing needs all of its settings" in p for p in half.problems())


def test_mistyped_settings_are_named_in_one_warning(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("KASA_OTP_DAILY_LIMT=3\n", encoding="utf-8")
    settings = Settings.load(
        {"KASA_SMS_BACKEN": "twilio", "KASA_STAFF": "olena", "KASA_TEST_MARIADB_URL": "x"},
        dotenv=dotenv,
    )
    assert settings.warnings() == [
        "unknown settings (mistyped?): KASA_OTP_DAILY_LIMT, KASA_SMS_BACKEN; they are ignored"
    ]
    assert Settings.load({"KASA_STAFF": "olena"}, dotenv=tmp_path / "none").warnings() == []


def test_docs_are_served_in_production_only_when_asked(tmp_path: Path) -> None:
    assert Settings.load({}, dotenv=tmp_path / "none").http.docs
    assert not Settings.load(PRODUCTION, dotenv=tmp_path / "none").http.docs
    assert Settings.load({**PRODUCTION, "KASA_DOCS": "1"}, dotenv=tmp_path / "none").http.docs


def test_hardening_settings_have_their_defaults_and_read_the_environment(tmp_path: Path) -> None:
    default = Settings.load({}, dotenv=tmp_path / "none")
    assert default.fund.sms_countries == frozenset({380})
    assert default.fund.code_requests_per_address_hourly == 10
    assert default.fund.max_files_per_upload == 20
    assert default.fund.member_storage_bytes == 100 * 1024 * 1024
    assert default.files.max_body_bytes == 64 * 1024 and default.http.trusted_proxies == ()
    given = Settings.load(
        {
            "KASA_SMS_COUNTRIES": "380, +48",
            "KASA_OTP_ADDRESS_HOURLY_LIMIT": "3",
            "KASA_MAX_FILES": "5",
            "KASA_MEMBER_STORAGE_MB": "7",
            "KASA_MAX_BODY_KB": "128",
            "KASA_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8",
        },
        dotenv=tmp_path / "none",
    )
    assert given.fund.sms_countries == frozenset({380, 48})
    assert given.fund.code_requests_per_address_hourly == 3
    assert given.fund.max_files_per_upload == 5
    assert given.fund.member_storage_bytes == 7 * 1024 * 1024
    assert given.files.max_body_bytes == 128 * 1024
    assert given.http.trusted_proxies == ("127.0.0.1/32", "10.0.0.0/8")
    for name, value in (("KASA_TRUSTED_PROXIES", "proxy"), ("KASA_SMS_COUNTRIES", "UA")):
        with pytest.raises(InvalidInput, match=name):
            Settings.load({name: value}, dotenv=tmp_path / "none")


def test_threads_and_the_pool_are_sized_together(tmp_path: Path) -> None:
    default = Settings.load({}, dotenv=tmp_path / "none")
    assert (
        default.process.worker_threads,
        default.process.read_threads,
        default.database.pool_size,
    ) == (8, 2, 10)
    assert default.http.programs_cache_seconds == 5
    given = Settings.load(
        {"KASA_WORKER_THREADS": "4", "KASA_READ_THREADS": "3"}, dotenv=tmp_path / "none"
    )
    assert (given.process.worker_threads, given.process.read_threads, given.database.pool_size) == (
        4,
        3,
        7,
    )
    pool = Settings.load({"KASA_DB_POOL_SIZE": "20"}, dotenv=tmp_path / "none")
    assert pool.database.pool_size == 20 and not pool.unknown_variables
    with pytest.raises(InvalidInput, match="KASA_READ_THREADS"):
        Settings.load({"KASA_READ_THREADS": "0"}, dotenv=tmp_path / "none")


def test_twilio_needs_its_account_anywhere(tmp_path: Path) -> None:
    settings = Settings.load({"KASA_SMS_BACKEND": "twilio"}, dotenv=tmp_path / "none")
    assert len(settings.problems()) == 3
    dev = Settings.load({}, dotenv=tmp_path / "none")
    assert dev.problems() == []


def test_the_dev_secret_is_made_once_and_kept(tmp_path: Path) -> None:
    settings = Settings.load({"KASA_DATA_DIR": str(tmp_path / "data")}, dotenv=tmp_path / "x")
    first = settings.secret()
    assert len(first) >= 32 and settings.secret() == first
    assert (tmp_path / "data" / "secret.key").stat().st_mode & 0o777 == 0o600


ROOT = Path(__file__).resolve().parents[2]


def test_the_readme_table_is_made_from_the_declarations() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    begin = readme.index("\n", readme.index("<!-- settings:")) + 1
    shown = readme[begin : readme.index("<!-- /settings -->")]
    assert shown == settings_table(), "run `kasa settings --table` into the README"
    for name in KNOWN_VARIABLES:
        assert f"`{name}`" in shown, name


@pytest.mark.parametrize(
    "declaration",
    [d for _, d in every_setting() if d.kind not in (TEXT, PATH, WORDS)],
    ids=lambda d: d.name,
)
def test_every_typed_setting_refuses_a_bad_value_naming_itself(
    declaration: Setting, tmp_path: Path
) -> None:
    with pytest.raises(InvalidInput) as caught:
        Settings.load({declaration.name: "-1x?"}, dotenv=tmp_path / "none")
    assert caught.value.message.startswith(f"{declaration.name} must be "), caught.value.message


def test_every_setting_is_known_and_a_typo_is_not(tmp_path: Path) -> None:
    names = {d.name for _, d in every_setting()}
    assert names == KNOWN_VARIABLES and len(names) == len(list(every_setting()))
    loaded = Settings.load(
        dict.fromkeys(names, "") | {"KASA_GRACE_DAY": "3"}, dotenv=tmp_path / "n"
    )
    assert loaded.unknown_variables == ("KASA_GRACE_DAY",)
