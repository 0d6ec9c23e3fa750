"""The real clock and cryptographic randomness."""

from __future__ import annotations

import secrets
import string
import uuid
from datetime import UTC, datetime

PASSWORD_ALPHABET = string.ascii_letters + string.digits + "-_.!@#%"


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class SecretRandom:
    """Randomness from the operating system's cryptographic source (``secrets``)."""

    def sign_in_code(self) -> str:
        return f"{secrets.randbelow(1_000_000):06d}"

    def order_id(self) -> str:
        return f"kasa-{uuid.uuid4().hex}"

    def request_id(self) -> str:
        return str(uuid.uuid4())

    def password(self) -> str:
        return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(20))

    def secret(self) -> str:
        return secrets.token_urlsafe(32)
