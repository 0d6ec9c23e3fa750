"""Paying through monobank, seen from outside: the real adapter speaks to a stand-in of
monobank's acquiring API that signs its webhooks with its own EC key."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from kasa.domain.payments import PaymentStatus
from tests.integration.http.conftest import MobileWorld, mobile_world
from tests.integration.http.test_mobile_api import approved
from tests.support.monobank_standin import new_key, sign

WEBHOOK = "/user/payments/monobank-callback"
Headers = dict[str, str]


def hear(world: MobileWorld, body: bytes, signature: str) -> Any:
    return world.client.post(
        WEBHOOK, content=body, headers={"X-Sign": signature, "Content-Type": "application/json"}
    )


def pay(world: MobileWorld, headers: Headers, amount: float) -> dict[str, Any]:
    r = world.client.post("/user/payments/monobank", json={"amount": amount}, headers=headers)
    assert r.status_code == 200, r.text
    answer: dict[str, Any] = r.json()
    return answer


def paid_until(world: MobileWorld, headers: Headers) -> str | None:
    found: str | None = world.client.get("/user/profile/get", headers=headers).json()[
        "expiration_date"
    ]
    return found


def test_a_member_pays_through_monobank_and_the_webhook_extends_membership(
    world: MobileWorld,
) -> None:
    _, headers = approved(world, "+380501112233", price="300")
    mono = world.fakes.monobank
    checkout = pay(world, headers, 450)
    invoice = mono.invoices[checkout["invoice_id"]]
    # the invoice: the amount in kopecks, hryvnias, the order id as the reference, the
    # webhook and the way back
    assert (invoice.amount, invoice.ccy, invoice.reference) == (45_000, 980, checkout["order_id"])
    assert invoice.webhook_url == "http://mobile.test" + WEBHOOK
    assert invoice.redirect_url == "http://mobile.test/payments/done"
    assert checkout["page_url"].endswith(checkout["invoice_id"])
    method, path, sent = mono.calls[-1]
    assert (method, path, sent["paymentType"]) == ("POST", "/api/merchant/invoice/create", "debit")
    order = f"/user/payments/{checkout['order_id']}"
    assert world.client.get(order, headers=headers).json()["status"] == "pending"

    mono.pay(checkout["invoice_id"])
    r = hear(world, *mono.webhook(checkout["invoice_id"]))
    assert r.status_code == 200 and r.json() == {
        "status": "success",
        "payment_status": "confirmed",
        "changed": True,
    }
    expected = (world.fund.clock.today() + timedelta(days=45)).strftime("%d.%m.%Y")
    assert paid_until(world, headers) == expected
    shown = world.client.get(order, headers=headers).json()
    assert (shown["status"], shown["gateway"], shown["paid_until"]) == (
        "confirmed",
        "monobank",
        expected,
    )
    # the payer comes back from monobank's page to a page that says where to look
    back = world.client.get("/payments/done")
    assert back.status_code == 200 and back.headers["content-type"].startswith("text/html")
    assert "застосунку" in back.text
    # monobank sends it again: nothing changes
    r = hear(world, *mono.webhook(checkout["invoice_id"]))
    assert r.json()["changed"] is False and paid_until(world, headers) == expected


def test_a_webhook_signed_by_another_key_is_refused_and_changes_nothing(
    world: MobileWorld,
) -> None:
    _, headers = approved(world, "+380501112233")
    mono = world.fakes.monobank
    checkout = pay(world, headers, 300)
    mono.pay(checkout["invoice_id"])
    body, good = mono.webhook(checkout["invoice_id"])
    forged = mono.webhook(checkout["invoice_id"], key=new_key())[1]
    changed_byte = body.replace(b'"amount": 30000', b'"amount": 30001')
    for content, signature in (
        (body, forged),
        (changed_byte, good),
        (body, ""),
        (body, "not base64!"),
    ):
        r = hear(world, content, signature)
        assert r.status_code == 400, (signature, r.text)
        assert "X-Sign" in r.json()["errors"]
    assert paid_until(world, headers) is None
    order = world.client.get(f"/user/payments/{checkout['order_id']}", headers=headers).json()
    assert order["status"] == "pending"
    assert hear(world, body, good).status_code == 200


def test_after_the_bank_rotates_its_key_the_next_webhook_is_still_taken(
    world: MobileWorld,
) -> None:
    _, headers = approved(world, "+380501112233")
    mono = world.fakes.monobank
    first, second = pay(world, headers, 300), pay(world, headers, 300)
    mono.pay(first["invoice_id"])
    assert hear(world, *mono.webhook(first["invoice_id"])).status_code == 200
    asked = mono.pubkey_asked
    mono.rotate()
    mono.pay(second["invoice_id"])
    assert hear(world, *mono.webhook(second["invoice_id"])).status_code == 200
    assert mono.pubkey_asked == asked + 1  # the key fetched again once, after the failure
    # a forged webhook right after is refused without asking the bank again
    body = mono.webhook(second["invoice_id"])[0]
    assert hear(world, body, sign(new_key(), body)).status_code == 400
    assert mono.pubkey_asked == asked + 1


def test_an_older_webhook_after_a_newer_one_changes_nothing(world: MobileWorld) -> None:
    _, headers = approved(world, "+380501112233")
    mono = world.fakes.monobank
    checkout = pay(world, headers, 300)
    invoice_id = checkout["invoice_id"]
    mono.pay(invoice_id, "processing")
    processing = mono.webhook(invoice_id)
    mono.pay(invoice_id, "failure")
    failure = mono.webhook(invoice_id)
    mono.pay(invoice_id, "success")
    success = mono.webhook(invoice_id)
    # the failure arrives first, then the success, then the failure and the processing
    # again: the success stands, and nothing older moves it
    assert hear(world, *failure).json()["payment_status"] == "failed"
    assert hear(world, *success).json()["payment_status"] == "confirmed"
    for late in (failure, processing):
        r = hear(world, *late)
        assert r.json() == {"status": "success", "payment_status": "confirmed", "changed": False}
    # a success dated before a failure already applied does not confirm
    other = pay(world, headers, 300)
    mono.pay(other["invoice_id"], "success")
    early_success = mono.webhook(other["invoice_id"])
    mono.pay(other["invoice_id"], "failure")
    assert hear(world, *mono.webhook(other["invoice_id"])).json()["payment_status"] == "failed"
    assert hear(world, *early_success).json() == {
        "status": "success",
        "payment_status": "failed",
        "changed": False,
    }


def test_reconciliation_confirms_a_payment_whose_webhook_was_lost(world: MobileWorld) -> None:
    member_id, headers = approved(world, "+380501112233")
    mono = world.fakes.monobank
    lost = pay(world, headers, 300)
    never_paid = pay(world, headers, 300)
    mono.pay(lost["invoice_id"])  # paid; the webhook never arrived
    world.fakes.clock.advance(hours=1)
    report = world.fund.gateway.reconcile(older_than_seconds=60)
    assert (report.checked, report.confirmed, report.errors) == (2, 1, [])
    statuses = {p.payment_identifier: p.status for p in world.fund.payments.top_ups(member_id)}
    assert statuses[lost["order_id"]] is PaymentStatus.CONFIRMED
    assert statuses[never_paid["order_id"]] is PaymentStatus.PENDING
    asked = [c for c in mono.calls if c[1] == "/api/merchant/invoice/status"]
    assert len(asked) == 2
    assert paid_until(world, headers) is not None


def test_a_failing_monobank_leaves_nothing_behind_and_names_only_itself(
    world: MobileWorld,
) -> None:
    member_id, headers = approved(world, "+380501112233")
    world.fakes.monobank.failing = (400, "BAD_REQUEST", "invalid merchant")
    r = world.client.post("/user/payments/monobank", json={"amount": 300}, headers=headers)
    assert r.status_code == 502
    assert r.json()["message"] == "The monobank service failed; please try again later."
    assert world.fund.payments.top_ups(member_id) == []


def test_a_webhook_for_a_liqpay_order_or_another_invoice_is_refused(world: MobileWorld) -> None:
    _, headers = approved(world, "+380501112233")
    mono = world.fakes.monobank
    world.client.post("/user/payments/liqpay", json={"amount": 300}, headers=headers)
    liqpay_order = world.fakes.gateway.checkouts[-1]["order_id"]
    made = mono.make(liqpay_order, 30_000)
    mono.pay(made)
    assert hear(world, *mono.webhook(made)).status_code == 409
    # an invoice naming an order of monobank's that another invoice belongs to
    checkout = pay(world, headers, 300)
    copy = mono.make(checkout["order_id"], 30_000)
    mono.pay(copy)
    assert hear(world, *mono.webhook(copy)).status_code == 409
    order = world.client.get(f"/user/payments/{checkout['order_id']}", headers=headers).json()
    assert order["status"] == "pending"


def test_with_monobank_switched_off_its_routes_say_so(tmp_path: Path) -> None:
    with mobile_world(tmp_path, KASA_GATEWAYS="liqpay") as world:
        _, headers = approved(world, "+380501112233")
        methods = world.client.get("/user/payments/methods", headers=headers).json()
        assert [m["name"] for m in methods] == ["liqpay"]
        r = world.client.post("/user/payments/monobank", json={"amount": 300}, headers=headers)
        assert r.status_code == 503 and "monobank" in r.json()["message"]
        invoice = {
            "invoiceId": "p2_1",
            "status": "success",
            "amount": 30000,
            "ccy": 980,
            "reference": "kasa-1",
            "modifiedDate": "2026-12-05T10:00:00Z",
        }
        assert hear(world, json.dumps(invoice).encode(), "AAAA").status_code == 503
