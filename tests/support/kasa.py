"""The application container for tests: on a given database, with the outside world
faked (unless a test points the real adapters at local stand-ins)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
from dependency_injector import providers

from kasa.adapters.sql.database import SqlDatabase
from kasa.application.settings import FundSettings
from kasa.entrypoints.container import Kasa
from kasa.entrypoints.settings import Settings
from tests.support.fakes import Fakes

SECRET = "test-secret-0123456789-0123456789-abcdef"


def test_settings(folder: Path, fund: FundSettings | None = None, **environ: str) -> Settings:
    settings = Settings.load(
        {
            "KASA_DATA_DIR": str(folder),
            "KASA_JWT_SECRET": SECRET,
            "KASA_PUBLIC_URL": "http://mobile.test",
            "KASA_PROGRAMS_CACHE_SECONDS": "0",  # tests see every change at once
            **environ,
        },
        dotenv=folder / "none.env",
    )
    return settings if fund is None else attrs.evolve(settings, fund=fund)


def test_kasa(
    settings: Settings,
    database: SqlDatabase,
    fakes: Fakes,
    *,
    files: Any = None,
    real_outside: bool = False,
) -> Kasa:
    """The container with the database and fakes of SMS, codes, clock and passwords; the
    gateway and Diia faked unless ``real_outside``."""
    kasa = Kasa(settings=settings)
    adapters = kasa.adapters
    adapters.database.override(providers.Object(database))
    adapters.clock.override(providers.Object(fakes.clock))
    adapters.random.override(providers.Object(fakes.random))
    adapters.sms.override(providers.Object(fakes.sms))
    adapters.passwords.override(providers.Object(fakes.passwords))
    adapters.files.override(providers.Object(files if files is not None else fakes.files))
    adapters.push.override(providers.Object(fakes.push))
    if not real_outside:
        adapters.gateway.override(providers.Object(fakes.gateway))
        adapters.identity.override(providers.Object(fakes.identity))
    return kasa
