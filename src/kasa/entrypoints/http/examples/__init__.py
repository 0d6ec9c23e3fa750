"""The examples of each API's OpenAPI document: real answers of every route, status by
status, kept in ``<api>.json`` beside this module. They are recorded by driving the real
apps through each route's success and each error it documents (the test suite's
``tests/support/answers.py``), and a test fails when they are not what the apps answer
today. Only the 408 of a body arriving too slowly, the same on every route, is shared."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import attrs
import msgspec
from litestar import Litestar
from litestar.openapi.spec import Example, OpenAPIResponse

# "METHOD /path/{template}" → status code → the answer's JSON body
Recorded = dict[str, dict[str, Any]]
METHODS = ("get", "put", "post", "delete", "patch")


@attrs.frozen
class ExampleFiles:
    folder: Path

    def path(self, api: str) -> Path:
        return self.folder / f"{api}.json"

    def read(self, api: str) -> Recorded:
        path = self.path(api)
        if not path.exists():
            return {}
        found: Recorded = json.loads(path.read_text(encoding="utf-8"))
        return found

    def write(self, api: str, answers: Recorded) -> None:
        ordered = {key: dict(sorted(answers[key].items())) for key in sorted(answers)}
        text = json.dumps(ordered, ensure_ascii=False, indent=1, sort_keys=False)
        self.path(api).write_text(text + "\n", encoding="utf-8")


EXAMPLES = ExampleFiles(Path(__file__).parent)


def real_examples(app: Litestar, recorded: Recorded) -> None:
    """Each answer of each route documented with the route's real answer of that status."""
    if app.openapi_config is None:
        return
    for path, item in (app.openapi_schema.paths or {}).items():
        for method in METHODS:
            operation = getattr(item, method)
            if operation is None:
                continue
            answers = recorded.get(f"{method.upper()} {path}", {})
            for status, response in (operation.responses or {}).items():
                body = answers.get(status)
                media = (getattr(response, "content", None) or {}).get("application/json")
                if body is None or media is None or not isinstance(response, OpenAPIResponse):
                    continue
                media.example = None
                # as encoded JSON: the document's serialiser drops every null in a dict
                value = msgspec.Raw(msgspec.json.encode(body))
                media.examples = {"answer": Example(summary=f"A {status} answer", value=value)}
