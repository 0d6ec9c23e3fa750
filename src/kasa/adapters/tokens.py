"""Access tokens: JWT (HS256) with an audience per API, ``sub``, ``iat`` and ``exp``."""

from __future__ import annotations

from datetime import timedelta

import jwt

from kasa.application.ports import Clock, TokenAudience
from kasa.domain.errors import AuthenticationFailed

ALGORITHM = "HS256"


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

    def subject(self, token: str, audience: TokenAudience) -> int:
        """The subject id of a valid token for this audience; anything else is refused."""
        return self.claims(token, audience)[0]

    def claims(self, token: str, audience: TokenAudience) -> tuple[int, int]:
        """The subject id and token version of a valid token for this audience (a token
        without a version is of version 0); anything else is refused."""
        try:
            claims = jwt.decode(
                token,
                self.secret,
                algorithms=[ALGORITHM],
                audience=audience.value,
                # time is checked below against the clock port, not the wall clock
                options={
                    "require": ["exp", "iat", "sub", "aud"],
                    "verify_exp": False,
                    "verify_iat": False,
                },
            )
        except jwt.PyJWTError:
            raise AuthenticationFailed("The access token is not valid.") from None
        now = int(self.clock.now().timestamp())
        iat, exp = claims["iat"], claims["exp"]
        if not isinstance(iat, int) or not isinstance(exp, int) or iat > now + 60:
            raise AuthenticationFailed("The access token is not valid.")
        if exp <= now:
            raise AuthenticationFailed("The access token has expired; sign in again.")
        try:
            subject = int(claims["sub"])
        except (TypeError, ValueError):
            raise AuthenticationFailed("The access token is not valid.") from None
        if not 1 <= subject < 2**31:
            raise AuthenticationFailed("The access token is not valid.")
        version = claims.get("ver", 0)
        if not isinstance(version, int) or isinstance(version, bool) or version < 0:
            raise AuthenticationFailed("The access token is not valid.")
        return subject, version
