"""Runs Kasa behind nginx with the shipped configuration, on loopback, and checks what
the configuration promises. Called by ``scripts/deploy-check``; prints one line a
check, then ``N passed, M failed``, exits non-zero on a failure, and stops everything
it started.

What runs: both APIs (``kasa serve mobile`` and ``kasa serve admin``, SQLite in a
temporary folder, ``KASA_TRUSTED_PROXIES=127.0.0.1``), and nginx with
``deploy/nginx/kasa.conf.template`` and ``kasa-common.conf.template`` rendered by
``deploy/nginx/render`` with a self-signed certificate for ``mobile.kasa.test`` and
``admin.kasa.test``. Clients connect from 127.0.0.2 and other loopback addresses, so
that the client's address and the proxy's differ. Then ``promtool`` checks
``deploy/prometheus/`` and a real Prometheus scrapes both apps with its rules loaded.
"""

# the commands run here are this project's own and the OS's nginx and openssl
# ruff: noqa: S603

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import socket
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from nginx_front import (
    ADMIN,
    CLIENT,
    MOBILE,
    ROOT,
    Answer,
    Site,
    free_port,
    prepare_front,
    wait_until_up,
)

PROMETHEUS_DIR = ROOT / "deploy" / "prometheus"
OTHER_CLIENT, FLOODER = "127.0.0.3", "127.0.0.4"
# Kasa's own limit of codes asked from one address within an hour, low for the check
ADDRESS_CODES = 3
HEADER_TIMEOUT = 10  # seconds, as in the configuration
SECURITY_HEADERS = {
    "strict-transport-security": "max-age=31536000; includeSubDomains",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


class Report:
    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0

    def check(self, name: str, test: Callable[[], str | None]) -> None:
        """``test`` returns nothing when the check holds, or why it does not."""
        try:
            problem = test()
        except Exception as error:
            problem = f"{type(error).__name__}: {error}"
        if problem:
            self.failed += 1
            print(f"FAIL  {name}: {problem}", flush=True)
        else:
            self.passed += 1
            print(f"ok    {name}", flush=True)


@contextlib.contextmanager
def running(commands: list[tuple[list[str], dict[str, str], Path]]) -> Iterator[None]:
    processes = []
    try:
        for command, env, log in commands:
            processes.append(
                subprocess.Popen(command, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
            )
        yield
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def main() -> int:
    kasa = str(Path(sys.executable).parent / "kasa")
    work = Path(tempfile.mkdtemp(prefix="kasa-deploy-check-"))
    work.chmod(0o755)
    mobile_port, admin_port = free_port(), free_port()
    front = prepare_front(work, [f"127.0.0.1:{mobile_port}"], [f"127.0.0.1:{admin_port}"])
    https_port, http_port = front.https_port, front.http_port
    report = Report()

    def nginx_accepts() -> str | None:
        tested = subprocess.run(
            [front.command[0], "-t", "-p", str(work), "-c", str(work / "nginx.conf")],
            capture_output=True,
            text=True,
            check=False,
        )
        return tested.stderr.strip() if tested.returncode else None

    report.check("nginx -t accepts the rendered configuration", nginx_accepts)
    if report.failed:
        print(f"{report.passed} passed, {report.failed} failed")
        return 1

    data = work / "kasa"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("KASA_")},
        "KASA_ENV": "dev",
        "KASA_DATA_DIR": str(data),
        "KASA_TRUSTED_PROXIES": "127.0.0.1",
        "KASA_OTP_ADDRESS_HOURLY_LIMIT": str(ADDRESS_CODES),
        "KASA_PUBLIC_URL": f"https://{MOBILE}:{https_port}",
        "KASA_ADMIN_PUBLIC_URL": f"https://{ADMIN}:{https_port}",
    }
    subprocess.run([kasa, "db", "upgrade"], env=env, check=True, capture_output=True)
    subprocess.run(
        [kasa, "user", "create", "chief", "--role", "admin", "--password-stdin"],
        env=env,
        input=b"a long password 1\n",
        check=True,
        capture_output=True,
    )
    commands = [
        ([kasa, "serve", "mobile", "--port", str(mobile_port)], env, work / "mobile.log"),
        ([kasa, "serve", "admin", "--port", str(admin_port)], env, work / "admin.log"),
        (front.command, dict(os.environ), work / "nginx.out"),
    ]
    with running(commands):
        for port in (mobile_port, admin_port, https_port, http_port):
            wait_until_up(port)
        site = front.site()
        run_checks(site, report, data, work)
        prometheus_checks(report, work, {"kasa-mobile": mobile_port, "kasa-admin": admin_port})
    print(f"{report.passed} passed, {report.failed} failed")
    if report.failed:
        print(f"(logs kept in {work})")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if report.failed else 0


