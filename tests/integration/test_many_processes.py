"""Several workers and several hosts: `kasa serve mobile --workers 2` and two more
separate mobile processes (as two more machines would run them), and two admin
processes, all on one MariaDB and one file store, under concurrent clients. Every rule
the processes share holds across them: the codes one phone may get a day, the codes one
address may ask for an hour, a code's wrong attempts, one membership extension per
gateway callback, and a request's payout cap."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from itertools import cycle
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest
import sqlalchemy as sa

from kasa.adapters import liqpay_codec
from kasa.adapters.sql.database import SqlDatabase
from kasa.adapters.sql.migrate import upgrade
from kasa.adapters.tokens import JwtTokens
from kasa.application.ports import TokenAudience
from kasa.application.requests import Assessment
from kasa.domain.money import Money
from tests.integration.app.helpers import Fund
from tests.integration.test_cli_serve import free_port, wait_for
from tests.support.mariadb import MariaDBServer
from tests.support.outbox import code_in

SECRET = "many-" + "p" * 40
PRIVATE = "many-private-key"
DAILY_CODES = 5
ADDRESS_CODES = 20
MAX_ATTEMPTS = 5


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@attrs.define
class Cluster:
    url: str
    mobile: list[str]  # base URLs; the first is the process with two workers
    admin: list[str]
    outbox: Path
    supervisor: int  # the pid of the first process (`kasa serve mobile --workers 2`)
    folder: Path
    tokens: JwtTokens = attrs.field(factory=lambda: JwtTokens(SECRET, SystemClock()))

    def rows(self, sql: str, **params: Any) -> list[Any]:
        engine = sa.create_engine(self.url)
        try:
            with engine.connect() as connection:
                return list(connection.execute(sa.text(sql), params))
        finally:
            engine.dispose()


@contextlib.contextmanager
def running_cluster(
    server: MariaDBServer | str,
    folder: Path,
    name: str,
    runs: list[tuple[str, list[str]]],
    settings: Mapping[str, str] | None = None,
) -> Iterator[Cluster]:
    """Kasa's processes (``runs``: which app, with which extra arguments) on a new
    database of the private server, with these ``settings`` besides the usual ones,
    stopped afterwards (the test is skipped when only a database URL is given: it makes
    databases of its own)."""
    if isinstance(server, str):
        pytest.skip("makes a database of its own on the private server")
    url = server.create_database(name)
    upgrade(url)
    env = {
        **os.environ,
        "KASA_DATA_DIR": str(folder / "var"),
        "KASA_DATABASE_URL": url,
        "KASA_FILES_DIR": str(folder / "shared-files"),
        "KASA_SMS_BACKEND": "outbox",
        "KASA_SMS_OUTBOX": str(folder / "sms-outbox.jsonl"),
        "KASA_JWT_SECRET": SECRET,
        "KASA_LIQPAY_PUBLIC_KEY": "pub",
        "KASA_LIQPAY_PRIVATE_KEY": PRIVATE,
        "KASA_LIQPAY_SANDBOX": "0",
        "KASA_OTP_RESEND_SECONDS": "0",
        "KASA_OTP_DAILY_LIMIT": str(DAILY_CODES),
        "KASA_OTP_MAX_ATTEMPTS": str(MAX_ATTEMPTS),
        "KASA_OTP_ADDRESS_HOURLY_LIMIT": str(ADDRESS_CODES),
        **(settings or {}),
    }
    command = [sys.executable, "-m", "kasa.entrypoints.cli", "serve"]
    started: list[tuple[str, str, subprocess.Popen[bytes]]] = []
    try:
        for app, extra in runs:
            port = free_port()
            process = subprocess.Popen(
                [*command, app, "--port", str(port), *extra],
                env=env,
                cwd=folder,
                stdout=subprocess.DEVNULL,
                stderr=(folder / f"{app}-{port}.log").open("wb"),
            )
            started.append((app, f"http://127.0.0.1:{port}", process))
            # up before the next port is chosen (a free port is the first free one)
            wait_for(f"{started[-1][1]}/health", process)
        assert all(process.poll() is None for _, _, process in started)
        yield Cluster(
            url,
            mobile=[base for app, base, _ in started if app == "mobile"],
            admin=[base for app, base, _ in started if app == "admin"],
            outbox=folder / "sms-outbox.jsonl",
            supervisor=started[0][2].pid,
            folder=folder,
        )
    finally:
        for _, _, process in started:
            process.terminate()
        for _, _, process in started:
            process.wait(timeout=30)


@pytest.fixture(scope="module")
def cluster(
    mariadb_server: MariaDBServer | str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    runs = [
        ("mobile", ["--workers", "2"]),
        ("mobile", []),
        ("mobile", []),
        ("admin", []),
        ("admin", []),
    ]
    with running_cluster(
        mariadb_server, tmp_path_factory.mktemp("many"), "kasa_many", runs
    ) as running:
        yield running


@pytest.fixture(scope="module")
def fund(cluster: Cluster) -> Iterator[Fund]:
    """The fund's staff and members made in this process, on the cluster's database."""
    made = Fund.build(database=SqlDatabase(cluster.url))
    yield made
    made.database.dispose()


Call = tuple[str, str, str, dict[str, Any]]  # method, base URL, path, httpx arguments


def burst(
    calls: list[Call], concurrency: int | None = None, source: str | None = None
) -> list[httpx.Response]:
    """Send the calls ``concurrency`` at a time (all at once by default), each on a
    connection of its own, from ``source`` when given; the answers in the calls' order."""
    transport = httpx.HTTPTransport(local_address=source) if source else None
    with httpx.Client(transport=transport, timeout=60) as client:

        def one(call: Call) -> httpx.Response:
            method, base, path, kw = call
            return client.request(method, f"{base}{path}", **kw)

        with ThreadPoolExecutor(max_workers=concurrency or len(calls)) as pool:
            return list(pool.map(one, calls))


