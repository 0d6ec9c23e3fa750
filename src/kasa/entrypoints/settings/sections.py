"""Every setting of Kasa, declared once, by concern. The README's settings table is made
from these declarations (``kasa settings --table``) and a test holds it to them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs

from kasa.domain.errors import InvalidInput
from kasa.domain.money import Money
from kasa.domain.notifications import QuietHours
from kasa.entrypoints.settings.declaring import (
    AMOUNT_OR_OFF,
    CALLING_CODES,
    DATABASE_URL,
    FLAG,
    NETWORKS,
    OPTIONAL_DATABASE_URL,
    PATH,
    URL,
    WORDS,
    Kind,
    Loaded,
    Rule,
    Several,
    at_least_bytes,
    choice,
    different_characters,
    https,
    required,
    setting,
    whole,
)

MIB = 1024 * 1024
ENVIRONMENTS = ("dev", "test", "production")
SMS_BACKENDS = ("console", "outbox", "twilio")
PLACEHOLDER_KEYS = ("sandbox_public_key", "sandbox_private_key")
PLACEHOLDER = Rule(
    lambda key: key in PLACEHOLDER_KEYS, "{name} must be set", "required when switched on"
)


def in_production(value: Any, otherwise: Any) -> Any:
    """A default that differs in production."""
    return lambda loaded: value if loaded["KASA_ENV"] == "production" else otherwise


@attrs.frozen
class Runtime:
    """Where Kasa runs."""

    env: str = setting(
        "KASA_ENV",
        "`dev`, `test` or `production` (production refuses what is only for development)",
        choice(*ENVIRONMENTS),
        "dev",
    )
    data_dir: Path = setting(
        "KASA_DATA_DIR",
        "the folder of the embedded database, the files, generated keys and the SMS outbox",
        PATH,
        Path("./var"),
        shown="`./var`",
    )


@attrs.frozen
class Process:
    """An API process: threads, workers, logs."""

    worker_threads: int = setting(
        "KASA_WORKER_THREADS",
        "threads an API process runs writes, uploads and outside calls in (on MariaDB/MySQL"
        " also its connections for LiqPay callbacks applied and the staff's member search"
        " read on the event loop, each their own)",
        whole(1),
        8,
        shown="8",
    )
    read_threads: int = setting(
        "KASA_READ_THREADS",
        "threads of its own for reads (profiles, lists, searches; on MariaDB/MySQL also"
        " its connections for the profile and the staff token check read on the event"
        " loop)",
        whole(1),
        2,
        shown="2",
    )
    mobile_workers: int = setting(
        "KASA_MOBILE_WORKERS",
        "worker processes `kasa serve mobile` starts when `--workers` is not given",
        whole(1),
        1,
        shown="1",
    )
    admin_workers: int = setting(
        "KASA_ADMIN_WORKERS",
        "worker processes `kasa serve admin` starts when `--workers` is not given",
        whole(1),
        1,
        shown="1",
    )
    json_logs: bool = setting(
        "KASA_JSON_LOGS",
        "logs as one JSON object a line (with the request id)",
        FLAG,
        in_production(True, False),
        shown="`1` in production, else `0`",
    )


@attrs.frozen
class Database:
    url: str = setting(
        "KASA_DATABASE_URL",
        "the database: SQLite (embedded) or MariaDB/MySQL (`mysql+pymysql://…?charset=utf8mb4`)",
        DATABASE_URL,
        lambda loaded: f"sqlite:///{loaded['KASA_DATA_DIR'] / 'kasa.db'}",
        shown="`sqlite:///$KASA_DATA_DIR/kasa.db`",
        production=[
            Rule(
                lambda url: url.startswith("sqlite"),
                "{name} points at SQLite; production uses MariaDB/MySQL",
                "MariaDB/MySQL",
            )
        ],
    )
    pool_size: int = setting(
        "KASA_DB_POOL_SIZE",
        "database connections an API process keeps open",
        whole(1),
        lambda loaded: loaded["KASA_WORKER_THREADS"] + loaded["KASA_READ_THREADS"],
        shown="the two thread counts together",
    )
    read_url: str = setting(
        "KASA_READ_DATABASE_URL",
        "a MariaDB/MySQL replica of the database that the staff's lists, searches, exports"
        " and reports and the program list are read from (empty: none; its user needs"
        " `REPLICA MONITOR`, or `REPLICATION CLIENT` on MySQL, to see its lag)",
        OPTIONAL_DATABASE_URL,
        "",
    )
    replica_max_lag: int = setting(
        "KASA_REPLICA_MAX_LAG_SECONDS",
        "seconds the replica may trail the database; further behind (or stopped), the"
        " reads go to the database",
        whole(1),
        5,
    )

    def problems(self) -> Iterator[str]:
        if not self.read_url:
            return
        if self.url.startswith("sqlite") or self.read_url.startswith("sqlite"):
            yield "KASA_READ_DATABASE_URL is a MariaDB/MySQL replica of a MariaDB/MySQL database"


@attrs.frozen
class Files:
    """The file store and the size of what is sent."""

    store: str = setting(
        "KASA_FILE_STORE",
        "where files are kept: `local` (the folder `KASA_FILES_DIR`) or `s3` (the bucket"
        " `KASA_S3_BUCKET`)",
        choice("local", "s3"),
        "local",
    )
    fallback: str = setting(
        "KASA_FILE_STORE_FALLBACK",
        "while files move to the other kind of store: `local` or `s3`, where a file not"
        " found in `KASA_FILE_STORE` is read from (empty: nowhere)",
        choice("", "local", "s3"),
        "",
    )
    s3_endpoint: str = setting(
        "KASA_S3_ENDPOINT",
        "the object store's address (empty: AWS S3 itself)",
        shown="AWS",
    )
    s3_bucket: str = setting("KASA_S3_BUCKET", "the bucket of the `s3` store (private)")
    s3_region: str = setting("KASA_S3_REGION", "the bucket's region", default="us-east-1")
    s3_access_key: str = setting("KASA_S3_ACCESS_KEY", "the `s3` store's access key")
    s3_secret_key: str = setting("KASA_S3_SECRET_KEY", "the `s3` store's secret key", secret=True)
    folder: Path = setting(
        "KASA_FILES_DIR",
        "the folder of members' and programs' files",
        PATH,
        lambda loaded: loaded["KASA_DATA_DIR"] / "files",
        shown="`$KASA_DATA_DIR/files`",
    )
    max_upload_bytes: int = setting(
        "KASA_MAX_UPLOAD_MB", "MB a file may have", whole(1, MIB), 10 * MIB, shown="10"
    )
    max_files: int = setting("KASA_MAX_FILES", "files in one upload", whole(1), 20, shown="20")
    max_body_bytes: int = setting(
        "KASA_MAX_BODY_KB",
        "KiB of a JSON or form body without files (larger ones are 413)",
        whole(1, 1024),
        64 * 1024,
        shown="64",
    )
    member_storage_bytes: int = setting(
        "KASA_MEMBER_STORAGE_MB",
        "MB all of one member's stored files may take together",
        whole(1, MIB),
        100 * MIB,
        shown="100",
    )

    def problems(self) -> Iterator[str]:
        if self.fallback == self.store:
            yield "KASA_FILE_STORE_FALLBACK must name the other kind of store"
        if "s3" not in (self.store, self.fallback):
            return
        if not self.s3_bucket:
            yield "KASA_S3_BUCKET is required by the s3 file store"
        if bool(self.s3_access_key) != bool(self.s3_secret_key):
            yield "KASA_S3_ACCESS_KEY and KASA_S3_SECRET_KEY go together (all or none)"


@attrs.frozen
class Tokens:
    secret: str = setting(
        "KASA_JWT_SECRET",
        "signing key of access tokens; also keys the hashes of sign-in codes",
        default="",
        shown="generated once into `$KASA_DATA_DIR/secret.key`",
        production=[required(), at_least_bytes(32), different_characters(16)],
        secret=True,
    )
    member_ttl: int = setting(
        "KASA_MEMBER_TOKEN_TTL",
        "seconds a member's token lasts",
        whole(60),
        30 * 24 * 3600,
        shown="2592000 (30 days)",
    )
    staff_ttl: int = setting(
        "KASA_STAFF_TOKEN_TTL",
        "seconds a staff user's token lasts",
        whole(60),
        8 * 3600,
        shown="28800 (8 hours)",
    )


@attrs.frozen
class Backup:
    key: str = setting(
        "KASA_BACKUP_KEY",
        "the key that signs snapshots' manifests (HMAC-SHA-256), checked before a snapshot"
        " is used; never written into a snapshot",
        default="",
        shown="generated once into `$KASA_DATA_DIR/backup.key`",
        production=[required(" (it signs snapshots)"), at_least_bytes(32)],
        secret=True,
    )


@attrs.frozen
class Sms:
    backend: str = setting(
        "KASA_SMS_BACKEND",
        "`twilio`, or for development `console` (log the message) or `outbox` (append JSON"
        ' lines `{"to", "body", "sent_at"}` to `KASA_SMS_OUTBOX`)',
        choice(*SMS_BACKENDS),
        "console",
        production=[
            Rule(
                lambda backend: backend != "twilio",
                "{name}={value} is for development; use twilio",
                "`twilio`",
            )
        ],
    )
    outbox: Path = setting(
        "KASA_SMS_OUTBOX",
        "file of the `outbox` backend",
        PATH,
        lambda loaded: loaded["KASA_DATA_DIR"] / "sms-outbox.jsonl",
        shown="`$KASA_DATA_DIR/sms-outbox.jsonl`",
    )
    account_sid: str = setting(
        "TWILIO_ACCOUNT_SID", "the Twilio account (required by the `twilio` backend)"
    )
    auth_token: str = setting(
        "TWILIO_AUTH_TOKEN",
        "the Twilio account's token (required by the `twilio` backend)",
        secret=True,
    )
    sender: str = setting(
        "KASA_SMS_FROM", "the sender number or name (required by the `twilio` backend)"
    )
    api_url: str = setting(
        "KASA_TWILIO_API_URL",
        "another API root for Twilio (tests point it at a local stand-in)",
        shown="Twilio's own",
    )
    countries: frozenset[int] = setting(
        "KASA_SMS_COUNTRIES",
        "calling codes of the countries sign-in codes may be sent to",
        CALLING_CODES,
        frozenset({380}),
        shown="`380`",
    )

    def problems(self) -> Iterator[str]:
        if self.backend != "twilio":
            return
        for name, value in (
            ("TWILIO_ACCOUNT_SID", self.account_sid),
            ("TWILIO_AUTH_TOKEN", self.auth_token),
            ("KASA_SMS_FROM", self.sender),
        ):
            if not value:
                yield f"{name} is required by the twilio SMS backend"


@attrs.frozen
class SignIn:
    """Sign-in codes and their limits."""

    code_ttl_seconds: int = setting(
        "KASA_OTP_TTL_SECONDS", "seconds a sign-in code is valid", whole(1), 180, shown="180"
    )
    max_attempts: int = setting(
        "KASA_OTP_MAX_ATTEMPTS", "wrong tries a code takes", whole(1), 5, shown="5"
    )
    resend_seconds: int = setting(
        "KASA_OTP_RESEND_SECONDS",
        "seconds before another code may go to the same phone",
        whole(0),
        60,
        shown="60",
    )
    phone_and_address_daily: int = setting(
        "KASA_OTP_DAILY_LIMIT",
        "codes a day for one phone from one client address (429 with `Retry-After` past it)",
        whole(1),
        5,
        shown="5",
    )
    phone_daily_cap: int = setting(
        "KASA_OTP_PHONE_DAILY_CAP",
        "codes a day for one phone from all addresses together; codes go only to mobile numbers",
        whole(1),
        20,
        shown="20",
    )
    address_hourly: int = setting(
        "KASA_OTP_ADDRESS_HOURLY_LIMIT",
        "code requests (sign-in and phone change, any phones) from one client address in an hour",
        whole(1),
        10,
        shown="10",
    )


@attrs.frozen
class LiqPay:
    public_key: str = setting(
        "KASA_LIQPAY_PUBLIC_KEY",
        "the gateway's public key",
        default="sandbox_public_key",
        shown="a sandbox placeholder",
        production=[PLACEHOLDER],
    )
    private_key: str = setting(
        "KASA_LIQPAY_PRIVATE_KEY",
        "the gateway's private key",
        default="sandbox_private_key",
        shown="a sandbox placeholder",
        production=[PLACEHOLDER],
        secret=True,
    )
    sandbox: bool = setting(
        "KASA_LIQPAY_SANDBOX",
        "ask the gateway for sandbox payments (a `sandbox` status confirms)",
        FLAG,
        in_production(False, True),
        shown="`1` outside production",
        production=[Rule(bool, "{name} is on in production", "`0`")],
    )
    api_url: str = setting(
        "KASA_LIQPAY_API_URL",
        "the gateway's API root",
        URL,
        "https://www.liqpay.ua/api",
    )

    def problems(self) -> Iterator[str]:
        placeholders = [self.public_key in PLACEHOLDER_KEYS, self.private_key in PLACEHOLDER_KEYS]
        if any(placeholders) and not all(placeholders):
            missing = "KASA_LIQPAY_PUBLIC_KEY" if placeholders[0] else "KASA_LIQPAY_PRIVATE_KEY"
            yield f"LiqPay needs both of its keys or neither: {missing} missing"


MONOBANK_API = "https://api.monobank.ua"


@attrs.frozen
class Monobank:
    """monobank's acquiring ("plata by mono"): switched on by its token."""

    token: str = setting(
        "KASA_MONOBANK_TOKEN",
        "the merchant's `X-Token` (setting it switches monobank on)",
        secret=True,
    )
    api_url: str = setting(
        "KASA_MONOBANK_API_URL",
        "the acquiring API's root",
        URL,
        MONOBANK_API,
    )
    redirect_url: str = setting(
        "KASA_MONOBANK_REDIRECT_URL",
        "where the payer returns from monobank's page",
        URL,
        shown="`KASA_PUBLIC_URL` + `/payments/done`",
    )

    @property
    def configured(self) -> bool:
        return bool(self.token)

    def problems(self, switched_on: bool) -> Iterator[str]:
        if switched_on and not self.token:
            yield "KASA_GATEWAYS names monobank, which needs KASA_MONOBANK_TOKEN"
        if not self.token and (self.redirect_url or self.api_url != MONOBANK_API):
            yield (
                "monobank needs all of its settings or none: KASA_MONOBANK_TOKEN missing"
                " beside KASA_MONOBANK_API_URL or KASA_MONOBANK_REDIRECT_URL"
            )


