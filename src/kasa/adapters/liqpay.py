"""The LiqPay payment gateway over HTTP (``requests``), with explicit timeouts.

Checkout and subscription data are signed locally; callbacks are verified before they
are read; the API's ``status`` action answers reconciliation and its ``refund`` action
gives a payment back."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import requests

from kasa.adapters import liqpay_codec
from kasa.application.ports import (
    Checkout,
    GatewayMessage,
    GatewayNotice,
    GatewayOrder,
    RefundAnswer,
)
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
            params["order_id"],
            f"{self.api_url}/3/checkout",
            {"data": data, "signature": liqpay_codec.sign(self.private_key, data)},
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

    def verify(self, message: GatewayMessage) -> GatewayNotice:
        data, signature = message.form.get("data", ""), message.form.get("signature", "")
        liqpay_codec.verify(self.private_key, data, signature)
        notice = liqpay_codec.notice_from(liqpay_codec.decode(data), sandbox=self.sandbox)
        self._log_unknown(notice)
        return notice

    def status(self, order: GatewayOrder) -> GatewayNotice:
        order_id = order.order_id
        answer = self._request({"action": "status", "order_id": order_id})
        if answer.get("err_code") == liqpay_codec.NOT_FOUND:
            return liqpay_codec.unpaid(order_id)
        if answer.get("result") == "error":
            raise DeliveryFailed(
                "LiqPay",
                f"The gateway refused the status query: {answer.get('err_description') or answer}",
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

    def refund(self, order: GatewayOrder, amount: Money) -> RefundAnswer:
        """The API's ``refund`` action for the whole amount: ``reversed`` is done; an
        ``error`` result is a refusal (its ``err_code`` kept)."""
        answer = self._request(
            {"action": "refund", "order_id": order.order_id, "amount": str(amount)}
        )
        if answer.get("result") == "error" or answer.get("status") == "error":
            log.warning(
                "LiqPay refused the refund of %s: %s %s",
                order.order_id,
                answer.get("err_code"),
                answer.get("err_description"),
            )
            return RefundAnswer(False, str(answer.get("err_code") or "error"))
        return RefundAnswer(True, str(answer.get("status") or answer.get("result") or ""))

    def _request(self, params: dict[str, Any]) -> dict[str, Any]:
        """A signed call of the server API (``/request``), its JSON answer."""
        data = liqpay_codec.encode({"public_key": self.public_key, "version": 3, **params})
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
        if not isinstance(answer, dict):
            raise DeliveryFailed("LiqPay", f"The gateway's answer is not an object: {answer}")
        return answer

    @staticmethod
    def _log_unknown(notice: GatewayNotice) -> None:
        if notice.outcome is GatewayOutcome.PENDING:
            log.info(
                "gateway status %r for order %s leaves it pending",
                notice.raw_status,
                notice.order_id,
            )
