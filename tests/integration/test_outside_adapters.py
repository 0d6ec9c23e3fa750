"""The Twilio, LiqPay and Diia adapters against local stand-ins of their HTTP APIs:
what they send, the answers they understand, the failures they report, and that they
never hang."""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from liqpay import LiqPay  # type: ignore[import-untyped]

from kasa.adapters import liqpay_codec
from kasa.adapters.diia import DiiaIdentityProvider, load_decryptor, plain_decryptor
from kasa.adapters.liqpay import LiqPayGateway
from kasa.adapters.sms import TwilioSms
from kasa.application.ports import GatewayMessage, GatewayOrder
from kasa.domain.errors import DeliveryFailed, InvalidInput, NotConfigured
from kasa.domain.money import Money
from kasa.domain.payments import GatewayOutcome
from kasa.domain.values import Phone
from tests.support.fakes import liqpay_message
from tests.support.standin import Answer, Received, standin

SID, TOKEN = "AC" + "1" * 32, "twilio-token"
MESSAGES = ("POST", f"/2010-04-01/Accounts/{SID}/Messages.json")
PHONE = Phone.parse("+380501234567")


@contextmanager
def delivery_failure(service: str, detail: str = "") -> Iterator[None]:
    """A ``DeliveryFailed`` that names only ``service`` to the client and keeps what
    happened (matching ``detail``) for the log."""
    with pytest.raises(DeliveryFailed) as caught:
        yield
    error = caught.value
    assert error.service == service
    assert error.message == f"The {service} service failed; please try again later."
    assert re.search(detail, error.detail), error.detail


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


# -- Twilio ------------------------------------------------------------------------------
def twilio_ok(got: Received) -> Answer:
    if got.headers.get("authorization") != basic(SID, TOKEN):
        return Answer(401, {"code": 20003, "message": "Authenticate", "status": 401})
    form = got.form()
    return Answer(
        201,
        {
            "sid": "SM" + "0" * 32,
            "status": "queued",
            "to": form["To"],
            "from": form["From"],
            "body": form["Body"],
            "account_sid": SID,
        },
    )


def test_twilio_sends_the_message_with_basic_auth() -> None:
    with standin({MESSAGES: twilio_ok}) as api:
        TwilioSms(SID, TOKEN, "+15005550006", api.url).send(PHONE, "Kasa: код 123456")
    [got] = api.received
    assert got.form() == {"To": "+380501234567", "From": "+15005550006", "Body": "Kasa: код 123456"}


def test_twilio_refusals_and_outages_are_delivery_failures() -> None:
    with standin({MESSAGES: twilio_ok}) as api, delivery_failure("SMS", "refused"):
        TwilioSms(SID, "wrong", "+15005550006", api.url).send(PHONE, "x")
    refused = lambda got: Answer(400, {"code": 21211, "message": "Invalid To", "status": 400})  # noqa: E731
    with standin({MESSAGES: refused}) as api, delivery_failure("SMS", "Invalid To"):
        TwilioSms(SID, TOKEN, "+15005550006", api.url).send(PHONE, "x")
    slow = lambda got: Answer(201, {}, delay=5)  # noqa: E731
    with standin({MESSAGES: slow}) as api:
        started = time.monotonic()
        with delivery_failure("SMS", "reached"):
            TwilioSms(SID, TOKEN, "+15005550006", api.url, timeout=0.5).send(PHONE, "x")
        assert time.monotonic() - started < 3
    with delivery_failure("SMS", "127.0.0.1"):  # the host is for the log only
        TwilioSms(SID, TOKEN, "+15005550006", "http://127.0.0.1:9", timeout=1).send(PHONE, "x")


# -- LiqPay ------------------------------------------------------------------------------
PRIVATE, PUBLIC = "private-key", "public-key"