GATEWAY_NAMES = ("liqpay", "monobank")


def _gateway_names(names: list[str]) -> tuple[str, ...]:
    if not names or len(set(names)) != len(names):
        raise ValueError(names)
    if any(name not in GATEWAY_NAMES for name in names):
        raise ValueError(names)
    return tuple(names)


GATEWAY_LIST = Several(
    str,
    "comma-separated gateways, each once: " + ", ".join(GATEWAY_NAMES),
    _gateway_names,
    ",".join,
)


def _gateways_present(loaded: Loaded) -> tuple[str, ...]:
    return ("liqpay", "monobank") if loaded["KASA_MONOBANK_TOKEN"] else ("liqpay",)


@attrs.frozen
class Gateways:
    """Which gateways members pay through, in the order the app offers them."""

    names: tuple[str, ...] = setting(
        "KASA_GATEWAYS",
        "the payment gateways switched on, in the order members are offered them",
        GATEWAY_LIST,
        _gateways_present,
        shown="`liqpay`, and `monobank` when its token is set",
    )


@attrs.frozen
class Diia:
    """Sharing documents from Diia: the acquirer settings all four or none."""

    api_url: str = setting(
        "KASA_DIIA_API_URL", "the Diia acquirer API's root", URL, "https://api2s.diia.gov.ua"
    )
    basic_auth: str = setting(
        "KASA_DIIA_BASIC_AUTH", "the acquirer's basic-auth credentials", secret=True
    )
    acquirer_token: str = setting(
        "KASA_DIIA_ACQUIRER_TOKEN",
        "the acquirer token (the four acquirer settings go together; without them Diia"
        ' sharing answers 503 "not configured")',
        secret=True,
    )
    branch_id: str = setting("KASA_DIIA_BRANCH_ID", "the acquirer's branch id")
    return_link: str = setting(
        "KASA_DIIA_RETURN_LINK", "where Diia sends the member back (the app's universal link)"
    )
    decryptor: str = setting(
        "KASA_DIIA_DECRYPTOR",
        "`plain` (metadata is base64 JSON, files clear) or `module:callable` of the operator's"
        " decryptor",
        default="plain",
    )

    @property
    def configured(self) -> bool:
        return bool(self.acquirer_token)

    def problems(self, production: bool) -> Iterator[str]:
        acquirer = {
            "KASA_DIIA_BASIC_AUTH": self.basic_auth,
            "KASA_DIIA_ACQUIRER_TOKEN": self.acquirer_token,
            "KASA_DIIA_BRANCH_ID": self.branch_id,
            "KASA_DIIA_RETURN_LINK": self.return_link,
        }
        missing = [name for name, value in acquirer.items() if not value]
        if 0 < len(missing) < len(acquirer):
            yield (
                "Diia sharing needs all of its settings or none: " + ", ".join(missing) + " missing"
            )
        if production and self.configured and self.decryptor == "plain":
            yield "KASA_DIIA_DECRYPTOR=plain is for development; name the decryptor"


