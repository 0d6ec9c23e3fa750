"""Settings, read once from the environment (and an optional ``.env`` file); every one
has a safe default for development. The README has the whole table."""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

import attrs
import sqlalchemy as sa

from kasa.adapters.files import private_folder
from kasa.application.settings import FundSettings
from kasa.domain.errors import InvalidInput
from kasa.domain.money import Money
from kasa.domain.signin import SignInPolicy

ENVIRONMENTS = ("dev", "test", "production")
SMS_BACKENDS = ("console", "outbox", "twilio")
PLACEHOLDER_KEYS = ("sandbox_public_key", "sandbox_private_key")
DIIA_SETTINGS = (
    "KASA_DIIA_BASIC_AUTH",
    "KASA_DIIA_ACQUIRER_TOKEN",
    "KASA_DIIA_BRANCH_ID",
    "KASA_DIIA_RETURN_LINK",
)
# Every KASA_* variable Kasa, its command line, its tests and its scripts read; any
# other is named in a warning at start (a typo such as KASA_SMS_BACKEN).
KNOWN_VARIABLES = frozenset(
    {
        "KASA_ENV",
        "KASA_DATA_DIR",
        "KASA_DATABASE_URL",
        "KASA_FILES_DIR",
        "KASA_PUBLIC_URL",
        "KASA_ADMIN_PUBLIC_URL",
        "KASA_MOBILE_WORKERS",
        "KASA_ADMIN_WORKERS",
        "KASA_JWT_SECRET",
        "KASA_BACKUP_KEY",
        "KASA_MEMBER_TOKEN_TTL",
        "KASA_STAFF_TOKEN_TTL",
        "KASA_SMS_BACKEND",
        "KASA_SMS_OUTBOX",
        "KASA_SMS_FROM",
        "KASA_SMS_COUNTRIES",
        "KASA_TWILIO_API_URL",
        "KASA_OTP_TTL_SECONDS",
        "KASA_OTP_MAX_ATTEMPTS",
        "KASA_OTP_DAILY_LIMIT",
        "KASA_OTP_PHONE_DAILY_CAP",
        "KASA_REQUEST_MESSAGES_DAILY",
        "KASA_OPEN_REQUESTS_MAX",
        "KASA_OTP_RESEND_SECONDS",
        "KASA_OTP_ADDRESS_HOURLY_LIMIT",
        "KASA_LIQPAY_PUBLIC_KEY",
        "KASA_LIQPAY_PRIVATE_KEY",
        "KASA_LIQPAY_SANDBOX",
        "KASA_LIQPAY_API_URL",
        "KASA_DIIA_API_URL",
        *DIIA_SETTINGS,
        "KASA_DIIA_DECRYPTOR",
        "KASA_APPLE_APP_IDS",
        "KASA_MAX_UPLOAD_MB",
        "KASA_MAX_FILES",
        "KASA_MAX_BODY_KB",
        "KASA_MEMBER_STORAGE_MB",
        "KASA_GRACE_DAYS",
        "KASA_CHECKOUT_EXPIRY_HOURS",
        "KASA_REMINDER_DAYS",
        "KASA_FOUR_EYES_THRESHOLD",
        "KASA_JSON_LOGS",
        "KASA_HSTS",
        "KASA_ADMIN_CORS_ORIGINS",
        "KASA_TRUSTED_PROXIES",
        "KASA_DOCS",
        "KASA_WORKER_THREADS",
        "KASA_READ_THREADS",
        "KASA_DB_POOL_SIZE",
        "KASA_PROGRAMS_CACHE_SECONDS",
        # the command line, the scripts and the tests
        "KASA_STAFF",
        "KASA_VENV",
        "KASA_ROOT",
    }
)
KNOWN_PREFIXES = ("KASA_TEST_", "KASA_LOAD_", "KASA_BENCH_")


