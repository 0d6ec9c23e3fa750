"""Sign-in codes as the SMS outbox backend wrote them (a JSON line a message)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path


def _tail(path: Path, size: int = 64 * 1024) -> str:
    """The last lines of a file (about ``size`` bytes of them: the newest messages)."""
    with path.open("rb") as handle:
        handle.seek(0, os.SEEK_END)
        start = max(0, handle.tell() - size)
        handle.seek(start)
        text = handle.read().decode("utf-8", errors="replace")
    return text.split("\n", 1)[1] if start else text


def code_in(outboxes: list[Path], phone: str) -> str:
    """The sign-in code sent to a phone, from whichever SMS outbox has it."""
    for _ in range(200):
        for outbox in outboxes:
            if outbox.exists():
                for line in reversed(_tail(outbox).splitlines()):
                    sms = json.loads(line)
                    if sms["to"] == phone:
                        return str(sms["body"].rsplit(" ", 1)[-1])
        time.sleep(0.05)
    raise AssertionError(f"no code for {phone}")
