"""What a member is told: the phones that take pushes, the inbox, read marks, and how
the member wants to be told."""

from __future__ import annotations

from typing import Annotated

from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter, QueryParameter

from kasa.application.inbox import INBOX_MAX, MemberNotifications
from kasa.application.views import NotificationView
from kasa.domain.notifications import TOKEN_PATTERN
from kasa.entrypoints.http.fields import MAX_ID, iso
from kasa.entrypoints.http.mobile import schemas as s
from kasa.entrypoints.http.routes import MEMBER, Area
from kasa.entrypoints.http.threads import read, run

NOTICES = Area("notifications", MEMBER, signed_in=True, answers=(400,))


@NOTICES.post("/user/devices")
async def device_register(
    data: JSONBody[s.DeviceIn],
    member_id: NamedDependency[int],
    notifications: NamedDependency[MemberNotifications],
) -> s.Done:
    """Register a phone for push notifications: the same token again is the same
    device; a token another member registered moves to this member (a phone changed
    hands); a member has at most 10 devices (the one not seen longest is forgotten)."""
    await run(notifications.register_device, member_id, data.token, data.platform)
    return s.Done("success", "Device registered")


@NOTICES.delete(
    "/user/devices/{token:str}",
    404,
    meaning={404: "The member has no device with this token."},
)
async def device_forget(
    token: Annotated[str, PathParameter(pattern=TOKEN_PATTERN)],
    member_id: NamedDependency[int],
    notifications: NamedDependency[MemberNotifications],
) -> s.Done:
    """Stop pushes to a phone (the app calls it when the member signs out there)."""
    await run(notifications.forget_device, member_id, token)
    return s.Done("success", "Device forgotten")


@NOTICES.get("/user/notifications")
async def inbox(
    member_id: NamedDependency[int],
    notifications: NamedDependency[MemberNotifications],
    before_id: Annotated[
        int | None,
        QueryParameter(ge=1, le=MAX_ID, description="Only notifications older than this one."),
    ] = None,
    limit: Annotated[
        int, QueryParameter(ge=1, le=INBOX_MAX, description="At most this many.")
    ] = 50,
) -> list[s.NotificationOut]:
    """The member's notifications, newest first."""
    found = await read(notifications.inbox, member_id, before_id, limit)
    return [notification(n) for n in found]


@NOTICES.post("/user/notifications/read")
async def inbox_read(
    data: JSONBody[s.ReadMarks],
    member_id: NamedDependency[int],
    notifications: NamedDependency[MemberNotifications],
) -> s.ReadDone:
    """Mark notifications read: `all: true` marks every one (whatever `ids` says),
    else those of `ids` (none given: none marked)."""
    marked = await run(notifications.mark_read, member_id, None if data.all else data.ids or [])
    return s.ReadDone("success", marked)


@NOTICES.get("/user/notifications/settings")
async def settings_get(
    member_id: NamedDependency[int], notifications: NamedDependency[MemberNotifications]
) -> s.NotifySettings:
    """How the member wants to be told."""
    found = await read(notifications.settings, member_id)
    return s.NotifySettings(found.push, found.sms, found.language)


@NOTICES.put("/user/notifications/settings")
async def settings_put(
    data: JSONBody[s.NotifySettings],
    member_id: NamedDependency[int],
    notifications: NamedDependency[MemberNotifications],
) -> s.NotifySettings:
    """Change how the member wants to be told (the whole settings)."""
    found = await run(
        notifications.change_settings,
        member_id,
        push=data.push,
        sms=data.sms,
        language=data.language,
    )
    return s.NotifySettings(found.push, found.sms, found.language)


def notification(n: NotificationView) -> s.NotificationOut:
    return s.NotificationOut(
        id=n.id,
        event=n.event,
        text=n.text,
        created_at=iso(n.created_at) or "",
        read_at=iso(n.read_at),
        request_id=n.request_id,
        payment_id=n.payment_id,
    )
