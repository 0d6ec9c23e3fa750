"""How the apps are put together: only Litestar's public API, handlers given their use
cases straight (no dependency Litestar resolves per request), OPTIONS for every path."""

from __future__ import annotations

import ast
import asyncio
import inspect
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from litestar.di import NamedDependency
from litestar.handlers import HTTPRouteHandler

from kasa.entrypoints.http.admin import create_admin_app
from kasa.entrypoints.http.auth import SUBJECT
from kasa.entrypoints.http.dependencies import given_straight
from kasa.entrypoints.http.mobile import create_mobile_app
from tests.integration.http.conftest import build_kasa

SOURCE = Path(__file__).resolve().parents[3] / "src" / "kasa"


def test_no_module_reaches_into_litestars_private_modules() -> None:
    found = []
    for path in SOURCE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                parts = name.split(".")
                if parts[0] == "litestar" and any(p.startswith("_") for p in parts[1:]):
                    found.append(f"{path.relative_to(SOURCE)}: {name}")
    assert found == []


async def profile(
    member_id: NamedDependency[int], profiles: NamedDependency[str], page: int = 1
) -> tuple[int, str, int]:
    return member_id, profiles, page


def test_a_handler_is_given_its_named_dependencies_from_the_app_and_the_token_check() -> None:
    handler = given_straight(profile)
    assert list(inspect.signature(handler).parameters) == ["page", "request"]
    assert set(handler.__annotations__) == {"page", "request", "return"}
    request = SimpleNamespace(
        app=SimpleNamespace(state=SimpleNamespace(given={"profiles": "P"}, subject="member_id")),
        scope={"state": {SUBJECT: 7}},
    )
    assert asyncio.run(handler(page=2, request=request)) == (7, "P", 2)
    assert given_straight(len) is len  # nothing named: the function itself


@pytest.mark.parametrize("make", [create_mobile_app, create_admin_app])
def test_no_handler_has_a_dependency_litestar_resolves(make: Any, tmp_path: Path) -> None:
    kasa, _ = build_kasa(tmp_path)
    app = make(kasa)
    handlers = [
        handler
        for route in app.routes
        for handler in getattr(route, "route_handlers", [])
        if isinstance(handler, HTTPRouteHandler)
    ]
    assert len(handlers) > 30
    with_dependencies = [h.handler_name for h in handlers if h.resolve_dependencies()]
    assert with_dependencies == []
    kasa.adapters.database().dispose()
