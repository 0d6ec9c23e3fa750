"""Access tokens: JWT (HS256) with an audience per API, ``sub``, ``iat`` and ``exp``."""

from __future__ import annotations

from datetime import timedelta

import jwt

from kasa.application.ports import Clock, TokenAudience
from kasa.domain.errors import AuthenticationFailed

ALGORITHM = "HS256"
# Verified tokens remembered per process (a few hundred bytes each).
VERIFIED_KEPT = 4096


class JwtTokens:
    def __init__(
        self,
        secret: str,
        clock: Clock,
        member_ttl: timedelta = timedelta(days=30),
        staff_ttl: timedelta = timedelta(hours=8),
    ) -> None:
        if len(secret.encode()) < 32:
            raise ValueError("The token secret must be at least 32 bytes.")
        self.secret = secret
        self.clock = clock
        self.ttl = {TokenAudience.MEMBER: member_ttl, TokenAudience.STAFF: staff_ttl}
        self._verified: dict[tuple[str, TokenAudience], tuple[int, int, int, int]] = {}

    def issue(self, audience: TokenAudience, subject: int, version: int = 0) -> str:
        now = self.clock.now()
        claims = {
            "sub": str(subject),
            "aud": audience.value,
            "iat": int(now.timestamp()),
            "exp": int((now + self.ttl[audience]).timestamp()),
            "ver": version,
        }
        return jwt.encode(claims, self.secret, algorithm=ALGORITHM)

    def claims(self, token: str, audience: TokenAudience) -> tuple[int, int]:
        """The subject id and token version of a valid token for this audience (a token
        without a version is of version 0); anything else is refused.

        A token whose signature and claims were checked once is remembered (exactly that
        text, for that audience; at most ``VERIFIED_KEPT`` of them): an app presents the
        same token on every call, and decoding it again was a tenth of a profile read.
        Its times are checked against the clock on every call."""
        key = (token, audience)
        known = self._verified.get(key)
        if known is None:
            known = self._verify(token, audience)
            if len(self._verified) >= VERIFIED_KEPT:
                self._verified.clear()
            self._verified[key] = known
        subject, version, iat, exp = known
        now = int(self.clock.now().timestamp())
        if iat > now + 60:
            raise AuthenticationFailed("The access token is not valid.")
        if exp <= now:
            raise AuthenticationFailed("The access token has expired; sign in again.")
        return subject, version

    def _verify(self, token: str, audience: TokenAudience) -> tuple[int, int, int, int]:
        """Signature, audience and the claims' types: subject, version, iat, exp."""
        try:
            claims = jwt.decode(
                token,
                self.secret,
                algorithms=[ALGORITHM],
                audience=audience.value,
                # times are checked by claims() against the clock port, not the wall clock
                options={
                    "require": ["exp", "iat", "sub", "aud"],
                    "verify_exp": False,
                    "verify_iat": False,
                },
            )
        except jwt.PyJWTError:
            raise AuthenticationFailed("The access token is not valid.") from None
        iat, exp = claims["iat"], claims["exp"]
        if not isinstance(iat, int) or not isinstance(exp, int):
            raise AuthenticationFailed("The access token is not valid.")
        try:
            subject = int(claims["sub"])
        except (TypeError, ValueError):
            raise AuthenticationFailed("The access token is not valid.") from None
        if not 1 <= subject < 2**31:
            raise AuthenticationFailed("The access token is not valid.")
        version = claims.get("ver", 0)
        if not isinstance(version, int) or isinstance(version, bool) or version < 0:
            raise AuthenticationFailed("The access token is not valid.")
        return subject, version, iat, exp
