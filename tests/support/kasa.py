"""The application container for tests: on a given database, with the outside world
faked (unless a test points the real adapters at local stand-ins)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
from dependency_injector import providers

from kasa.adapters.monobank import MonobankGateway
from kasa.adapters.sql.database import SqlDatabase
from kasa.application.settings import FundSettings
from kasa.entrypoints.container import Kasa
from kasa.entrypoints.paths import MONOBANK_CALLBACK, PAYMENT_DONE
from kasa.entrypoints.settings import Settings
from tests.support import monobank_standin
from tests.support.fakes import Fakes

SECRET = "test-secret-0123456789-0123456789-abcdef"


def test_settings(folder: Path, fund: FundSettings | None = None, **environ: str) -> Settings:
    settings = Settings.load(
        {
            "KASA_DATA_DIR": str(folder),
            "KASA_JWT_SECRET": SECRET,
            "KASA_PUBLIC_URL": "http://mobile.test",
            "KASA_PROGRAMS_CACHE_SECONDS": "0",  # tests see every change at once
            # monobank switched on, its API a name that never resolves: a test gives it
            # the stand-in (in process, or on loopback)
            "KASA_MONOBANK_TOKEN": monobank_standin.TOKEN,
            "KASA_MONOBANK_API_URL": monobank_standin.IN_PROCESS,
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
    gateways and Diia faked unless ``real_outside`` (monobank is the real adapter
    speaking to the fakes' stand-in in process)."""
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
        adapters.liqpay.override(providers.Object(fakes.gateway))
        adapters.identity.override(providers.Object(fakes.identity))
        adapters.monobank.override(
            providers.Object(
                MonobankGateway(
                    fakes.monobank.token,
                    api_url=fakes.monobank.url,
                    webhook_url=settings.http.public_url + MONOBANK_CALLBACK,
                    redirect_url=settings.http.public_url + PAYMENT_DONE,
                    session=fakes.monobank.session(),
                )
            )
        )
    return kasa
