"""Two "hosts" of Kasa behind nginx, over one MariaDB and one SeaweedFS, and a bounded
mixed load during which one host is killed (SIGKILL).

Each host is its own ``kasa serve mobile`` and ``kasa serve admin`` processes with its
own empty folder (``KASA_DATA_DIR``, its SMS outbox): nothing local is shared, files are
in the object store. nginx runs the shipped configuration with both hosts in each
upstream. The load (sign-ins, profile reads, receipts uploaded, checkouts and their
gateway callbacks, staff reading and writing) runs from several threads, each request
on its own connection from its own loopback address; what each answer confirmed is kept
so that ``check`` can find it all afterwards. Used by tests/integration/test_two_hosts.py
and by ``./scripts/bench --hosts 2``."""

# the commands run here are this project's own and the OS's nginx

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import itertools
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import sqlalchemy as sa
from scripts.nginx_front import ADMIN, MOBILE, Site, free_port, prepare_front, wait_until_up
from urllib3 import encode_multipart_formdata

from kasa.adapters import liqpay_codec
from kasa.adapters.s3 import S3FileStore
from kasa.adapters.sql.database import SqlDatabase
from kasa.adapters.sql.migrate import upgrade
from kasa.adapters.tokens import JwtTokens
from kasa.application.ports import TokenAudience
from kasa.application.settings import FundSettings
from tests.integration.app.helpers import JPEG, Fund
from tests.support.outbox import code_in

SECRET = "hosts-" + "h" * 40
PRIVATE = "hosts-private-key"
PRICE = "300.00"  # a month (30 days): 10 UAH a day
IDEMPOTENT = {"GET", "HEAD", "PUT", "DELETE", "OPTIONS"}


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


TOKENS = JwtTokens(SECRET, SystemClock())


@attrs.define
class Host:
    name: str
    folder: Path
    ports: dict[str, int]
    processes: list[subprocess.Popen[bytes]] = attrs.field(factory=list)

    @property
    def outbox(self) -> Path:
        return self.folder / "sms-outbox.jsonl"

    def start(self, env: Mapping[str, str]) -> None:
        own = {
            **env,
            "KASA_DATA_DIR": str(self.folder / "data"),
            "KASA_FILES_DIR": str(self.folder / "files"),  # unused: the s3 store
            "KASA_SMS_OUTBOX": str(self.outbox),
        }
        serve = [sys.executable, "-m", "kasa.entrypoints.cli", "serve"]
        for app, port in self.ports.items():
            self.processes.append(
                subprocess.Popen(
                    [*serve, app, "--port", str(port)],
                    env=own,
                    cwd=self.folder,
                    stdout=subprocess.DEVNULL,
                    stderr=(self.folder / f"{app}.log").open("wb"),
                    start_new_session=True,  # its workers die with it
                )
            )
        for port in self.ports.values():
            wait_until_up(port, 60)

    def kill(self) -> None:
        """SIGKILL to every process of the host, at once."""
        for process in self.processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        for process in self.processes:
            process.wait(timeout=30)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)


@attrs.define
class Hosts:
    url: str
    hosts: list[Host]
    site: Site
    files: S3FileStore
    fund: Fund
    program_id: int

    def rows(self, sql: str, **params: Any) -> list[Any]:
        with self.fund.database.engine.connect() as connection:
            return list(connection.execute(sa.text(sql), params))


