"""What an attacker found open, closed over real HTTP through both apps: extreme input,
SMS pumping, leaks in errors, unconfigured features, terms files, storage bounds,
audited reads of members' files, and who the client is behind a proxy."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from kasa.application.reads import AuditQuery, Page
from kasa.domain.audit import AuditEvent, EventType
from kasa.domain.staff import Role
from kasa.entrypoints.http.admin import create_admin_app
from kasa.entrypoints.http.middleware import forwarded_clients
from kasa.entrypoints.http.uploads import json_depth
from tests.integration.app.helpers import IBAN, JPEG, PDF, Fund
from tests.integration.http.conftest import DocumentedClient, MobileWorld, build_kasa, mobile_world

PASSWORD = "operator password 1"


class Admin:
    def __init__(self, client: TestClient[Any], fund: Fund, headers: dict[str, str]) -> None:
        self.client, self.fund, self.headers = client, fund, headers


@pytest.fixture
def admin(tmp_path: Path) -> Iterator[Admin]:
    kasa, fakes = build_kasa(tmp_path / "admin")
    fund = Fund.on(kasa, fakes, kasa.adapters.database())
    fund.accounts.create(None, login="clerk", role=Role.OPERATOR, password=PASSWORD)
    with DocumentedClient(create_admin_app(kasa)) as client:
        r = client.post("/signin", json={"login": "clerk", "password": PASSWORD})
        yield Admin(client, fund, {"Authorization": f"Bearer {r.json()['access_token']}"})
    kasa.adapters.database().dispose()


def events(fund: Fund, kind: EventType) -> list[AuditEvent]:
    """The audit events of a kind, oldest first, from the fund's database."""
    found = fund.reads.audit(AuditQuery(event_types=frozenset({kind})), Page(limit=500))
    return list(reversed(found.items))


def signed_in(world: MobileWorld, phone: str = "+380671112233") -> dict[str, str]:
    return world.sign_up(phone)[1]


# -- extreme input ---------------------------------------------------------------------------
def test_json_nested_too_deep_is_a_field_error_not_a_crash(world: MobileWorld) -> None:
    deep = '{"phone": "+380501112233", "code": "123456", "x": ' + "[" * 5000 + "]" * 5000 + "}"
    for path in ("/user/signin", "/user/signrequest"):
        r = world.client.post(path, content=deep, headers={"content-type": "application/json"})
        assert r.status_code == 400 and "body" in r.json()["errors"], r.text
    shallow = '{"phone": "+380501112233", "create": true, "x": ' + "[" * 30 + "]" * 30 + "}"
    r = world.client.post(
        "/user/signrequest", content=shallow, headers={"content-type": "application/json"}
    )
    assert r.status_code == 200
    assert json_depth(b'{"a": "[[[[", "b": [{"c": "\\"]"}]}') == 3


@pytest.mark.parametrize("day", ["9999-12-31", "31.12.9999", "0001-01-01", "1899-12-31"])
def test_dates_out_of_range_are_field_errors_on_both_apps(
    world: MobileWorld, admin: Admin, day: str
) -> None:
    headers = signed_in(world)
    r = world.client.post("/user/charges/list", headers=headers, json={"end": day})
    assert r.status_code == 400
    assert r.json()["errors"]["end"].startswith("must be a date between 1900 and 2200")
    c, h = admin.client, admin.headers
    for method, path, body in (
        ("post", "/payments", {"date_end": day}),
        ("post", "/requests", {"date_start": day}),
        ("post", "/audit", {"date_end": day}),
    ):
        r = getattr(c, method)(path, headers=h, json=body)
        assert r.status_code == 400 and next(iter(r.json()["errors"])).startswith("date"), r.text
    assert c.get(f"/reports/fund?date_to={day}", headers=h).status_code == 400
    assert c.get(f"/export/payments.csv?date_end={day}", headers=h).status_code == 400
    assert c.get(f"/export/requests.csv?date_start={day}", headers=h).status_code == 400


