"""Failing dependencies lose nothing: the database going away and coming back, the SMS
provider failing, the file store failing midway."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from kasa.adapters import liqpay_codec
from kasa.domain.money import Money
from kasa.entrypoints.http.mobile import create_mobile_app
from tests.integration.app.helpers import IBAN, JPEG, Fund
from tests.integration.http.conftest import MobileWorld, build_kasa
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
    fund.payments.start_top_up(member_id, Money.parse("300"))
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

    monkeypatch.setattr("kasa.adapters.files.os.replace", third_write_fails)
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
    stored = [p for p in world.settings.files_dir.rglob("*") if p.is_file()]
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
    world.fund.payments.start_top_up(member_id, Money.parse("300"))
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
