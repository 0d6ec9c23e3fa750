"""monobank's acquiring ("plata by mono") over HTTP (``requests``), with explicit timeouts.

A checkout is an invoice (``/api/merchant/invoice/create``, the amount in kopecks, the
order id as the merchant's reference); the payer pays on monobank's page and monobank
posts the invoice's state to the webhook, signed with ECDSA over SHA-256 (``X-Sign``,
base64 DER) by the key ``/api/merchant/pubkey`` gives. The signature is checked with
``cryptography`` before the body is read; the key is kept, and fetched again after a
failed check (the bank rotates keys) at most once a minute. Reconciliation asks
``/api/merchant/invoice/status``; a refund cancels the paid invoice
(``/api/merchant/invoice/cancel``)."""

from __future__ import annotations

import base64
import binascii
import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import requests
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from kasa.application.ports import (
    Checkout,
    GatewayMessage,
    GatewayNotice,
    GatewayOrder,
    RefundAnswer,
)
from kasa.domain.errors import DeliveryFailed, InvalidInput, RuleViolation
from kasa.domain.money import Money
from kasa.domain.payments import GatewayOutcome

log = logging.getLogger("kasa.monobank")
PUBLIC_API = "https://api.monobank.ua"
TIMEOUT = (5, 20)  # connect, read (seconds)
UAH = 980
SERVICE = "monobank"
# a failed signature check fetches the key again at most this often (seconds)
KEY_REFETCH_SECONDS = 60.0

OUTCOMES = {
    "success": GatewayOutcome.SUCCESS,
    "failure": GatewayOutcome.FAILURE,
    "expired": GatewayOutcome.FAILURE,
    "reversed": GatewayOutcome.REVERSED,
    "created": GatewayOutcome.PENDING,
    "processing": GatewayOutcome.PENDING,
    "hold": GatewayOutcome.PENDING,
}


def _refused(why: str) -> InvalidInput:
    return InvalidInput("The monobank webhook cannot be verified.", {"X-Sign": why})