def run_checks(site: Site, report: Report, data: Path, work: Path) -> None:
    def both_apis() -> str | None:
        for host in (MOBILE, ADMIN):
            answer = site.https(host, "GET", "/health")
            if answer.status != 200 or answer.json().get("status") != "ok":
                return f"{host}: {answer.status} {answer.body[:200]!r}"
        return None

    report.check("HTTPS answers on both APIs", both_apis)

    def tls_versions() -> str | None:
        for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
            site.context.minimum_version = site.context.maximum_version = version
            try:
                with site.connect(MOBILE) as s:
                    if s.version() != version.name.replace("_", "."):
                        return f"asked {version.name}, got {s.version()}"
            finally:
                site.context.minimum_version = ssl.TLSVersion.TLSv1_2
                site.context.maximum_version = ssl.TLSVersion.MAXIMUM_SUPPORTED
        old = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        old.check_hostname = False
        old.verify_mode = ssl.CERT_NONE
        with warnings.catch_warnings():  # the point is that it is old
            warnings.simplefilter("ignore", DeprecationWarning)
            old.minimum_version = old.maximum_version = ssl.TLSVersion.TLSv1_1
        with contextlib.suppress(ssl.SSLError):
            old.set_ciphers("DEFAULT:@SECLEVEL=0")
        raw = socket.create_connection(("127.0.0.1", site.https_port), timeout=5)
        try:
            with old.wrap_socket(raw, server_hostname=MOBILE) as s:
                return f"TLS 1.1 was accepted ({s.version()})"
        except ssl.SSLError as error:
            if (
                "PROTOCOL_VERSION" not in str(error).upper()
                and "UNSUPPORTED" not in str(error).upper()
            ):
                return f"TLS 1.1 failed for another reason: {error}"
        return None

    report.check("TLS 1.2 and 1.3 are spoken, TLS 1.1 is refused", tls_versions)

    def redirect() -> str | None:
        for host in (MOBILE, ADMIN):
            answer = site.plain(host, "/health?x=1")
            wanted = f"https://{host}:{site.https_port}/health?x=1"
            if answer.status != 301 or answer.header("location") != wanted:
                return f"{host}: {answer.status} to {answer.header('location')}"
        return None

    report.check("plain HTTP redirects to HTTPS", redirect)

    def headers_once(answer: Answer) -> str | None:
        for name, value in SECURITY_HEADERS.items():
            if answer.count(name) != 1 or answer.header(name) != value:
                return f"{name}: {[v for k, v in answer.headers if k.lower() == name]}"
        if answer.count("x-request-id") != 1:
            return "X-Request-ID not sent exactly once"
        return None

    def security_headers() -> str | None:
        for host in (MOBILE, ADMIN):
            problem = headers_once(site.https(host, "GET", "/health"))
            if problem:
                return f"{host}: {problem}"
        return headers_once(site.https(MOBILE, "GET", "/no/such/route"))

    report.check("HSTS and the security headers arrive, each once", security_headers)

    def body_limit() -> str | None:
        big = json.dumps({"phone": "+380501112233", "pad": "x" * 100_000}).encode()
        answer = site.https(MOBILE, "POST", "/user/signin", big)
        if answer.status != 413 or answer.json().get("status") != "error":
            return f"{answer.status} {answer.body[:200]!r}"
        line = log_line(work, answer.header("x-request-id") or "")
        if line is None or line["upstream"]:
            return f"not refused by nginx itself: {line}"
        problem = headers_once(answer)
        return f"on the 413: {problem}" if problem else None

    report.check("a body over the limit is refused by nginx (413, Kasa's error shape)", body_limit)

    def uploads_pass() -> str | None:
        """Routes that take files take bodies past the JSON limit (to Kasa, which then
        asks for a token): the upload locations of the configuration match."""
        boundary = "kasa-check"
        photo = b"\xff\xd8\xff" + b"\0" * 300_000
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; '
                'filename="photo.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'
            ).encode()
            + photo
            + f"\r\n--{boundary}--\r\n".encode()
        )
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        for host, method, path in (
            (MOBILE, "POST", "/user/profile/edit"),
            (MOBILE, "POST", "/user/request/create"),
            (ADMIN, "PUT", "/program"),
        ):
            answer = site.https(host, method, path, body, headers=headers)
            line = log_line(work, answer.header("x-request-id") or "")
            if answer.status != 401 or line is None or not line["upstream"]:
                return f"{method} {path}: {answer.status}, upstream {line and line['upstream']}"
        return None

    report.check("the routes that take files take a 300 KB upload through to Kasa", uploads_pass)

    def client_address_in_audit() -> str | None:
        forged = {"X-Forwarded-For": "10.6.6.6"}
        answer = site.post(
            ADMIN, "/signin", {"login": "chief", "password": "wrong"}, headers=forged
        )
        if answer.status != 401:
            return f"sign-in answered {answer.status}"
        with contextlib.closing(sqlite3.connect(data / "kasa.db")) as db:
            rows = db.execute(
                "SELECT details FROM audit_events WHERE event_type = 'sign_in_failed'"
            ).fetchall()
        addresses = [json.loads(r[0]).get("address") for r in rows]
        return None if addresses == [CLIENT] else f"audited addresses {addresses}"

    report.check(
        "the audit records the client's address, not the proxy's or a forged one",
        client_address_in_audit,
    )

    def throttle_per_client() -> str | None:
        statuses = []
        for n in range(ADDRESS_CODES + 1):
            forged = {"X-Forwarded-For": f"10.0.0.{n + 1}"}
            phone = f"+38050111220{n}"
            answer = site.post(
                MOBILE, "/user/signrequest", {"phone": phone, "create": True}, headers=forged
            )
            statuses.append(answer.status)
        if statuses != [200] * ADDRESS_CODES + [429]:
            return f"from {CLIENT} with forged addresses: {statuses}"
        line = log_line(work, site.request_ids[-1][0])
        if line is None or not line["upstream"]:
            return "the 429 came from nginx, not from Kasa's throttle"
        other = site.post(
            MOBILE,
            "/user/signrequest",
            {"phone": "+380501112299", "create": True},
            source=OTHER_CLIENT,
        )
        return None if other.status == 200 else f"another client got {other.status}"

    report.check(
        "Kasa throttles by the client's address (a forged X-Forwarded-For changes nothing)",
        throttle_per_client,
    )

    def rate_limit() -> str | None:
        answers = [
            site.post(
                MOBILE, "/user/signin", {"phone": "+380501112233", "code": "0000"}, source=FLOODER
            )
            for _ in range(12)
        ]
        limited = [a for a in answers if a.status == 429]
        if not limited:
            return f"no 429 in {[a.status for a in answers]}"
        line = log_line(work, limited[0].header("x-request-id") or "")
        if line is None or line["upstream"]:
            return f"the first 429 was not nginx's: {line}"
        return None if limited[0].header("retry-after") else "no Retry-After on nginx's 429"

    report.check("nginx limits the rate of the sign-in and code routes", rate_limit)

    def rate_limit_every_spelling() -> str | None:
        """Another spelling of a limited path (a trailing slash, an encoded one, a
        doubled one) is limited too, and never reaches a route of Kasa's."""
        body = {"phone": "+380501112233", "code": "000000"}
        spellings = [
            (MOBILE, "/user/signin/"),
            (MOBILE, "/user/signin%2F"),
            (MOBILE, "//user/signin"),
            (MOBILE, "/user/signrequest/"),
            (MOBILE, "/user/profile/edit/"),
            (ADMIN, "/signin/"),
        ]
        for n, (host, path) in enumerate(spellings):
            source = f"127.0.0.{60 + n}"
            answers = [site.post(host, path, body, source=source) for _ in range(12)]
            statuses = [a.status for a in answers]
            limited = [a for a in answers if a.status == 429]
            if not limited:
                return f"{host}{path}: no 429 in {statuses}"
            line = log_line(work, limited[0].header("x-request-id") or "")
            if line is None or line["upstream"]:
                return f"{host}{path}: the first 429 was not nginx's"
            if any(a.status not in (401, 404, 429) for a in answers):
                return f"{host}{path}: {statuses}"
        return None

    report.check(
        "every spelling of a limited path is limited (trailing, encoded, doubled slash)",
        rate_limit_every_spelling,
    )

    def callbacks_limited() -> str | None:
        form = {"Content-Type": "application/x-www-form-urlencoded"}

        def junk(_: int) -> int:
            return site.https(
                MOBILE,
                "POST",
                "/user/payments/liqpay-callback",
                b"data=junk&signature=junk",
                headers=form,
                source="127.0.0.70",
            ).status

        with ThreadPoolExecutor(max_workers=16) as pool:  # faster than 20 a second
            statuses = list(pool.map(junk, range(320)))
        if 429 not in statuses:
            return f"no 429 among {len(statuses)} junk callbacks: {sorted(set(statuses))}"
        return None if set(statuses) <= {400, 429} else f"statuses {sorted(set(statuses))}"

    report.check("nginx limits the rate of junk callbacks from one address", callbacks_limited)

    def trickled_upload() -> str | None:
        """A stranger announcing a 150 MB upload and sending it a byte a second is
        answered by Kasa (401) at once: nginx streams uploads and stores nothing."""
        temp = work / "temp" / "body"
        before = sum(1 for p in temp.rglob("*") if p.is_file()) if temp.is_dir() else 0
        sock = site.connect(MOBILE, source="127.0.0.71", timeout=20)
        boundary = "trickle"
        head = (
            "POST /user/request/create HTTP/1.1\r\n"
            f"Host: {MOBILE}\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
            f"Content-Length: {150 * 1024 * 1024}\r\n\r\n"
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; '
            'filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'
        )
        started = time.monotonic()
        answer = b""
        try:
            sock.sendall(head.encode())
            sock.settimeout(1)
            while time.monotonic() - started < 15 and not answer:
                try:
                    answer = sock.recv(4096)
                except TimeoutError:
                    sock.sendall(b"\xff")
        finally:
            sock.close()
        took = time.monotonic() - started
        status = answer.split(b"\r\n", 1)[0].decode(errors="replace")
        if not status.endswith("401 Unauthorized") or took > 5:
            return f"answered {status!r} after {took:.1f} s"
        after = sum(1 for p in temp.rglob("*") if p.is_file()) if temp.is_dir() else 0
        return None if after == before else f"{after - before} body files left in {temp}"

    report.check(
        "an upload trickled in by a stranger is refused by Kasa at once, nothing stored",
        trickled_upload,
    )

    def slow_clients() -> str | None:
        results: dict[str, float] = {}

        def slow(name: str, first: bytes) -> None:
            started = time.monotonic()
            with site.connect(MOBILE, source=OTHER_CLIENT, timeout=HEADER_TIMEOUT + 10) as s:
                s.sendall(first)
                with contextlib.suppress(OSError):
                    while s.recv(4096):
                        pass
            results[name] = time.monotonic() - started

        head = f"GET /health HTTP/1.1\r\nHost: {MOBILE}\r\n".encode()
        body = (
            f"POST /user/signin HTTP/1.1\r\nHost: {MOBILE}\r\nContent-Type: application/json"
            '\r\nContent-Length: 500\r\n\r\n{"phone": '
        ).encode()
        threads = [
            threading.Thread(target=slow, args=("headers", head)),
            threading.Thread(target=slow, args=("body", body)),
        ]
        for thread in threads:
            thread.start()
        served = []
        while any(t.is_alive() for t in threads):
            started = time.monotonic()
            answer = site.https(MOBILE, "GET", "/health")
            served.append((answer.status, time.monotonic() - started))
            time.sleep(1)
        for thread in threads:
            thread.join()
        if set(results) != {"headers", "body"}:
            return f"a slow client did not finish: {results}"
        late = {k: round(v, 1) for k, v in results.items() if v > HEADER_TIMEOUT + 3}
        if late:
            return f"held longer than {HEADER_TIMEOUT} s: {late}"
        bad = [s for s in served if s[0] != 200 or s[1] > 2]
        if len(served) < 5 or bad:
            return f"others were not served meanwhile: {served}"
        return None

    report.check(
        f"slow headers and a stalled body are cut off within {HEADER_TIMEOUT} s while "
        "others are served",
        slow_clients,
    )

    def metrics_stay_inside() -> str | None:
        for host in (MOBILE, ADMIN):
            for path in ("/metrics", "//metrics", "/metrics/", "/%6Detrics"):
                answer = site.https(host, "GET", path)
                if answer.status != 404 or b"kasa_" in answer.body:
                    return f"{host}{path}: {answer.status}"
        return None

    def access_log() -> str | None:
        time.sleep(1)  # nginx writes a line when a request ends
        lines = (work / "logs" / "kasa-access.log").read_text().splitlines()
        parsed = [json.loads(line) for line in lines]
        wanted = {"time", "request_id", "method", "path", "status", "duration", "bytes", "client"}
        missing = [p for p in parsed if not wanted <= set(p)]
        if missing:
            return f"lines without {wanted}: {missing[:2]}"
        logged = {(p["request_id"], p["status"]) for p in parsed}
        absent = [r for r in site.request_ids if r not in logged]
        if absent:
            return f"{len(absent)} answers' request ids not in the log, e.g. {absent[:3]}"
        kasa_log = (work / "mobile.log").read_text()
        codes_sent = [r for r, status in site.request_ids if r in kasa_log]
        if len(codes_sent) < ADDRESS_CODES:
            return f"Kasa's log names {len(codes_sent)} of the requests that sent a code"
        clients = {p["client"] for p in parsed}
        return None if CLIENT in clients else f"clients logged: {clients}"

    report.check(
        "every access log line is JSON and carries the request id Kasa returned", access_log
    )
    report.check("nginx never passes /metrics through, in any spelling", metrics_stay_inside)


