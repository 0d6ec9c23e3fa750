"""What a client developer meets: errors keyed by the field in the project's words, the
API reference, and the docs pages."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.http.conftest import MobileWorld


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