@attrs.frozen
class Rules:
    """The fund's rules of membership, requests and payouts."""

    grace_days: int = setting(
        "KASA_GRACE_DAYS",
        "days a membership stays in grace after it is paid until",
        whole(0),
        30,
        shown="30",
    )
    reminder_days: int = setting(
        "KASA_REMINDER_DAYS",
        "days before the end of a membership its reminder goes",
        whole(0),
        7,
        shown="7",
    )
    checkout_expiry_seconds: int = setting(
        "KASA_CHECKOUT_EXPIRY_HOURS",
        "hours after which a gateway checkout still unpaid is marked `expired` by `kasa"
        " payment reconcile` (a success the gateway reports later still confirms it)",
        whole(1, 3600),
        24 * 3600,
        shown="24",
    )
    four_eyes_threshold: Money | None = setting(
        "KASA_FOUR_EYES_THRESHOLD",
        "payouts of a request above this amount (UAH) need a second staff user's approval",
        AMOUNT_OR_OFF,
        None,
        shown="off",
    )
    request_messages_daily: int = setting(
        "KASA_REQUEST_MESSAGES_DAILY",
        "messages a member may post on one request a day (429 past it)",
        whole(1),
        30,
        shown="30",
    )
    open_requests_max: int = setting(
        "KASA_OPEN_REQUESTS_MAX",
        "requests a member may have open at once, an empty one included (409 past it)",
        whole(1),
        10,
        shown="10",
    )


