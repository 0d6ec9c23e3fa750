"""Password hashing (Argon2id) and keyed hashing of one-time codes (HMAC-SHA-256)."""

from __future__ import annotations

import hashlib
import hmac

import argon2

# OWASP's minimum for Argon2id is m=19 MiB, t=2, p=1; these are above it (twice the
# passes). The memory is kept at 19 MiB: every sign-in attempt holds it while it runs, and
# an API worker stays well under its memory budget with several at once. Hashes made
# with other parameters are redone at the next successful sign-in.
PASSWORD_HASHER = argon2.PasswordHasher(
    time_cost=4,
    memory_cost=19 * 1024,
    parallelism=1,
    hash_len=32,
    salt_len=16,
    type=argon2.Type.ID,
)


class Argon2Passwords:
    def __init__(self, hasher: argon2.PasswordHasher = PASSWORD_HASHER) -> None:
        self.hasher = hasher

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self.hasher.verify(password_hash, password)
        except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        return self.hasher.check_needs_rehash(password_hash)


class HmacCodes:
    """One-time codes hashed with a server key: a copy of the table gives no codes."""

    def __init__(self, key: bytes) -> None:
        self.key = key

    def hash(self, code: str) -> str:
        return hmac.new(self.key, code.encode(), hashlib.sha256).hexdigest()

    def matches(self, code: str, code_hash: str) -> bool:
        return hmac.compare_digest(self.hash(code), code_hash)
