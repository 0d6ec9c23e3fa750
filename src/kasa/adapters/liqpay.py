"""The LiqPay payment gateway over HTTP (``requests``), with explicit timeouts.

Checkout and subscription data are signed locally; callbacks are verified before they
are read; the status API answers reconciliation."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import requests

from kasa.adapters import liqpay_codec
from kasa.application.ports import Checkout, GatewayNotice
from kasa.domain.errors import DeliveryFailed, InvalidInput
from kasa.domain.money import Money
from kasa.domain.payments import GatewayOutcome

log = logging.getLogger("kasa.liqpay")
PUBLIC_API = "https://www.liqpay.ua/api"
TIMEOUT = (5, 20)  # connect, read (seconds)


class LiqPayGateway:
    name = "liqpay"
    title = "LiqPay"
    subscriptions = True

    def __init__(
        self,
        public_key: str,
        private_key: str,
        *,
        api_url: str = PUBLIC_API,
        callback_url: str,
        sandbox: bool,
        session: requests.Session | None = None,
    ) -> None:
        self.public_key = public_key
        self.private_key = private_key
        self.api_url = api_url.rstrip("/")
        self.callback_url = callback_url
        self.sandbox = sandbox
        self.session = session or requests.Session()

    def _params(
        self, action: str, order_id: str, amount: Money, description: str
    ) -> dict[str, Any]:
        params: dict[str, Any] = {
            "public_key": self.public_key,
            "version": 3,
            "action": action,
            "amount": str(amount),
            "currency": "UAH",
            "description": description,
            "order_id": order_id,
            "server_url": self.callback_url,
        }
        if self.sandbox:
            params["sandbox"] = 1
        return params

    def _checkout(self, params: dict[str, Any]) -> Checkout:
        data = liqpay_codec.encode(params)
        return Checkout(
            data, liqpay_codec.sign(self.private_key, data), f"{self.api_url}/3/checkout"
        )

    def checkout(self, order_id: str, amount: Money, description: str) -> Checkout:
        return self._checkout(self._params("pay", order_id, amount, description))

    def subscribe(
        self, order_id: str, amount: Money, description: str, start: datetime
    ) -> Checkout:
        params = self._params("subscribe", order_id, amount, description)
        params["subscribe"] = 1
        params["subscribe_periodicity"] = "month"
        params["subscribe_date_start"] = start.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
        return self._checkout(params)

    def decode_callback(self, data: str, signature: str) -> GatewayNotice:
        liqpay_codec.verify(self.private_key, data, signature)
        notice = liqpay_codec.notice_from(liqpay_codec.decode(data), sandbox=self.sandbox)
        self._log_unknown(notice)
        return notice

    def status(self, order_id: str) -> GatewayNotice:
        data = liqpay_codec.encode(
            {"public_key": self.public_key, "version": 3, "action": "status", "order_id": order_id}
        )
        form = {"data": data, "signature": liqpay_codec.sign(self.private_key, data)}
        try:
            response = self.session.post(f"{self.api_url}/request", data=form, timeout=TIMEOUT)
        except requests.RequestException as error:
            raise DeliveryFailed("LiqPay", f"The gateway could not be reached: {error}") from error
        if response.status_code != 200:
            raise DeliveryFailed("LiqPay", f"The gateway answered {response.status_code}.")
        try:
            answer = response.json()
        except ValueError:
            raise DeliveryFailed("LiqPay", "The gateway's answer is not JSON.") from None
        if isinstance(answer, dict) and answer.get("err_code") == liqpay_codec.NOT_FOUND:
            return liqpay_codec.unpaid(order_id)
        if not isinstance(answer, dict) or answer.get("result") == "error":
            detail = answer.get("err_description") if isinstance(answer, dict) else None
            raise DeliveryFailed(
                "LiqPay", f"The gateway refused the status query: {detail or answer}"
            )
        try:
            notice = liqpay_codec.notice_from(
                {"order_id": order_id, **answer}, sandbox=self.sandbox
            )
        except InvalidInput as error:
            raise DeliveryFailed(
                "LiqPay", f"The gateway's answer is incomplete: {error.message}"
            ) from None
        self._log_unknown(notice)
        return notice

    @staticmethod
    def _log_unknown(notice: GatewayNotice) -> None:
        if notice.outcome is GatewayOutcome.PENDING:
            log.info(
                "gateway status %r for order %s leaves it pending",
                notice.raw_status,
                notice.order_id,
            )