@attrs.frozen
class Http:
    """The two APIs on the web."""

    public_url: str = setting(
        "KASA_PUBLIC_URL",
        "the mobile API's public base URL (file links, the gateway's callback URL)",
        URL,
        "http://127.0.0.1:8000",
        production=[https()],
    )
    admin_public_url: str = setting(
        "KASA_ADMIN_PUBLIC_URL",
        "the admin API's public base URL (programs' terms files)",
        URL,
        "http://127.0.0.1:8001",
        production=[https()],
    )
    trusted_proxies: tuple[str, ...] = setting(
        "KASA_TRUSTED_PROXIES",
        "proxies whose `X-Forwarded-For` is believed (the client is the rightmost address"
        " not among them); none: the TCP peer is the client",
        NETWORKS,
        (),
    )
    metrics: bool = setting(
        "KASA_METRICS",
        "count requests and serve `/metrics` (`0`: neither, nothing counted)",
        FLAG,
        True,
        shown="`1`",
    )
    metrics_allow: tuple[str, ...] = setting(
        "KASA_METRICS_ALLOW",
        "addresses (networks) `/metrics` answers, comma-separated; the client as"
        " `KASA_TRUSTED_PROXIES` makes it out",
        NETWORKS,
        ("127.0.0.1/32", "::1/128"),
        shown="`127.0.0.1/32,::1/128`",
    )
    hsts: bool = setting(
        "KASA_HSTS", "send `Strict-Transport-Security` (behind HTTPS)", FLAG, False, shown="`0`"
    )
    admin_cors_origins: tuple[str, ...] = setting(
        "KASA_ADMIN_CORS_ORIGINS",
        "origins of the admin site allowed by CORS, comma-separated",
        WORDS,
        (),
    )
    docs: bool = setting(
        "KASA_DOCS",
        "serve the interactive docs and the OpenAPI documents at `/docs`",
        FLAG,
        in_production(False, True),
        shown="`1`, in production `0`",
    )
    apple_app_ids: tuple[str, ...] = setting(
        "KASA_APPLE_APP_IDS",
        "app ids for `/.well-known/apple-app-site-association`, comma-separated",
        WORDS,
        (),
    )
    programs_cache_seconds: int = setting(
        "KASA_PROGRAMS_CACHE_SECONDS",
        "how long an API process keeps the list of programs (0: read it every time)",
        whole(0),
        5,
        shown="5",
    )


