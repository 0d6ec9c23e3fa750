"""The audit trail: one append-only event for every state change, with its actor."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs


class ActorKind(enum.StrEnum):
    MEMBER = "member"
    STAFF = "staff"
    SYSTEM = "system"


@attrs.frozen
class Actor:
    kind: ActorKind
    id: int | None = None

    def __attrs_post_init__(self) -> None:
        if (self.kind is ActorKind.SYSTEM) != (self.id is None):
            raise ValueError("A member or staff actor has an id; the system has none.")

    @classmethod
    def member(cls, member_id: int) -> Actor:
        return cls(ActorKind.MEMBER, member_id)

    @classmethod
    def staff(cls, staff_id: int) -> Actor:
        return cls(ActorKind.STAFF, staff_id)

    @classmethod
    def system(cls) -> Actor:
        return cls(ActorKind.SYSTEM)

    def __str__(self) -> str:
        return self.kind if self.id is None else f"{self.kind}:{self.id}"


class EventType(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    STATUS_CHANGED = "status_changed"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    BLOCKED = "blocked"
    UNBLOCKED = "unblocked"
    SIGNED_IN = "signed_in"
    SIGN_IN_FAILED = "sign_in_failed"
    CODE_SENT = "code_sent"
    PROGRAM_CHANGE_REQUESTED = "program_change_requested"
    PROGRAM_CHANGE_APPROVED = "program_change_approved"
    DOCUMENTS_UPLOADED = "documents_uploaded"
    DOCUMENTS_ACCEPTED = "documents_accepted"
    DOCUMENTS_REFUSED = "documents_refused"
    CORRECTION_REPORTED = "correction_reported"
    CERTIFICATE_ISSUED = "certificate_issued"
    MESSAGE_WRITTEN = "message_written"
    FILES_ADDED = "files_added"
    CLOSED = "closed"
    REOPENED = "reopened"
    PAYMENT_STARTED = "payment_started"
    PAYMENT_CONFIRMED = "payment_confirmed"
    PAYMENT_FAILED = "payment_failed"
    PAYMENT_REVERSED = "payment_reversed"
    PAYMENT_EXPIRED = "payment_expired"
    PAYMENT_RECORDED = "payment_recorded"
    PAYOUT_APPROVED = "payout_approved"
    # a refund staff asked for, approved (four-eyes), sent to the gateway, or refused by it
    REFUND_REQUESTED = "refund_requested"
    REFUND_APPROVED = "refund_approved"
    REFUND_SENT = "refund_sent"
    REFUND_REFUSED = "refund_refused"
    CALLBACK_REFUSED = "callback_refused"
    # a success the gateway reported after it had reversed the payment: ignored
    CALLBACK_AFTER_REVERSAL = "callback_after_reversal"
    DIIA_REQUESTED = "diia_requested"
    DIIA_RECEIVED = "diia_received"
    REMINDER_SENT = "reminder_sent"
    PASSWORD_CHANGED = "password_changed"
    DEACTIVATED = "deactivated"
    PHONE_CHANGE_REQUESTED = "phone_change_requested"
    PHONE_CHANGED = "phone_changed"
    FILE_VIEWED = "file_viewed"
    PROGRAM_FILE_CLEARED = "program_file_cleared"


class ObjectKind(enum.StrEnum):
    MEMBER = "member"
    PROGRAM = "program"
    REQUEST = "request"
    PAYMENT = "payment"
    STAFF_USER = "staff_user"
    SIGN_IN = "sign_in"
    FILE = "file"
    CORRECTION = "correction"
    CERTIFICATE = "certificate"


def jsonable(value: Any) -> Any:
    """Audit details as plain JSON values: dates and enums as text, amounts as "12.34"."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _json_details(details: Mapping[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = jsonable(dict(details))
    return result


@attrs.frozen
class AuditEvent:
    """Something that happened, who did it, to what, and when. Never changed."""

    event_type: EventType
    actor: Actor
    object_kind: ObjectKind
    object_id: str
    at: datetime
    details: Mapping[str, Any] = attrs.field(factory=dict, converter=_json_details)
    id: int | None = None

    @classmethod
    def of(
        cls,
        event_type: EventType,
        actor: Actor,
        object_kind: ObjectKind,
        object_id: object,
        at: datetime,
        **details: Any,
    ) -> AuditEvent:
        return cls(event_type, actor, object_kind, str(object_id), at, details)
