"""Against a real `kasa serve mobile` process on loopback: bodies far over a route's limit
(with a Content-Length, and chunked without one) are refused without the worker growing,
a full-size upload and its download stay within one file's limit plus 16 MB of resident
memory, and a made-up X-Forwarded-For moves no throttle unless it comes from a trusted
proxy."""

from __future__ import annotations

import os
import select
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import attrs
import pytest
import requests

from kasa.adapters.sql.database import SqlDatabase
from kasa.adapters.sql.migrate import upgrade
from kasa.adapters.tokens import JwtTokens
from kasa.application.ports import TokenAudience
from kasa.domain.files import FileKind
from tests.integration.app.helpers import IBAN, JPEG, Fund
from tests.integration.test_cli_serve import free_port, wait_for
from tests.integration.test_many_processes import SystemClock
from tests.support.outbox import code_in

MIB = 1024 * 1024
FILE_LIMIT_MB = 10
GROWTH_BOUND = (FILE_LIMIT_MB + 16) * MIB  # one file's limit plus 16 MB
HUGE = 200 * MIB
HALF_A_FILE = FILE_LIMIT_MB * MIB // 2
LIVE_SECRET = "live-" + "0123456789abcdefghij" * 2


@attrs.define
class Live:
    base: str
    port: int
    pid: int
    outbox: Path
    fund: Fund
    folder: Path

    def sign_up(self, phone: str, **headers: str) -> dict[str, str]:
        r = requests.post(
            f"{self.base}/user/signrequest",
            json={"phone": phone, "create": True},
            headers=headers,
            timeout=10,
        )
        assert r.status_code == 200, r.text
        r = requests.post(
            f"{self.base}/user/signin",
            json={"phone": phone, "code": code_in([self.outbox], phone)},
            timeout=10,
        )
        return {"Authorization": f"Bearer {r.json()['access_token']}"}