def _quiet_hours(text: str) -> QuietHours | None:
    try:
        return QuietHours.parse(text)
    except InvalidInput:
        raise ValueError(text) from None


QUIET_HOURS = Kind(
    str,
    "two hours of the day such as 21-9, or 0-0 for none",
    lambda text: None if text == "0-0" else _quiet_hours(text),
    lambda hours: "0-0" if hours is None else f"{hours.start}-{hours.end}",
)
PUSH_BACKENDS = ("fcm", "console")


@attrs.frozen
class Notifications:
    """How members are told: push through Firebase Cloud Messaging (or the log), SMS."""

    credentials: Path | None = setting(
        "KASA_FCM_CREDENTIALS",
        "the service account JSON file of the fund's Firebase project (its project_id and"
        " token_uri are used)",
        PATH,
        None,
        shown="none",
    )
    backend: str = setting(
        "KASA_NOTIFY_BACKEND",
        "`fcm` (push through Firebase Cloud Messaging) or `console` (pushes written to the"
        " log); SMS go through the SMS backend either way",
        choice(*PUSH_BACKENDS),
        lambda loaded: "fcm" if loaded["KASA_FCM_CREDENTIALS"] else "console",
        shown="`fcm` with `KASA_FCM_CREDENTIALS`, else `console`",
    )
    fcm_api_url: str = setting(
        "KASA_FCM_API_URL",
        "FCM's API root (tests point it at a local stand-in)",
        URL,
        "https://fcm.googleapis.com",
    )
    quiet_hours: QuietHours | None = setting(
        "KASA_NOTIFY_QUIET_HOURS",
        "hours of the fund's day (Kyiv) when no notification SMS goes; held until they end",
        QUIET_HOURS,
        QuietHours(21, 9),
        shown="`21-9`",
    )
    sms_daily_limit: int = setting(
        "KASA_NOTIFY_SMS_DAILY_LIMIT",
        "notification SMS a member is sent a day at most",
        whole(0),
        3,
        shown="3",
    )

    def problems(self) -> Iterator[str]:
        if self.backend == "fcm" and self.credentials is None:
            yield "KASA_NOTIFY_BACKEND=fcm needs KASA_FCM_CREDENTIALS"
        elif self.backend == "fcm" and self.credentials and not self.credentials.is_file():
            yield f"KASA_FCM_CREDENTIALS names no file: {self.credentials}"