def liqpay_status(got: Received) -> Answer:
    form = got.form()
    if liqpay_codec.sign(PRIVATE, form["data"]) != form["signature"]:
        return Answer(200, {"result": "error", "err_description": "invalid signature"})
    query = liqpay_codec.decode(form["data"])
    assert query == {
        "public_key": PUBLIC,
        "version": 3,
        "action": "status",
        "order_id": query["order_id"],
    }
    return Answer(
        200,
        {
            "result": "ok",
            "status": "success",
            "amount": 300,
            "order_id": query["order_id"],
            "payment_id": 987654,
            "end_date": 1767225600000,
        },
    )


def gateway(url: str) -> LiqPayGateway:
    return LiqPayGateway(
        PUBLIC, PRIVATE, api_url=url, callback_url="https://kasa.test/cb", sandbox=False
    )


def test_liqpay_checkout_is_signed_with_the_documented_fields() -> None:
    checkout = gateway("https://www.liqpay.ua/api").checkout("o-1", Money(30050), "Внесок")
    liqpay_codec.verify(PRIVATE, checkout.form["data"], checkout.form["signature"])
    assert liqpay_codec.decode(checkout.form["data"]) == {
        "public_key": PUBLIC,
        "version": 3,
        "action": "pay",
        "amount": "300.50",
        "currency": "UAH",
        "description": "Внесок",
        "order_id": "o-1",
        "server_url": "https://kasa.test/cb",
    }
    assert checkout.page_url == "https://www.liqpay.ua/api/3/checkout"
    start = datetime(2026, 2, 1, 10, 0, tzinfo=UTC)
    sub = liqpay_codec.decode(
        gateway("https://x").subscribe("o-2", Money(30000), "Щомісяця", start).form["data"]
    )
    assert (
        sub["action"],
        sub["subscribe"],
        sub["subscribe_periodicity"],
        sub["subscribe_date_start"],
    ) == ("subscribe", 1, "month", "2026-02-01 10:00:00")
    sandboxed = LiqPayGateway(PUBLIC, PRIVATE, callback_url="x", sandbox=True)
    assert liqpay_codec.decode(sandboxed.checkout("o", Money(1), "d").form["data"])["sandbox"] == 1


def test_liqpay_status_query_for_reconciliation() -> None:
    with standin({("POST", "/request"): liqpay_status}) as api:
        notice = gateway(api.url).status(GatewayOrder("o-7", "liqpay"))
    assert (notice.order_id, notice.outcome, notice.amount) == (
        "o-7",
        GatewayOutcome.SUCCESS,
        Money(30000),
    )
    assert notice.gateway_payment_id == "987654"
    assert notice.paid_at == datetime(2026, 1, 1, tzinfo=UTC)