@attrs.define
class RssWatch:
    """Samples a process's resident memory every few milliseconds and keeps the most."""

    pid: int
    most: int = 0
    running: bool = True
    thread: threading.Thread | None = None

    def rss(self) -> int:
        with open(f"/proc/{self.pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return 0

    def __enter__(self) -> RssWatch:
        self.most = self.rss()
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()
        return self

    def _watch(self) -> None:
        while self.running:
            self.most = max(self.most, self.rss())
            time.sleep(0.005)

    def __exit__(self, *_: object) -> None:
        self.running = False
        assert self.thread is not None
        self.thread.join()
        self.most = max(self.most, self.rss())


@contextmanager
def serve(tmp_path: Path, **settings: str) -> Iterator[Live]:
    """`kasa serve mobile` on SQLite in a folder of the test, SMS to an outbox file."""
    data = tmp_path / "var"
    env = {
        **os.environ,
        "KASA_DATA_DIR": str(data),
        "KASA_SMS_BACKEND": "outbox",
        "KASA_JWT_SECRET": LIVE_SECRET,
        "KASA_MAX_UPLOAD_MB": str(FILE_LIMIT_MB),
        "KASA_OTP_RESEND_SECONDS": "0",
        **settings,
    }
    env.pop("KASA_DATABASE_URL", None)
    url = f"sqlite:///{data / 'kasa.db'}"
    upgrade(url)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "kasa.entrypoints.cli", "serve", "mobile", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    database = SqlDatabase(url)
    fund = Fund.build(database=database)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/health/live", process)
        yield Live(base, port, process.pid, data / "sms-outbox.jsonl", fund, tmp_path)
    finally:
        process.terminate()
        process.wait(timeout=30)
        database.dispose()


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    with serve(tmp_path) as ready:
        yield ready


def push(port: int, path: str, size: int, *, chunked: bool) -> tuple[int, int]:
    """POST ``size`` bytes of JSON-ish junk, a 64 KiB block at a time, stopping as soon
    as the server answers; the answer's status and how much was sent."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=20)
    head = f"POST {path} HTTP/1.1\r\nHost: kasa.test\r\nContent-Type: application/json\r\n"
    head += "Transfer-Encoding: chunked\r\n" if chunked else f"Content-Length: {size}\r\n"
    block = b"[" * 65536
    sent = 0
    try:
        sock.sendall(head.encode() + b"\r\n")
        while sent < size:
            if select.select([sock], [], [], 0)[0]:
                break  # the server has answered (or hung up)
            framed = f"{len(block):x}\r\n".encode() + block + b"\r\n" if chunked else block
            sock.sendall(framed)
            sent += len(block)
    except (BrokenPipeError, ConnectionResetError):
        pass
    answer = b""
    try:
        while b"\r\n" not in answer:
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
    except (ConnectionResetError, TimeoutError):
        pass
    finally:
        sock.close()
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else 0
    return status, sent


def warm_up(live: Live, headers: dict[str, str]) -> None:
    """Load what the routes below use, so their first use is not counted as growth."""
    for _ in range(3):
        requests.get(f"{live.base}/program/list", timeout=10)
        push(live.port, "/user/signin", 1024, chunked=False)
        requests.post(
            f"{live.base}/user/profile/edit",
            headers=headers,
            files=[("photo", ("me.jpg", JPEG + b"\x00" * 300_000, "image/jpeg"))],
            timeout=30,
        )


def test_bodies_far_over_the_limit_are_refused_before_they_are_read(live: Live) -> None:
    warm_up(live, live.sign_up("+380501110000"))
    routes = ["/user/payments/liqpay-callback", "/user/signin", "/user/signrequest"]
    with RssWatch(live.pid) as watch:
        before = watch.most
        for path in routes:
            for chunked in (False, True):
                status, sent = push(live.port, path, HUGE, chunked=chunked)
                assert status == 413, (path, chunked, status)
                assert sent < HUGE // 4, (path, chunked, sent)  # cut off long before the end
        # four at once
        results: list[tuple[int, int]] = []
        threads = [
            threading.Thread(
                target=lambda c=chunked: results.append(
                    push(live.port, "/user/payments/liqpay-callback", HUGE, chunked=c)
                )
            )
            for chunked in (False, True, False, True)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert [status for status, _ in results] == [413] * 4
    growth = watch.most - before
    print(f"refusing {len(routes) * 2 + 4} bodies of 200 MB: the worker grew {growth / MIB:.1f} MB")
    assert growth < GROWTH_BOUND
    assert requests.get(f"{live.base}/health", timeout=10).status_code == 200


def test_a_full_size_upload_and_its_download_stay_within_one_file_and_16_mb(live: Live) -> None:
    headers = live.sign_up("+380501110001")
    warm_up(live, headers)
    photo = JPEG + os.urandom(FILE_LIMIT_MB * MIB - len(JPEG))  # exactly the limit
    with RssWatch(live.pid) as watch:
        before = watch.most
        r = requests.post(
            f"{live.base}/user/profile/edit",
            headers=headers,
            files=[("photo", ("full.jpg", photo, "image/jpeg"))],
            timeout=60,
        )
        assert r.status_code == 200, r.text
    upload_growth = watch.most - before
    over = requests.post(
        f"{live.base}/user/profile/edit",
        headers=headers,
        files=[("photo", ("over.jpg", photo + b"\x00", "image/jpeg"))],
        timeout=60,
    )
    assert over.status_code == 413
    # a member's photo is served once the profile is approved
    program_id = live.fund.program()
    form = {
        "first_name": "Олена",
        "last_name": "Коваль",
        "email": "o@kasa.test",
        "program_id": str(program_id),
        "iban": IBAN,
    }
    files = [(f, (f"{f}.jpg", JPEG + f.encode(), "image/jpeg")) for f in ("inn", "id_1", "id_2")]
    r = requests.post(
        f"{live.base}/user/profile/create", data=form, files=files, headers=headers, timeout=30
    )
    assert r.status_code == 200, r.text
    with live.fund.uow() as uow:
        member = uow.members.by_phone("+380501110001")
    assert member is not None and member.id is not None
    live.fund.approve(member.id)
    url = requests.get(f"{live.base}/user/profile/get", headers=headers, timeout=10).json()["photo"]
    path = url.split("/files/", 1)[1]
    with RssWatch(live.pid) as watch:
        before = watch.most
        with requests.get(
            f"{live.base}/files/{path}", headers=headers, stream=True, timeout=60
        ) as download:
            assert download.status_code == 200
            assert download.headers["content-length"] == str(len(photo))
            got = b"".join(download.iter_content(256 * 1024))
    download_growth = watch.most - before
    assert got == photo
    print(
        f"a {FILE_LIMIT_MB} MB upload grew the worker {upload_growth / MIB:.1f} MB, "
        f"its download {download_growth / MIB:.1f} MB"
    )
    # within the bound, and far from holding the file whole (reading the file into memory
    # grew the worker by 10.3 MB for the upload and 11.5 MB for the download)
    assert upload_growth < GROWTH_BOUND and upload_growth < HALF_A_FILE
    assert download_growth < HALF_A_FILE


def test_a_made_up_forwarded_for_moves_no_throttle(tmp_path: Path) -> None:
    with serve(tmp_path / "plain") as live:
        for n in range(10):
            r = requests.post(
                f"{live.base}/user/signrequest",
                json={"phone": f"+38067{n:07d}", "create": True},
                headers={"X-Forwarded-For": f"198.51.100.{n}"},
                timeout=10,
            )
            assert r.status_code == 200, r.text
        r = requests.post(
            f"{live.base}/user/signrequest",
            json={"phone": "+380689999999", "create": True},
            headers={"X-Forwarded-For": "203.0.113.250"},
            timeout=10,
        )
        assert r.status_code == 429  # the header is ignored: the client is 127.0.0.1


def test_behind_a_trusted_proxy_the_forwarded_client_is_throttled(tmp_path: Path) -> None:
    with serve(tmp_path / "proxied", KASA_TRUSTED_PROXIES="127.0.0.1") as live:
        base = live.base

        def ask(n: int, forwarded: str) -> int:
            return requests.post(
                f"{base}/user/signrequest",
                json={"phone": f"+38067{n:07d}", "create": True},
                headers={"X-Forwarded-For": forwarded},
                timeout=10,
            ).status_code

        assert [ask(n, "203.0.113.7") for n in range(10)] == [200] * 10
        assert ask(10, "203.0.113.7") == 429
        # another client behind the same proxy is not held up; what a client writes to
        # the left of the proxy's own entry is never read
        assert ask(11, "203.0.113.8") == 200
        assert ask(12, "198.51.100.1, 203.0.113.7") == 429


def trickle(port: int, path: str, headers: dict[str, str], seconds: float) -> tuple[str, float]:
    """A multipart upload of 150 MB announced, its body sent a few bytes a second; the
    status line of the answer and when it came (or "" if none came in ``seconds``)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=seconds + 5)
    boundary = "trickle"
    head = (
        f"POST {path} HTTP/1.1\r\nHost: kasa.test\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {150 * MIB}\r\n"
        + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        + "\r\n"
    )
    start = time.monotonic()
    try:
        sock.sendall(head.encode())
        sock.sendall(
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; '
            'filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'.encode()
        )
        while time.monotonic() - start < seconds:
            if select.select([sock], [], [], 1.0)[0]:
                answer = sock.recv(4096).decode(errors="replace")
                return answer.split("\r\n", 1)[0], time.monotonic() - start
            sock.sendall(b"\xff")
    finally:
        sock.close()
    return "", time.monotonic() - start


def test_a_body_that_trickles_in_is_cut_off_and_nothing_is_kept(live: Live) -> None:
    """One byte a second keeps no upload open: a stranger without a token is answered
    401 at once (the token is checked before the body is read), a member's trickle is
    cut off (408) once a 10-second window has passed, and nothing is stored."""
    stranger, took = trickle(live.port, "/user/request/create", {}, 15)
    assert stranger.startswith("HTTP/1.1 401") and took < 3, (stranger, took)
    member_id = live.fund.approved_member()
    token = JwtTokens(LIVE_SECRET, SystemClock()).issue(TokenAudience.MEMBER, member_id)
    bearer = {"Authorization": f"Bearer {token}"}
    answer, took = trickle(live.port, "/user/request/create", bearer, 30)
    assert answer.startswith("HTTP/1.1 408") and 9 < took < 16, (answer, took)
    assert requests.get(f"{live.base}/health/live", timeout=5).status_code == 200
    stored = live.folder / "var" / "files" / f"m{member_id}"
    assert not stored.exists() or not any(stored.iterdir())  # no file, not even a part
    receipts = [f for f in live.fund.tables().files.values() if f.kind is FileKind.RECEIPT]
    assert receipts == [] and live.fund.tables().requests == {}
