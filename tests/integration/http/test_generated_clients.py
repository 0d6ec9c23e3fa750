"""Clients generated from the APIs' own documents work: a Python client
(openapi-python-client) for each API, and a member's first day driven through the
members' one against a real `kasa serve mobile`, the list routes called without a body;
TypeScript types (openapi-typescript) for both documents."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar.testing import TestClient

from kasa.entrypoints.http.admin import create_admin_app
from kasa.entrypoints.http.mobile import create_mobile_app
from tests.integration.http.conftest import build_kasa
from tests.integration.security.test_live_limits import serve

PYTHON_GENERATOR = ["openapi-python-client==0.29.1", "python-dateutil"]
TYPESCRIPT_GENERATOR = "openapi-typescript@7.13.0"
DRIVER = Path(__file__).resolve().parents[2] / "support" / "generated_first_day.py"
MUST = os.environ.get("CI", "").lower() == "true"


def unavailable(why: str) -> None:
    if MUST:
        pytest.fail(why)
    pytest.skip(why)


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("documents")
    kasa, _ = build_kasa(folder / "kasa")
    written = {}
    for name, make in (("mobile", create_mobile_app), ("admin", create_admin_app)):
        with TestClient(make(kasa)) as client:
            written[name] = folder / f"{name}.json"
            written[name].write_text(client.get("/docs/openapi.json").text)
    kasa.adapters.database().dispose()
    return written


@pytest.fixture(scope="module")
def generator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A virtual environment of the generator's own (it is not a dependency of Kasa)."""
    venv = tmp_path_factory.mktemp("generator") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    installed = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", *PYTHON_GENERATOR],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    if installed.returncode != 0:
        unavailable(f"cannot install {PYTHON_GENERATOR[0]}: {installed.stderr[-300:]}")
    yield python


def generate(generator: Path, document: Path, out: Path) -> Path:
    made = subprocess.run(
        [
            str(generator.parent / "openapi-python-client"),
            "generate",
            "--path",
            str(document),
            "--output-path",
            str(out),
            "--overwrite",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert made.returncode == 0, made.stdout + made.stderr
    # every operation was generated: nothing was skipped for its description
    assert "Unable to" not in made.stdout and "skipping" not in made.stdout.lower(), made.stdout
    return out


def test_a_generated_python_client_drives_a_members_first_day(
    generator: Path, documents: dict[str, Path], tmp_path: Path
) -> None:
    clients = {name: generate(generator, doc, tmp_path / name) for name, doc in documents.items()}
    operations = {
        name: len(list((path).glob("*/api/*/*.py"))) - len(list(path.glob("*/api/*/__init__.py")))
        for name, path in clients.items()
    }
    assert operations["mobile"] >= 20 and operations["admin"] >= 20, operations
    env = {**os.environ, "PYTHONPATH": str(clients["mobile"])}

    def drive(*args: str) -> dict[str, object]:
        done = subprocess.run(
            [str(generator), str(DRIVER), *args],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        said: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
        return said

    with serve(tmp_path / "live") as live:
        program = live.fund.program()
        phone = "+380501239876"
        signed = drive("signup", live.base, str(live.outbox), phone, str(program))
        assert (signed["signrequest"], signed["signin"], signed["profile"]) == (200, 200, 200)
        assert program in signed["programs"]  # type: ignore[operator]
        with live.fund.uow() as uow:
            member = uow.members.by_phone(phone)
            assert member is not None and member.id is not None
        live.fund.approve(member.id)
        used = drive("requests", live.base, str(signed["token"]))
    assert used == {"request_create": 200, "requests": ["Ліки"], "charges": 0, "payments": 200}


def test_typescript_types_are_generated_for_both_documents(
    documents: dict[str, Path], tmp_path: Path
) -> None:
    npm = shutil.which("npm")
    if npm is None:
        unavailable("npm is not installed")
    assert npm is not None
    installed = subprocess.run(
        [npm, "install", "--no-audit", "--no-fund", "--silent", TYPESCRIPT_GENERATOR],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    if installed.returncode != 0:
        unavailable(f"cannot install {TYPESCRIPT_GENERATOR}: {installed.stderr[-300:]}")
    tool = tmp_path / "node_modules" / ".bin" / "openapi-typescript"
    for name, document in documents.items():
        out = tmp_path / f"{name}.d.ts"
        made = subprocess.run(
            [str(tool), str(document), "--output", str(out)],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert made.returncode == 0, made.stdout + made.stderr
        types = out.read_text()
        paths = json.loads(document.read_text())["paths"]
        assert all(f'"{path}": {{' in types for path in paths), name
        assert "export interface components" in types and "export interface operations" in types