@contextlib.contextmanager
def two_hosts(url: str, s3: Mapping[str, str], folder: Path) -> Iterator[Hosts]:
    """Two hosts and nginx in front of them, on a migrated, empty database ``url`` and
    the object store of the ``s3`` settings; stopped afterwards."""
    upgrade(url)
    hosts = [
        Host(name, folder / name, {"mobile": free_port(), "admin": free_port()})
        for name in ("host-a", "host-b")
    ]
    for host in hosts:
        host.folder.mkdir()
    (folder / "nginx").mkdir()
    front = prepare_front(
        folder / "nginx",
        [f"127.0.0.1:{h.ports['mobile']}" for h in hosts],
        [f"127.0.0.1:{h.ports['admin']}" for h in hosts],
        SIGNIN_RATE="1000r/s",  # one load generator on a few addresses
        SIGNIN_BURST="1000",
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("KASA_", "PROMETHEUS_"))},
        **s3,
        "KASA_ENV": "dev",
        "KASA_DATABASE_URL": url,
        "KASA_FILE_STORE": "s3",
        "KASA_JWT_SECRET": SECRET,
        "KASA_SMS_BACKEND": "outbox",
        "KASA_LIQPAY_PUBLIC_KEY": "pub",
        "KASA_LIQPAY_PRIVATE_KEY": PRIVATE,
        "KASA_LIQPAY_SANDBOX": "0",
        "KASA_TRUSTED_PROXIES": "127.0.0.1",
        "KASA_PUBLIC_URL": f"https://{MOBILE}:{front.https_port}",
        "KASA_ADMIN_PUBLIC_URL": f"https://{ADMIN}:{front.https_port}",
        "KASA_OTP_RESEND_SECONDS": "0",
        "KASA_OTP_ADDRESS_HOURLY_LIMIT": "100000",
        "KASA_OPEN_REQUESTS_MAX": "1000",
    }
    database = SqlDatabase(url)
    nginx: subprocess.Popen[bytes] | None = None
    try:
        for host in hosts:
            host.start(env)
        nginx = subprocess.Popen(
            front.command, stdout=subprocess.DEVNULL, stderr=(folder / "nginx.log").open("wb")
        )
        wait_until_up(front.https_port)
        files = S3FileStore(
            s3["KASA_S3_BUCKET"],
            endpoint=s3["KASA_S3_ENDPOINT"],
            region=s3.get("KASA_S3_REGION", "us-east-1"),
            access_key=s3.get("KASA_S3_ACCESS_KEY", ""),
            secret_key=s3.get("KASA_S3_SECRET_KEY", ""),
        )
        fund = Fund.build(database=database)
        program_id = fund.program("Два хости", price=PRICE)
        yield Hosts(url, hosts, front.site(), files, fund, program_id)
    finally:
        if nginx is not None:
            nginx.terminate()
            nginx.wait(timeout=30)
        for host in hosts:
            host.stop()
        database.dispose()


# -- the load --------------------------------------------------------------------------
@attrs.define
class Call:
    """One request and how it ended (``status`` 0: no answer at all)."""

    what: str
    method: str
    started: float
    ended: float
    status: int
    error: str = ""

    @property
    def failed(self) -> bool:
        return self.status == 0 or self.status >= 500


@attrs.define
class Confirmed:
    """What the fund's answers said was done."""

    phones: list[str] = attrs.field(factory=list)
    orders: list[tuple[int, str]] = attrs.field(factory=list)  # (member, order)
    receipts: list[tuple[int, str]] = attrs.field(factory=list)  # (request, sha256)
    messages: list[tuple[int, str]] = attrs.field(factory=list)  # (request, text)