def prometheus_checks(report: Report, work: Path, ports: dict[str, int]) -> None:
    """The shipped scrape configuration and alert rules pass ``promtool``; a real
    Prometheus on them (the targets moved to the check's ports) scrapes both apps."""
    promtool, prometheus = shutil.which("promtool"), shutil.which("prometheus")

    def promtool_accepts() -> str | None:
        if promtool is None:
            return "promtool is not installed (the prometheus package)"
        for what, name in (("config", "prometheus.yml"), ("rules", "kasa-rules.yml")):
            checked = subprocess.run(
                [promtool, "check", what, str(PROMETHEUS_DIR / name)],
                capture_output=True,
                text=True,
                check=False,
            )
            if checked.returncode:
                return f"{name}: {checked.stdout.strip()} {checked.stderr.strip()}"
        return None

    def scraped() -> str | None:
        if prometheus is None:
            return "prometheus is not installed"
        folder = work / "prometheus"
        folder.mkdir()
        shutil.copy(PROMETHEUS_DIR / "kasa-rules.yml", folder / "kasa-rules.yml")
        config = (PROMETHEUS_DIR / "prometheus.yml").read_text()
        config = config.replace("scrape_interval: 15s", "scrape_interval: 1s")
        config = config.replace("127.0.0.1:8000", f"127.0.0.1:{ports['kasa-mobile']}")
        config = config.replace("127.0.0.1:8001", f"127.0.0.1:{ports['kasa-admin']}")
        (folder / "prometheus.yml").write_text(config)
        port = free_port()
        command = [
            prometheus,
            f"--config.file={folder / 'prometheus.yml'}",
            f"--storage.tsdb.path={folder / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ]
        with running([(command, dict(os.environ), work / "prometheus.log")]):
            deadline = time.monotonic() + 60
            problem: str | None = "no scrape yet"
            while problem and time.monotonic() < deadline:
                time.sleep(1)
                problem = scrape_problem(port, set(ports))
            return problem

    report.check("promtool accepts the scrape configuration and the alert rules", promtool_accepts)
    report.check("Prometheus scrapes both apps' /metrics, its alert rules loaded", scraped)


def scrape_problem(port: int, jobs: set[str]) -> str | None:
    """What keeps Prometheus's view from being whole: a target down, a series missing."""

    def api(path: str) -> Any:
        with contextlib.closing(http.client.HTTPConnection("127.0.0.1", port, timeout=5)) as c:
            c.request("GET", path)
            return json.loads(c.getresponse().read())

    try:
        targets = api("/api/v1/targets")["data"]["activeTargets"]
        found = api("/api/v1/query?query=sum+by+(job)+(kasa_http_requests_total)")
        rules = api("/api/v1/rules")["data"]["groups"]
    except (OSError, ValueError, KeyError):
        return "Prometheus does not answer"
    up = {t["labels"]["job"] for t in targets if t["health"] == "up"}
    if up != jobs:
        return f"targets up: {sorted(up)}; {[t.get('lastError') for t in targets]}"
    counted = {r["metric"].get("job") for r in found["data"]["result"]}
    if counted != jobs:
        return f"kasa_http_requests_total from {sorted(j for j in counted if j)} only"
    if not any(rule["name"] == "KasaApiDown" for group in rules for rule in group["rules"]):
        return "the alert rules are not loaded"
    return None


def log_line(work: Path, request_id: str) -> dict[str, Any] | None:
    time.sleep(0.2)
    for line in (work / "logs" / "kasa-access.log").read_text().splitlines():
        parsed = json.loads(line)
        if parsed.get("request_id") == request_id:
            return dict(parsed)
    return None


if __name__ == "__main__":
    sys.exit(main())
