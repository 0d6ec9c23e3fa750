"""SMS backends: ``twilio`` for real; for development ``console`` logs the message and
``outbox`` appends a JSON line ``{"to", "body", "sent_at"}`` to a file."""

from __future__ import annotations

import fcntl
import json
import logging
from pathlib import Path
from typing import Any

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from kasa.application.ports import Clock
from kasa.domain.errors import DeliveryFailed
from kasa.domain.values import Phone

log = logging.getLogger("kasa.sms")


class ConsoleSms:
    def send(self, to: Phone, body: str) -> None:
        log.info("SMS to %s: %s", to.e164, body)  # development only: not a warning


class OutboxSms:
    def __init__(self, path: Path, clock: Clock) -> None:
        self.path = path
        self.clock = clock

    def send(self, to: Phone, body: str) -> None:
        line = json.dumps(
            {"to": to.e164, "body": body, "sent_at": self.clock.now().isoformat()},
            ensure_ascii=False,
        )
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as outbox:
                fcntl.flock(outbox, fcntl.LOCK_EX)  # several API processes share the file
                outbox.write(line + "\n")
        except OSError as error:
            raise DeliveryFailed("SMS", f"The SMS outbox cannot be written: {error}") from error


TWILIO_API = "https://api.twilio.com"
TWILIO_TIMEOUT = 15.0


class _RedirectedHttpClient(TwilioHttpClient):  # type: ignore[misc]
    """Twilio's own HTTP client, sending to another API root (a local stand-in in tests)."""

    def __init__(self, api_url: str, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self.api_url = api_url.rstrip("/")

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        if self.api_url and url.startswith(TWILIO_API):
            url = self.api_url + url[len(TWILIO_API) :]
        return super().request(method, url, *args, **kwargs)


class TwilioSms:
    """SMS through Twilio's official library. A failed send is ``DeliveryFailed``."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        sender: str,
        api_url: str = "",
        timeout: float = TWILIO_TIMEOUT,
    ) -> None:
        self.sender = sender
        self.client = Client(
            account_sid, auth_token, http_client=_RedirectedHttpClient(api_url, timeout)
        )

    def send(self, to: Phone, body: str) -> None:
        try:
            message = self.client.messages.create(to=to.e164, from_=self.sender, body=body)
        except TwilioRestException as error:
            raise DeliveryFailed(
                "SMS", f"Twilio refused the SMS ({error.status}: {error.msg})"
            ) from error
        except (TwilioException, requests.RequestException) as error:
            raise DeliveryFailed("SMS", f"Twilio could not be reached: {error}") from error
        if getattr(message, "status", None) in ("failed", "undelivered"):
            raise DeliveryFailed("SMS", f"Twilio could not send the SMS: {message.error_message}")
        log.info("SMS %s queued at Twilio", message.sid)
