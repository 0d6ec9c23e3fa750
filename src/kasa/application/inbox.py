"""A member's side of being told: the phones that take pushes, the inbox, read marks,
and how the member wants to be told."""

from __future__ import annotations

from collections.abc import Collection, Sequence

import attrs

from kasa.application.access import require_member, signed_in_member
from kasa.application.clock import FundClock
from kasa.application.reads import MemberReads
from kasa.application.repositories import UnitOfWorkFactory
from kasa.application.retrying import use_cases
from kasa.application.views import NotificationView
from kasa.domain.errors import InvalidInput, NotFound
from kasa.domain.notifications import (
    MAX_DEVICES,
    Device,
    Language,
    NotificationSettings,
    Platform,
    device_token,
)

INBOX_MAX = 100


@use_cases
@attrs.frozen
class MemberNotifications:
    uow: UnitOfWorkFactory
    reads: MemberReads
    clock: FundClock

    def register_device(self, member_id: int, token: str, platform: Platform) -> Device:
        """A phone of the member's takes pushes. The same token again is the same device;
        a token another member registered moves to this one (a phone changed hands). A
        member has at most so many devices: the one not seen longest is forgotten."""
        token = device_token(token)
        now = self.clock.now()
        with self.uow() as uow:
            signed_in_member(uow, member_id)
            device = uow.devices.by_token(token)
            if device is None:
                device = uow.devices.add(Device(member_id, token, platform, now, now))
            device.member_id = member_id
            device.platform = platform
            device.last_seen_at = now
            others = [d for d in uow.devices.for_member(member_id) if d.token != token]
            for old in others[: max(0, len(others) - (MAX_DEVICES - 1))]:
                uow.devices.remove(old)
            uow.commit()
            return device

    def forget_device(self, member_id: int, token: str) -> None:
        """The member signs out on a phone: it takes no more pushes."""
        with self.uow() as uow:
            signed_in_member(uow, member_id)
            device = uow.devices.by_token(token.strip())
            if device is None or device.member_id != member_id:
                raise NotFound("There is no such device of yours.")
            uow.devices.remove(device)
            uow.commit()

    def inbox(
        self, member_id: int, before_id: int | None = None, limit: int = 50
    ) -> Sequence[NotificationView]:
        """The member's notifications, newest first; ``before_id`` pages back."""
        if not 1 <= limit <= INBOX_MAX:
            raise InvalidInput.field("limit", f"must be between 1 and {INBOX_MAX}")
        require_member(self.reads, member_id)
        return self.reads.inbox(member_id, before_id, limit)

    def mark_read(self, member_id: int, ids: Collection[int] | None) -> int:
        """Mark notifications read (``None``: all of them); how many were unread."""
        now = self.clock.now()
        with self.uow() as uow:
            signed_in_member(uow, member_id)
            marked = uow.notifications.mark_read(member_id, ids, now)
            uow.commit()
            return marked

    def settings(self, member_id: int) -> NotificationSettings:
        require_member(self.reads, member_id)
        with self.uow(read_only=True) as uow:
            found = uow.notification_settings.get(member_id)
            return found or NotificationSettings(member_id, self.clock.now())

    def change_settings(
        self, member_id: int, *, push: bool, sms: bool, language: Language
    ) -> NotificationSettings:
        now = self.clock.now()
        with self.uow() as uow:
            signed_in_member(uow, member_id)
            found = uow.notification_settings.get(member_id)
            if found is None:
                found = uow.notification_settings.add(NotificationSettings(member_id, now))
            found.push, found.sms, found.language = push, sms, language
            found.updated_at = now
            uow.commit()
            return found
