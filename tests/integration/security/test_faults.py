"""Failing dependencies lose nothing: the database going away and coming back, the SMS
provider failing, the file store failing midway."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar.testing import TestClient

from kasa.adapters import liqpay_codec
from kasa.adapters.tokens import JwtTokens
from kasa.application.ports import TokenAudience
from kasa.domain.money import Money
from kasa.entrypoints.http.mobile import create_mobile_app
from tests.integration.app.helpers import IBAN, JPEG, Fund
from tests.integration.http.conftest import MobileWorld, build_kasa
from tests.integration.test_cli_serve import free_port, wait_for
from tests.integration.test_many_processes import SystemClock
from tests.support.kasa import SECRET
from tests.support.mariadb import MariaDBServer, MariaDBUnavailable


@pytest.fixture
def own_mariadb() -> Iterator[MariaDBServer]:
    """A server of this test's own, which the test stops and starts again."""
    try:
        server = MariaDBServer.start()
    except MariaDBUnavailable as error:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"MariaDB fault tests cannot run in CI: {error}")
        pytest.skip(f"MariaDB is not available: {error}")
    try:
        yield server
    finally:
        server.stop()


def test_database_outage_is_503_and_recovers_without_a_restart(
    own_mariadb: MariaDBServer, tmp_path: Path
) -> None:
    url = own_mariadb.create_database("kasa_faults")
    kasa, fakes = build_kasa(tmp_path, KASA_DATABASE_URL=url)
    fund = Fund.on(kasa, fakes, kasa.adapters.database())
    member_id = fund.approved_member(fund.program(price="300"))
    fund.payments.start_top_up(member_id, Money.parse("300"), "liqpay")
    order_id = fakes.gateway.checkouts[-1]["order_id"]
    data, signature = fakes.gateway.callback(order_id, "300")
    with TestClient(create_mobile_app(kasa)) as client:
        assert client.get("/program/list").status_code == 200
        own_mariadb.halt()
        down = client.get("/program/list")
        assert down.status_code == 503 and down.json()["status"] == "error"
        assert down.headers["retry-after"] and "Traceback" not in down.text
        assert client.get("/health").status_code == 503
        assert client.get("/health/live").json() == {"status": "ok"}  # the process answers
        # the gateway's callback is answered non-2xx, so the gateway tries again later
        lost = client.post(
            "/user/payments/liqpay-callback", data={"data": data, "signature": signature}
        )
        assert lost.status_code == 503
        own_mariadb.launch()
        assert client.get("/program/list").status_code == 200
        retried = client.post(
            "/user/payments/liqpay-callback", data={"data": data, "signature": signature}
        )
        assert retried.status_code == 200 and retried.json()["changed"] is True
        again = client.post(
            "/user/payments/liqpay-callback", data={"data": data, "signature": signature}
        )
        assert again.json()["changed"] is False
    with fund.uow() as uow:
        member = uow.members.get(member_id)
        assert member is not None and member.paid_until is not None
        assert (member.paid_until - fund.clock.today()).days == 30
    kasa.adapters.database().dispose()


def test_a_failing_sms_provider_uses_up_nothing(world: MobileWorld) -> None:
    world.fakes.sms.failing = True
    r = world.client.post("/user/signrequest", json={"phone": "+380501112233", "create": True})
    assert r.status_code == 502 and r.json()["status"] == "error"
    world.fakes.sms.failing = False
    for _ in range(5):  # the whole daily allowance is still there
        r = world.client.post("/user/signrequest", json={"phone": "+380501112233", "create": True})
        assert r.status_code == 200, r.text
        world.fakes.clock.advance(seconds=61)
    assert (
        world.client.post(
            "/user/signrequest", json={"phone": "+380501112233", "create": True}
        ).status_code
        == 429
    )