def read_dotenv(path: Path) -> dict[str, str]:
    """``KEY=VALUE`` lines; blank lines and ``#`` comments skipped, quotes stripped."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        key = key.strip().removeprefix("export ").strip()
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key] = value
    return values


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise InvalidInput(f"{name} must be a whole number, not {text!r}.") from None
    if value < minimum:
        raise InvalidInput(f"{name} must be at least {minimum}.")
    return value


def _flag(env: Mapping[str, str], name: str, default: str) -> bool:
    return (env.get(name) or default).strip() not in ("0", "")


def _url(env: Mapping[str, str], name: str, default: str) -> str:
    """An http(s) URL with a host, its scheme in lower case, without a trailing slash."""
    text = (env.get(name) or default).strip().rstrip("/")
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.netloc:
        raise InvalidInput(f"{name} must be an http:// or https:// URL, not {text!r}.")
    return scheme + text[len(parts.scheme) :]


def _networks(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    """Addresses or networks, checked and written as networks (``10.0.0.0/8``)."""
    found: list[str] = []
    for item in env.get(name, "").split(","):
        if item.strip():
            try:
                found.append(str(ipaddress.ip_network(item.strip(), strict=False)))
            except ValueError:
                raise InvalidInput(
                    f"{name} must list addresses or networks, not {item.strip()!r}."
                ) from None
    return tuple(found)


def _calling_codes(env: Mapping[str, str], name: str) -> frozenset[int]:
    text = env.get(name, "").strip() or "380"
    codes = [c.strip().lstrip("+") for c in text.split(",") if c.strip()]
    if not codes or not all(c.isdigit() and 1 <= len(c) <= 3 for c in codes):
        raise InvalidInput(f"{name} must list calling codes such as 380, not {text!r}.")
    return frozenset(int(c) for c in codes)


def unknown_variables(env: Mapping[str, str]) -> tuple[str, ...]:
    return tuple(
        sorted(
            name
            for name in env
            if name.startswith("KASA_")
            and name not in KNOWN_VARIABLES
            and not name.startswith(KNOWN_PREFIXES)
        )
    )


@attrs.frozen
class Settings:
    env: str
    data_dir: Path
    database_url: str
    files_dir: Path
    fund: FundSettings
    public_url: str = "http://127.0.0.1:8000"
    admin_public_url: str = "http://127.0.0.1:8001"
    jwt_secret: str | None = None
    backup_key: str | None = None
    member_token_ttl: int = 30 * 24 * 3600
    staff_token_ttl: int = 8 * 3600
    sms_backend: str = "console"
    sms_outbox: Path | None = None
    liqpay_public_key: str = "sandbox_public_key"
    liqpay_private_key: str = "sandbox_private_key"
    liqpay_sandbox: bool = True
    liqpay_api_url: str = "https://www.liqpay.ua/api"
    diia_api_url: str = "https://api2s.diia.gov.ua"
    diia_basic_auth: str = ""
    diia_acquirer_token: str = ""
    diia_branch_id: str = ""
    diia_return_link: str = ""
    diia_decryptor: str = "plain"
    apple_app_ids: tuple[str, ...] = ()
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    sms_from: str = ""
    twilio_api_url: str = ""
    hsts: bool = False
    admin_cors_origins: tuple[str, ...] = ()
    json_logs: bool = False
    # the client address is the TCP peer unless the peer is one of these proxies
    trusted_proxies: tuple[str, ...] = ()
    # JSON and form bodies (no files)
    max_body_bytes: int = 64 * 1024
    docs: bool = True
    # threads a worker runs use cases in (reads on a pool of their own), and database
    # connections it keeps open
    worker_threads: int = 8
    read_threads: int = 2
    db_pool_size: int = 10
    # how long an API process keeps the list of programs before reading it again
    programs_cache_seconds: int = 5
    # worker processes `kasa serve` starts for each API when --workers is not given
    mobile_workers: int = 1
    admin_workers: int = 1
    unknown_variables: tuple[str, ...] = ()

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None, dotenv: Path | None = None) -> Settings:
        env = {
            **read_dotenv(dotenv or Path(".env")),
            **(environ if environ is not None else os.environ),
        }
        kind = env.get("KASA_ENV", "dev").strip() or "dev"
        if kind not in ENVIRONMENTS:
            raise InvalidInput(f"KASA_ENV must be one of {', '.join(ENVIRONMENTS)}, not {kind!r}.")
        data_dir = Path(env.get("KASA_DATA_DIR") or "./var").expanduser()
        database_url = env.get("KASA_DATABASE_URL") or f"sqlite:///{data_dir / 'kasa.db'}"
        try:
            sa.engine.make_url(database_url)
        except sa.exc.ArgumentError:
            raise InvalidInput("KASA_DATABASE_URL is not a database URL.") from None
        threshold = env.get("KASA_FOUR_EYES_THRESHOLD", "").strip()
        fund = FundSettings(
            sign_in=SignInPolicy(
                code_ttl_seconds=_int(env, "KASA_OTP_TTL_SECONDS", 180, 1),
                max_attempts=_int(env, "KASA_OTP_MAX_ATTEMPTS", 5, 1),
                daily_limit=_int(env, "KASA_OTP_PHONE_DAILY_CAP", 20, 1),
                resend_seconds=_int(env, "KASA_OTP_RESEND_SECONDS", 60),
            ),
            grace_days=_int(env, "KASA_GRACE_DAYS", 30),
            reminder_days=_int(env, "KASA_REMINDER_DAYS", 7),
            four_eyes_threshold=(
                Money.parse(threshold, "KASA_FOUR_EYES_THRESHOLD")
                if threshold and threshold.lower() != "off"
                else None
            ),
            max_upload_bytes=_int(env, "KASA_MAX_UPLOAD_MB", 10, 1) * 1024 * 1024,
            max_files_per_upload=_int(env, "KASA_MAX_FILES", 20, 1),
            member_storage_bytes=_int(env, "KASA_MEMBER_STORAGE_MB", 100, 1) * 1024 * 1024,
            sms_countries=_calling_codes(env, "KASA_SMS_COUNTRIES"),
            code_requests_per_address_hourly=_int(env, "KASA_OTP_ADDRESS_HOURLY_LIMIT", 10, 1),
            codes_per_phone_and_address_daily=_int(env, "KASA_OTP_DAILY_LIMIT", 5, 1),
            request_messages_daily=_int(env, "KASA_REQUEST_MESSAGES_DAILY", 30, 1),
            open_requests_max=_int(env, "KASA_OPEN_REQUESTS_MAX", 10, 1),
            checkout_expiry_seconds=_int(env, "KASA_CHECKOUT_EXPIRY_HOURS", 24, 1) * 3600,
        )
        threads = _int(env, "KASA_WORKER_THREADS", 8, 1)
        read_threads = _int(env, "KASA_READ_THREADS", 2, 1)
        sms_backend = env.get("KASA_SMS_BACKEND", "console").strip() or "console"
        if sms_backend not in SMS_BACKENDS:
            raise InvalidInput(f"KASA_SMS_BACKEND must be one of {', '.join(SMS_BACKENDS)}.")
        return cls(
            env=kind,
            data_dir=data_dir,
            database_url=database_url,
            files_dir=Path(env.get("KASA_FILES_DIR") or data_dir / "files").expanduser(),
            fund=fund,
            public_url=_url(env, "KASA_PUBLIC_URL", "http://127.0.0.1:8000"),
            admin_public_url=_url(env, "KASA_ADMIN_PUBLIC_URL", "http://127.0.0.1:8001"),
            jwt_secret=env.get("KASA_JWT_SECRET") or None,
            backup_key=env.get("KASA_BACKUP_KEY") or None,
            member_token_ttl=_int(env, "KASA_MEMBER_TOKEN_TTL", 30 * 24 * 3600, 60),
            staff_token_ttl=_int(env, "KASA_STAFF_TOKEN_TTL", 8 * 3600, 60),
            sms_backend=sms_backend,
            sms_outbox=Path(env.get("KASA_SMS_OUTBOX") or data_dir / "sms-outbox.jsonl"),
            liqpay_public_key=env.get("KASA_LIQPAY_PUBLIC_KEY") or "sandbox_public_key",
            liqpay_private_key=env.get("KASA_LIQPAY_PRIVATE_KEY") or "sandbox_private_key",
            liqpay_sandbox=_flag(env, "KASA_LIQPAY_SANDBOX", "0" if kind == "production" else "1"),
            liqpay_api_url=env.get("KASA_LIQPAY_API_URL") or "https://www.liqpay.ua/api",
            diia_api_url=env.get("KASA_DIIA_API_URL") or "https://api2s.diia.gov.ua",
            diia_basic_auth=env.get("KASA_DIIA_BASIC_AUTH", ""),
            diia_acquirer_token=env.get("KASA_DIIA_ACQUIRER_TOKEN", ""),
            diia_branch_id=env.get("KASA_DIIA_BRANCH_ID", ""),
            diia_return_link=env.get("KASA_DIIA_RETURN_LINK", ""),
            diia_decryptor=env.get("KASA_DIIA_DECRYPTOR") or "plain",
            twilio_account_sid=env.get("TWILIO_ACCOUNT_SID", ""),
            twilio_auth_token=env.get("TWILIO_AUTH_TOKEN", ""),
            sms_from=env.get("KASA_SMS_FROM", ""),
            twilio_api_url=env.get("KASA_TWILIO_API_URL", ""),
            hsts=_flag(env, "KASA_HSTS", "0"),
            admin_cors_origins=tuple(
                o.strip() for o in env.get("KASA_ADMIN_CORS_ORIGINS", "").split(",") if o.strip()
            ),
            json_logs=_flag(env, "KASA_JSON_LOGS", "1" if kind == "production" else "0"),
            trusted_proxies=_networks(env, "KASA_TRUSTED_PROXIES"),
            max_body_bytes=_int(env, "KASA_MAX_BODY_KB", 64, 1) * 1024,
            docs=_flag(env, "KASA_DOCS", "0" if kind == "production" else "1"),
            worker_threads=threads,
            read_threads=read_threads,
            db_pool_size=_int(env, "KASA_DB_POOL_SIZE", threads + read_threads, 1),
            programs_cache_seconds=_int(env, "KASA_PROGRAMS_CACHE_SECONDS", 5),
            mobile_workers=_int(env, "KASA_MOBILE_WORKERS", 1, 1),
            admin_workers=_int(env, "KASA_ADMIN_WORKERS", 1, 1),
            unknown_variables=unknown_variables(env),
            apple_app_ids=tuple(
                a.strip() for a in env.get("KASA_APPLE_APP_IDS", "").split(",") if a.strip()
            ),
        )

    @property
    def safe_database_url(self) -> str:
        """The database URL with any password hidden, for messages and logs."""
        return sa.engine.make_url(self.database_url).render_as_string(hide_password=True)

    def secret(self) -> str:
        """The token signing key: ``KASA_JWT_SECRET``, or outside production one generated
        once into the data folder (shared by every process using that folder)."""
        return self.jwt_secret or self._generated("secret.key")

    def snapshot_key(self) -> bytes:
        """The key that signs snapshots' manifests: ``KASA_BACKUP_KEY``, or outside
        production one generated once into the data folder. A snapshot never holds it."""
        return (self.backup_key or self._generated("backup.key")).encode()

    def _generated(self, name: str) -> str:
        path = self.data_dir / name
        if not path.exists():
            private_folder(self.data_dir)
            try:
                with path.open("x", encoding="utf-8") as handle:
                    handle.write(secrets.token_urlsafe(48))
                path.chmod(0o600)
            except FileExistsError:
                pass  # another process made it first
        return path.read_text(encoding="utf-8").strip()

    @property
    def diia_configured(self) -> bool:
        return bool(self.diia_acquirer_token)

    def problems(self) -> list[str]:
        """What keeps this configuration from running: in production, missing or weak
        secrets, development-only backends and plain-HTTP addresses; anywhere, a Twilio
        backend without its account, or Diia with only some of its settings."""
        found: list[str] = []
        diia = {
            "KASA_DIIA_BASIC_AUTH": self.diia_basic_auth,
            "KASA_DIIA_ACQUIRER_TOKEN": self.diia_acquirer_token,
            "KASA_DIIA_BRANCH_ID": self.diia_branch_id,
            "KASA_DIIA_RETURN_LINK": self.diia_return_link,
        }
        missing = [name for name, value in diia.items() if not value]
        if 0 < len(missing) < len(diia):
            found.append(
                "Diia sharing needs all of its settings or none: " + ", ".join(missing) + " missing"
            )
        if self.sms_backend == "twilio":
            for name, value in (
                ("TWILIO_ACCOUNT_SID", self.twilio_account_sid),
                ("TWILIO_AUTH_TOKEN", self.twilio_auth_token),
                ("KASA_SMS_FROM", self.sms_from),
            ):
                if not value:
                    found.append(f"{name} is required by the twilio SMS backend")
        if self.env != "production":
            return found
        if not self.jwt_secret:
            found.append("KASA_JWT_SECRET must be set in production")
        elif len(self.jwt_secret.encode()) < 32:
            found.append("KASA_JWT_SECRET must be at least 32 bytes")
        elif len(set(self.jwt_secret)) < 16:
            found.append("KASA_JWT_SECRET must have at least 16 different characters")
        if not self.backup_key:
            found.append("KASA_BACKUP_KEY must be set in production (it signs snapshots)")
        elif len(self.backup_key.encode()) < 32:
            found.append("KASA_BACKUP_KEY must be at least 32 bytes")
        if self.sms_backend != "twilio":
            found.append(f"KASA_SMS_BACKEND={self.sms_backend} is for development; use twilio")
        if self.database_url.startswith("sqlite"):
            found.append("KASA_DATABASE_URL points at SQLite; production uses MariaDB/MySQL")
        if (
            self.liqpay_public_key in PLACEHOLDER_KEYS
            or self.liqpay_private_key in PLACEHOLDER_KEYS
        ):
            found.append("KASA_LIQPAY_PUBLIC_KEY and KASA_LIQPAY_PRIVATE_KEY must be set")
        if self.liqpay_sandbox:
            found.append("KASA_LIQPAY_SANDBOX is on in production")
        if self.diia_configured and self.diia_decryptor == "plain":
            found.append("KASA_DIIA_DECRYPTOR=plain is for development; name the decryptor")
        for name, url in (
            ("KASA_PUBLIC_URL", self.public_url),
            ("KASA_ADMIN_PUBLIC_URL", self.admin_public_url),
        ):
            if urlsplit(url).scheme.lower() != "https":
                found.append(f"{name} must be https in production")
        return found

    def warnings(self) -> list[str]:
        """What is allowed but probably a mistake, said once at start."""
        if not self.unknown_variables:
            return []
        return [
            "unknown settings (mistyped?): "
            + ", ".join(self.unknown_variables)
            + "; they are ignored"
        ]

    def require_runnable(self) -> None:
        problems = self.problems()
        if problems:
            raise InvalidInput("Kasa cannot start: " + "; ".join(problems) + ".")