@pytest.mark.parametrize("amount", ["1e26", "100000000000000000000000000", "1000000000.01"])
def test_amounts_past_a_billion_are_field_errors_on_both_apps(
    world: MobileWorld, admin: Admin, amount: str
) -> None:
    headers = signed_in(world)
    r = world.client.post(
        "/user/payments/liqpay",
        headers=headers,
        content='{"amount": ' + amount + "}",
    )
    assert r.status_code == 400 and "amount" in r.json()["errors"], r.text
    c, h = admin.client, admin.headers
    member_id = admin.fund.approved_member()
    for method, path, body, field in (
        (
            "put",
            "/payment",
            {"member": member_id, "type": "top_up", "date": "2026-01-15"},
            "amount",
        ),
        ("post", "/payments", {}, "amount_start"),
        ("put", "/request", {"id": 1}, "suma"),
    ):
        raw = (
            '{"'
            + field
            + '": '
            + amount
            + "".join(f', "{k}": {v!r}'.replace("'", '"') for k, v in body.items())
            + "}"
        )
        r = getattr(c, method)(path, headers=h, content=raw)
        assert r.status_code == 400 and field in r.json()["errors"], (path, r.text)
    assert c.get(f"/export/payments.csv?amount_end={amount}", headers=h).status_code == 400


def test_searches_take_at_most_ten_words_and_200_characters(admin: Admin) -> None:
    c, h = admin.client, admin.headers
    eleven = " ".join(["слово"] * 11)
    for path, body in (
        ("/members", {"filter": {"query": eleven}}),
        ("/requests", {"query": eleven}),
        ("/members", {"filter": {"query": "я" * 201}}),
    ):
        r = c.post(path, headers=h, json=body)
        errors = r.json()["errors"]
        assert r.status_code == 400 and {"query", "filter.query"} & set(errors), r.text
    assert c.get(f"/export/members.csv?query={eleven}", headers=h).status_code == 400
    r = c.post("/members", headers=h, json={"filter": {"query": " ".join(["слово"] * 10)}})
    assert r.status_code == 200


# -- SMS pumping -------------------------------------------------------------------------------
def test_codes_go_only_to_the_funds_countries(world: MobileWorld) -> None:
    for phone in ("+12025550143", "+74951234567", "+48601234567"):
        r = world.client.post("/user/signrequest", json={"phone": phone, "create": True})
        assert r.status_code == 400 and "phone" in r.json()["errors"], r.text
    assert world.fakes.sms.sent == []


def test_code_requests_are_limited_per_address_across_phones(world: MobileWorld) -> None:
    c = world.client
    for n in range(10):
        r = c.post("/user/signrequest", json={"phone": f"+38067{n:07d}", "create": True})
        assert r.status_code == 200
    r = c.post("/user/signrequest", json={"phone": "+380689999999", "create": True})
    assert r.status_code == 429 and 0 < int(r.headers["retry-after"]) <= 3600
    assert len(world.fakes.sms.sent) == 10
    world.fakes.clock.advance(hours=1)
    assert c.post("/user/signrequest", json={"phone": "+380689999999", "create": True}).is_success


# -- what errors say ---------------------------------------------------------------------------
def test_a_failing_outside_service_is_named_and_nothing_more(
    world: MobileWorld, caplog: pytest.LogCaptureFixture
) -> None:
    world.fakes.sms.failing = True
    with caplog.at_level(logging.ERROR, logger="kasa"):
        r = world.client.post(
            "/user/signrequest",
            json={"phone": "+380501112233", "create": True},
            headers={"X-Request-ID": "trace-502"},
        )
    assert r.status_code == 502
    assert r.json() == {
        "status": "error",
        "message": "The SMS service failed; please try again later.",
    }
    logged = [rec for rec in caplog.records if "SMS service failed" in rec.getMessage()]
    assert logged and "not answering" in logged[0].getMessage()


def test_diia_without_its_settings_is_not_configured(tmp_path: Path) -> None:
    kasa, fakes = build_kasa(tmp_path, real_outside=True)
    fund = Fund.on(kasa, fakes, kasa.adapters.database())
    from kasa.entrypoints.http.mobile import create_mobile_app

    with DocumentedClient(create_mobile_app(kasa)) as client:
        world = MobileWorld(client, kasa, fund, fakes, kasa.settings())
        headers = signed_in(world)
        r = client.post("/user/profile/diia", headers=headers)
        assert r.status_code == 503
        assert r.json()["message"] == "Diia sharing is not configured on this server"
        r = client.post(
            "/user/profile/diia-callback",
            data={"encodeData": "x"},
            files=[("doc", ("a.jpg", JPEG, "image/jpeg"))],
        )
        assert r.status_code == 503
    kasa.adapters.database().dispose()


