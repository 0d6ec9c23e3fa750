"""Real answers of both APIs, route by route and status by status, for the examples of
their OpenAPI documents.

One fund on SQLite with the outside world faked is driven through the real apps: every
route to its success and to each error it documents, then four sweeps repeat each
route's successful call without a token (401), as a blocked member or an operator or a
deactivated staff user (403), with a body over the limit (413) and with the database
gone (503). The first answer seen for each route and status is kept.

``python -m tests.support.answers --write`` writes them to the examples files the apps
document (``src/kasa/entrypoints/http/examples/``); a test runs the same story and
fails when the files are not what the apps answer today.
"""

from __future__ import annotations

import base64
import json
import random
import re
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs
from litestar.testing import TestClient

from kasa.adapters import files as files_module
from kasa.adapters.files import LocalFileStore
from kasa.adapters.sql.database import SqlDatabase
from kasa.adapters.sql.migrate import upgrade
from kasa.adapters.tokens import JwtTokens
from kasa.application.members import MemberData
from kasa.application.ports import RefundAnswer, TokenAudience
from kasa.application.requests import Assessment
from kasa.domain.money import Money
from kasa.domain.requests import Resolution
from kasa.domain.staff import Role
from kasa.domain.values import Phone
from kasa.entrypoints.container import Kasa
from kasa.entrypoints.http.admin import create_admin_app
from kasa.entrypoints.http.examples import EXAMPLES, Recorded
from kasa.entrypoints.http.mobile import create_mobile_app
from tests.integration.app.helpers import IBAN, INN, JPEG, PDF, PNG, Fund
from tests.integration.http.conftest import DocumentedClient
from tests.support.fakes import Fakes, fakes
from tests.support.kasa import test_kasa, test_settings
from tests.support.monobank_standin import MonobankStandIn

SETTINGS = {
    "KASA_APPLE_APP_IDS": "ABCDE12345.ua.kasa.app",
    "KASA_FOUR_EYES_THRESHOLD": "1000",
    "KASA_MAX_UPLOAD_MB": "1",
    "KASA_OPEN_REQUESTS_MAX": "2",
    "KASA_REQUEST_MESSAGES_DAILY": "3",
}
PASSWORD = "a long password 1"
Json = dict[str, Any]


@attrs.define
class Call:
    method: str
    url: str
    kw: dict[str, Any]


