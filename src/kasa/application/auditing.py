"""Every change leaves its audit event, written in the same unit of work."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kasa.application.repositories import UnitOfWork
from kasa.domain.audit import Actor, AuditEvent, EventType, ObjectKind


def audit(
    uow: UnitOfWork,
    event_type: EventType,
    actor: Actor,
    object_kind: ObjectKind,
    object_id: object,
    at: datetime,
    **details: Any,
) -> None:
    """Write the audit event of a change, in the same unit of work as the change."""
    uow.audit.add(AuditEvent.of(event_type, actor, object_kind, object_id, at, **details))
