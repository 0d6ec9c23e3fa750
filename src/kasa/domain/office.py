"""A staff user's session in the office pages: kept on the server, named by a secret
cookie (only its hash is stored), ended by time, by signing out, and by any change of the
user's password, role or activation (their token version)."""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs

# a session's last request is written at most this often (not on every page)
SEEN_EVERY = timedelta(minutes=1)


@attrs.define(eq=False, slots=False)
class OfficeSession:
    key: str  # SHA-256 of the cookie's secret, hex
    staff_id: int
    token_version: int  # the user's token version when they signed in
    csrf_token: str  # every changing form carries it
    created_at: datetime
    seen_at: datetime

    def ended(self, now: datetime, idle: timedelta, whole: timedelta) -> bool:
        """Idle too long, or open too long however busy."""
        return now - self.seen_at >= idle or now - self.created_at >= whole

    def seen(self, now: datetime) -> bool:
        """A request now: True when the last one should be written again."""
        if now - self.seen_at < SEEN_EVERY:
            return False
        self.seen_at = now
        return True