def test_liqpay_saying_it_has_no_payment_for_an_order_means_unpaid() -> None:
    """LiqPay's answer for a checkout nobody paid: ``err_code`` ``payment_not_found``."""
    answer = {
        "result": "error",
        "status": "error",
        "err_code": "payment_not_found",
        "err_description": "payment not found",
    }
    with standin({("POST", "/request"): lambda got: Answer(200, answer)}) as api:
        notice = gateway(api.url).status(GatewayOrder("o-8", "liqpay"))
    assert (notice.order_id, notice.outcome) == ("o-8", GatewayOutcome.UNPAID)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (Answer(500, {"error": "boom"}), "answered 500"),
        (Answer(200, raw=b"<html>"), "not JSON"),
        (Answer(200, {"result": "error", "err_description": "order not found"}), "not found"),
        (Answer(200, {"result": "ok", "status": "success"}), "incomplete"),
        (Answer(200, {}, delay=5), "reached"),
    ],
)
def test_liqpay_status_failures_are_reported_without_hanging(
    answer: Answer, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("kasa.adapters.liqpay.TIMEOUT", (1, 1))
    with standin({("POST", "/request"): lambda got: answer}) as api:
        started = time.monotonic()
        with delivery_failure("LiqPay", message):
            gateway(api.url).status(GatewayOrder("o-7", "liqpay"))
        assert time.monotonic() - started < 4


def test_liqpay_callbacks_are_verified_before_they_are_read() -> None:
    adapter = gateway("https://x")
    data = liqpay_codec.encode({"order_id": "o-1", "amount": 300, "status": "reversed"})
    notice = adapter.verify(liqpay_message(data, liqpay_codec.sign(PRIVATE, data)))
    assert notice.outcome is GatewayOutcome.REVERSED
    with pytest.raises(InvalidInput, match="signature"):
        adapter.verify(liqpay_message(data, liqpay_codec.sign("another key", data)))
    with pytest.raises(InvalidInput, match="signature"):
        adapter.verify(GatewayMessage(form={"data": data}))


def test_kasa_and_liqpays_own_sdk_sign_and_read_alike() -> None:
    """LiqPay's Python SDK (liqpay-sdk-python3) reads what Kasa signs, and Kasa takes
    what the SDK signs: the checkout, and a callback made the way LiqPay makes them."""
    sdk = LiqPay(PUBLIC, PRIVATE)
    checkout = gateway("https://www.liqpay.ua/api").checkout("o-1", Money(30050), "Внесок")
    data, signature = checkout.form["data"], checkout.form["signature"]
    assert sdk.str_to_sign(PRIVATE + data + PRIVATE) == signature
    assert sdk.decode_data_from_str(data)["amount"] == "300.50"
    # the form the SDK makes for the same order is one Kasa verifies and reads
    params = {"action": "pay", "amount": "300.50", "currency": "UAH", "description": "Внесок"}
    sdk_data = sdk.cnb_data({**params, "order_id": "o-1", "version": 3})
    sdk_signature = sdk.cnb_signature({**params, "order_id": "o-1", "version": 3})
    assert liqpay_codec.decode(sdk_data)["order_id"] == "o-1"
    liqpay_codec.verify(PRIVATE, sdk_data, sdk_signature)
    # a callback signed by the SDK's own code is taken; one byte changed is not
    status = {"order_id": "o-1", "amount": 300.5, "status": "success", "payment_id": 5}
    callback = sdk.data_to_sign(status)
    signed = sdk.str_to_sign(PRIVATE + callback + PRIVATE)
    notice = gateway("https://x").verify(liqpay_message(callback, signed))
    assert (notice.order_id, notice.outcome, notice.amount) == (
        "o-1",
        GatewayOutcome.SUCCESS,
        Money(30050),
    )
    with pytest.raises(InvalidInput):
        gateway("https://x").verify(liqpay_message(callback[:-2] + "x=", signed))


def liqpay_refund(got: Received) -> Answer:
    form = got.form()
    liqpay_codec.verify(PRIVATE, form["data"], form["signature"])
    asked = liqpay_codec.decode(form["data"])
    assert (asked["action"], asked["version"], asked["public_key"]) == ("refund", 3, PUBLIC)
    if asked["order_id"] == "o-gone":
        return Answer(200, {"result": "error", "err_code": "payment_err_status"})
    return Answer(200, {"result": "ok", "status": "reversed", "payment_id": 987654})


def test_liqpay_refund_goes_through_the_apis_refund_action() -> None:
    with standin({("POST", "/request"): liqpay_refund}) as api:
        done = gateway(api.url).refund(GatewayOrder("o-7", "liqpay"), Money(30000))
        refused = gateway(api.url).refund(GatewayOrder("o-gone", "liqpay"), Money(30000))
        asked = liqpay_codec.decode(api.received[0].form()["data"])
    assert (done.accepted, done.raw_status) == (True, "reversed")
    assert (refused.accepted, refused.raw_status) == (False, "payment_err_status")
    assert (asked["order_id"], asked["amount"]) == ("o-7", "300.00")


# -- Diia -----------------------------------------------------------------------------------
BRANCH, ACQUIRER, AUTH = "branch-1", "acq-token", "YmFzaWM="


def diia_routes(tokens_given: list[str]) -> dict[tuple[str, str], object]:
    def auth(got: Received) -> Answer:
        if got.headers.get("authorization") != f"Basic {AUTH}":
            return Answer(401, {"message": "bad auth"})
        tokens_given.append(f"session-{len(tokens_given)}")
        return Answer(200, {"token": tokens_given[-1]})

    def offer(got: Received) -> Answer:
        assert got.headers["authorization"] == f"Bearer {tokens_given[-1]}"
        assert got.json() == {
            "name": "Kasa identity",
            "returnLink": "https://kasa.test/diia",
            "scopes": {"sharing": ["internal-passport", "taxpayer-card"]},
        }
        return Answer(200, {"_id": "offer-1"})

    def dynamic(got: Received) -> Answer:
        body = got.json()
        assert got.headers["authorization"] == f"Bearer {tokens_given[-1]}"
        assert body["offerId"] == "offer-1"
        return Answer(200, {"deeplink": f"https://diia.app/acquirers/{body['requestId']}"})

    return {
        ("GET", f"/api/v1/auth/acquirer/{ACQUIRER}"): auth,
        ("POST", f"/api/v1/acquirers/branch/{BRANCH}/offer"): offer,
        ("POST", f"/api/v2/acquirers/branch/{BRANCH}/offer-request/dynamic"): dynamic,
    }


def diia(url: str, clock: list[float] | None = None) -> DiiaIdentityProvider:
    now = clock if clock is not None else [0.0]
    return DiiaIdentityProvider(
        api_url=url,
        basic_auth=AUTH,
        acquirer_token=ACQUIRER,
        branch_id=BRANCH,
        return_link="https://kasa.test/diia",
        decryptor=plain_decryptor,
        clock=lambda: now[0],
    )


def test_diia_sharing_reuses_its_session_until_it_expires() -> None:
    tokens: list[str] = []
    clock = [0.0]
    with standin(diia_routes(tokens)) as api:  # type: ignore[arg-type]
        provider = diia(api.url, clock)
        assert provider.start_sharing("req-1") == "https://diia.app/acquirers/req-1"
        assert provider.start_sharing("req-2").endswith("req-2")
        assert tokens == ["session-0"]
        clock[0] = 2 * 3600 - 5 * 60  # within ten minutes of expiry: renewed
        provider.start_sharing("req-3")
        assert tokens == ["session-0", "session-1"]
    paths = [r.path.split("/")[-1] for r in api.received]
    assert paths == [ACQUIRER, "offer", "dynamic", "dynamic", ACQUIRER, "dynamic"]


def test_diia_failures_are_reported() -> None:
    tokens: list[str] = []
    routes = diia_routes(tokens)
    with standin(routes) as api:  # type: ignore[arg-type]
        wrong = DiiaIdentityProvider(
            api_url=api.url,
            basic_auth="bad",
            acquirer_token=ACQUIRER,
            branch_id=BRANCH,
            return_link="x",
            decryptor=plain_decryptor,
        )
        with delivery_failure("Diia", "401"):
            wrong.start_sharing("r")
    unconfigured = DiiaIdentityProvider(
        api_url="http://127.0.0.1:9",
        basic_auth="",
        acquirer_token="",
        branch_id="",
        return_link="",
        decryptor=plain_decryptor,
    )
    with pytest.raises(NotConfigured, match="not configured"):
        unconfigured.start_sharing("r")
    with pytest.raises(NotConfigured, match="not configured"):
        unconfigured.decode_callback("x", {}, None)
    with (
        standin(
            {("GET", f"/api/v1/auth/acquirer/{ACQUIRER}"): lambda got: Answer(200, {"nothing": 1})}
        ) as api,
        delivery_failure("Diia", "no session token"),
    ):
        diia(api.url).start_sharing("r")


def test_diia_decryptors() -> None:
    assert load_decryptor("plain") is plain_decryptor
    assert load_decryptor("base64:b64decode") is base64.b64decode
    for spec in ("nonsense", "no_such_module_here:x"):
        with pytest.raises((ValueError, ImportError)):
            load_decryptor(spec)

    def broken(_data: str, _files: object) -> tuple[dict[str, object], dict[str, bytes]]:
        raise RuntimeError("bad key")

    provider = DiiaIdentityProvider(
        api_url="x",
        basic_auth="b",
        acquirer_token="a",
        branch_id="br",
        return_link="x",
        decryptor=broken,
    )
    with pytest.raises(InvalidInput, match="cannot be decrypted"):
        provider.decode_callback("x", {}, None)
