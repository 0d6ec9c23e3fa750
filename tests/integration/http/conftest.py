"""The mobile app on SQLite and a local file store, with the outside world faked
(SMS, gateway, Diia) and the fakes' clock driving time."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs
import httpx
import jsonschema_rs
import pytest
from litestar.testing import TestClient

from kasa.adapters.files import LocalFileStore
from kasa.adapters.sql.database import SqlDatabase
from kasa.adapters.sql.migrate import upgrade
from kasa.adapters.tokens import JwtTokens
from kasa.application.ports import TokenAudience
from kasa.entrypoints.container import Kasa
from kasa.entrypoints.http.mobile import create_mobile_app
from kasa.entrypoints.settings import Settings
from tests.integration.app.helpers import Fund
from tests.support.fakes import Fakes, fakes
from tests.support.kasa import test_kasa, test_settings


class DocumentedClient(TestClient[Any]):
    """A test client that holds every answer to the app's own OpenAPI document: its
    status code is one documented for the route, and a JSON body conforms to the schema
    documented for that status code."""

    def __enter__(self) -> DocumentedClient:
        super().__enter__()
        self.routes: list[tuple[re.Pattern[str], dict[str, Any]]] = []
        document = self.get("/docs/openapi.json").json()
        self.components = {"components": document.get("components", {})}
        self.routes = [
            (re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$"), operations)
            for path, operations in document["paths"].items()
        ]
        return self

    def request(self, method: str, url: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().request(method, url, *args, **kwargs)
        self.check(method, httpx.URL(str(url)).path, response)
        return response

    def check(self, method: str, path: str, response: Any) -> None:
        found = [ops for pattern, ops in self.routes if pattern.match(path)]
        operation = next((ops[method.lower()] for ops in found if method.lower() in ops), None)
        if operation is None:
            return  # not a documented route (404 for an unknown path, /docs itself)
        documented = operation.get("responses", {})
        status = str(response.status_code)
        assert status in documented, f"{method} {path}: {status} is not documented"
        content = documented[status].get("content", {})
        media = response.headers.get("content-type", "").split(";")[0]
        schema = content.get(media, {}).get("schema")
        if media == "application/json" and schema is not None:
            validator = jsonschema_rs.validator_for({**schema, **self.components})
            errors = [e.message for e in validator.iter_errors(response.json())]
            assert not errors, f"{method} {path} {status}: {errors[:3]}"


@attrs.define
class MobileWorld:
    client: TestClient[Any]
    kasa: Kasa
    fund: Fund
    fakes: Fakes
    settings: Settings

    def sign_up(self, phone: str) -> tuple[int, dict[str, str]]:
        self.client.post("/user/signrequest", json={"phone": phone, "create": True})
        code = self.fakes.sms.last_code(phone)
        token = self.client.post("/user/signin", json={"phone": phone, "code": code}).json()
        tokens: JwtTokens = self.kasa.adapters.tokens()
        member_id = tokens.claims(token["access_token"], TokenAudience.MEMBER)[0]
        return member_id, {"Authorization": f"Bearer {token['access_token']}"}


def build_kasa(tmp_path: Path, *, real_outside: bool = False, **environ: str) -> tuple[Kasa, Fakes]:
    """The container on SQLite and a local file store; the outside world (SMS, gateway,
    Diia) is faked unless ``real_outside``, when the real adapters talk to whatever the
    environment points them at (local stand-ins in tests)."""
    settings = test_settings(tmp_path / "data", None, **environ)
    upgrade(settings.database.url)
    found = fakes()
    database = SqlDatabase(settings.database.url)
    files = LocalFileStore(settings.files.folder)
    kasa = test_kasa(settings, database, found, files=files, real_outside=real_outside)
    return kasa, found


@contextmanager
def mobile_world(tmp_path: Path, **environ: str) -> Iterator[MobileWorld]:
    """The mobile app on SQLite with the outside world faked, on these settings."""
    kasa, fakes = build_kasa(tmp_path, **environ)
    fund = Fund.on(kasa, fakes, kasa.adapters.database())
    with DocumentedClient(create_mobile_app(kasa)) as client:
        yield MobileWorld(client, kasa, fund, fakes, kasa.settings())
    kasa.adapters.database().dispose()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[MobileWorld]:
    with mobile_world(tmp_path) as ready:
        yield ready
