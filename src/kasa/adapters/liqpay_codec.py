"""The LiqPay wire format, shared by the real gateway adapter and its in-memory fake:
``data`` is base64 of the JSON parameters and ``signature`` is
base64(SHA-1(private key + data + private key)); statuses map to outcomes."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

from kasa.application.ports import GatewayNotice
from kasa.domain.errors import InvalidInput
from kasa.domain.money import Money
from kasa.domain.payments import GatewayOutcome

SUCCESS = frozenset({"success"})
SANDBOX = "sandbox"
FAILURE = frozenset({"failure", "error"})
REVERSED = frozenset({"reversed"})
SUBSCRIPTION_ACTIONS = frozenset({"subscribe", "regular"})


def encode(params: dict[str, Any]) -> str:
    return base64.b64encode(json.dumps(params, ensure_ascii=False).encode()).decode()


def sign(private_key: str, data: str) -> str:
    digest = hashlib.sha1((private_key + data + private_key).encode()).digest()  # noqa: S324
    return base64.b64encode(digest).decode()


def verify(private_key: str, data: str, signature: str) -> None:
    """Constant-time check of a callback's signature; nothing is decoded before it."""
    expected = sign(private_key, data)
    if not hmac.compare_digest(expected.encode(), (signature or "").encode()):
        raise InvalidInput("The gateway signature is wrong.", {"signature": "does not match"})


def decode(data: str) -> dict[str, Any]:
    try:
        params = json.loads(base64.b64decode(data, validate=True))
    except (binascii.Error, ValueError):
        raise InvalidInput(
            "The gateway data cannot be read.", {"data": "not base64 JSON"}
        ) from None
    if not isinstance(params, dict):
        raise InvalidInput("The gateway data cannot be read.", {"data": "not a JSON object"})
    return params


def outcome_of(status: str, *, sandbox: bool) -> GatewayOutcome:
    """``success`` (and ``sandbox`` in sandbox mode) confirm; ``failure``/``error``
    fail; ``reversed`` reverses; anything else leaves the payment pending."""
    if status in SUCCESS or (sandbox and status == SANDBOX):
        return GatewayOutcome.SUCCESS
    if status in FAILURE:
        return GatewayOutcome.FAILURE
    if status in REVERSED:
        return GatewayOutcome.REVERSED
    return GatewayOutcome.PENDING


NOT_FOUND = "payment_not_found"


def unpaid(order_id: str) -> GatewayNotice:
    """The status answer for an order the gateway has no payment for (``err_code``
    ``payment_not_found``): a checkout nobody paid (yet)."""
    return GatewayNotice(order_id, GatewayOutcome.UNPAID, Money(0), NOT_FOUND)


def notice_from(params: dict[str, Any], *, sandbox: bool) -> GatewayNotice:
    order_id = str(params.get("order_id") or "")
    if not order_id:
        raise InvalidInput("The gateway data has no order id.", {"data": "order_id missing"})
    try:
        amount = Money.parse(str(params.get("amount", "")), "amount")
    except InvalidInput:
        raise InvalidInput(
            "The gateway data has no valid amount.", {"data": "bad amount"}
        ) from None
    status = str(params.get("status") or "")
    end_date = params.get("end_date")
    paid_at = (
        datetime.fromtimestamp(int(end_date) / 1000, tz=UTC)
        if isinstance(end_date, int | float) and end_date > 0
        else None
    )
    return GatewayNotice(
        order_id=order_id,
        outcome=outcome_of(status, sandbox=sandbox),
        amount=amount,
        raw_status=status,
        paid_at=paid_at,
        gateway_payment_id=str(params.get("payment_id") or ""),
        is_subscription_charge=str(params.get("action") or "") in SUBSCRIPTION_ACTIONS,
        # LiqPay names the currency of every payment; one that does not is the checkout's
        currency=str(params.get("currency") or "UAH"),
    )
