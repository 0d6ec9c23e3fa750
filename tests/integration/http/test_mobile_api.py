"""Every route of the mobile plan through the real Litestar app (on SQLite): the success
path in the spec's shape and the refusals."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kasa.adapters.tokens import JwtTokens
from kasa.application.ports import TokenAudience
from kasa.application.requests import Assessment
from kasa.domain.money import Money
from kasa.domain.requests import Resolution
from kasa.entrypoints.http.fields import money
from tests.integration.app.helpers import IBAN, INN, JPEG, PDF, PNG
from tests.integration.http.conftest import MobileWorld, mobile_world
from tests.support.kasa import SECRET

Headers = dict[str, str]


def profile_form(program_id: int) -> dict[str, Any]:
    return {
        "first_name": "Олена",
        "middle_name": "Петрівна",
        "last_name": "Коваль",
        "email": "olena@example.com",
        "program_id": str(program_id),
        "iban": IBAN,
    }


def documents() -> list[tuple[str, tuple[str, bytes, str]]]:
    return [
        ("inn", ("inn.jpg", JPEG + b"1", "image/jpeg")),
        ("id_1", ("front.jpg", JPEG + b"2", "image/jpeg")),
        ("id_2", ("back.png", PNG + b"3", "image/png")),
    ]


def approved(world: MobileWorld, phone: str, price: str = "300") -> tuple[int, Headers]:
    member_id, headers = world.sign_up(phone)
    program_id = world.fund.program(price=price)
    r = world.client.post(
        "/user/profile/create", data=profile_form(program_id), files=documents(), headers=headers
    )
    assert r.status_code == 200, r.text
    world.fund.approve(member_id)
    return member_id, headers


def error_of(response: Any) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    assert body["status"] == "error" and body["message"]
    assert "Traceback" not in response.text
    return body


# -- sign-in ---------------------------------------------------------------------------
def test_sign_in_by_sms_code(world: MobileWorld) -> None:
    r = world.client.post("/user/signrequest", json={"phone": "+380501112233", "create": True})
    assert (r.status_code, r.json()) == (200, {"message": "Message was sent."})
    code = world.fakes.sms.last_code("+380501112233")
    r = world.client.post("/user/signin", json={"phone": "+380501112233", "code": code})
    token = r.json()["access_token"]
    tokens: JwtTokens = world.kasa.adapters.tokens()
    assert tokens.claims(token, TokenAudience.MEMBER)[0] > 0


def test_sign_in_refusals(world: MobileWorld) -> None:
    c = world.client
    r = c.post("/user/signrequest", json={"phone": "+380501112233"})
    assert r.status_code == 422 and error_of(r)["message"] == "User does not exist"
    world.sign_up("+380501112233")
    r = c.post("/user/signrequest", json={"phone": "+380501112233", "create": True})
    assert r.status_code == 422 and error_of(r)["message"] == "User already exist"
    r = c.post("/user/signrequest", json={"phone": "0501112233", "create": True})
    assert r.status_code == 400 and "phone" in error_of(r)["errors"]
    r = c.post("/user/signrequest", json={"create": True})
    assert r.status_code == 400 and error_of(r)["errors"]
    r = c.post(
        "/user/signrequest", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert r.status_code == 400
    c.post("/user/signrequest", json={"phone": "+380671112233", "create": True})
    r = c.post("/user/signin", json={"phone": "+380671112233", "code": "000000"})
    if r.status_code != 200:
        assert r.status_code == 401 and "Wrong code" in error_of(r)["message"]
    r = c.post("/user/signin", json={"phone": "+380671112233", "code": "12"})
    assert r.status_code == 400 and "code" in error_of(r)["errors"]


def test_code_limits_answer_429_with_retry_after(world: MobileWorld) -> None:
    c = world.client
    body = {"phone": "+380501112233", "create": True}
    assert c.post("/user/signrequest", json=body).status_code == 200
    r = c.post("/user/signrequest", json=body)
    assert r.status_code == 429 and r.headers["retry-after"] == "60"
    for _ in range(4):
        world.fakes.clock.advance(seconds=60)
        assert c.post("/user/signrequest", json=body).status_code == 200
    world.fakes.clock.advance(seconds=60)
    r = c.post("/user/signrequest", json=body)
    assert r.status_code == 429 and "today" in error_of(r)["message"]
    assert int(r.headers["retry-after"]) > 23 * 3600


def test_guessing_codes_of_many_phones_from_one_address_answers_429(tmp_path: Path) -> None:
    with mobile_world(tmp_path, KASA_OTP_ADDRESS_HOURLY_LIMIT="100") as world:
        guess_many_codes(world)


def guess_many_codes(world: MobileWorld) -> None:
    c = world.client
    limit = world.fund.settings.code_failures_per_address
    phones = [f"+38067{n:07d}" for n in range(limit + 1)]
    for phone in phones:
        assert c.post("/user/signrequest", json={"phone": phone, "create": True}).is_success
    for phone in phones[:limit]:
        wrong = "000000" if world.fakes.sms.last_code(phone) != "000000" else "111111"
        assert c.post("/user/signin", json={"phone": phone, "code": wrong}).status_code == 401
    last = phones[-1]
    r = c.post("/user/signin", json={"phone": last, "code": world.fakes.sms.last_code(last)})
    assert r.status_code == 429 and int(r.headers["retry-after"]) == 15 * 60
    assert "access_token" not in r.text


def test_blocked_member_is_refused_everywhere(world: MobileWorld) -> None:
    member_id, headers = approved(world, "+380501112233")
    world.fund.office.block(world.fund.operator_id, member_id)
    r = world.client.get("/user/profile/get", headers=headers)
    assert r.status_code == 403 and "blocked" in error_of(r)["message"]
    world.fakes.clock.advance(seconds=61)
    r = world.client.post("/user/signrequest", json={"phone": "+380501112233"})
    assert r.status_code == 403


# -- tokens ------------------------------------------------------------------------------
def test_missing_invalid_expired_and_staff_tokens_are_refused(world: MobileWorld) -> None:
    member_id, headers = world.sign_up("+380501112233")
    c = world.client
    assert c.get("/user/profile/get").status_code == 401
    assert (
        c.get("/user/profile/get", headers={"Authorization": "Bearer nonsense"}).status_code == 401
    )
    token = headers["Authorization"].split()[1]
    assert c.get("/user/profile/get", headers={"x-access-token": token}).status_code == 403
    tokens: JwtTokens = world.kasa.adapters.tokens()
    staff_token = tokens.issue(TokenAudience.STAFF, member_id)
    r = c.get("/user/profile/get", headers={"Authorization": f"Bearer {staff_token}"})
    assert r.status_code == 401
    import jwt

    forged = jwt.encode({"sub": str(member_id), "aud": "kasa-mobile"}, SECRET, algorithm="HS256")
    assert c.get("/user/profile/get", headers={"x-access-token": forged}).status_code == 401
    none_alg = jwt.encode(
        {"sub": str(member_id), "aud": "kasa-mobile", "iat": 1, "exp": 2**40},
        None,
        algorithm="none",
    )
    assert c.get("/user/profile/get", headers={"x-access-token": none_alg}).status_code == 401
    world.fakes.clock.advance(days=31)
    r = c.get("/user/profile/get", headers=headers)
    assert r.status_code == 401 and "expired" in error_of(r)["message"]


# -- profile --------------------------------------------------------------------------
def test_profile_create_get_edit_and_wrong_data(world: MobileWorld) -> None:
    member_id, headers = approved(world, "+380501112233")
    world.fakes.clock.advance(seconds=1)
    r = world.client.get("/user/profile/get", headers=headers)
    assert r.status_code == 200, r.text
    profile = r.json()
    assert profile["id"] == member_id and profile["phone"] == "+380501112233"
    assert profile["is_active"] and profile["is_submitted"] and profile["status"] == "approved"
    assert profile["program"]["month_price"] == 300.0 and profile["certificate"]
    assert profile["photo"] == "" and profile["expiration_date"] is None and profile["credit"] == 0
    r = world.client.post(
        "/user/profile/edit",
        data={"email": "new@example.com"},
        files=[("photo", ("me.png", PNG, "image/png"))],
        headers=headers,
    )
    assert r.json() == {"message": "Profile successfully updated"}, r.text
    profile = world.client.get("/user/profile/get", headers=headers).json()
    assert profile["email"] == "new@example.com"
    assert profile["photo"].startswith(f"http://mobile.test/files/{member_id}/")
    photo = world.client.get(profile["photo"].removeprefix("http://mobile.test"), headers=headers)
    assert photo.status_code == 200 and photo.content == PNG
    assert photo.headers["content-type"].startswith("image/png")
    r = world.client.post(
        "/user/profile/wrong",
        headers=headers,
        json={
            "first_name": "Олена",
            "middle_name": "",
            "last_name": "Ковальчук",
            "birth_date": "02.01.1990",
        },
    )
    assert r.json() == {"message": "Request successfully sent"}
    r = world.client.post(
        "/user/profile/wrong",
        headers=headers,
        json={"first_name": "Олена", "last_name": "К", "birth_date": "1990/01/02"},
    )
    assert r.status_code == 400 and "birth_date" in error_of(r)["errors"]


def test_profile_refusals(world: MobileWorld) -> None:
    other, _ = world.sign_up("+380671112233")
    member_id, headers = world.sign_up("+380501112233")
    program_id = world.fund.program()
    c = world.client
    r = c.post(
        "/user/profile/create",
        data=profile_form(program_id),
        headers=headers,
        files=[documents()[0]],
    )
    assert r.status_code == 400 and "identity" in error_of(r)["errors"]
    r = c.post(
        "/user/profile/create",
        data={**profile_form(program_id), "iban": "UA00"},
        files=documents(),
        headers=headers,
    )
    assert r.status_code == 400 and "iban" in error_of(r)["errors"]
    exe = [("inn", ("inn.jpg", b"MZ\x90\x00" * 20, "image/jpeg")), *documents()[1:]]
    r = c.post("/user/profile/create", data=profile_form(program_id), files=exe, headers=headers)
    assert r.status_code == 400 and "inn" in error_of(r)["errors"]
    r = c.post("/user/profile/create", data=profile_form(program_id), headers=headers)
    assert r.status_code == 400
    taken = "+380671112233"
    # a multipart form without files (the field sent as a part without a file name)
    r = c.post("/user/profile/edit", files=[("phone", (None, taken))], headers=headers)
    assert r.status_code == 422 and error_of(r)["message"] == "Can not assign this phone number"
    r = c.get("/user/profile/get", headers=headers)
    assert r.status_code == 403 and error_of(r)["message"] == "Your profile is not approved yet"
    assert other != member_id


def test_the_member_reads_the_profiles_review_at_every_status(world: MobileWorld) -> None:
    member_id, headers = world.sign_up("+380501112233")
    c = world.client
    r = c.get("/user/profile/review", headers=headers)
    assert r.status_code == 200, r.text
    assert r.json() == {"review_state": "not_submitted", "profile": None, "refused_documents": []}
    program_id = world.fund.program(price="300")
    r = c.post(
        "/user/profile/create", data=profile_form(program_id), files=documents(), headers=headers
    )
    assert r.status_code == 200, r.text
    review = c.get("/user/profile/review", headers=headers).json()
    assert review["review_state"] == "under_review" and review["refused_documents"] == []
    assert review["profile"]["last_name"] == "Коваль" and review["profile"]["status"] == (
        "pending_review"
    )
    assert review["profile"]["program"]["program_id"] == program_id
    assert c.get("/user/profile/get", headers=headers).status_code == 403  # route 8 as it was

    world.fund.office.refuse_documents(world.fund.operator_id, member_id, "Нечіткий знімок")
    review = c.get("/user/profile/review", headers=headers).json()
    assert review["review_state"] == "not_submitted" and review["profile"]["first_name"] == "Олена"
    refused = review["refused_documents"]
    assert sorted(d["field"] for d in refused) == ["id_1", "id_2", "inn"]
    assert {d["reason"] for d in refused} == {"Нечіткий знімок"}
    assert all(len(d["refused_at"]) == 10 for d in refused)
    front = next(d for d in refused if d["field"] == "id_1")
    assert front["type"] == "id_card_front"
    file = c.get(front["file"].removeprefix("http://mobile.test"), headers=headers)
    assert file.status_code == 200 and file.content == JPEG + b"2"

    c.post(
        "/user/profile/create", data=profile_form(program_id), files=documents(), headers=headers
    )
    review = c.get("/user/profile/review", headers=headers).json()
    assert review["review_state"] == "under_review" and review["refused_documents"] == []
    world.fund.approve(member_id)
    assert c.get("/user/profile/review", headers=headers).json()["review_state"] == "approved"
    world.fund.office.block(world.fund.operator_id, member_id)
    r = c.get("/user/profile/review", headers=headers)
    assert r.json() == {"review_state": "blocked", "profile": None, "refused_documents": []}


def test_uploads_over_the_limit_get_413(tmp_path: Any) -> None:
    from litestar.testing import TestClient

    from kasa.entrypoints.http.mobile import create_mobile_app
    from tests.integration.http.conftest import build_kasa

    kasa, fakes = build_kasa(tmp_path, KASA_MAX_UPLOAD_MB="1")
    with TestClient(create_mobile_app(kasa)) as client:
        client.post("/user/signrequest", json={"phone": "+380501112233", "create": True})
        token = client.post(
            "/user/signin",
            json={"phone": "+380501112233", "code": fakes.sms.last_code("+380501112233")},
        ).json()
        big = [("photo", ("big.jpg", JPEG + b"0" * (1024 * 1024), "image/jpeg"))]
        r = client.post(
            "/user/profile/edit", files=big, headers={"x-access-token": token["access_token"]}
        )
        assert r.status_code == 413 and "photo" in error_of(r)["errors"]
    kasa.adapters.database().dispose()


# -- programs ---------------------------------------------------------------------------
def test_programs_and_program_change(world: MobileWorld) -> None:
    member_id, headers = approved(world, "+380501112233")
    second = world.fund.program("Розширена", "500")
    programs = world.client.get("/program/list").json()
    assert [p["program_name"] for p in programs] == ["Базова", "Розширена"]
    assert set(programs[0]) == {"program_id", "program_name", "program_file", "month_price"}
    r = world.client.post("/program/change", json={"program_id": second}, headers=headers)
    body = r.json()
    assert r.status_code == 200 and body["status"] == "success"
    assert body["data"]["program_id"] == second and body["data"]["is_new"]
    r = world.client.post("/program/change", json={"program_id": 999}, headers=headers)
    assert r.status_code == 404
    r = world.client.post("/program/change", json={"program_id": "x"}, headers=headers)
    assert r.status_code == 400
    assert member_id


# -- payments ----------------------------------------------------------------------------
def test_top_up_callback_replay_and_lists(world: MobileWorld) -> None:
    member_id, headers = approved(world, "+380501112233", price="300")
    r = world.client.post("/user/payments/liqpay", json={"amount": 450}, headers=headers)
    assert r.status_code == 200, r.text
    checkout = r.json()
    assert set(checkout) == {"data", "signature", "checkout_url"}
    order_id = json.loads(base64.b64decode(checkout["data"]))["order_id"]
    data, signature = world.fakes.gateway.callback(order_id, "450.00")
    r = world.client.post(
        "/user/payments/liqpay-callback", data={"data": data, "signature": signature}
    )
    assert r.status_code == 200 and r.json()["status"] == "success" and r.json()["changed"]
    replay = world.client.post(
        "/user/payments/liqpay-callback", data={"data": data, "signature": signature}
    )
    assert replay.status_code == 200 and not replay.json()["changed"]
    profile = world.client.get("/user/profile/get", headers=headers).json()
    paid_until = world.fund.clock.today() + timedelta(days=45)
    assert profile["expiration_date"] == paid_until.strftime("%d.%m.%Y")
    assert profile["membership"] == "active"
    payments = world.client.get("/user/payments/list", headers=headers).json()
    assert payments == [
        {
            "date": world.fund.clock.today().strftime("%d.%m.%Y"),
            "sum": 450.0,
            "payed_to": paid_until.strftime("%d.%m.%Y"),
            "status": "confirmed",
            "gateway": "liqpay",
        }
    ]
    payment = world.client.get(f"/user/payments/{order_id}", headers=headers).json()
    confirmed_at = payment.pop("confirmed_at")
    assert confirmed_at.startswith(world.fund.clock.today().isoformat())
    assert payment == {
        "order_id": order_id,
        "gateway": "liqpay",
        "amount": 450.0,
        "status": "confirmed",
        "created_at": payment["created_at"],
        "paid_until": paid_until.strftime("%d.%m.%Y"),
    }
    assert member_id


def test_the_app_learns_the_gateways_and_a_payments_outcome(world: MobileWorld) -> None:
    _, headers = approved(world, "+380501112233")
    c = world.client
    assert c.get("/user/payments/methods", headers=headers).json() == [
        {"name": "liqpay", "title": "LiqPay", "subscription": True},
        {"name": "monobank", "title": "monobank", "subscription": False},
    ]
    c.post("/user/payments/liqpay", json={"amount": 100}, headers=headers)
    order_id = world.fakes.gateway.checkouts[-1]["order_id"]
    pending = c.get(f"/user/payments/{order_id}", headers=headers).json()
    assert pending["status"] == "pending" and pending["gateway"] == "liqpay"
    assert pending["confirmed_at"] is None and pending["paid_until"] is None
    assert c.get("/user/payments/unknown-order", headers=headers).status_code == 404
    assert c.get("/user/payments/" + "x" * 129, headers=headers).status_code == 400
    assert c.get(f"/user/payments/{order_id}").status_code == 401


def test_callback_refusals(world: MobileWorld) -> None:
    _, headers = approved(world, "+380501112233")
    world.client.post("/user/payments/liqpay", json={"amount": 100.5}, headers=headers)
    order_id = world.fakes.gateway.checkouts[-1]["order_id"]
    data, signature = world.fakes.gateway.callback(order_id, "100.50")
    flipped = signature[:-3] + ("A" if signature[-3] != "A" else "B") + signature[-2:]
    r = world.client.post(
        "/user/payments/liqpay-callback", data={"data": data, "signature": flipped}
    )
    assert r.status_code == 400
    unknown = world.fakes.gateway.callback("nope", "1.00")
    r = world.client.post(
        "/user/payments/liqpay-callback", data={"data": unknown[0], "signature": unknown[1]}
    )
    assert r.status_code == 404
    r = world.client.post("/user/payments/liqpay-callback", data={"data": data})
    assert r.status_code == 400
    for amount in (0, -5, "1.234", "abc"):
        r = world.client.post("/user/payments/liqpay", json={"amount": amount}, headers=headers)
        assert r.status_code == 400, (amount, r.text)


def test_subscription_checkout(world: MobileWorld) -> None:
    _, headers = approved(world, "+380501112233", price="300")
    r = world.client.post("/user/payments/liqpay/subscribe", headers=headers)
    assert r.status_code == 200
    params = json.loads(base64.b64decode(r.json()["data"]))
    assert params["action"] == "subscribe" and params["amount"] == "300.00"


# -- requests ------------------------------------------------------------------------------
def test_requests_conversation_and_payouts(world: MobileWorld) -> None:
    _, headers = approved(world, "+380501112233")
    c = world.client
    r = c.post(
        "/user/request/create",
        data={"comment": "Аптека"},
        headers=headers,
        files=[
            ("files", ("чек.jpg", JPEG, "image/jpeg")),
            ("receipt2", ("рецепт.pdf", PDF, "application/pdf")),
        ],
    )
    assert r.status_code == 200, r.text
    detail = r.json()
    request_id = detail["id"]
    assert detail["status"] == "opened" and detail["comment"] == "Аптека"
    assert sorted(f["filename"] for f in detail["files"]) == ["рецепт.pdf", "чек.jpg"]
    assert detail["messages"] == [] and detail["charges"] == [] and detail["sum"] is None
    world.fund.staff_requests.write(world.fund.operator_id, request_id, "Скільки коштувало?")
    r = c.post(f"/user/request/{request_id}/message", json={"message": "1500 грн"}, headers=headers)
    assert r.json()["status"] == "success"
    r = c.post(
        "/user/request/update",
        data={"id": str(request_id)},
        headers=headers,
        files=[("files", ("ще.png", PNG, "image/png"))],
    )
    assert r.status_code == 200 and len(r.json()["files"]) == 3
    world.fund.staff_requests.assess(
        world.fund.operator_id,
        request_id,
        Assessment(diagnosis="J06", approved_amount=Money(150_000)),
    )
    world.fund.staff_payments.record_payout(
        world.fund.operator_id, request_id, Money(150_000), world.fund.clock.today()
    )
    detail = c.get(f"/user/request/{request_id}", headers=headers).json()
    assert [m["author"] for m in detail["messages"]] == ["staff", "member"]
    assert detail["sum"] == 1500.0 and detail["diagnos"] == "J06"
    assert detail["charges"][0]["type"] == "payout"
    charges = c.post("/user/charges/list", json={}, headers=headers).json()
    assert charges == [
        {
            "date": world.fund.clock.today().strftime("%d.%m.%Y"),
            "sum": 1500.0,
            "diagnosis": "J06",
            "request_id": request_id,
            "type": "payout",
        }
    ]
    tomorrow = (world.fund.clock.today() + timedelta(days=1)).isoformat()
    assert c.post("/user/charges/list", json={"begin": tomorrow}, headers=headers).json() == []
    summaries = c.post(
        "/user/request/list", json={"status": ["awaiting_agent"]}, headers=headers
    ).json()
    assert [s["id"] for s in summaries] == [request_id]
    assert c.post("/user/request/list", json={"status": ["closed"]}, headers=headers).json() == []
    assert (
        c.post("/user/request/list", json={"status": ["bogus"]}, headers=headers).status_code == 400
    )
    world.fund.staff_requests.close(world.fund.operator_id, request_id, Resolution.PAID)
    r = c.post(f"/user/request/{request_id}/message", json={"message": "дякую"}, headers=headers)
    assert r.status_code == 409
    r = c.post(
        "/user/request/update",
        data={"id": str(request_id)},
        headers=headers,
        files=[("files", ("x.jpg", JPEG + b"x", "image/jpeg"))],
    )
    assert r.status_code == 409


def test_a_member_never_reaches_another_members_data(world: MobileWorld) -> None:
    alice, alice_headers = approved(world, "+380501112233")
    _, bob_headers = approved(world, "+380671112233")
    c = world.client
    detail = c.post(
        "/user/request/create",
        data={"comment": "мій"},
        headers=alice_headers,
        files=[("files", ("чек.jpg", JPEG, "image/jpeg"))],
    ).json()
    file_path = detail["files"][0]["url"].removeprefix("http://mobile.test")
    assert c.get(file_path, headers=alice_headers).status_code == 200
    assert c.get(file_path, headers=bob_headers).status_code == 404
    bob_id = file_path.split("/")[2]
    assert (
        c.get(file_path.replace(f"/{bob_id}/", "/999/"), headers=alice_headers).status_code == 404
    )
    assert c.get(f"/user/request/{detail['id']}", headers=bob_headers).status_code == 404
    r = c.post(f"/user/request/{detail['id']}/message", json={"message": "x"}, headers=bob_headers)
    assert r.status_code == 404
    r = c.post(
        "/user/request/update",
        data={"id": str(detail["id"])},
        headers=bob_headers,
        files=[("files", ("x.jpg", JPEG + b"y", "image/jpeg"))],
    )
    assert r.status_code == 404
    assert c.post("/user/request/list", json={}, headers=bob_headers).json() == []
    assert c.get("/user/payments/list", headers=bob_headers).json() == []
    c.post("/user/payments/liqpay", json={"amount": 100}, headers=alice_headers)
    order_id = world.fakes.gateway.checkouts[-1]["order_id"]
    assert c.get(f"/user/payments/{order_id}", headers=alice_headers).status_code == 200
    assert c.get(f"/user/payments/{order_id}", headers=bob_headers).status_code == 404
    assert c.get("/files/1/../../etc/passwd", headers=alice_headers).status_code == 404
    assert alice


def test_only_approved_members_file_requests(world: MobileWorld) -> None:
    _, headers = world.sign_up("+380501112233")
    r = world.client.post("/user/request/create", files=[("comment", (None, "x"))], headers=headers)
    assert r.status_code == 422 and "not approved" in error_of(r)["message"]


# -- Diia, apple links, health, docs -------------------------------------------------------
def test_diia_sharing_from_link_to_callback(world: MobileWorld) -> None:
    member_id, headers = world.sign_up("+380501112233")
    r = world.client.post("/user/profile/diia", headers=headers)
    link = r.json()
    assert r.status_code == 200 and link["deeplink"].endswith(link["request_id"])
    meta = {
        "requestId": link["request_id"],
        "data": {
            "internal-passport": [
                {
                    "lastNameUA": "Шевченко",
                    "firstNameUA": "Тарас",
                    "middleNameUA": "Григорович",
                    "birthday": "09.03.1990",
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
        ("passport.pdf", ("passport.pdf", PDF, "application/pdf")),
        ("tax.pdf", ("tax.pdf", PDF + b"t", "application/pdf")),
    ]
    r = world.client.post(
        "/user/profile/diia-callback",
        data={"encodeData": encoded},
        files=files,
        headers={"X-Document-Request-Trace-Id": link["request_id"]},
    )
    assert (r.status_code, r.json()) == (200, {"success": True})
    r = world.client.post("/user/profile/diia-callback", data={"encodeData": encoded}, files=files)
    assert r.status_code == 400
    r = world.client.post("/user/profile/diia-callback", data={"encodeData": "garbage"})
    assert r.status_code == 400
    detail = world.fund.office.detail(world.fund.operator_id, member_id)
    assert detail.member.last_name == "Шевченко" and len(detail.new_identities) == 2


def test_apple_app_site_association(tmp_path: Any) -> None:
    from litestar.testing import TestClient

    from kasa.entrypoints.http.mobile import create_mobile_app
    from tests.integration.http.conftest import build_kasa

    kasa, _ = build_kasa(tmp_path, KASA_APPLE_APP_IDS="ABCDE12345.ua.kasa.app")
    with TestClient(create_mobile_app(kasa)) as client:
        r = client.get("/.well-known/apple-app-site-association")
    assert r.json() == {
        "applinks": {
            "details": [
                {
                    "appIDs": ["ABCDE12345.ua.kasa.app"],
                    "components": [{"/": "/diia/*"}, {"/": "/payments/*"}],
                }
            ]
        }
    }
    kasa.adapters.database().dispose()


def test_health_and_unknown_routes(world: MobileWorld) -> None:
    assert world.client.get("/health").json() == {"status": "ok", "database": "ok"}
    r = world.client.get("/no/such/route")
    assert r.status_code == 404 and error_of(r)
    r = world.client.put("/user/signin", json={})
    assert r.status_code == 405 and error_of(r)


ROUTES = [
    ("get", "/files/{uid}/{filename}"),
    ("get", "/.well-known/apple-app-site-association"),
    ("post", "/user/signrequest"),
    ("post", "/user/signin"),
    ("post", "/user/profile/create"),
    ("post", "/user/profile/edit"),
    ("post", "/user/profile/wrong"),
    ("get", "/user/profile/get"),
    ("get", "/program/list"),
    ("post", "/program/change"),
    ("post", "/user/charges/list"),
    ("get", "/user/payments/list"),
    ("get", "/user/payments/methods"),
    ("get", "/user/payments/{order_id}"),
    ("post", "/user/request/list"),
    ("get", "/user/request/{request_id}"),
    ("post", "/user/request/{request_id}/message"),
    ("post", "/user/request/create"),
    ("post", "/user/request/update"),
    ("post", "/user/payments/liqpay"),
    ("post", "/user/payments/liqpay-callback"),
    ("post", "/user/profile/diia"),
    ("post", "/user/profile/diia-callback"),
    ("post", "/user/payments/liqpay/subscribe"),
    ("get", "/health"),
]


def test_openapi_documents_every_route_with_security_and_errors(world: MobileWorld) -> None:
    document = world.client.get("/docs/openapi.json").json()
    paths = document["paths"]
    for method, path in ROUTES:
        assert method in paths.get(path, {}), (method, path)
    assert set(document["components"]["securitySchemes"]) == {"BearerToken", "AccessTokenHeader"}
    profile = paths["/user/profile/get"]["get"]
    assert profile["security"] and {"401", "403"} <= set(profile["responses"])
    create = paths["/user/profile/create"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in create
    docs = world.client.get("/docs/swagger")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()


@pytest.mark.parametrize("path", ["/user/profile/get", "/user/payments/list"])
def test_x_access_token_header_works_like_bearer(world: MobileWorld, path: str) -> None:
    member_id, headers = approved(world, "+380501112233")
    token = headers["Authorization"].split()[1]
    assert world.client.get(path, headers={"x-access-token": token}).status_code == 200
    assert member_id


def test_a_members_whole_journey_over_http(world: MobileWorld) -> None:
    """Sign up by SMS code, submit the profile with documents, approval by staff, the
    profile, a top-up confirmed by a signed callback (and its replay), a request with
    receipts, messages both ways, and the payout in the charges list."""
    c = world.client
    member_id, headers = world.sign_up("+380931234567")
    program_id = world.fund.program(price="300")
    r = c.post(
        "/user/profile/create", data=profile_form(program_id), files=documents(), headers=headers
    )
    assert r.json() == {"message": "profile successfully created"}
    world.fund.approve(member_id)
    assert c.get("/user/profile/get", headers=headers).json()["is_active"] is True

    checkout = c.post("/user/payments/liqpay", json={"amount": 300.00}, headers=headers).json()
    order_id = json.loads(base64.b64decode(checkout["data"]))["order_id"]
    callback = dict(
        zip(("data", "signature"), world.fakes.gateway.callback(order_id, "300"), strict=True)
    )
    assert c.post("/user/payments/liqpay-callback", data=callback).json()["changed"] is True
    assert c.post("/user/payments/liqpay-callback", data=callback).json()["changed"] is False
    paid_until = (world.fund.clock.today() + timedelta(days=30)).strftime("%d.%m.%Y")
    assert c.get("/user/profile/get", headers=headers).json()["expiration_date"] == paid_until

    created = c.post(
        "/user/request/create",
        data={"comment": "Ліки"},
        headers=headers,
        files=[("files", ("чек.jpg", JPEG + b"j", "image/jpeg"))],
    ).json()
    world.fund.staff_requests.write(world.fund.operator_id, created["id"], "Прийнято")
    c.post(f"/user/request/{created['id']}/message", json={"message": "Дякую"}, headers=headers)
    world.fund.staff_requests.assess(
        world.fund.operator_id, created["id"], Assessment(approved_amount=Money(80_000))
    )
    world.fund.staff_payments.record_payout(
        world.fund.operator_id, created["id"], Money(80_000), world.fund.clock.today()
    )
    detail = c.get(f"/user/request/{created['id']}", headers=headers).json()
    assert [m["message"] for m in detail["messages"]] == ["Прийнято", "Дякую"]
    charges = c.post("/user/charges/list", json={}, headers=headers).json()
    assert [(x["sum"], x["request_id"]) for x in charges] == [(800.0, created["id"])]


@given(st.integers(min_value=0, max_value=10**13))
def test_money_goes_out_as_the_float_nearest_the_exact_amount(kopecks: int) -> None:
    amount = Money(kopecks)
    assert money(amount) == float(amount.to_decimal())
    assert f"{money(amount):.2f}" == str(amount)