@attrs.frozen
class Office:
    """The staff's pages: how long a signed-in session lasts."""

    idle_minutes: int = setting(
        "KASA_OFFICE_IDLE_MINUTES",
        "minutes without a request after which an office session ends",
        whole(1),
        30,
        shown="30",
    )
    session_hours: int = setting(
        "KASA_OFFICE_SESSION_HOURS",
        "hours after signing in after which an office session ends, however busy",
        whole(1),
        12,
        shown="12",
    )


@attrs.frozen
class CommandLine:
    """What the command line and the scripts read."""

    staff: str = setting(
        "KASA_STAFF", "the staff user the staff commands act as (`--as LOGIN` wins)"
    )
    venv: str = setting(
        "KASA_VENV",
        "the virtual environment the scripts make and use",
        shown="`.venv` of the checkout",
    )
    root: str = setting(
        "KASA_ROOT",
        "the checkout the scripts work in (they set it themselves)",
        shown="the checkout",
    )


SECTIONS: tuple[tuple[str, str, type[Any]], ...] = (
    ("runtime", "Where Kasa runs", Runtime),
    ("process", "API processes", Process),
    ("database", "Database", Database),
    ("files", "Files and bodies", Files),
    ("tokens", "Tokens", Tokens),
    ("backup", "Snapshots", Backup),
    ("sms", "SMS", Sms),
    ("sign_in", "Sign-in codes", SignIn),
    ("liqpay", "LiqPay", LiqPay),
    ("monobank", "monobank", Monobank),
    ("gateways", "Payment gateways", Gateways),
    ("diia", "Diia", Diia),
    ("rules", "The fund's rules", Rules),
    ("http", "HTTP", Http),
    ("notifications", "Notifications", Notifications),
    ("office", "The office", Office),
    ("command_line", "Command line and scripts", CommandLine),
)
# variables tests, the load test and benchmarks read (not Kasa's settings)
KNOWN_PREFIXES = ("KASA_TEST_", "KASA_LOAD_", "KASA_BENCH_")