def test_a_file_store_failure_leaves_no_row_and_no_file(
    world: MobileWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    program_id = world.fund.program()
    member_id, headers = world.sign_up("+380501112233")
    saves = {"n": 0}
    original = os.replace

    def third_write_fails(source: Any, target: Any) -> None:
        saves["n"] += 1
        if saves["n"] == 3:
            raise OSError("No space left on device")
        original(source, target)

    monkeypatch.setattr("kasa.adapters.private.os.replace", third_write_fails)
    form = {
        "first_name": "Олена",
        "last_name": "Коваль",
        "email": "o@example.com",
        "program_id": str(program_id),
        "iban": IBAN,
    }
    files = [
        ("inn", ("a.jpg", JPEG + b"1", "image/jpeg")),
        ("id_1", ("b.jpg", JPEG + b"2", "image/jpeg")),
        ("id_2", ("c.jpg", JPEG + b"3", "image/jpeg")),
    ]
    r = world.client.post("/user/profile/create", data=form, files=files, headers=headers)
    assert r.status_code == 502 and "file store" in r.json()["message"]
    with world.kasa.adapters.uow()() as uow:
        assert uow.identities.for_member(member_id) == []
        assert uow.members.get(member_id).status == "registered"  # type: ignore[union-attr]
    stored = [p for p in world.settings.files.folder.rglob("*") if p.is_file()]
    assert stored == []  # the two files written before the failure were removed


def test_a_member_cannot_set_what_only_staff_decide(world: MobileWorld) -> None:
    program_id = world.fund.program()
    member_id, headers = world.sign_up("+380501112233")
    sneaky = {
        "first_name": "Олена",
        "last_name": "Коваль",
        "email": "o@example.com",
        "program_id": str(program_id),
        "iban": IBAN,
        "status": "approved",
        "certificate": "000001",
        "is_active": "true",
        "is_submitted": "true",
        "expiration_date": "2099-01-01",
        "credit_units": "999999",
    }
    files = [
        ("inn", ("a.jpg", JPEG + b"1", "image/jpeg")),
        ("id_1", ("b.jpg", JPEG + b"2", "image/jpeg")),
        ("id_2", ("c.jpg", JPEG + b"3", "image/jpeg")),
    ]
    assert (
        world.client.post(
            "/user/profile/create", data=sneaky, files=files, headers=headers
        ).status_code
        == 200
    )
    world.client.post(
        "/user/profile/edit",
        headers=headers,
        files=[
            ("email", (None, "n@example.com")),
            ("status", (None, "approved")),
            ("certificate", (None, "7")),
            ("phone", (None, "+380501112233")),
        ],
    )
    with world.kasa.adapters.uow()() as uow:
        member = uow.members.get(member_id)
    assert member is not None
    assert (member.status, member.certificate, member.paid_until, member.credit_units) == (
        "pending_review",
        None,
        None,
        0,
    )
    assert str(member.email) == "n@example.com"


def test_forged_and_altered_callbacks_change_nothing(world: MobileWorld) -> None:
    member_id = world.fund.approved_member(world.fund.program(price="300"))
    world.fund.payments.start_top_up(member_id, Money.parse("300"), "liqpay")
    order_id = world.fakes.gateway.checkouts[-1]["order_id"]
    cheaper = liqpay_codec.encode({"order_id": order_id, "amount": "1.00", "status": "success"})
    for form in (
        {"data": cheaper, "signature": liqpay_codec.sign("guessed", cheaper)},
        dict(
            zip(("data", "signature"), world.fakes.gateway.callback(order_id, "1.00"), strict=True)
        ),
        dict(zip(("data", "signature"), world.fakes.gateway.callback("other", "300"), strict=True)),
    ):
        r = world.client.post("/user/payments/liqpay-callback", data=form)
        assert r.status_code in (400, 404, 422)
    with world.kasa.adapters.uow()() as uow:
        assert uow.members.get(member_id).paid_until is None  # type: ignore[union-attr]


def test_after_a_database_restart_under_load_no_request_fails_once_it_is_back(
    own_mariadb: MariaDBServer, tmp_path: Path
) -> None:
    """Two worker processes with warm connection pools; the database stopped for 10 s
    under a steady, bounded load and started again: the outage answers 503, and from
    the moment the database accepts connections again no request fails (the pooled
    connections from before the restart are replaced before a request's work)."""
    url = own_mariadb.create_database("kasa_restart")
    kasa, fakes = build_kasa(tmp_path / "fund", KASA_DATABASE_URL=url)
    fund = Fund.on(kasa, fakes, kasa.adapters.database())
    member = fund.approved_member(fund.program(price="300"))
    kasa.adapters.database().dispose()
    token = JwtTokens(SECRET, SystemClock()).issue(TokenAudience.MEMBER, member)
    port = free_port()
    env = {
        **os.environ,
        "KASA_DATABASE_URL": url,
        "KASA_DATA_DIR": str(tmp_path / "var"),
        "KASA_JWT_SECRET": SECRET,
        "KASA_PROGRAMS_CACHE_SECONDS": "0",  # every program list reads the database
    }
    command = [sys.executable, "-m", "kasa.entrypoints.cli", "serve", "mobile"]
    server = subprocess.Popen(
        [*command, "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    answers: list[tuple[float, float, int]] = []  # sent, answered, status
    stop, outage = threading.Event(), threading.Event()
    wrong = {"first_name": "Олена", "last_name": "Коваль"}  # a write: a correction report
    calls = [("GET", "/program/list"), ("GET", "/user/profile/get"), ("GET", "/health")]
    calls.append(("POST", "/user/profile/wrong"))

    def load(number: int) -> None:
        """Every kind of call (reads and writes, both connection pools of both workers),
        except during the outage, when only the first client goes on, with one kind: the
        other pooled connections are not touched until the database is back."""
        with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=20) as client:
            for n in itertools.count():
                if stop.is_set() or n >= 5000:  # bounded in count and time
                    return
                if outage.is_set() and number:
                    time.sleep(0.05)
                    continue
                method, path = calls[0] if outage.is_set() else calls[n % len(calls)]
                sent = time.monotonic()
                try:
                    body = wrong if method == "POST" else None
                    status = client.request(method, base + path, json=body).status_code
                except httpx.HTTPError:
                    status = 0
                answers.append((sent, time.monotonic(), status))
                time.sleep(0.02)

    try:
        wait_for(f"{base}/health", server)
        clients = [threading.Thread(target=load, args=(n,)) for n in range(8)]
        for client in clients:  # every pooled connection of both workers gets used
            client.start()
        time.sleep(3)
        outage.set()
        time.sleep(0.5)
        halting = time.monotonic()
        own_mariadb.halt()
        stopped = time.monotonic()
        time.sleep(10)
        own_mariadb.launch()  # returns once the database accepts connections
        back = time.monotonic()
        outage.clear()
        time.sleep(8)
        stop.set()
        for client in clients:
            client.join(timeout=30)
    finally:
        stop.set()
        server.terminate()
        server.wait(timeout=30)
    before = [s for sent, done, s in answers if done < halting]
    # (the database may accept connections a moment before launch() has seen it)
    during = [s for sent, done, s in answers if sent > stopped + 1 and done < back - 0.5]
    after = [s for sent, _, s in answers if sent >= back]
    assert before and set(before) == {200}
    assert during and set(during) == {503}, sorted(set(during))
    assert len(after) > 100 and set(after) == {200}, [s for s in after if s != 200]