# -- files --------------------------------------------------------------------------------------
def test_a_members_scan_cannot_become_a_public_terms_file(world: MobileWorld, admin: Admin) -> None:
    member_id = admin.fund.approved_member()
    with admin.fund.uow() as uow:
        scan = uow.identities.for_member(member_id)[0]
        stored = uow.files.get(scan.file_id)
    assert stored is not None
    c, h = admin.client, admin.headers
    r = c.put("/program", headers=h, data={"program_name": "Базова", "month_price": "300"})
    assert r.status_code == 200, r.text
    program_id = r.json()["data"]["id"]
    r = c.put(
        "/program", headers=h, data={"id": str(program_id), "program_file": stored.stored_name}
    )
    assert r.status_code == 400 and "program_file" in r.json()["errors"]
    assert c.get(f"/program/{stored.stored_name}").status_code == 404
    r = c.put(
        "/program",
        headers=h,
        data={"id": str(program_id)},
        files=[("new_program_file", ("умови.pdf", PDF, "application/pdf"))],
    )
    terms = r.json()["data"]["program_file"]
    assert c.get(f"/program/{terms}").content == PDF
    assert events(admin.fund, EventType.UPDATED)[-1].details["program_file"] == terms


def test_staff_reads_of_members_files_are_audited(admin: Admin) -> None:
    member_id = admin.fund.approved_member()
    with admin.fund.uow() as uow:
        scan = uow.files.get(uow.identities.for_member(member_id)[0].file_id)
    assert scan is not None
    r = admin.client.post(
        "/files", headers=admin.headers, json={"user_id": member_id, "filename": scan.stored_name}
    )
    assert r.status_code == 200 and r.content.startswith(JPEG[:3])
    [viewed] = events(admin.fund, EventType.FILE_VIEWED)
    assert viewed.object_id == str(scan.id) and viewed.details["member_id"] == member_id


def test_a_members_stored_files_are_bounded(tmp_path: Path) -> None:
    with mobile_world(tmp_path, KASA_MEMBER_STORAGE_MB="1") as world:
        member_id, headers = world.sign_up("+380671112233")
        program_id = world.fund.program()
        big = JPEG + b"\x00" * 400_000
        form = {
            "first_name": "Олена",
            "middle_name": "Петрівна",
            "last_name": "Коваль",
            "email": "o@example.com",
            "program_id": str(program_id),
            "iban": IBAN,
        }
        files = [
            (field, (f"{field}.jpg", big + field.encode(), "image/jpeg"))
            for field in ("inn", "id_1", "id_2")
        ]
        before = {p for p in world.settings.files.folder.rglob("*") if p.is_file()}
        r = world.client.post("/user/profile/create", headers=headers, data=form, files=files)
        assert r.status_code == 413 and "MB in all" in r.json()["message"], r.text
        assert {p for p in world.settings.files.folder.rglob("*") if p.is_file()} == before
        files = [*files[:2], ("id_2", ("id_2.jpg", JPEG, "image/jpeg"))]
        r = world.client.post("/user/profile/create", headers=headers, data=form, files=files)
        assert r.status_code == 200, r.text
        with world.kasa.adapters.uow()() as uow:
            assert uow.files.stored_bytes(member_id) <= 1024 * 1024


def test_bodies_larger_than_a_route_takes_are_refused(world: MobileWorld) -> None:
    r = world.client.post(
        "/user/signin",
        content=b"{" + b" " * 70_000 + b"}",
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 413 and r.json()["status"] == "error"
    r = world.client.post(
        "/user/payments/liqpay-callback",
        data={"data": "x" * 70_000, "signature": "y"},
    )
    assert r.status_code == 413


# -- who the client is -------------------------------------------------------------------------
def forwarded_client(peer: str, forwarded_for: list[str], trusted: list[str]) -> str:
    """The client the apps' middleware makes of a request from ``peer``."""
    seen: list[str] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.append(scope["client"][0])

    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded_for]
    middleware = forwarded_clients(trusted)
    handler = middleware.middleware(app, **middleware.kwargs)
    scope = {"type": "http", "client": (peer, 40000), "headers": headers}
    asyncio.run(handler(scope, None, None))
    return seen[0]


