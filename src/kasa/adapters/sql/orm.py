"""The domain's entities mapped onto the schema's tables (SQLAlchemy's imperative
mapping): a unit of work's session loads rows straight into ``Member``, ``Request``,
``Payment``, …, keeps one object per row (its identity map) and writes back at flush
only the columns that changed. The domain knows nothing of this; its classes are plain
``attrs`` classes.

What the tables keep under other names (``expiration_date`` is ``paid_until``,
``has_new_request`` is ``requests_awaiting_staff``) is named here; what the tables keep
beside an entity's own state, for indexes and lists (a member's ``in_review_queue``, a
payment's ``sort_at``, a payment's extension spread over ``ext_*`` columns), is written
before each flush from the entity and read back when it loads.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, registry

from kasa.adapters.sql import schema as tables
from kasa.domain.files import StoredFile
from kasa.domain.identity import MemberIdentity
from kasa.domain.members import CorrectionReport, Member
from kasa.domain.membership import Extension
from kasa.domain.notifications import Device, Notification, NotificationSettings
from kasa.domain.office import OfficeSession
from kasa.domain.payments import Payment
from kasa.domain.programs import MemberProgram, Program
from kasa.domain.requests import Request, RequestMessage
from kasa.domain.signin import SignInChallenge
from kasa.domain.staff import StaffUser
from kasa.domain.throttle import Counter

mapper_registry = registry()

EXTENSION = {
    "previous_expiration": "ext_previous_expiration",
    "extended_from": "ext_from",
    "days": "ext_days",
    "credit_before": "ext_credit_before",
    "credit_after": "ext_credit_after",
    "month_price": "ext_month_price",
}


def start_mappers() -> None:
    """Map the entities (once a process)."""
    if mapper_registry.mappers:
        return
    members, payments = tables.members, tables.payments
    mapper_registry.map_imperatively(
        Member,
        members,
        properties={
            "paid_until": members.c.expiration_date,
            "requests_awaiting_staff": members.c.has_new_request,
            "_in_review_queue": members.c.in_review_queue,
        },
    )
    mapper_registry.map_imperatively(SignInChallenge, tables.sign_in_challenges)
    mapper_registry.map_imperatively(CorrectionReport, tables.correction_reports)
    mapper_registry.map_imperatively(Program, tables.programs)
    mapper_registry.map_imperatively(MemberProgram, tables.member_programs)
    mapper_registry.map_imperatively(MemberIdentity, tables.member_identities)
    mapper_registry.map_imperatively(StoredFile, tables.files)
    mapper_registry.map_imperatively(Request, tables.requests)
    mapper_registry.map_imperatively(RequestMessage, tables.request_messages)
    mapper_registry.map_imperatively(
        Payment,
        payments,
        properties={
            "_sort_at": payments.c.sort_at,
            "_has_extension": payments.c.has_extension,
            **{f"_{column}": payments.c[column] for column in EXTENSION.values()},
        },
    )
    mapper_registry.map_imperatively(StaffUser, tables.staff_users)
    mapper_registry.map_imperatively(Counter, tables.throttle_counters)
    mapper_registry.map_imperatively(Notification, tables.notifications)
    mapper_registry.map_imperatively(Device, tables.devices)
    mapper_registry.map_imperatively(OfficeSession, tables.office_sessions)
    mapper_registry.map_imperatively(NotificationSettings, tables.notification_settings)
    sa.event.listen(Payment, "load", payment_loaded)
    sa.event.listen(Payment, "refresh", lambda payment, *_: payment_loaded(payment))


def payment_loaded(payment: Any, *_: Any) -> None:
    """A loaded payment's extension, from the columns it is kept in."""
    if not payment._has_extension:
        payment.extension = None
        return
    values = {field: getattr(payment, f"_{column}") for field, column in EXTENSION.items()}
    payment.extension = Extension(extended_to=payment.extended_to, **values)


def before_flush(session: Session, *_: Any) -> None:
    """Write what the tables keep beside the entities' own state."""
    for entity in (*session.new, *session.dirty):
        kept_beside(entity)


def kept_beside(entity: Any) -> None:
    """What the tables keep beside an entity's own state, set from that state."""
    if isinstance(entity, Member):
        entity._in_review_queue = entity.in_review_queue  # type: ignore[attr-defined]
    elif isinstance(entity, Payment):
        _payment_columns(entity)


def _payment_columns(payment: Any) -> None:
    payment._sort_at = payment.moved_at
    ext = payment.extension
    payment._has_extension = ext is not None
    for field, column in EXTENSION.items():
        value = getattr(ext, field) if ext is not None else None
        if value is None and column in ("ext_days", "ext_credit_before", "ext_credit_after"):
            value = 0
        setattr(payment, f"_{column}", value)
