"""What a client developer meets: errors keyed by the field in the project's words, the
API reference, and the docs pages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from kasa.entrypoints.http.admin import create_admin_app
from kasa.entrypoints.http.mobile import create_mobile_app
from tests.integration.http.conftest import MobileWorld, build_kasa


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"phone": "is required"}),
        ({"phone": 5}, {"phone": "must be text, not a whole number"}),
        (
            {"phone": "+380501112233", "create": "yes"},
            {"create": "must be true or false, not text"},
        ),
        ([], {"body": "must be a JSON object"}),
        ("+380501112233", {"body": "must be a JSON object"}),
    ],
)
def test_invalid_fields_are_named_in_the_projects_words(
    world: MobileWorld, body: Any, errors: dict[str, str]
) -> None:
    r = world.client.post("/user/signrequest", json=body)
    assert r.status_code == 400 and r.json()["errors"] == errors


@pytest.fixture(params=["mobile", "admin"])
def any_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TestClient[Any]]:
    kasa, _ = build_kasa(tmp_path)
    make = create_mobile_app if request.param == "mobile" else create_admin_app
    with TestClient(make(kasa)) as client:
        yield client
    kasa.adapters.database().dispose()


def test_the_docs_page_loads_everything_from_the_app_itself(any_app: TestClient[Any]) -> None:
    page = any_app.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    references = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
    assert {r.rsplit("/", 1)[-1] for r in references} >= {
        "swagger-ui-bundle.js",
        "swagger-ui-standalone-preset.js",
        "swagger-ui.css",
    }
    assert "://" not in page.text.split("<body")[0]  # nothing from another host
    for reference in references:
        assert reference.startswith("/docs/assets/"), reference
        asset = any_app.get(reference)
        assert asset.status_code == 200 and len(asset.content) > 1000, reference
    assert "SwaggerUIBundle" in any_app.get("/docs/assets/swagger-ui-bundle.js").text
    assert any_app.get("/docs/assets/swagger-editor.js").status_code == 404  # only the page's
    assert any_app.get("/docs/openapi.json").json()["openapi"].startswith("3.1")
