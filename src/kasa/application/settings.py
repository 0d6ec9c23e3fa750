"""The fund's tunable rules, as the use cases see them."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import attrs

from kasa.domain.money import Money
from kasa.domain.notifications import QuietHours
from kasa.domain.signin import SignInPolicy

MIB = 1024 * 1024
QUIET_HOURS = QuietHours(21, 9)


@attrs.frozen
class FundSettings:
    """The fund's tunable rules (from the environment; the README lists them)."""

    sign_in: SignInPolicy = attrs.field(factory=SignInPolicy)
    grace_days: int = 30
    reminder_days: int = 7
    four_eyes_threshold: Money | None = None
    max_upload_bytes: int = 10 * MIB
    max_files_per_upload: int = 20
    # everything one member uploaded, together (nothing a member uploads is deleted)
    member_storage_bytes: int = 100 * MIB
    # calling codes of the countries sign-in codes may be sent to
    sms_countries: frozenset[int] = frozenset({380})
    # code requests (sign-in and phone change, any phones) from one address in an hour
    code_requests_per_address_hourly: int = 10
    # codes a day for one phone from one address (``sign_in.daily_limit`` is the phone's
    # cap from all addresses together), so strangers cannot use up a member's codes
    codes_per_phone_and_address_daily: int = 5
    # messages a member posts on one request a day, and requests a member may have open
    request_messages_daily: int = 30
    open_requests_max: int = 10
    timezone: str = "Europe/Kyiv"
    reconcile_after_seconds: int = 30 * 60
    # a gateway checkout still pending this long after it began expires (reconciliation)
    checkout_expiry_seconds: int = 24 * 3600
    staff_failures_per_login: int = 5
    staff_failures_per_address: int = 20
    staff_failure_window_seconds: int = 15 * 60
    # wrong sign-in codes from one address (across all phones) within the same window
    code_failures_per_address: int = 30
    fund_name: str = "Kasa"
    # hours of the fund's day when no SMS goes (held until they end); None: none
    quiet_hours: QuietHours | None = QUIET_HOURS
    # SMS a member is sent a day at most (the notifications'; sign-in codes apart)
    sms_daily_limit: int = 3

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)