def at_once(calls: list[Call], source: str) -> list[int]:
    """Every call at the same moment from ``source``; the answers' status codes."""
    return [answer.status_code for answer in burst(calls, source=source)]


def spread(bases: list[str], count: int) -> list[str]:
    """``count`` base URLs taken in turn (the two-worker process twice as often)."""
    weighted = [bases[0], *bases]
    return [b for b, _ in zip(cycle(weighted), range(count), strict=False)]


def test_the_two_worker_process_runs_two_workers(cluster: Cluster) -> None:
    children = Path(f"/proc/{cluster.supervisor}/task/{cluster.supervisor}/children")
    workers = children.read_text().split()
    assert len(workers) >= 2, workers  # uvicorn's supervisor and its two workers


def test_one_phone_gets_its_daily_codes_and_no_more_across_processes(cluster: Cluster) -> None:
    phone = "+380501230001"
    calls = [
        ("POST", base, "/user/signrequest", {"json": {"phone": phone, "create": True}})
        for base in spread(cluster.mobile, 20)
    ]
    statuses = at_once(calls, "127.0.0.11")
    assert statuses.count(200) == DAILY_CODES and statuses.count(429) == 20 - DAILY_CODES
    sent = [json.loads(line) for line in cluster.outbox.read_text().splitlines()]
    assert sum(1 for sms in sent if sms["to"] == phone) == DAILY_CODES


def test_one_address_asks_for_its_hourly_codes_and_no_more_across_processes(
    cluster: Cluster,
) -> None:
    calls = [
        (
            "POST",
            base,
            "/user/signrequest",
            {"json": {"phone": f"+3805012310{n:02d}", "create": True}},
        )
        for n, base in enumerate(spread(cluster.mobile, 30))
    ]
    statuses = at_once(calls, "127.0.0.12")
    assert statuses.count(200) == ADDRESS_CODES and statuses.count(429) == 30 - ADDRESS_CODES


