"""A worker killed (SIGKILL) at each stage of storing an upload leaves nothing behind
once `kasa sweep` has run: no partial file, no stored file that no row names; the files
rows name are untouched, and a snapshot taken before the sweep carries no unnamed file."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from kasa.adapters.files import LocalFileStore
from kasa.adapters.sql.database import SqlDatabase
from kasa.adapters.sql.migrate import upgrade
from kasa.adapters.tokens import JwtTokens
from kasa.application.ports import TokenAudience
from kasa.entrypoints.cli import main
from tests.integration.app.helpers import PDF, Fund
from tests.integration.test_cli_serve import free_port, wait_for
from tests.integration.test_many_processes import SystemClock
from tests.support import kasa as support
from tests.support.fakes import fakes

ROOT = Path(__file__).resolve().parents[2]


class Place:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.url = f"sqlite:///{folder / 'kasa.db'}"
        self.files = folder / "files"
        self.env = {
            **os.environ,
            "KASA_DATABASE_URL": self.url,
            "KASA_FILES_DIR": str(self.files),
            "KASA_DATA_DIR": str(folder / "var"),
            "KASA_JWT_SECRET": support.SECRET,
            "KASA_STALL_MARKER": str(folder / "stalled"),
            "PYTHONPATH": str(ROOT),
        }

    def on_disk(self) -> dict[str, bytes]:
        """Every file in the store (partial ones too), by its path in the store."""
        return {
            p.relative_to(self.files).as_posix(): p.read_bytes()
            for p in sorted(self.files.rglob("*"))
            if p.is_file()
        }

    def named(self) -> set[str]:
        database = SqlDatabase(self.url)
        try:
            with database.engine.connect() as connection:
                rows = connection.exec_driver_sql("SELECT stored_name FROM files")
                return {str(name) for (name,) in rows}
        finally:
            database.dispose()


@pytest.fixture
def place(tmp_path: Path) -> Iterator[Place]:
    made = Place(tmp_path)
    upgrade(made.url)
    yield made


def approved_member(place: Place) -> str:
    """An approved member (documents in the real file store) and their token."""
    settings = support.test_settings(
        place.folder / "settings", KASA_DATABASE_URL=place.url, KASA_FILES_DIR=str(place.files)
    )
    database = SqlDatabase(place.url)
    found = fakes()
    kasa = support.test_kasa(settings, database, found, files=LocalFileStore(place.files))
    fund = Fund.on(kasa, found, database)
    member = fund.approved_member(fund.program())
    database.dispose()
    return JwtTokens(support.SECRET, SystemClock()).issue(TokenAudience.MEMBER, member)


class Worker:
    """``tests.support.stalled_worker`` at one stage."""

    def __init__(self, place: Place, stage: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.marker = Path(place.env["KASA_STALL_MARKER"])
        self.marker.unlink(missing_ok=True)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.stalled_worker", stage, str(self.port)],
            env=place.env,
            cwd=place.folder,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        wait_for(f"{self.base}/health", self.process)

    def wait_stalled(self) -> None:
        deadline = time.monotonic() + 30
        while not self.marker.exists():
            assert self.process.poll() is None, self.process.stderr
            assert time.monotonic() < deadline, "the worker never reached its stage"
            time.sleep(0.05)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)


def upload(base: str, token: str, content: bytes) -> httpx.Response:
    return httpx.post(
        f"{base}/user/request/create",
        headers={"Authorization": f"Bearer {token}"},
        data={"comment": "Ліки"},
        files=[("files", ("чек.pdf", content, "application/pdf"))],
        timeout=30,
    )


def killed_midway(place: Place, token: str, stage: str, content: bytes) -> None:
    worker = Worker(place, stage)
    sent = threading.Thread(target=_quietly, args=(upload, worker.base, token, content))
    sent.start()
    worker.wait_stalled()
    worker.kill()
    sent.join(timeout=30)


def killed_while_the_body_arrives(place: Place, token: str, content: bytes) -> None:
    """Half of a multipart body sent, then the worker killed."""
    worker = Worker(place, "none")
    request = httpx.Request(
        "POST",
        f"{worker.base}/user/request/create",
        headers={"Authorization": f"Bearer {token}"},
        files=[("files", ("чек.pdf", content, "application/pdf"))],
    )
    body = request.read()
    head = "".join(f"{k}: {v}\r\n" for k, v in request.headers.items())
    with socket.create_connection(("127.0.0.1", worker.port), timeout=10) as sock:
        sock.sendall(f"POST /user/request/create HTTP/1.1\r\n{head}\r\n".encode())
        sock.sendall(body[: len(body) // 2])
        time.sleep(0.5)  # the worker is reading the body
        worker.kill()


def _quietly(*call: object) -> None:
    function, *args = call
    with contextlib.suppress(httpx.HTTPError):  # the worker was killed under it
        function(*args)  # type: ignore[operator]


def test_a_worker_killed_at_any_stage_of_an_upload_leaves_nothing_after_the_sweep(
    place: Place, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = approved_member(place)
    # one upload that went through: its file is named and must survive the sweep
    worker = Worker(place, "none")
    kept = upload(worker.base, token, PDF + b"kept" * 1000)
    assert kept.status_code == 200, kept.text
    worker.kill()
    named_before = {n: b for n, b in place.on_disk().items() if n.split("/")[-1] in place.named()}
    assert len(named_before) == 4  # three identity documents and the receipt

    killed_while_the_body_arrives(place, token, PDF + b"b" * 2_000_000)
    for stage in ("part", "renamed", "commit"):
        killed_midway(place, token, stage, PDF + stage.encode() * 200_000)

    left = place.on_disk()
    partial = [n for n in left if n.split("/")[-1].startswith(".part-")]
    unnamed = [n for n in left if n not in named_before and n not in partial]
    assert len(partial) == 1 and len(unnamed) == 2, sorted(left)  # what the kills left

    monkeypatch.setenv("KASA_DATABASE_URL", place.url)
    monkeypatch.setenv("KASA_FILES_DIR", str(place.files))
    monkeypatch.setenv("KASA_DATA_DIR", str(place.folder / "var"))
    runner = CliRunner()
    made = runner.invoke(main, ["backup", "create", str(tmp_path / "snap")])
    assert made.exit_code == 0, made.output
    manifest = json.loads((tmp_path / "snap" / "manifest.json").read_text())
    assert sorted(manifest["files"]) == sorted(named_before)  # no unnamed file carried

    dry = runner.invoke(main, ["sweep", "--older-than", "0", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "partial files: would remove 1" in dry.output
    assert "files no row names: would remove 2" in dry.output
    assert place.on_disk() == left  # a dry run removes nothing
    young = runner.invoke(main, ["sweep"])  # the default hour: all of them are younger
    assert "partial files: removed 0" in young.output and place.on_disk() == left

    swept = runner.invoke(main, ["sweep", "--older-than", "0"])
    assert swept.exit_code == 0, swept.output
    assert "partial files: removed 1" in swept.output
    assert "files no row names: removed 2" in swept.output
    assert place.on_disk() == named_before  # named files untouched, byte for byte