@attrs.define
class Answers:
    """One API's client; keeps the first answer of each route and status, and the first
    successful call of each route for the sweeps."""

    client: TestClient[Any]
    routes: list[tuple[re.Pattern[str], str, set[str]]] = attrs.field(factory=list)
    seen: dict[str, dict[str, Any]] = attrs.field(factory=dict)
    calls: dict[str, Call] = attrs.field(factory=dict)

    def __attrs_post_init__(self) -> None:
        paths = self.client.get("/docs/openapi.json").json()["paths"]
        # literal paths first: /user/request/list before /user/request/{request_id}
        self.routes = [
            (re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$"), path, set(ops))
            for path, ops in sorted(paths.items(), key=lambda item: item[0].count("{"))
        ]

    def key(self, method: str, url: str) -> str:
        path = url.split("?")[0]
        found = [
            template
            for pattern, template, methods in self.routes
            if pattern.match(path) and method.lower() in methods
        ]
        assert found, f"{method} {url} is not a documented route"
        return f"{method} {found[0]}"

    def __call__(self, status: int, method: str, url: str, show: bool = False, **kw: Any) -> Any:
        """A call answered ``status``; ``show``: this answer is the example, not the first."""
        response = self.client.request(method, url, **kw)
        assert response.status_code == status, (
            f"{method} {url}: {response.status_code}, not {status}: {response.text[:400]}"
        )
        if show:
            self.seen.get(self.key(method, url), {}).pop(str(status), None)
        self.keep(self.key(method, url), status, response)
        if status == 200:
            self.calls.setdefault(self.key(method, url), Call(method, url, kw))
        return response

    def keep(self, key: str, status: int, response: Any) -> None:
        media = response.headers.get("content-type", "").split(";")[0]
        body = response.json() if media == "application/json" else None
        if body is not None:
            self.seen.setdefault(key, {}).setdefault(str(status), body)

    def until(self, status: int, method: str, url: str, tries: int = 40, **kw: Any) -> Any:
        """The same call again until it answers ``status`` (a limit being reached)."""
        for _ in range(tries):
            response = self.client.request(method, url, **kw)
            if response.status_code == status:
                self.keep(self.key(method, url), status, response)
                return response
        raise AssertionError(f"{method} {url} never answered {status}")

    def sweep(
        self,
        status: int,
        keys: Callable[[str], bool],
        change: Callable[[Call], Call],
        client: TestClient[Any] | None = None,
    ) -> None:
        """Each route's successful call again, changed, expecting ``status``."""
        for key, call in sorted(self.calls.items()):
            if not keys(key):
                continue
            again = change(call)
            response = (client or self.client).request(again.method, again.url, **again.kw)
            assert response.status_code == status, (
                f"{key}: {response.status_code}, not {status}: {response.text[:400]}"
            )
            self.keep(key, status, response)


def without_token(call: Call) -> Call:
    headers = {
        k: v
        for k, v in call.kw.get("headers", {}).items()
        if k.lower() not in ("authorization", "x-access-token")
    }
    return Call(call.method, call.url, {**call.kw, "headers": headers})


def with_token(token: str) -> Callable[[Call], Call]:
    def change(call: Call) -> Call:
        headers = {**without_token(call).kw["headers"], "Authorization": f"Bearer {token}"}
        return Call(call.method, call.url, {**call.kw, "headers": headers})

    return change


def oversized(call: Call) -> Call:
    """The call with a body over the limits: a JSON body over 64 KiB, a file over 1 MB."""
    kw = {k: v for k, v in call.kw.items() if k not in ("json", "data", "files", "content")}
    if "files" in call.kw:
        name, (filename, _, media) = call.kw["files"][0]
        big = [(name, (filename, JPEG + b"0" * (1024 * 1024 + 1), media))]
        return Call(call.method, call.url, {**kw, "data": call.kw.get("data"), "files": big})
    headers = {**call.kw.get("headers", {}), "Content-Type": "application/json"}
    padding = json.dumps({"padding": "x" * (65 * 1024)})
    if "data" in call.kw:  # a form
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        padding = "padding=" + "x" * (65 * 1024)
    return Call(call.method, call.url, {**kw, "headers": headers, "content": padding})


# -- the fund --------------------------------------------------------------------------
@attrs.define
class World:
    kasa: Kasa
    fakes: Fakes
    fund: Fund
    folder: Path


class SeededNames:
    """Stored files named from a seeded generator, so that the examples are the same on
    every run (the store names files from ``secrets`` otherwise)."""

    def __init__(self, seed: int = 7) -> None:
        self.random = random.Random(seed)

    def token_hex(self, size: int) -> str:
        return self.random.randbytes(size).hex()


@contextmanager
def fund_world(folder: Path) -> Iterator[World]:
    kept, files_module.secrets = files_module.secrets, SeededNames()  # type: ignore[assignment]
    try:
        with _fund_world(folder) as world:
            yield world
    finally:
        files_module.secrets = kept


@contextmanager
def _fund_world(folder: Path) -> Iterator[World]:
    settings = test_settings(folder / "data", None, **SETTINGS)
    upgrade(settings.database.url)
    found = fakes()
    database = SqlDatabase(settings.database.url)
    kasa = test_kasa(settings, database, found, files=LocalFileStore(settings.files.folder))
    fund = Fund.on(kasa, found, database)
    for login, role in (("chief", Role.ADMIN), ("clerk", Role.OPERATOR), ("second", Role.ADMIN)):
        fund.accounts.create(None, login=login, role=role, name=login.title(), password=PASSWORD)
    try:
        yield World(kasa, found, fund, settings.files.folder)
    finally:
        database.dispose()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def profile_form(program_id: int) -> dict[str, str]:
    return {
        "first_name": "Олена",
        "middle_name": "Петрівна",
        "last_name": "Коваль",
        "email": "olena@example.com",
        "program_id": str(program_id),
        "iban": IBAN,
    }


def id_card() -> list[tuple[str, tuple[str, bytes, str]]]:
    return [
        ("inn", ("inn.jpg", JPEG + b"1", "image/jpeg")),
        ("id_1", ("front.jpg", JPEG + b"2", "image/jpeg")),
        ("id_2", ("back.png", PNG + b"3", "image/png")),
    ]


def stored_as_folder(world: World, member_id: int | None) -> Callable[[], None]:
    """Make the member's folder of the file store (the shared one for None) unwritable,
    a file where the folder goes, and return how to undo it."""
    folder = world.folder / ("shared" if member_id is None else f"m{member_id}")
    moved = folder.with_name(folder.name + ".kept")
    if folder.exists():
        folder.rename(moved)
    folder.write_bytes(b"")

    def undo() -> None:
        folder.unlink()
        if moved.exists():
            moved.rename(folder)

    return undo


# -- the mobile API ------------------------------------------------------------------------
def mobile_story(m: Answers, world: World) -> dict[str, Any]:
    """Every mobile route to its success and its errors; what the sweeps need back."""
    fund, fakes = world.fund, world.fakes
    program_id = fund.program("Базова", "300")
    m(200, "GET", "/.well-known/apple-app-site-association")
    m(200, "GET", "/payments/done")
    m(200, "GET", "/health")
    m(200, "GET", "/health/ready")
    m(200, "GET", "/health/live")
    m(200, "GET", "/program/list")

    # sign-in
    phone, other = "+380501112233", "+380671112233"
    m(400, "POST", "/user/signrequest", json={"phone": "+380441234567"})
    m(422, "POST", "/user/signrequest", json={"phone": phone})
    fakes.sms.failing = True
    m(502, "POST", "/user/signrequest", json={"phone": phone, "create": True})
    fakes.sms.failing = False
    m(200, "POST", "/user/signrequest", json={"phone": phone, "create": True})
    m(429, "POST", "/user/signrequest", json={"phone": phone, "create": True})
    m(400, "POST", "/user/signin", json={"phone": "+380001234567", "code": "123456"})
    m(401, "POST", "/user/signin", json={"phone": phone, "code": "000000"})
    code = fakes.sms.last_code(phone)
    token = m(200, "POST", "/user/signin", json={"phone": phone, "code": code}).json()
    headers = bearer(token["access_token"])
    tokens: JwtTokens = world.kasa.adapters.tokens()
    member_id = tokens.claims(token["access_token"], TokenAudience.MEMBER)[0]
    fakes.clock.advance(seconds=61)
    m(200, "POST", "/user/signrequest", json={"phone": other, "create": True})
    m.until(429, "POST", "/user/signin", json={"phone": other, "code": "000000"})
    fakes.clock.advance(hours=2)
    m(200, "POST", "/user/signrequest", json={"phone": other, "create": True})
    other_token = m(
        200, "POST", "/user/signin", json={"phone": other, "code": fakes.sms.last_code(other)}
    ).json()

    # the profile
    m(200, "GET", "/user/profile/review", headers=headers)
    m(403, "GET", "/user/profile/get", headers=headers)
    m(422, "POST", "/user/payments/liqpay", json={"amount": 300}, headers=headers)
    m(422, "POST", "/user/payments/liqpay/subscribe", headers=headers)
    m(
        400,
        "POST",
        "/user/profile/create",
        data={**profile_form(program_id), "iban": "UA00"},
        files=id_card(),
        headers=headers,
    )
    gone = fund.program("Стара", "200")
    fund.programs.update(fund.admin_id, gone, is_active=False)
    m(
        422,
        "POST",
        "/user/profile/create",
        data=profile_form(gone),
        files=id_card(),
        headers=headers,
    )
    undo = stored_as_folder(world, member_id)
    m(
        502,
        "POST",
        "/user/profile/create",
        data=profile_form(program_id),
        files=id_card(),
        headers=headers,
    )
    undo()
    m(
        200,
        "POST",
        "/user/profile/create",
        data=profile_form(program_id),
        files=id_card(),
        headers=headers,
    )
    m(200, "GET", "/user/profile/review", headers=headers)
    fund.office.refuse_documents(fund.operator_id, member_id, "Нечіткий знімок першої сторінки")
    m(200, "GET", "/user/profile/review", show=True, headers=headers)
    m(
        200,
        "POST",
        "/user/profile/create",
        data=profile_form(program_id),
        files=id_card(),
        headers=headers,
    )
    m(422, "POST", "/user/request/create", data={"comment": "Аптека"}, headers=headers)
    fund.approve(member_id)
    m(200, "GET", "/user/profile/get", headers=headers)
    m(200, "GET", "/user/profile/review", headers=headers)

    # contacts, photo, phone
    m(400, "POST", "/user/profile/edit", data={"email": "x"}, headers=headers)
    m(422, "POST", "/user/profile/edit", data={"phone": other}, headers=headers)
    fakes.sms.failing = True
    m(502, "POST", "/user/profile/edit", data={"phone": "+380931112233"}, headers=headers)
    fakes.sms.failing = False
    m(
        200,
        "POST",
        "/user/profile/edit",
        data={"email": "olena.koval@example.com"},
        files=[("photo", ("me.png", PNG, "image/png"))],
        headers=headers,
    )
    m(200, "POST", "/user/profile/edit", data={"phone": "+380931112233"}, headers=headers)
    new_code = fakes.sms.last_code("+380931112233")
    m(400, "POST", "/user/profile/phone/confirm", json={"phone": "x", "code": "1"}, headers=headers)
    m(
        401,
        "POST",
        "/user/profile/phone/confirm",
        json={"phone": "+380931112233", "code": "000000"},
        headers=headers,
    )
    m(
        200,
        "POST",
        "/user/profile/phone/confirm",
        json={"phone": "+380931112233", "code": new_code},
        headers=headers,
    )
    m.until(429, "POST", "/user/profile/edit", data={"phone": "+380931112244"}, headers=headers)
    fakes.clock.advance(hours=2)
    taken = "+380501112299"
    m(200, "POST", "/user/profile/edit", data={"phone": taken}, headers=headers)
    confirm = {"phone": taken, "code": fakes.sms.last_code(taken)}
    other_id = tokens.claims(other_token["access_token"], TokenAudience.MEMBER)[0]
    fund.office.correct(fund.operator_id, other_id, MemberData(phone=Phone.parse(taken)))
    m(422, "POST", "/user/profile/phone/confirm", json=confirm, headers=headers)
    m.until(
        429,
        "POST",
        "/user/profile/phone/confirm",
        json={"phone": "+380501112299", "code": "000000"},
        headers=headers,
    )
    m(400, "POST", "/user/profile/wrong", json={"first_name": "Олена"}, headers=headers)
    m(
        200,
        "POST",
        "/user/profile/wrong",
        json={
            "first_name": "Олена",
            "middle_name": "Петрівна",
            "last_name": "Ковальчук",
            "birth_date": "02.01.1990",
        },
        headers=headers,
    )

    # programs
    second = fund.program("Розширена", "450")
    m(400, "POST", "/program/change", json={"program_id": "x"}, headers=headers)
    m(404, "POST", "/program/change", json={"program_id": 999}, headers=headers)
    m(409, "POST", "/program/change", json={"program_id": program_id}, headers=headers)
    m(422, "POST", "/program/change", json={"program_id": gone}, headers=headers)
    m(200, "POST", "/program/change", json={"program_id": second}, headers=headers)

    # Diia
    fakes.identity.unreachable = True
    m(502, "POST", "/user/profile/diia", headers=headers)
    fakes.identity.unreachable = False
    link = m(200, "POST", "/user/profile/diia", headers=headers).json()
    m(400, "POST", "/user/profile/diia-callback", data={"encodeData": "garbage"})
    encoded, files = diia_share(link["request_id"])
    trace = {"X-Document-Request-Trace-Id": link["request_id"]}
    undo = stored_as_folder(world, member_id)
    m(
        502,
        "POST",
        "/user/profile/diia-callback",
        data={"encodeData": encoded},
        files=files,
        headers=trace,
    )
    undo()
    m(
        200,
        "POST",
        "/user/profile/diia-callback",
        data={"encodeData": encoded},
        files=files,
        headers=trace,
    )

    # being told
    phone = {"token": "fcm-token-olena-phone", "platform": "android"}
    m(400, "POST", "/user/devices", json={**phone, "platform": "symbian"}, headers=headers)
    m(200, "POST", "/user/devices", json=phone, headers=headers)
    m(200, "GET", "/user/notifications/settings", headers=headers)
    settings = {"push": True, "sms": True, "language": "uk"}
    m(400, "PUT", "/user/notifications/settings", json={"language": "fr"}, headers=headers)
    m(200, "PUT", "/user/notifications/settings", json=settings, headers=headers)
    world.fund.notifier.once()
    inbox = m(200, "GET", "/user/notifications?limit=5", show=True, headers=headers).json()
    m(400, "GET", "/user/notifications?limit=0", headers=headers)
    m(400, "POST", "/user/notifications/read", json={"ids": "all"}, headers=headers)
    m(200, "POST", "/user/notifications/read", json={"ids": [inbox[0]["id"]]}, headers=headers)
    m(400, "DELETE", "/user/devices/" + "x" * 256, headers=headers)
    m(404, "DELETE", "/user/devices/another-phone", headers=headers)
    m(200, "DELETE", f"/user/devices/{phone['token']}", headers=headers)
    m(200, "POST", "/user/devices", json=phone, headers=headers)

    # contributions
    m(400, "POST", "/user/payments/liqpay", json={"amount": 0}, headers=headers)
    m(422, "POST", "/user/payments/liqpay", json={"amount": 999_999_999}, headers=headers)
    checkout = m(200, "POST", "/user/payments/liqpay", json={"amount": 300}, headers=headers)
    order_id = json.loads(base64.b64decode(checkout.json()["data"]))["order_id"]
    gateway = fakes.gateway
    m(
        400,
        "POST",
        "/user/payments/liqpay-callback",
        data={"data": "e30=", "signature": "bad"},
    )
    data, signature = gateway.callback("no-such-order", "300.00")
    m(404, "POST", "/user/payments/liqpay-callback", data={"data": data, "signature": signature})
    data, signature = gateway.callback(order_id, "299.00", payment_id=1)
    m(422, "POST", "/user/payments/liqpay-callback", data={"data": data, "signature": signature})
    data, signature = gateway.callback(order_id, "300.00", payment_id=1)
    m(200, "POST", "/user/payments/liqpay-callback", data={"data": data, "signature": signature})
    data, signature = gateway.callback(order_id, "300.00", payment_id=2)
    m(409, "POST", "/user/payments/liqpay-callback", data={"data": data, "signature": signature})
    m(200, "POST", "/user/payments/liqpay/subscribe", headers=headers)
    m(200, "GET", "/user/payments/list", headers=headers)
    m(200, "GET", "/user/payments/methods", headers=headers)
    m(200, "GET", f"/user/payments/{order_id}", headers=headers)
    m(404, "GET", "/user/payments/kasa-unknown", headers=headers)
    m(400, "GET", "/user/payments/" + "x" * 129, headers=headers)
    monobank_story(m, fakes.monobank, headers, order_id)

    # requests
    form = {"comment": "Ліки після операції"}
    receipt = [("files", ("чек.jpg", JPEG + b"r", "image/jpeg"))]
    m(
        400,
        "POST",
        "/user/request/create",
        data=form,
        files=[("files", ("a.exe", b"MZ\x90\x00" * 8, "image/jpeg"))],
        headers=headers,
    )
    undo = stored_as_folder(world, member_id)
    m(502, "POST", "/user/request/create", data=form, files=receipt, headers=headers)
    undo()
    first = m(200, "POST", "/user/request/create", data=form, files=receipt, headers=headers)
    request_id = first.json()["id"]
    second_request = m(
        200, "POST", "/user/request/create", data={"comment": "Аналізи"}, headers=headers
    ).json()["id"]
    m(409, "POST", "/user/request/create", data={"comment": "Ще"}, headers=headers)
    m(200, "POST", "/user/request/list", headers=headers)
    m(400, "POST", "/user/request/list", json={"status": ["bogus"]}, headers=headers)
    m(200, "GET", f"/user/request/{request_id}", headers=headers)
    m(400, "GET", "/user/request/0", headers=headers)
    m(404, "GET", "/user/request/999", headers=headers)
    url = f"/user/request/{request_id}/message"
    m(400, "POST", url, json={"message": "   "}, headers=headers)
    m(404, "POST", "/user/request/999/message", json={"message": "1500 грн"}, headers=headers)
    m(200, "POST", url, json={"message": "Чек на 1500 грн"}, headers=headers)
    m.until(429, "POST", url, json={"message": "Ще одне"}, headers=headers)
    more = [("files", ("рецепт.pdf", PDF, "application/pdf"))]
    m(400, "POST", "/user/request/update", data={"id": str(request_id)}, headers=headers)
    m(404, "POST", "/user/request/update", data={"id": "999"}, files=more, headers=headers)
    undo = stored_as_folder(world, member_id)
    m(
        502,
        "POST",
        "/user/request/update",
        data={"id": str(request_id)},
        files=more,
        headers=headers,
    )
    undo()
    m(
        200,
        "POST",
        "/user/request/update",
        data={"id": str(request_id)},
        files=more,
        headers=headers,
    )
    fund.staff_requests.assess(
        fund.operator_id, request_id, Assessment(diagnosis="J06", approved_amount=Money(150_000))
    )
    fund.staff_payments.record_payout(
        fund.operator_id, request_id, Money(150_000), fund.clock.today()
    )
    m(200, "POST", "/user/charges/list", headers=headers)
    m(400, "POST", "/user/charges/list", json={"begin": "2026-02-30"}, headers=headers)
    fund.staff_requests.close(
        fund.operator_id, second_request, Resolution.REJECTED, "Не покривається програмою"
    )
    url = f"/user/request/{second_request}/message"
    m(409, "POST", url, json={"message": "Чому?"}, headers=headers)
    m(
        409,
        "POST",
        "/user/request/update",
        data={"id": str(second_request)},
        files=more,
        headers=headers,
    )

    # files
    photo = fund.profiles.get(member_id).photo or ""
    m(200, "GET", f"/files/{member_id}/{photo}", headers=headers)
    m(400, "GET", f"/files/0/{photo}", headers=headers)
    m(404, "GET", f"/files/{member_id}/m{member_id}-nothing.png", headers=headers)
    path = world.folder / f"m{member_id}" / photo
    kept = path.read_bytes()
    path.unlink()
    path.mkdir()
    m(502, "GET", f"/files/{member_id}/{photo}", headers=headers)
    path.rmdir()
    path.write_bytes(kept)
    return {"member_id": member_id, "phone": "+380931112233"}


def diia_share(request_id: str) -> tuple[str, list[tuple[str, tuple[str, bytes, str]]]]:
    """What Diia posts for a sharing (the test decoder's clear form)."""
    meta = {
        "requestId": request_id,
        "data": {
            "internal-passport": [
                {
                    "lastNameUA": "Коваль",
                    "firstNameUA": "Олена",
                    "middleNameUA": "Петрівна",
                    "birthday": "02.01.1990",
                    "docNumber": "000123456",
                    "taxpayerNumber": INN,
                    "fileName": "passport.pdf",
                }
            ],
            "taxpayer-card": [{"fileName": "tax.pdf"}],
        },
    }
    encoded = base64.b64encode(json.dumps(meta).encode()).decode()
    files = [
        ("passport.pdf", ("passport.pdf", PDF + b"p", "application/pdf")),
        ("tax.pdf", ("tax.pdf", PDF + b"t", "application/pdf")),
    ]
    return encoded, files


def mobile_sweeps(m: Answers, world: World, found: dict[str, Any], broken: TestClient[Any]) -> None:
    signed_in = [key for key in m.calls if "Authorization" in m.calls[key].kw.get("headers", {})]
    m.sweep(401, lambda key: key in signed_in, without_token)
    m.sweep(413, takes_a_body(m), oversized)
    m.sweep(503, uses_the_database, lambda call: call, client=broken)
    world.fakes.clock.advance(hours=2)
    m(200, "POST", "/user/signrequest", json={"phone": found["phone"]})
    code = world.fakes.sms.last_code(found["phone"])
    world.fund.office.block(world.fund.operator_id, found["member_id"])
    tokens: JwtTokens = world.kasa.adapters.tokens()
    blocked = tokens.issue(TokenAudience.MEMBER, found["member_id"])
    m.sweep(403, lambda key: key in signed_in and key not in ANSWERS_BLOCKED, with_token(blocked))
    m(403, "POST", "/user/signin", json={"phone": found["phone"], "code": code})
    world.fakes.clock.advance(hours=2)
    m(403, "POST", "/user/signrequest", json={"phone": found["phone"]})


def monobank_story(
    m: Answers, mono: MonobankStandIn, headers: dict[str, str], liqpay_order: str
) -> None:
    """Contributions through monobank: checkouts, and its webhooks as monobank signs them."""
    down = (500, "INTERNAL_ERROR", "Internal server error")
    mono.failing = down
    m(502, "POST", "/user/payments/monobank", json={"amount": 300}, headers=headers)
    mono.failing = None
    m(400, "POST", "/user/payments/monobank", json={"amount": 0}, headers=headers)
    m(422, "POST", "/user/payments/monobank", json={"amount": 999_999_999}, headers=headers)
    paid = m(200, "POST", "/user/payments/monobank", json={"amount": 300}, headers=headers)
    invoice_id = paid.json()["invoice_id"]
    mono.pay(invoice_id)
    body, sign = mono.webhook(invoice_id)
    webhook = "/user/payments/monobank-callback"

    def signed(signature: str) -> dict[str, str]:
        return {"X-Sign": signature, "Content-Type": "application/json"}

    mono.failing = down  # the bank's key cannot be fetched
    m(502, "POST", webhook, content=body, headers=signed(sign))
    mono.failing = None
    m(400, "POST", webhook, content=body, headers=signed(base64.b64encode(b"forged").decode()))
    m(200, "POST", webhook, content=body, headers=signed(sign))
    m(200, "GET", f"/user/payments/{paid.json()['order_id']}", headers=headers, show=True)
    # an invoice of an order Kasa never made, and one naming a LiqPay order
    for reference, status in (("kasa-unknown", 404), (liqpay_order, 409)):
        made = mono.make(reference, 30000)
        mono.pay(made)
        m(
            status,
            "POST",
            webhook,
            content=mono.webhook(made)[0],
            headers=signed(mono.webhook(made)[1]),
        )
    # monobank reports another amount than the order's
    other = m(200, "POST", "/user/payments/monobank", json={"amount": 150}, headers=headers)
    changed = mono.invoices[other.json()["invoice_id"]]
    changed.amount = 14_900
    mono.pay(changed.invoice_id)
    body, sign = mono.webhook(changed.invoice_id)
    m(422, "POST", webhook, content=body, headers=signed(sign))


# routes a blocked member is answered on (where the profile stands)
ANSWERS_BLOCKED = {"GET /user/profile/review"}
# routes that answer without the database
WITHOUT_DATABASE = {
    "GET /health/live",
    "GET /.well-known/apple-app-site-association",
    "GET /payments/done",
}


def uses_the_database(key: str) -> bool:
    return key not in WITHOUT_DATABASE


def takes_a_body(m: Answers) -> Callable[[str], bool]:
    document = m.client.get("/docs/openapi.json").json()["paths"]

    def check(key: str) -> bool:
        method, path = key.split(" ", 1)
        return "requestBody" in document[path][method.lower()]

    return check


# -- the admin API ----------------------------------------------------------------------
def sign_in(a: Answers, login: str) -> dict[str, str]:
    answer = a(200, "POST", "/signin", json={"login": login, "password": PASSWORD})
    return bearer(answer.json()["access_token"])


def admin_story(a: Answers, world: World) -> dict[str, Any]:
    fund, fakes = world.fund, world.fakes
    a(200, "GET", "/health")
    a(200, "GET", "/health/ready")
    a(200, "GET", "/health/live")
    a(400, "POST", "/signin", json={"login": "chief"})
    a(401, "POST", "/signin", json={"login": "chief", "password": "wrong password"})
    a.until(429, "POST", "/signin", json={"login": "nobody", "password": "wrong password"})
    fakes.clock.advance(hours=2)
    chief, clerk, second = (sign_in(a, login) for login in ("chief", "clerk", "second"))

    # staff accounts
    a(200, "GET", "/user", headers=chief)
    new = {"login": "mykola", "name": "Микола Іваненко", "role": "operator"}
    a(400, "PUT", "/user", json={"login": ""}, headers=chief)
    created = a(200, "PUT", "/user", json=new, headers=chief).json()
    staff_id = created["data"]["id"]
    a(409, "PUT", "/user", json=new, headers=chief)
    a(200, "GET", f"/user/{staff_id}", headers=chief)
    a(400, "GET", "/user/0", headers=chief)
    a(404, "GET", "/user/999", headers=chief)
    a(400, "POST", "/user", json={"id": staff_id, "email": "x"}, headers=chief)
    a(404, "POST", "/user", json={"id": 999, "name": "Х"}, headers=chief)
    a(409, "POST", "/user", json={"id": staff_id, "login": "clerk"}, headers=chief)
    a(200, "POST", "/user", json={"id": staff_id, "name": "Микола Іваненко-Коваль"}, headers=chief)
    a(400, "POST", "/user/change_password", json={"new_password": "short"}, headers=chief)
    a(
        404,
        "POST",
        "/user/change_password",
        json={"id": 999, "new_password": PASSWORD + "2"},
        headers=chief,
    )
    wrong = {"old_password": "not the password", "new_password": PASSWORD + "2"}
    a.until(429, "POST", "/user/change_password", json=wrong, headers=clerk)
    fakes.clock.advance(hours=2)
    a(
        200,
        "POST",
        "/user/change_password",
        json={"id": staff_id, "new_password": "a new long password 2"},
        headers=chief,
    )
    a(400, "DELETE", "/user/0", headers=chief)
    a(404, "DELETE", "/user/999", headers=chief)
    a(200, "DELETE", f"/user/{staff_id}", headers=chief)
    a(409, "DELETE", f"/user/{staff_id}", headers=chief)

    # members
    program_id = fund.program("Базова", "300")
    member_id = fund.sign_up()
    fund.submit(member_id, program_id)
    a(200, "POST", "/members", json={"filter": {"query": ""}}, headers=clerk)
    a(400, "POST", "/members", json={"filter": {"query": " ".join("абвгдежзиклм")}}, headers=clerk)
    a(200, "POST", "/member", json={"id": member_id}, headers=clerk)
    a(400, "POST", "/member", json={"id": 0}, headers=clerk)
    a(404, "POST", "/member", json={"id": 999}, headers=clerk)
    a(400, "PUT", "/member", json={"id": member_id, "iban": "UA00"}, headers=clerk)
    a(404, "PUT", "/member", json={"id": 999, "is_active": False}, headers=clerk)
    a(422, "PUT", "/member", json={"id": member_id, "is_submitted": True}, headers=clerk)
    certificate = a(200, "GET", "/member/generate_certificate", headers=clerk).json()["data"]
    a(
        200,
        "PUT",
        "/member",
        json={"id": member_id, "certificate": certificate, "is_submitted": True},
        headers=clerk,
    )
    a(409, "PUT", "/member", json={"id": member_id, "approve_documents": True}, headers=clerk)
    detail = fund.office.detail(fund.operator_id, member_id)
    stored = detail.identities[0].file.stored_name
    a(200, "POST", "/files", json={"user_id": member_id, "filename": stored}, headers=clerk)
    a(400, "POST", "/files", json={"user_id": 0, "filename": stored}, headers=clerk)
    a(404, "POST", "/files", json={"user_id": member_id, "filename": "nothing.jpg"}, headers=clerk)
    path = world.folder / f"m{member_id}" / stored
    kept = path.read_bytes()
    path.unlink()
    path.mkdir()
    a(502, "POST", "/files", json={"user_id": member_id, "filename": stored}, headers=clerk)
    path.rmdir()
    path.write_bytes(kept)

    # programs
    a(200, "GET", "/programs", headers=clerk)
    a(200, "POST", "/program", json={"id": program_id}, headers=clerk)
    a(400, "POST", "/program", json={"id": 0}, headers=clerk)
    a(404, "POST", "/program", json={"id": 999}, headers=clerk)
    terms = [("new_program_file", ("умови.pdf", PDF + b"terms", "application/pdf"))]
    a(400, "PUT", "/program", data={"program_name": "Сімейна"}, headers=clerk)
    a(404, "PUT", "/program", data={"id": "999", "program_name": "Х"}, headers=clerk)
    undo = stored_as_folder(world, None)
    a(
        502,
        "PUT",
        "/program",
        data={"program_name": "Сімейна", "month_price": "600"},
        files=terms,
        headers=clerk,
    )
    undo()
    saved = a(
        200,
        "PUT",
        "/program",
        data={"program_name": "Сімейна", "month_price": "600"},
        files=terms,
        headers=clerk,
    ).json()
    terms_file = saved["data"]["program_file"]
    a(200, "GET", f"/program/{terms_file}")
    a(400, "GET", "/program/" + "x" * 300)
    a(404, "GET", "/program/shared-nothing.pdf")
    path = world.folder / "shared" / terms_file
    kept = path.read_bytes()
    path.unlink()
    path.mkdir()
    a(502, "GET", f"/program/{terms_file}")
    path.rmdir()
    path.write_bytes(kept)

    # requests and payouts
    request = fund.requests.create(member_id, "Ліки після операції", [])
    request_id = request.request.id
    a(200, "POST", "/requests", json={}, headers=clerk)
    a(400, "POST", "/requests", json={"status": ["bogus"]}, headers=clerk)
    a(200, "POST", "/request", json={"request": request_id}, headers=clerk)
    a(400, "POST", "/request", json={"request": 0}, headers=clerk)
    a(404, "POST", "/request", json={"request": 999}, headers=clerk)
    message = {"request_id": request_id, "message": "Додайте, будь ласка, рецепт"}
    a(200, "POST", "/request/message", json=message, headers=clerk)
    a(
        400,
        "POST",
        "/request/message",
        json={"request_id": request_id, "message": " "},
        headers=clerk,
    )
    a(404, "POST", "/request/message", json={"request_id": 999, "message": "?"}, headers=clerk)
    a(400, "PUT", "/request", json={"id": request_id, "suma": 0}, headers=clerk)
    a(404, "PUT", "/request", json={"id": 999, "suma": 100}, headers=clerk)
    a(
        200,
        "PUT",
        "/request",
        json={"id": request_id, "suma": 1500, "diagnos": "J06"},
        headers=clerk,
    )
    today = fund.clock.today().isoformat()
    payout = {"member": member_id, "type": "payout", "date": today, "request": request_id}
    a(400, "PUT", "/payment", json={**payout, "amount": 100, "date": "2026-02-30"}, headers=clerk)
    a(404, "PUT", "/payment", json={**payout, "amount": 100, "member": 999}, headers=clerk)
    a(422, "PUT", "/payment", json={**payout, "amount": 2000}, headers=clerk)
    pending = a(200, "PUT", "/payment", json={**payout, "amount": 1200}, headers=clerk).json()
    a(
        422,
        "PUT",
        "/request",
        json={"id": request_id, "status": "closed", "resolution": "paid"},
        headers=clerk,
    )
    a(403, "POST", "/payout/approve", json={"payment_id": pending["data"]["id"]}, headers=clerk)
    a(400, "POST", "/payout/approve", json={"payment_id": 0}, headers=second)
    a(404, "POST", "/payout/approve", json={"payment_id": 999}, headers=second)
    a(200, "POST", "/payout/approve", json={"payment_id": pending["data"]["id"]}, headers=second)
    a(409, "POST", "/payout/approve", json={"payment_id": pending["data"]["id"]}, headers=second)
    rest = a(200, "PUT", "/payment", json={**payout, "amount": 300}, headers=clerk).json()
    a(200, "POST", "/payout/approve", json={"payment_id": rest["data"]["id"]}, headers=second)
    top_up = {"member": member_id, "type": "top_up", "date": today, "amount": 300}
    a(200, "PUT", "/payment", json=top_up, headers=clerk)
    a(
        200,
        "PUT",
        "/request",
        json={"id": request_id, "status": "closed", "resolution": "paid"},
        headers=clerk,
    )
    a(409, "PUT", "/payment", json={**payout, "amount": 1}, headers=clerk)
    a(409, "PUT", "/request", json={"id": request_id, "diagnos": "J06.9"}, headers=clerk)
    a(409, "POST", "/request/message", json=message, headers=clerk)
    a(200, "POST", "/payments", json={}, headers=clerk)
    a(400, "POST", "/payments", json={"date_start": "2026-02-30"}, headers=clerk)
    refund_story(a, world, member_id, chief, clerk, second)

    # what members were told
    world.fund.notifier.once()
    a(200, "GET", f"/notifications?member_id={member_id}&limit=5", show=True, headers=clerk)
    a(400, "GET", "/notifications?state=lost", headers=clerk)

    # the books
    a(
        200,
        "POST",
        "/audit",
        json={"object_kind": "member", "object_id": str(member_id)},
        headers=clerk,
    )
    a(
        400,
        "POST",
        "/audit",
        json={"date_start": "2026-03-02", "date_end": "2026-03-01"},
        headers=clerk,
    )
    a(200, "GET", "/export/payments.csv", headers=clerk)
    a(400, "GET", "/export/requests.csv?status=bogus", headers=clerk)
    a(200, "GET", "/reports/fund", headers=clerk)
    a(400, "GET", "/reports/fund?date_from=2026-03-02&date_to=2026-03-01", headers=clerk)
    return {"chief": chief, "clerk": clerk, "second": second}


def admin_sweeps(a: Answers, world: World, found: dict[str, Any], broken: TestClient[Any]) -> None:
    signed_in = [key for key in a.calls if "Authorization" in a.calls[key].kw.get("headers", {})]
    a.sweep(401, lambda key: key in signed_in, without_token)
    a.sweep(413, takes_a_body(a), oversized)
    a.sweep(503, uses_the_database, lambda call: call, client=broken)
    for_admins = {key for key in signed_in if key.split(" ", 1)[1].startswith("/user")}
    a.sweep(403, lambda key: key in for_admins, with_headers(found["clerk"]))
    second = world.fund.accounts.by_login("second").id or 0
    world.fund.accounts.deactivate(world.fund.admin_id, second)
    a(403, "POST", "/signin", json={"login": "second", "password": PASSWORD})


def refund_story(
    a: Answers,
    world: World,
    member_id: int,
    chief: dict[str, str],
    clerk: dict[str, str],
    second: dict[str, str],
) -> None:
    """Refunds through the gateway, under the four-eyes threshold and over it."""
    fund, gateway = world.fund, world.fakes.gateway
    orders = [fund.pay(member_id, amount) for amount in ("300", "1500", "1200")]
    ids = {p.payment_identifier: p.id for p in fund.payments.top_ups(member_id)}
    small, large, third = (f"/payments/{ids[order]}/refund" for order in orders)
    reason = {"reason": "Сплачено двічі помилково."}
    a(403, "POST", small, json=reason, headers=clerk)
    a(400, "POST", small, json={"reason": " "}, headers=chief)
    a(400, "POST", "/payments/0/refund", json=reason, headers=chief)
    a(404, "POST", "/payments/999999/refund", json=reason, headers=chief)
    gateway.unreachable = True
    a(502, "POST", small, json=reason, headers=chief)
    gateway.unreachable = False
    gateway.refund_answer = RefundAnswer(False, "payment_err_status")
    a(422, "POST", small, json=reason, headers=chief)
    gateway.refund_answer = RefundAnswer(True, "reversed")
    a(200, "POST", small, json=reason, headers=chief)
    a(409, "POST", small, json=reason, headers=chief)
    a(200, "POST", large, json=reason, headers=chief, show=True)  # waits for a second admin
    a(403, "POST", large + "/approve", headers=chief)
    a(400, "POST", "/payments/0/refund/approve", headers=second)
    a(404, "POST", "/payments/999999/refund/approve", headers=second)
    a(409, "POST", third + "/approve", headers=second)
    a(200, "POST", large + "/approve", headers=second)
    a(409, "POST", large + "/approve", headers=second)
    a(200, "POST", third, json=reason, headers=chief)
    gateway.refund_answer = RefundAnswer(False, "payment_err_status")
    a(422, "POST", third + "/approve", headers=second)
    gateway.refund_answer = RefundAnswer(True, "reversed")
    a(200, "POST", third, json=reason, headers=chief)
    gateway.unreachable = True
    a(502, "POST", third + "/approve", headers=second)
    gateway.unreachable = False


def with_headers(headers: dict[str, str]) -> Callable[[Call], Call]:
    def change(call: Call) -> Call:
        return Call(
            call.method,
            call.url,
            {**call.kw, "headers": {**without_token(call).kw["headers"], **headers}},
        )

    return change


# -- both -----------------------------------------------------------------------------
def record(folder: Path) -> dict[str, Recorded]:
    """Every route's real answers, by API, route and status."""
    with fund_world(folder) as world, broken_world(folder / "broken", world.fakes) as broken:
        with (
            DocumentedClient(create_mobile_app(world.kasa)) as client,
            TestClient(create_mobile_app(broken)) as gone,
        ):
            mobile = Answers(client)
            mobile_sweeps(mobile, world, mobile_story(mobile, world), gone)
        with (
            DocumentedClient(create_admin_app(world.kasa)) as client,
            TestClient(create_admin_app(broken)) as gone,
        ):
            admin = Answers(client)
            admin_sweeps(admin, world, admin_story(admin, world), gone)
    return {"mobile": mobile.seen, "admin": admin.seen}


@contextmanager
def broken_world(folder: Path, same: Fakes) -> Iterator[Kasa]:
    """The same apps, on the same clock, over a database that cannot be reached."""
    settings = test_settings(
        folder / "data",
        None,
        KASA_DATABASE_URL="mysql+pymysql://kasa:none@127.0.0.1:9/kasa",
        **SETTINGS,
    )
    database = SqlDatabase(settings.database.url)
    yield test_kasa(settings, database, same, files=LocalFileStore(settings.files.folder))
    database.dispose()


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="kasa-answers-") as folder:
        found = record(Path(folder))
    if "--write" in sys.argv:
        for api, answers in found.items():
            EXAMPLES.write(api, answers)
            print(f"{api}: {sum(len(v) for v in answers.values())} answers")
    else:
        json.dump(found, sys.stdout, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
