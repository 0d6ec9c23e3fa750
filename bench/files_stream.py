"""A 100 MB receipt up through the members' API and back down, on the local folder and
on an S3 store (a private SeaweedFS), against a real `kasa serve mobile` (one worker):
the time each way and how much the worker's peak resident memory grew.

    python -m bench.files_stream [--megabytes 100]

A benchmark, not a test: it prints the figures and never fails on them.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import click
import requests
from rich.console import Console
from tests.integration.app.helpers import Fund
from tests.support.fakes import fakes
from tests.support.kasa import test_kasa, test_settings
from tests.support.seaweed import ACCESS_KEY, SECRET_KEY, SeaweedServer

from bench.run import SECRET
from kasa.adapters.files import LocalFileStore
from kasa.adapters.s3 import PART_BYTES, S3FileStore
from kasa.adapters.sql.database import SqlDatabase
from kasa.adapters.sql.migrate import upgrade
from kasa.adapters.system import SystemClock
from kasa.adapters.tokens import JwtTokens
from kasa.application.ports import TokenAudience

console = Console()
MIB = 1024 * 1024


def peak_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    found = re.search(r"VmHWM:\s+(\d+) kB", status)
    return int(found.group(1)) / 1024 if found else float("nan")


def member(folder: Path, environ: dict[str, str]) -> int:
    """An approved member in the fund's database (made through the use cases)."""
    settings = test_settings(folder, None, **environ)
    upgrade(settings.database.url)
    found = fakes()
    database = SqlDatabase(settings.database.url)
    store: object = (
        LocalFileStore(settings.files.folder)
        if environ["KASA_FILE_STORE"] == "local"
        else S3FileStore(
            environ["KASA_S3_BUCKET"],
            endpoint=environ["KASA_S3_ENDPOINT"],
            access_key=ACCESS_KEY,
            secret_key=SECRET_KEY,
        )
    )
    fund = Fund.on(test_kasa(settings, database, found, files=store), found, database)
    member_id = fund.approved_member()
    database.dispose()
    return member_id


def body(megabytes: int) -> Iterator[bytes]:
    block = os.urandom(MIB)
    yield b"%PDF-1.7\n"
    for _ in range(megabytes):
        yield block


def run(kind: str, folder: Path, seaweed: SeaweedServer, megabytes: int) -> tuple[float, ...]:
    environ = {
        "KASA_FILE_STORE": kind,
        "KASA_MAX_UPLOAD_MB": str(megabytes + 10),
        "KASA_MEMBER_STORAGE_MB": str(megabytes * 3 + 10),
    }
    if kind == "s3":
        environ |= {
            "KASA_S3_ENDPOINT": seaweed.endpoint,
            "KASA_S3_BUCKET": seaweed.bucket(),
            "KASA_S3_ACCESS_KEY": ACCESS_KEY,
            "KASA_S3_SECRET_KEY": SECRET_KEY,
        }
    data = folder / kind
    member_id = member(data, environ)
    port = 28000 + (os.getpid() % 1000)
    env = {
        **os.environ,
        **environ,
        "KASA_DATA_DIR": str(data),
        "KASA_JWT_SECRET": SECRET,
        "KASA_SMS_BACKEND": "console",
    }
    server = subprocess.Popen(  # noqa: S603 - our own command
        [sys.executable, "-m", "kasa.entrypoints.cli", "serve", "mobile", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{base}/health/live", timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                raise click.ClickException("kasa serve mobile did not start")
            time.sleep(0.2)
        token = JwtTokens(SECRET, SystemClock()).issue(TokenAudience.MEMBER, member_id)
        headers = {"Authorization": f"Bearer {token}"}
        # warm: the store's client made and used once (botocore loads its service
        # models on first use), so the figure is what a large file adds
        warm = requests.post(
            f"{base}/user/request/create",
            headers=headers,
            files={"files": ("warm.pdf", _Reader(body(1)), "application/pdf")},
            timeout=60,
        )
        if warm.status_code != 200:
            raise click.ClickException(f"warm-up: {warm.status_code} {warm.text[:300]}")
        before = peak_mb(server.pid)
        started = time.perf_counter()
        sent = requests.post(
            f"{base}/user/request/create",
            headers=headers,
            files={"files": ("receipt.pdf", _Reader(body(megabytes)), "application/pdf")},
            timeout=600,
        )
        up = time.perf_counter() - started
        if sent.status_code != 200:
            raise click.ClickException(f"upload: {sent.status_code} {sent.text[:300]}")
        after_up = peak_mb(server.pid)
        link = _first_link(sent.json())
        started = time.perf_counter()
        got = 0
        with requests.get(link, headers=headers, stream=True, timeout=600) as answer:
            for chunk in answer.iter_content(MIB):
                got += len(chunk)
        down = time.perf_counter() - started
        after_down = peak_mb(server.pid)
        return up, down, after_up - before, after_down - before, got / MIB
    finally:
        server.terminate()
        server.wait(timeout=20)


def _first_link(found: object) -> str:
    """The first URL of a stored file anywhere in an answer."""
    text = str(found)
    match = re.search(r"https?://[^'\" ]+/files/\d+/[^'\" ]+", text)
    if match is None:
        raise click.ClickException(f"no file link in the answer: {text[:300]}")
    return match.group(0)


class _Reader:
    """A file-like over generated bytes, so the client streams them too."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.chunks, self.left = chunks, b""

    def read(self, n: int = -1) -> bytes:
        while n < 0 or len(self.left) < n:
            try:
                self.left += next(self.chunks)
            except StopIteration:
                break
        if n < 0:
            out, self.left = self.left, b""
        else:
            out, self.left = self.left[:n], self.left[n:]
        return out


@click.command()
@click.option("--megabytes", type=click.IntRange(1, 1000), default=100, show_default=True)
def main(megabytes: int) -> None:
    seaweed = SeaweedServer.start()
    try:
        with tempfile.TemporaryDirectory(prefix="kasa-bench-files-") as name:
            figures = {kind: run(kind, Path(name), seaweed, megabytes) for kind in ("local", "s3")}
    finally:
        seaweed.stop()
    for kind, (up, down, grew_up, grew_down, got) in figures.items():
        console.print(
            f"{kind}: {megabytes} MB up in {up:.2f} s ({megabytes / up:.0f} MB/s), "
            f"{got:.0f} MB down in {down:.2f} s ({got / down:.0f} MB/s); the worker's peak "
            f"memory grew {grew_up:.0f} MB uploading, {grew_down:.0f} MB in all"
        )
    local, s3 = figures["local"], figures["s3"]
    console.print(
        f"s3 against local: upload {local[0] / s3[0]:.0%} of local's speed, download "
        f"{local[1] / s3[1]:.0%}; bound for the s3 worker: one part "
        f"({PART_BYTES // MIB} MB) + 16 MB"
    )


if __name__ == "__main__":
    main()
