"""Settings, read once from the environment (and an optional ``.env`` file, read with
python-dotenv); every one has a safe default for development. Each setting is declared
once, in its section (``sections.py``); the README's table is made from them
(``kasa settings --table``)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs
import sqlalchemy as sa
from dotenv import dotenv_values

from kasa.adapters.private import private_folder
from kasa.application.settings import FundSettings
from kasa.domain.errors import InvalidInput
from kasa.domain.signin import SignInPolicy
from kasa.entrypoints.settings.declaring import Setting, declared, load_section, section_problems
from kasa.entrypoints.settings.sections import (
    GATEWAY_NAMES,
    KNOWN_PREFIXES,
    SECTIONS,
    Backup,
    CommandLine,
    Database,
    Diia,
    Files,
    Gateways,
    Http,
    LiqPay,
    Monobank,
    Notifications,
    Office,
    Process,
    Rules,
    Runtime,
    SignIn,
    Sms,
    Tokens,
)


def read_dotenv(path: Path) -> dict[str, str]:
    """A ``.env`` file's variables (none when it does not exist)."""
    if not path.is_file():
        return {}
    return {key: value or "" for key, value in dotenv_values(path).items()}


def every_setting() -> Iterator[tuple[str, Setting]]:
    """Each declared setting with the title of its section, in the README's order."""
    for _, title, section in SECTIONS:
        for _, declaration in declared(section):
            yield title, declaration


KNOWN_VARIABLES = frozenset(declaration.name for _, declaration in every_setting())


def unknown_variables(env: Mapping[str, str]) -> tuple[str, ...]:
    """``KASA_*`` variables no setting declares (a typo such as ``KASA_SMS_BACKEN``)."""
    return tuple(
        sorted(
            name
            for name in env
            if name.startswith("KASA_")
            and name not in KNOWN_VARIABLES
            and not name.startswith(KNOWN_PREFIXES)
        )
    )


def fund_rules(
    sign_in: SignIn, files: Files, sms: Sms, rules: Rules, notifications: Notifications
) -> FundSettings:
    """The fund's rules as the use cases see them."""
    return FundSettings(
        sign_in=SignInPolicy(
            code_ttl_seconds=sign_in.code_ttl_seconds,
            max_attempts=sign_in.max_attempts,
            daily_limit=sign_in.phone_daily_cap,
            resend_seconds=sign_in.resend_seconds,
        ),
        grace_days=rules.grace_days,
        reminder_days=rules.reminder_days,
        four_eyes_threshold=rules.four_eyes_threshold,
        max_upload_bytes=files.max_upload_bytes,
        max_files_per_upload=files.max_files,
        member_storage_bytes=files.member_storage_bytes,
        sms_countries=sms.countries,
        code_requests_per_address_hourly=sign_in.address_hourly,
        codes_per_phone_and_address_daily=sign_in.phone_and_address_daily,
        request_messages_daily=rules.request_messages_daily,
        open_requests_max=rules.open_requests_max,
        checkout_expiry_seconds=rules.checkout_expiry_seconds,
        quiet_hours=notifications.quiet_hours,
        sms_daily_limit=notifications.sms_daily_limit,
    )


@attrs.frozen
class Settings:
    runtime: Runtime
    process: Process
    database: Database
    files: Files
    tokens: Tokens
    backup: Backup
    sms: Sms
    sign_in: SignIn
    liqpay: LiqPay
    monobank: Monobank
    gateways: Gateways
    diia: Diia
    rules: Rules
    http: Http
    notifications: Notifications
    office: Office
    command_line: CommandLine
    # the fund's rules as the use cases take them, made from the sections above
    fund: FundSettings
    unknown_variables: tuple[str, ...] = ()

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None, dotenv: Path | None = None) -> Settings:
        env = {
            **read_dotenv(dotenv or Path(".env")),
            **(environ if environ is not None else os.environ),
        }
        loaded: dict[str, Any] = {}
        sections = {name: load_section(kind, env, loaded) for name, _, kind in SECTIONS}
        fund = fund_rules(
            sections["sign_in"],
            sections["files"],
            sections["sms"],
            sections["rules"],
            sections["notifications"],
        )
        return cls(**sections, fund=fund, unknown_variables=unknown_variables(env))

    # -- what several parts ask ----------------------------------------------------------
    @property
    def env(self) -> str:
        return self.runtime.env

    @property
    def data_dir(self) -> Path:
        return self.runtime.data_dir

    @property
    def safe_database_url(self) -> str:
        """The database URL with any password hidden, for messages and logs."""
        return sa.engine.make_url(self.database.url).render_as_string(hide_password=True)

    def secret(self) -> str:
        """The token signing key: ``KASA_JWT_SECRET``, or outside production one generated
        once into the data folder (shared by every process using that folder)."""
        return self.tokens.secret or self._generated("secret.key")

    def snapshot_key(self) -> bytes:
        """The key that signs snapshots' manifests: ``KASA_BACKUP_KEY``, or outside
        production one generated once into the data folder. A snapshot never holds it."""
        return (self.backup.key or self._generated("backup.key")).encode()

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

    # -- what keeps it from running --------------------------------------------------------
    def problems(self) -> list[str]:
        """What keeps this configuration from running: anywhere, a Twilio backend without
        its account, a gateway, or Diia, with only some of its settings, a gateway switched
        on without them; in production, what each setting's declaration refuses there
        (missing or weak secrets, development-only backends, plain-HTTP addresses, the
        LiqPay sandbox; a gateway switched off is not asked)."""
        production = self.env == "production"
        switched_on = self.gateways.names
        found = [
            *self.database.problems(),
            *self.files.problems(),
            *self.sms.problems(),
            *self.liqpay.problems(),
            *self.monobank.problems("monobank" in switched_on),
            *self.diia.problems(production),
            *self.notifications.problems(),
        ]
        if production:
            for name, _, _ in SECTIONS:
                if name in GATEWAY_NAMES and name not in switched_on:
                    continue  # a gateway switched off needs nothing
                found.extend(section_problems(getattr(self, name)))
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


def effective(settings: Settings, environ: Mapping[str, str]) -> Iterator[tuple[str, str, str]]:
    """Each setting's variable, its value as in effect (secrets hidden) and where it
    comes from (``set``, or ``default``)."""
    for attribute, _, section in SECTIONS:
        values = getattr(settings, attribute)
        for field, declaration in declared(section):
            value = getattr(values, field)
            given = bool(environ.get(declaration.name, "").strip())
            if declaration.secret:
                shown = "(hidden)" if value else "(not set)"
            else:
                shown = declaration.kind.text(value) or "(empty)"
            yield declaration.name, shown, "set" if given else "default"


def settings_table() -> str:
    """The README's settings table, made from the declarations."""
    lines = [
        "| setting | default | in production | what |",
        "|---|---|---|---|",
    ]
    title = ""
    for section_title, declaration in every_setting():
        if section_title != title:
            title = section_title
            lines.append(f"| **{title}** | | | |")
        production = ", ".join(rule.shown for rule in declaration.production)
        lines.append(
            f"| `{declaration.name}` | {declaration.shown} | {production} | {declaration.about} |"
        )
    return "\n".join(lines) + "\n"


__all__ = [
    "KNOWN_VARIABLES",
    "Settings",
    "effective",
    "read_dotenv",
    "settings_table",
    "unknown_variables",
]