def test_forwarded_for_is_read_only_from_trusted_proxies() -> None:
    proxies = ["127.0.0.1", "10.0.0.0/8"]
    made_up = ["1.2.3.4, 203.0.113.7, 10.0.0.2"]
    assert forwarded_client("127.0.0.1", made_up, []) == "127.0.0.1"  # none trusted: ignored
    assert forwarded_client("198.51.100.5", made_up, proxies) == "198.51.100.5"
    # from a trusted proxy: the rightmost address that is not a proxy itself
    assert forwarded_client("127.0.0.1", made_up, proxies) == "203.0.113.7"
    assert forwarded_client("127.0.0.1", ["203.0.113.7", "10.1.1.1"], proxies) == "203.0.113.7"
    assert forwarded_client("127.0.0.1", [], proxies) == "127.0.0.1"
    # every hop a proxy: the leftmost, itself a proxy's address, never a made-up one
    assert forwarded_client("127.0.0.1", ["10.0.0.3, 10.0.0.4"], proxies) == "10.0.0.3"


# -- the phone change over HTTP ----------------------------------------------------------------
def test_a_phone_change_waits_for_the_code_sent_to_the_new_phone(world: MobileWorld) -> None:
    member_id, headers = world.sign_up("+380501112233")
    c, new = world.client, "+380671234567"
    r = c.post("/user/profile/edit", headers=headers, data={"phone": new})
    assert r.json() == {"message": "Profile successfully updated", "phone_change": "code_sent"}
    code = world.fakes.sms.last_code(new)
    wrong = "000000" if code != "000000" else "111111"
    r = c.post("/user/profile/phone/confirm", headers=headers, json={"phone": new, "code": wrong})
    assert r.status_code == 401
    r = c.post("/user/profile/phone/confirm", headers=headers, json={"phone": new})
    assert r.status_code == 400 and r.json()["errors"] == {"code": "is required"}
    r = c.post("/user/profile/phone/confirm", headers=headers, json={"phone": new, "code": code})
    assert r.json() == {"message": "Phone changed"}
    [changed] = events(world.fund, EventType.PHONE_CHANGED)
    assert changed.object_id == str(member_id) and changed.details["new_phone"] == new
    r = c.post("/user/profile/edit", headers=headers, data={"email": "x@example.com"})
    assert r.json() == {"message": "Profile successfully updated"}  # no phone, no code


def test_a_phone_another_member_took_meanwhile_is_refused(world: MobileWorld) -> None:
    _, headers = world.sign_up("+380501112233")
    new = "+380671234567"
    world.client.post("/user/profile/edit", headers=headers, data={"phone": new})
    code = world.fakes.sms.last_code(new)
    world.fakes.clock.advance(seconds=61)
    world.sign_up(new)  # the phone's owner registers it
    r = world.client.post(
        "/user/profile/phone/confirm", headers=headers, json={"phone": new, "code": code}
    )
    assert r.status_code in (401, 422)  # their sign-in code replaced the change's code
    r = world.client.post("/user/profile/edit", headers=headers, data={"phone": new})
    assert r.status_code == 422 and r.json()["message"] == "Can not assign this phone number"


# -- production settings -----------------------------------------------------------------------
def test_the_docs_are_not_served_when_switched_off(tmp_path: Path) -> None:
    from kasa.entrypoints.http.mobile import create_mobile_app

    kasa, _ = build_kasa(tmp_path, KASA_DOCS="0")
    for app in (create_mobile_app(kasa), create_admin_app(kasa)):
        with TestClient(app) as client:
            assert client.get("/docs").status_code == 404
            assert client.get("/docs/openapi.json").status_code == 404
            assert client.get("/health/live").status_code == 200
    kasa.adapters.database().dispose()


def test_the_embedded_database_is_private_to_its_owner(tmp_path: Path) -> None:
    from kasa.adapters.sql.database import SqlDatabase

    database = SqlDatabase(f"sqlite:///{tmp_path / 'data' / 'kasa.db'}")
    with database.engine.connect() as connection:
        connection.exec_driver_sql("SELECT 1")
    database.dispose()
    assert (tmp_path / "data" / "kasa.db").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "data").stat().st_mode & 0o777 == 0o700
