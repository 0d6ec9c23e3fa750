"""The monobank adapter against a stand-in of monobank's acquiring API on loopback: the
invoice, the webhook's ECDSA signature cross-checked with ``cryptography``, the key
fetched again after a rotation (at most once a minute), status, cancel, and errors."""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator

import pytest

from kasa.adapters.monobank import MonobankGateway
from kasa.application.ports import GatewayMessage, GatewayOrder
from kasa.domain.errors import DeliveryFailed, InvalidInput, RuleViolation
from kasa.domain.money import Money
from kasa.domain.payments import GatewayOutcome
from tests.support.monobank_standin import MonobankStandIn, monobank_standin, new_key, sign


class Ticks:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def stand() -> Iterator[MonobankStandIn]:
    with monobank_standin() as running:
        yield running


def adapter(stand: MonobankStandIn, ticks: Ticks | None = None, token: str = "") -> MonobankGateway:
    return MonobankGateway(
        token or stand.token,
        api_url=stand.url,
        webhook_url="https://kasa.test/user/payments/monobank-callback",
        redirect_url="https://kasa.test/payments/done",
        monotonic=ticks or Ticks(),
    )


def message(body: bytes, signature: str | None) -> GatewayMessage:
    return GatewayMessage(body=body, headers={} if signature is None else {"x-sign": signature})


def test_an_invoice_is_made_with_the_token_and_the_amount_in_kopecks(
    stand: MonobankStandIn,
) -> None:
    checkout = adapter(stand).checkout("kasa-1", Money.parse("123.45"), "Contribution")
    invoice = stand.invoices[checkout.reference]
    assert (invoice.amount, invoice.ccy, invoice.reference) == (12_345, 980, "kasa-1")
    assert (invoice.destination, invoice.webhook_url, invoice.redirect_url) == (
        "Contribution",
        "https://kasa.test/user/payments/monobank-callback",
        "https://kasa.test/payments/done",
    )
    assert checkout.order_id == "kasa-1" and checkout.page_url.endswith(checkout.reference)
    with pytest.raises(RuleViolation):
        adapter(stand).subscribe("kasa-2", Money(100), "Monthly", invoice.created)


def test_the_signature_is_checked_before_the_body_is_read(stand: MonobankStandIn) -> None:
    gateway = adapter(stand)
    invoice_id = gateway.checkout("kasa-1", Money(30_000), "c").reference
    stand.pay(invoice_id)
    body, signature = stand.webhook(invoice_id)
    notice = gateway.verify(message(body, signature))
    assert (notice.order_id, notice.outcome, notice.amount) == (
        "kasa-1",
        GatewayOutcome.SUCCESS,
        Money(30_000),
    )
    assert notice.gateway_payment_id == invoice_id and notice.changed_at is not None
    other_key = sign(new_key(), body)
    one_byte = bytearray(body)
    one_byte[-2] ^= 1
    not_json = b"{not json at all"
    for refused in (
        message(bytes(one_byte), signature),
        message(body, other_key),
        message(body, None),
        message(body, "***not base64***"),
        # a body that cannot be parsed, wrongly signed: refused for the signature, so
        # nothing of it was read
        message(not_json, signature),
    ):
        with pytest.raises(InvalidInput) as refusal:
            gateway.verify(refused)
        assert "X-Sign" in refusal.value.errors
    # rightly signed but not JSON: only now is the body read
    with pytest.raises(InvalidInput) as unreadable:
        gateway.verify(message(not_json, sign(stand.key, not_json)))
    assert "X-Sign" not in unreadable.value.errors


def test_the_key_is_fetched_again_after_a_rotation_at_most_once_a_minute(
    stand: MonobankStandIn,
) -> None:
    ticks = Ticks()
    gateway = adapter(stand, ticks)
    invoice_id = gateway.checkout("kasa-1", Money(100), "c").reference
    gateway.verify(message(*stand.webhook(invoice_id)))
    assert stand.pubkey_asked == 1
    gateway.verify(message(*stand.webhook(invoice_id)))
    assert stand.pubkey_asked == 1  # kept
    stand.rotate()
    gateway.verify(message(*stand.webhook(invoice_id)))  # fails, fetches, passes
    assert stand.pubkey_asked == 2
    stand.rotate()
    ticks.now += 30
    with pytest.raises(InvalidInput):  # within the minute: not asked again
        gateway.verify(message(*stand.webhook(invoice_id)))
    assert stand.pubkey_asked == 2
    ticks.now += 31
    gateway.verify(message(*stand.webhook(invoice_id)))
    assert stand.pubkey_asked == 3


def test_status_and_cancel(stand: MonobankStandIn) -> None:
    gateway = adapter(stand)
    invoice_id = gateway.checkout("kasa-1", Money(30_000), "c").reference
    order = GatewayOrder("kasa-1", "monobank", invoice_id)
    assert gateway.status(order).outcome is GatewayOutcome.PENDING
    stand.pay(invoice_id, "expired")
    assert gateway.status(order).outcome is GatewayOutcome.FAILURE
    stand.pay(invoice_id, "success")
    assert gateway.status(order).outcome is GatewayOutcome.SUCCESS
    answer = gateway.refund(order, Money(30_000))
    assert answer.accepted and answer.raw_status == "success"
    assert stand.calls[-1] == (
        "POST",
        "/api/merchant/invoice/cancel",
        {"invoiceId": invoice_id, "extRef": "kasa-1", "amount": 30_000},
    )
    assert gateway.status(order).outcome is GatewayOutcome.REVERSED
    assert gateway.status(GatewayOrder("kasa-9", "monobank")).outcome is GatewayOutcome.UNPAID
    with pytest.raises(DeliveryFailed):  # an invoice of another order
        gateway.status(GatewayOrder("kasa-9", "monobank", invoice_id))


def test_monobanks_errors_are_logged_with_the_request_id_and_name_only_monobank(
    stand: MonobankStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "kasa.monobank")
    with pytest.raises(DeliveryFailed) as failed:
        adapter(stand, token="a wrong token").checkout("kasa-1", Money(100), "c")
    assert failed.value.message == "The monobank service failed; please try again later."
    assert "errCode=forbidden" in caplog.text and "request id" in caplog.text
    gone = MonobankGateway("t", api_url="http://127.0.0.1:9", webhook_url="w", redirect_url="r")
    with pytest.raises(DeliveryFailed):
        gone.checkout("kasa-1", Money(100), "c")
    # a key that is not a key cannot verify anything: the bank is at fault, not the caller
    stand.garbled_key = True
    with pytest.raises(DeliveryFailed):
        adapter(stand).verify(message(b"{}", base64.b64encode(b"x").decode()))
