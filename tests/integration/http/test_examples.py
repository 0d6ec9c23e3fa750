"""The examples in both OpenAPI documents are the apps' real answers: every route, every
status it documents, recorded by driving the real apps (tests/support/answers.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from kasa.entrypoints.http.admin import create_admin_app
from kasa.entrypoints.http.errors import SHARED_EXAMPLES
from kasa.entrypoints.http.examples import EXAMPLES
from kasa.entrypoints.http.mobile import create_mobile_app
from tests.integration.http.conftest import build_kasa
from tests.support.answers import record

REGENERATE = "python -m tests.support.answers --write"


def differences(kept: dict[str, Any], now: dict[str, Any]) -> list[str]:
    found = []
    for key in sorted(set(kept) | set(now)):
        for status in sorted(set(kept.get(key, {})) | set(now.get(key, {}))):
            if kept.get(key, {}).get(status) != now.get(key, {}).get(status):
                found.append(f"{key} {status}")
    return found


def test_the_kept_examples_are_what_the_apps_answer_today(tmp_path: Path) -> None:
    recorded = record(tmp_path)
    for api in ("mobile", "admin"):
        changed = differences(EXAMPLES.read(api), recorded[api])
        assert not changed, f"{api}: answers changed ({REGENERATE}): {changed[:10]}"


@pytest.mark.parametrize("api", ["mobile", "admin"])
def test_every_documented_answer_carries_the_routes_real_example(tmp_path: Path, api: str) -> None:
    kasa, _ = build_kasa(tmp_path)
    make = create_mobile_app if api == "mobile" else create_admin_app
    with TestClient(make(kasa)) as client:
        document = client.get("/docs/openapi.json").json()
    kept = EXAMPLES.read(api)
    missing, checked = [], 0
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            key = f"{method.upper()} {path}"
            for status, answer in operation["responses"].items():
                media = answer.get("content", {}).get("application/json")
                if media is None:
                    continue  # a file, a CSV: no JSON to show
                examples = [e["value"] for e in media.get("examples", {}).values()]
                if status == "408":
                    assert examples == [SHARED_EXAMPLES[408]], key
                    continue
                if status not in kept.get(key, {}):
                    missing.append(f"{key} {status}")
                    continue
                assert examples == [kept[key][status]], f"{key} {status}: {examples}"
                checked += 1
            for status in kept.get(key, {}):
                assert status in operation["responses"], f"{key} answers {status} undocumented"
    assert not missing, f"documented, never answered in the story: {missing}"
    assert checked > 100
    kasa.adapters.database().dispose()