class MonobankGateway:
    name = "monobank"
    title = "monobank"
    subscriptions = False

    def __init__(
        self,
        token: str,
        *,
        api_url: str = PUBLIC_API,
        webhook_url: str,
        redirect_url: str,
        session: requests.Session | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token = token
        self.api_url = api_url.rstrip("/")
        self.webhook_url = webhook_url
        self.redirect_url = redirect_url
        self.session = session or requests.Session()
        self.monotonic = monotonic
        self._key: ec.EllipticCurvePublicKey | None = None
        self._refetched_at: float | None = None
        self._key_lock = threading.Lock()

    # -- checkout --------------------------------------------------------------------------
    def checkout(self, order_id: str, amount: Money, description: str) -> Checkout:
        answer = self._call(
            "POST",
            "/api/merchant/invoice/create",
            {
                "amount": amount.kopecks,
                "ccy": UAH,
                "merchantPaymInfo": {"reference": order_id, "destination": description},
                "redirectUrl": self.redirect_url,
                "webHookUrl": self.webhook_url,
                "paymentType": "debit",
            },
        )
        invoice_id, page_url = answer.get("invoiceId"), answer.get("pageUrl")
        if not isinstance(invoice_id, str) or not invoice_id or not isinstance(page_url, str):
            raise DeliveryFailed(SERVICE, f"invoice/create answered without an invoice: {answer}")
        return Checkout(order_id, page_url, reference=invoice_id)

    def subscribe(
        self, order_id: str, amount: Money, description: str, start: datetime
    ) -> Checkout:
        raise RuleViolation("Monthly subscriptions are taken through LiqPay; pay once here.")

    # -- what monobank says ------------------------------------------------------------------
    def verify(self, message: GatewayMessage) -> GatewayNotice:
        """The webhook's signature checked against the bank's key before its body is read."""
        header = message.headers.get("x-sign", "")
        if not header:
            raise _refused("missing")
        try:
            signature = base64.b64decode(header, validate=True)
        except (binascii.Error, ValueError):
            raise _refused("not base64") from None
        if not self._signed(message.body, signature):
            raise _refused("does not match the bank's key")
        try:
            invoice = json.loads(message.body)
        except ValueError:
            raise InvalidInput("The monobank webhook is not JSON.") from None
        if not isinstance(invoice, dict):
            raise InvalidInput("The monobank webhook is not an invoice.")
        notice = notice_from(invoice)
        _log_pending(notice)
        return notice

    def status(self, order: GatewayOrder) -> GatewayNotice:
        if not order.reference:  # no invoice was ever made for it
            return GatewayNotice(order.order_id, GatewayOutcome.UNPAID, Money(0), "no invoice")
        answer = self._call(
            "GET", "/api/merchant/invoice/status", params={"invoiceId": order.reference}
        )
        try:
            notice = notice_from(answer)
        except InvalidInput as error:
            raise DeliveryFailed(
                SERVICE, f"invoice/status is incomplete: {error.message}"
            ) from None
        if notice.order_id != order.order_id:
            raise DeliveryFailed(
                SERVICE,
                f"invoice {order.reference} belongs to {notice.order_id}, not {order.order_id}",
            )
        _log_pending(notice)
        return notice

    def refund(self, order: GatewayOrder, amount: Money) -> RefundAnswer:
        """Cancel the paid invoice, whole: ``success`` is done (the reversal follows),
        ``processing`` is under way, ``failure`` is refused."""
        answer = self._call(
            "POST",
            "/api/merchant/invoice/cancel",
            {"invoiceId": order.reference, "extRef": order.order_id, "amount": amount.kopecks},
        )
        status = str(answer.get("status") or "")
        if status not in ("success", "processing", "failure"):
            raise DeliveryFailed(SERVICE, f"invoice/cancel answered {answer}")
        return RefundAnswer(accepted=status != "failure", raw_status=status)

    # -- the bank's key ------------------------------------------------------------------------
    def _signed(self, body: bytes, signature: bytes) -> bool:
        with self._key_lock:
            key = self._key or self._fetch_key()
            if _matches(key, body, signature):
                return True
            now = self.monotonic()
            if self._refetched_at is not None and now - self._refetched_at < KEY_REFETCH_SECONDS:
                return False
            self._refetched_at = now
            fresh = self._fetch_key()
            return fresh != key and _matches(fresh, body, signature)

    def _fetch_key(self) -> ec.EllipticCurvePublicKey:
        answer = self._call("GET", "/api/merchant/pubkey")
        try:
            pem = base64.b64decode(str(answer.get("key", "")), validate=True)
            key = serialization.load_pem_public_key(pem)
        except (binascii.Error, ValueError, UnsupportedAlgorithm) as error:
            raise DeliveryFailed(
                SERVICE, f"the bank's public key cannot be read: {error}"
            ) from None
        if not isinstance(key, ec.EllipticCurvePublicKey):
            raise DeliveryFailed(SERVICE, "the bank's public key is not an EC key")
        self._key = key
        return key

    # -- HTTP ----------------------------------------------------------------------------------
    def _call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        try:
            response = self.session.request(
                method,
                f"{self.api_url}{path}",
                json=body,
                params=params,
                headers={"X-Token": self.token},
                timeout=TIMEOUT,
            )
        except requests.RequestException as error:
            raise DeliveryFailed(SERVICE, f"{path}: cannot be reached: {error}") from error
        try:
            answer = response.json()
        except ValueError:
            answer = None
        request_id = response.headers.get("X-Request-Id", "-")
        if response.status_code != 200 or not isinstance(answer, dict):
            code = answer.get("errCode") if isinstance(answer, dict) else None
            text = answer.get("errText") if isinstance(answer, dict) else None
            log.warning(
                "monobank %s answered %s: errCode=%s errText=%s (request id %s)",
                path,
                response.status_code,
                code,
                text,
                request_id,
            )
            raise DeliveryFailed(
                SERVICE, f"{path} answered {response.status_code}: {code} {text} ({request_id})"
            )
        return answer


def _matches(key: ec.EllipticCurvePublicKey, body: bytes, signature: bytes) -> bool:
    try:
        key.verify(signature, body, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError):
        return False
    return True


def _moment(value: object, field: str) -> datetime:
    if not isinstance(value, str):
        raise InvalidInput("The monobank invoice has no valid time.", {field: "missing"})
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput("The monobank invoice has no valid time.", {field: value[:40]}) from None
    if moment.tzinfo is None:
        raise InvalidInput("The monobank invoice has no valid time.", {field: "no offset"})
    return moment


def notice_from(invoice: dict[str, Any]) -> GatewayNotice:
    """An invoice (a webhook's body or the status answer) in the fund's words: the order
    is the merchant's reference; its time is ``modifiedDate``; the amount is the
    invoice's ``amount`` in kopecks (not ``finalAmount``, which a refund lowers)."""
    order_id, invoice_id = invoice.get("reference"), invoice.get("invoiceId")
    if not isinstance(order_id, str) or not order_id:
        raise InvalidInput("The monobank invoice has no reference.", {"reference": "missing"})
    if not isinstance(invoice_id, str) or not invoice_id:
        raise InvalidInput("The monobank invoice has no id.", {"invoiceId": "missing"})
    amount, ccy = invoice.get("amount"), invoice.get("ccy", UAH)
    if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
        raise InvalidInput("The monobank invoice has no valid amount.", {"amount": "bad"})
    status = str(invoice.get("status") or "")
    changed_at = _moment(invoice.get("modifiedDate"), "modifiedDate")
    outcome = OUTCOMES.get(status, GatewayOutcome.PENDING)
    return GatewayNotice(
        order_id=order_id,
        outcome=outcome,
        amount=Money(amount),
        raw_status=status,
        paid_at=changed_at if outcome is GatewayOutcome.SUCCESS else None,
        gateway_payment_id=invoice_id,
        currency="UAH" if ccy == UAH else str(ccy),
        changed_at=changed_at,
    )


def _log_pending(notice: GatewayNotice) -> None:
    if notice.outcome is GatewayOutcome.PENDING:
        log.info(
            "monobank status %r for order %s leaves it pending",
            notice.raw_status,
            notice.order_id,
        )