def test_a_codes_wrong_attempts_are_counted_once_across_processes(cluster: Cluster) -> None:
    phone = "+380501230002"
    asked = at_once(
        [
            (
                "POST",
                cluster.mobile[1],
                "/user/signrequest",
                {"json": {"phone": phone, "create": True}},
            )
        ],
        "127.0.0.13",
    )
    assert asked == [200]
    code = code_in([cluster.outbox], phone)
    wrong = str((int(code) + 1) % 10 ** len(code)).zfill(len(code))
    for n, base in enumerate(spread(cluster.mobile, 12)):  # each from an address of its own
        calls = [("POST", base, "/user/signin", {"json": {"phone": phone, "code": wrong}})] * 2
        assert set(at_once(calls, f"127.0.1.{n + 1}")) <= {401, 429}
    (attempts,) = cluster.rows(
        "SELECT attempts FROM sign_in_challenges WHERE phone = :phone", phone=phone
    )[0]
    assert attempts == MAX_ATTEMPTS
    right = at_once(
        [("POST", cluster.mobile[2], "/user/signin", {"json": {"phone": phone, "code": code}})],
        "127.0.0.14",
    )
    assert right == [401]  # the code is spent: its wrong attempts were counted everywhere


def test_one_callback_extends_a_membership_once_across_processes(
    cluster: Cluster, fund: Fund
) -> None:
    member = fund.approved_member(fund.program("Щомісячна", price="300.00"))
    token = cluster.tokens.issue(TokenAudience.MEMBER, member)
    checkout = httpx.post(
        f"{cluster.mobile[1]}/user/payments/liqpay",
        json={"amount": 300},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert checkout.status_code == 200, checkout.text
    order = liqpay_codec.decode(checkout.json()["data"])["order_id"]
    data = liqpay_codec.encode(
        {
            "order_id": order,
            "amount": "300.00",
            "currency": "UAH",
            "status": "success",
            "payment_id": 424242,
            "action": "pay",
        }
    )
    form = {"data": data, "signature": liqpay_codec.sign(PRIVATE, data)}
    calls = [
        ("POST", base, "/user/payments/liqpay-callback", {"data": form})
        for base in spread(cluster.mobile, 12)
    ]
    assert at_once(calls, "127.0.0.15") == [200] * 12
    (payment,) = cluster.rows("SELECT id FROM payments WHERE payment_identifier = :o", o=order)[0]
    confirmed = cluster.rows(
        "SELECT COUNT(*) FROM audit_events"
        " WHERE event_type = 'payment_confirmed' AND object_id = :p",
        p=str(payment),
    )[0][0]
    assert confirmed == 1
    extensions = cluster.rows(
        "SELECT extended_to, ext_days FROM payments WHERE member_id = :m AND has_extension",
        m=member,
    )
    assert [days for _, days in extensions] == [30]  # one month for 300.00, once
    (paid_until,) = cluster.rows("SELECT expiration_date FROM members WHERE id = :m", m=member)[0]
    assert paid_until == extensions[0][0]


def test_a_requests_payout_cap_holds_across_processes(cluster: Cluster, fund: Fund) -> None:
    member = fund.approved_member(fund.program("Разова", price="100.00"))
    request = fund.requests.create(member, "Операція", []).request
    fund.staff_requests.assess(
        fund.operator_id, request.id, Assessment(approved_amount=Money.parse("1000.00"))
    )
    staff = {
        "Authorization": f"Bearer {cluster.tokens.issue(TokenAudience.STAFF, fund.operator_id)}"
    }
    payout = {
        "member": member,
        "type": "payout",
        "request": request.id,
        "date": date.today().isoformat(),
        "amount": 300,
    }
    calls = [
        ("PUT", base, "/payment", {"json": payout, "headers": staff})
        for base in spread(cluster.admin, 10)
    ]
    statuses = at_once(calls, "127.0.0.16")
    assert statuses.count(200) == 3 and statuses.count(422) == 7, statuses
    (total,) = cluster.rows("SELECT SUM(amount) FROM payments WHERE request_id = :r", r=request.id)[
        0
    ]
    assert total == 90000  # kopecks: three payouts of 300.00, within the 1000.00 approved