@attrs.define
class Load:
    hosts: Hosts
    members: list[int]
    requests: list[int]  # one open request of each member, for staff to write on
    staff: str
    calls: list[Call] = attrs.field(factory=list)
    confirmed: Confirmed = attrs.field(factory=Confirmed)
    lock: threading.Lock = attrs.field(factory=threading.Lock)
    phones: Iterator[int] = attrs.field(factory=lambda: itertools.count(1))

    @classmethod
    def prepare(cls, hosts: Hosts, members: int) -> Load:
        """``members`` approved members, each with an open request, and a staff token."""
        fund = hosts.fund
        found = [fund.approved_member(hosts.program_id) for _ in range(members)]
        requests = [fund.requests.create(m, "Ліки", []).request.id or 0 for m in found]
        staff = TOKENS.issue(TokenAudience.STAFF, fund.operator_id)
        return cls(hosts, found, requests, staff)

    # one request, recorded
    def call(
        self,
        what: str,
        host: str,
        method: str,
        path: str,
        source: str,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        started = time.monotonic()
        status, answer, error = 0, None, ""
        try:
            got = self.hosts.site.https(host, method, path, body, headers, source=source)
            status = got.status
            if got.header("content-type") == "application/json" and got.body:
                answer = got.json()
        except (OSError, ValueError) as problem:
            error = f"{type(problem).__name__}: {problem}"
        with self.lock:
            self.calls.append(Call(what, method, started, time.monotonic(), status, error))
        return status, answer

    def member(self, index: int) -> dict[str, str]:
        token = TOKENS.issue(TokenAudience.MEMBER, self.members[index % len(self.members)])
        return {"Authorization": f"Bearer {token}"}

    # the steps of the mix
    def sign_in(self, index: int, source: str) -> None:
        phone = f"+38067{next(self.phones) + 1_000_000 * (index % 9):07d}"
        body = json.dumps({"phone": phone, "create": True}).encode()
        status, _ = self.call(
            "sign-in code", MOBILE, "POST", "/user/signrequest", source, body=body
        )
        if status != 200:
            return
        code = code_in([host.outbox for host in self.hosts.hosts], phone)
        body = json.dumps({"phone": phone, "code": code}).encode()
        status, _ = self.call("sign-in", MOBILE, "POST", "/user/signin", source, body=body)
        if status == 200:
            with self.lock:
                self.confirmed.phones.append(phone)

    def profile(self, index: int, source: str) -> None:
        self.call("profile", MOBILE, "GET", "/user/profile/get", source, headers=self.member(index))

    def upload(self, index: int, source: str) -> None:
        receipt = JPEG + secrets.token_bytes(48 * 1024)
        body, kind = encode_multipart_formdata(
            {"comment": "Чек з аптеки", "receipt": ("receipt.jpg", receipt, "image/jpeg")}
        )
        headers = {**self.member(index), "Content-Type": kind}
        status, answer = self.call(
            "upload", MOBILE, "POST", "/user/request/create", source, body=body, headers=headers
        )
        if status == 200:
            with self.lock:
                self.confirmed.receipts.append((answer["id"], hashlib.sha256(receipt).hexdigest()))

    def pay(self, index: int, source: str) -> None:
        body = json.dumps({"amount": 300}).encode()
        status, answer = self.call(
            "checkout",
            MOBILE,
            "POST",
            "/user/payments/liqpay",
            source,
            body=body,
            headers=self.member(index),
        )
        if status != 200:
            return
        order = liqpay_codec.decode(answer["data"])["order_id"]
        data = liqpay_codec.encode(
            {
                "order_id": order,
                "amount": PRICE,
                "currency": "UAH",
                "status": "success",
                "payment_id": 700_000 + index * 1000 + next(self.phones),
                "action": "pay",
            }
        )
        form = urllib.parse.urlencode({"data": data, "signature": liqpay_codec.sign(PRIVATE, data)})
        status, _ = self.call(
            "callback",
            MOBILE,
            "POST",
            "/user/payments/liqpay-callback",
            source,
            body=form.encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        if status == 200:
            with self.lock:
                self.confirmed.orders.append((self.members[index % len(self.members)], order))

    def staff_work(self, index: int, source: str) -> None:
        staff = {"Authorization": f"Bearer {self.staff}"}
        self.call("staff: programs", ADMIN, "GET", "/programs", source, headers=staff)
        request = self.requests[index % len(self.requests)]
        text = f"Уточніть, будь ласка ({secrets.token_hex(4)})"
        body = json.dumps({"request_id": request, "message": text}).encode()
        status, _ = self.call(
            "staff: message", ADMIN, "POST", "/request/message", source, body=body, headers=staff
        )
        if status == 200:
            with self.lock:
                self.confirmed.messages.append((request, text))

    MIX: tuple[str, ...] = (
        "profile",
        "upload",
        "profile",
        "pay",
        "sign_in",
        "profile",
        "staff_work",
        "profile",
    )

    def worker(self, number: int, rounds: int) -> None:
        source = f"127.0.{10 + number}.1"
        for round_ in range(rounds):
            for offset, step in enumerate(self.MIX):
                getattr(self, step)(number * 7919 + round_ * len(self.MIX) + offset, source)

    def run(
        self, threads: int, rounds: int, kill_at: float, victim: Host, say: Callable[[str], None]
    ) -> float:
        """The load from ``threads`` threads, ``rounds`` of the mix each; when a
        ``kill_at`` share of the requests is done, the victim is killed. The moment of
        the kill (``time.monotonic``)."""
        planned = threads * rounds * 11  # requests in one round of the mix
        killed = threading.Event()
        moment = [0.0]

        def watch() -> None:
            while len(self.calls) < planned * kill_at:
                time.sleep(0.01)
            moment[0] = time.monotonic()
            victim.kill()
            killed.set()
            say(f"{victim.name} killed (SIGKILL) after {len(self.calls)} requests")

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        with ThreadPoolExecutor(threads) as pool:
            for done in [pool.submit(self.worker, n, rounds) for n in range(threads)]:
                done.result()
        if not killed.wait(timeout=1):
            raise AssertionError("the load ended before the host was killed")
        return moment[0]


# -- afterwards ------------------------------------------------------------------------
@attrs.define
class Figures:
    requests: int
    failures: int
    failed: dict[str, int]
    recovery_seconds: float  # from the kill to the last failure's end (0: none failed)
    seconds: float


def figures(load: Load, killed: float) -> Figures:
    failed = [c for c in load.calls if c.failed]
    by_kind: dict[str, int] = {}
    for call in failed:
        by_kind[call.what] = by_kind.get(call.what, 0) + 1
    return Figures(
        len(load.calls),
        len(failed),
        by_kind,
        max((c.ended - killed for c in failed), default=0.0),
        max(c.ended for c in load.calls) - min(c.started for c in load.calls),
    )


def problems(load: Load, killed: float, grace: float = 1.0) -> list[str]:
    """What the spec of several hosts says must hold, and does not: only requests in
    flight on the killed host failed (none idempotent), nothing confirmed is lost, the
    money rules and the ledger hold."""
    found = []
    hosts, confirmed = load.hosts, load.confirmed
    for call in load.calls:
        if not call.failed:
            continue
        if call.method in IDEMPOTENT:
            found.append(f"an idempotent request failed: {call}")
        elif not call.started <= killed + grace or call.ended < killed:
            found.append(f"a request not in flight at the kill failed: {call}")
    # every confirmed sign-in made its member
    known = {str(row[0]) for row in hosts.rows("SELECT phone FROM members")}
    found += [f"signed in, no member: {p}" for p in confirmed.phones if p not in known]
    # every confirmed callback's payment is confirmed, once
    for member, order in confirmed.orders:
        rows = hosts.rows(
            "SELECT id, status, member_id FROM payments WHERE payment_identifier = :o", o=order
        )
        confirmations = hosts.rows(
            "SELECT COUNT(*) FROM audit_events WHERE object_kind = 'payment'"
            " AND object_id = :p AND event_type = 'payment_confirmed'",
            p=str(rows[0][0]) if rows else "",
        )[0][0]
        if [tuple(r[1:]) for r in rows] != [("confirmed", member)] or confirmations != 1:
            found.append(f"confirmed payment {order}: {rows}, confirmed {confirmations} times")
    # every confirmed receipt is stored, with the bytes sent
    for request, digest in confirmed.receipts:
        rows = hosts.rows("SELECT stored_name, sha256 FROM files WHERE request_id = :r", r=request)
        if len(rows) != 1 or rows[0][1] != digest:
            found.append(f"request {request}: its receipt row is {rows}")
            continue
        with hosts.files.open(rows[0][0]) as stream:
            if hashlib.sha256(stream.read()).hexdigest() != digest:
                found.append(f"request {request}: the stored receipt differs")
    # every confirmed staff message is there, and every message written has its audit
    written = {
        tuple(r)
        for r in hosts.rows(
            "SELECT request_id, message FROM request_messages WHERE staff_id IS NOT NULL"
        )
    }
    found += [f"message lost: {m}" for m in confirmed.messages if m not in written]
    (audited,) = hosts.rows(
        "SELECT COUNT(*) FROM audit_events WHERE event_type = 'message_written'"
        " AND actor_kind = 'staff'"
    )[0]
    if audited != len(written):
        found.append(f"{len(written)} staff messages, {audited} audit events of them")
    # the ledger: the report's balance is the ledger's sum, and every member holds a
    # day for each 10 UAH of their confirmed payments
    books = hosts.fund.books
    rows = list(csv.reader(io.StringIO("".join(books.export_ledger(None))[1:])))
    ledger = sum(int(Decimal(row[4]) * 100) for row in rows[1:])
    report = books.fund_report(None)
    if report.balance_total.kopecks != ledger:
        found.append(f"the report's balance {report.balance_total} is not the ledger's {ledger}")
    # the fund's day (its servers date a payment by the fund's calendar, not UTC's)
    today = datetime.now(FundSettings().zone).date()
    for member in load.members:
        ((paid_until, paid),) = hosts.rows(
            "SELECT m.expiration_date, (SELECT COALESCE(SUM(p.amount), 0) FROM payments p"
            " WHERE p.member_id = m.id AND p.status = 'confirmed') FROM members m"
            " WHERE m.id = :m",
            m=member,
        )
        days = (paid_until - today).days if paid_until else 0
        if days * 1000 != int(paid):
            found.append(f"member {member}: paid {paid} kopecks, {days} days")
    return found
