"""What the apps count as it happens: gateway callbacks applied, ignored and refused;
SMS sent and failed; throttle refusals by route; outside services failing. (In a test
the counts are the process's own: each check is of how much a count grew.)"""

from __future__ import annotations

import base64
import json

from prometheus_client import REGISTRY

from tests.integration.http.conftest import MobileWorld
from tests.integration.http.test_mobile_api import approved


def count(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_callbacks_are_counted_by_gateway_and_outcome(world: MobileWorld) -> None:
    _, headers = approved(world, "+380501112233", price="300")
    checkout = world.client.post("/user/payments/liqpay", json={"amount": 300}, headers=headers)
    order_id = json.loads(base64.b64decode(checkout.json()["data"]))["order_id"]
    data, signature = world.fakes.gateway.callback(order_id, "300.00")
    outcomes = ("applied", "ignored", "refused")
    before = {o: count("kasa_callbacks_total", gateway="liqpay", outcome=o) for o in outcomes}
    form = {"data": data, "signature": signature}
    assert world.client.post("/user/payments/liqpay-callback", data=form).json()["changed"]
    assert not world.client.post("/user/payments/liqpay-callback", data=form).json()["changed"]
    forged = {"data": data, "signature": base64.b64encode(b"not it").decode()}
    assert world.client.post("/user/payments/liqpay-callback", data=forged).status_code == 400
    after = {o: count("kasa_callbacks_total", gateway="liqpay", outcome=o) for o in outcomes}
    assert {o: after[o] - before[o] for o in outcomes} == {
        "applied": 1,
        "ignored": 1,
        "refused": 1,
    }


def test_sms_throttles_and_failing_services_are_counted(world: MobileWorld) -> None:
    sent, failed = (
        count("kasa_messages_total", channel="sms", outcome=o) for o in ("sent", "failed")
    )
    route = "/user/signrequest"
    throttled = count("kasa_throttle_refusals_total", route=route)
    sms_down = count("kasa_outside_failures_total", service="SMS")
    c = world.client
    for n in range(10):
        assert c.post(route, json={"phone": f"+38067{n:07d}", "create": True}).status_code == 200
    assert c.post(route, json={"phone": "+380689999999", "create": True}).status_code == 429
    world.fakes.clock.advance(hours=1)
    world.fakes.sms.failing = True
    assert c.post(route, json={"phone": "+380681111111", "create": True}).status_code == 502
    assert count("kasa_messages_total", channel="sms", outcome="sent") - sent == 10
    assert count("kasa_messages_total", channel="sms", outcome="failed") - failed == 1
    assert count("kasa_throttle_refusals_total", route=route) - throttled == 1
    assert count("kasa_outside_failures_total", service="SMS") - sms_down == 1
    requests_counted = count(
        "kasa_http_requests_total", app="mobile", route=route, method="POST", status="429"
    )
    assert requests_counted >= 1


def test_ready_says_what_is_not(world: MobileWorld) -> None:
    ready = world.client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ok",
        "database": "ok",
        "schema": "ok",
        "files": "ok",
        "problems": [],
        "replica": "none",  # there is no read replica
        "replica_lag_seconds": None,
        "replica_problem": "",
    }
    folder = world.settings.files.folder
    folder.rename(folder.with_name("moved"))
    try:
        gone = world.client.get("/health/ready")
    finally:
        folder.with_name("moved").rename(folder)
    assert gone.status_code == 503 and gone.json()["files"] == "unavailable"
    assert gone.json()["problems"] == [f"the file store: the folder {folder.resolve()} is gone"]
    world.client.app.state.given["schema_head"] = "9999"
    behind = world.client.get("/health/ready").json()
    assert behind["schema"] == "behind" and "kasa db upgrade" in behind["problems"][0]
    assert world.client.get("/health/live").status_code == 200
