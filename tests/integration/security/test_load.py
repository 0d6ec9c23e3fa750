"""A bounded load on loopback against `kasa serve mobile` (one worker) on MariaDB:
simulated members sign up, submit profiles, top up with callbacks (some duplicated and
sent at the same moment) and file requests with receipts. Afterwards every invariant
must hold: no 5xx, each confirmed payment extended "paid until" exactly once, money in
equals confirmed top-ups, no orphan files, the audit trail complete."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest
import requests
import sqlalchemy as sa

from kasa.adapters import liqpay_codec
from kasa.adapters.sql.database import SqlDatabase
from kasa.adapters.sql.migrate import upgrade
from kasa.application.reads import AuditQuery, Page, PaymentQuery
from kasa.domain.audit import EventType
from kasa.domain.payments import PaymentStatus, PaymentType
from tests.integration.app.helpers import IBAN, JPEG, Fund
from tests.integration.test_cli_serve import free_port, wait_for
from tests.support.mariadb import MariaDBServer
from tests.support.outbox import code_in

# Simulated members (each a thread) and how long they keep going; the test command runs
# a bounded load, a longer one is a matter of the environment (see docs/benchmarks.md).
MEMBERS = int(os.environ.get("KASA_LOAD_MEMBERS", "50"))
SECONDS = int(os.environ.get("KASA_LOAD_SECONDS", "30"))
PRIVATE = "load-private-key"


@attrs.define
class Tally:
    lock: threading.Lock = attrs.field(factory=threading.Lock)
    latencies: list[float] = attrs.field(factory=list)
    statuses: dict[int, int] = attrs.field(factory=dict)
    confirmed: dict[str, int] = attrs.field(factory=dict)  # phone -> top-ups confirmed

    def call(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        started = time.perf_counter()
        response = requests.request(method, url, timeout=30, **kwargs)
        with self.lock:
            self.latencies.append(time.perf_counter() - started)
            self.statuses[response.status_code] = self.statuses.get(response.status_code, 0) + 1
        return response


@pytest.fixture
def server(mariadb_server: MariaDBServer | str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    if isinstance(mariadb_server, str):
        pytest.skip("the load test makes a database of its own on the private server")
    url = mariadb_server.create_database("kasa_load")
    upgrade(url)
    port = free_port()
    env = {
        **os.environ,
        "KASA_DATA_DIR": str(tmp_path / "var"),
        "KASA_DATABASE_URL": url,
        "KASA_SMS_BACKEND": "outbox",
        "KASA_JWT_SECRET": "load-" + "s" * 40,
        "KASA_LIQPAY_PUBLIC_KEY": "pub",
        "KASA_LIQPAY_PRIVATE_KEY": PRIVATE,
        "KASA_LIQPAY_SANDBOX": "0",
        "KASA_OTP_RESEND_SECONDS": "0",
        "KASA_OTP_DAILY_LIMIT": "50",
        # every simulated member comes from 127.0.0.1
        "KASA_OTP_ADDRESS_HOURLY_LIMIT": "1000000",
        # each simulated member files a request a round, none of them closed
        "KASA_OPEN_REQUESTS_MAX": "100000",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "kasa.entrypoints.cli", "serve", "mobile", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/health", process)
        yield {
            "url": url,
            "base": base,
            "outbox": tmp_path / "var" / "sms-outbox.jsonl",
            "files": tmp_path / "var" / "files",
            "pid": process.pid,
        }
    finally:
        process.terminate()
        process.wait(timeout=30)


def peak_rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def test_bounded_load_keeps_every_invariant(server: dict[str, Any]) -> None:
    database = SqlDatabase(server["url"])
    fund = Fund.build(database=database)
    program_id = fund.program(price="300")
    base, tally = server["base"], Tally()
    deadline = time.monotonic() + SECONDS

    def member(n: int) -> None:
        phone = f"+38050{n:07d}"
        tally.call("POST", f"{base}/user/signrequest", json={"phone": phone, "create": True})
        token = tally.call(
            "POST",
            f"{base}/user/signin",
            json={"phone": phone, "code": code_in([server["outbox"]], phone)},
        ).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        form = {
            "first_name": "Олена",
            "last_name": "Учасниця" + "абвгґдеєжз"[n % 10],
            "email": f"m{n}@kasa.test",
            "program_id": str(program_id),
            "iban": IBAN,
        }
        files = [
            (f, (f"{f}.jpg", JPEG + f"{n}{f}".encode(), "image/jpeg"))
            for f in ("inn", "id_1", "id_2")
        ]
        created = tally.call(
            "POST", f"{base}/user/profile/create", data=form, files=files, headers=auth
        )
        assert created.status_code == 200, created.text
        me = tally.call("GET", f"{base}/user/payments/list", headers=auth)
        assert me.status_code == 200
        with database.unit_of_work() as uow:
            found = uow.members.by_phone(phone)
        assert found is not None and found.id is not None
        fund.approve(found.id)
        rounds = 0
        while time.monotonic() < deadline:
            rounds += 1
            checkout = tally.call(
                "POST", f"{base}/user/payments/liqpay", json={"amount": 300}, headers=auth
            ).json()
            order_id = liqpay_codec.decode(checkout["data"])["order_id"]
            data = liqpay_codec.encode(
                {"order_id": order_id, "amount": "300.00", "status": "success"}
            )
            callback = {"data": data, "signature": liqpay_codec.sign(PRIVATE, data)}
            twins = [
                threading.Thread(
                    target=tally.call,
                    args=("POST", f"{base}/user/payments/liqpay-callback"),
                    kwargs={"data": callback},
                )
                for _ in range(2 if rounds % 2 else 1)
            ]
            for twin in twins:
                twin.start()
            for twin in twins:
                twin.join()
            with tally.lock:
                tally.confirmed[phone] = tally.confirmed.get(phone, 0) + 1
            r = tally.call(
                "POST",
                f"{base}/user/request/create",
                headers=auth,
                data={"comment": f"чек {rounds}"},
                files=[("files", ("чек.jpg", JPEG + f"{n}-{rounds}".encode(), "image/jpeg"))],
            )
            assert r.status_code == 200, r.text
            tally.call("POST", f"{base}/user/request/list", json={}, headers=auth)

    failures: list[str] = []

    def guarded(n: int) -> None:
        try:
            member(n)
        except Exception as error:  # collected, then asserted below
            failures.append(f"member {n}: {error!r}"[:500])

    threads = [threading.Thread(target=guarded, args=(n,)) for n in range(1, MEMBERS + 1)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=SECONDS + 120)
    elapsed = time.monotonic() - started
    requests_done = len(tally.latencies)
    latencies = sorted(tally.latencies)
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
    print(
        f"\nload: {MEMBERS} members, {requests_done} requests in {elapsed:.1f} s "
        f"({requests_done / elapsed:.0f}/s), p50 {p50:.1f} ms, p99 {p99:.1f} ms, "
        f"statuses {dict(sorted(tally.statuses.items()))}, "
        f"worker peak RSS {peak_rss_mb(server['pid']):.0f} MB"
    )

    assert failures == []
    server_today = datetime.now(ZoneInfo("Europe/Kyiv")).date()  # the server's real clock
    assert not any(status >= 500 for status in tally.statuses), tally.statuses
    reads = database.reads()
    total = reads.payments(
        PaymentQuery(
            types=frozenset({PaymentType.TOP_UP}), statuses=frozenset({PaymentStatus.CONFIRMED})
        ),
        Page(100_000),
    ).total
    assert total == sum(tally.confirmed.values())
    with database.unit_of_work() as uow:
        for phone, count in tally.confirmed.items():
            member_row = uow.members.by_phone(phone)
            assert member_row is not None and member_row.paid_until is not None
            # each confirmed 300-UAH top-up at 300 UAH a month added exactly 30 days
            assert (member_row.paid_until - server_today).days == 30 * count
            assert member_row.credit_units == 0
    confirmed_events = reads.audit(
        AuditQuery(event_types=frozenset({EventType.PAYMENT_CONFIRMED})), Page(1)
    ).total
    assert confirmed_events == total
    stored = {p.name for p in server["files"].rglob("*") if p.is_file()}
    with database.engine.connect() as connection:
        names = {r[0] for r in connection.execute(sa.text("SELECT stored_name FROM files"))}
    assert stored == names  # no orphan files, no rows pointing at missing files
    database.dispose()
