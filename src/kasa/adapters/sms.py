"""SMS backends for development: ``console`` logs the message, ``outbox`` appends a
JSON line ``{"to", "body", "sent_at"}`` to a file (handy for local testing)."""

from __future__ import annotations

import fcntl
import json
import logging
from pathlib import Path

from kasa.application.ports import Clock
from kasa.domain.errors import DeliveryFailed
from kasa.domain.values import Phone

log = logging.getLogger("kasa.sms")


class ConsoleSms:
    def send(self, to: Phone, body: str) -> None:
        log.warning("SMS to %s: %s", to.e164, body)


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
            raise DeliveryFailed(f"The SMS outbox cannot be written: {error}") from error
