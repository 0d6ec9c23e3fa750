"""What happened to a member's fund business that the member is told about: domain
events, recorded by the entities as they change and carried out of the unit of work in
the same transaction (an outbox), so a change that rolls back tells no one and a
committed one is never left untold.

An event holds what it says beyond its entity; the entity that recorded it gives the
ids (a member, a request, a payment), read when the unit of work writes the event, once
new rows have theirs."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

import attrs


class EventKind(enum.StrEnum):
    MESSAGE = "message"
    REQUEST_MOVED = "request_moved"
    PAYOUT = "payout"
    PAYMENT_CONFIRMED = "payment_confirmed"
    PAYMENT_REVERSED = "payment_reversed"
    PROFILE_REVIEWED = "profile_reviewed"
    MEMBERSHIP_EXPIRING = "membership_expiring"
    BLOCKED = "blocked"
    UNBLOCKED = "unblocked"


@attrs.frozen
class Event:
    """One thing that happened: its kind and what it says (amounts as text, dates as
    ISO text, names of states), ready to be written as JSON."""

    kind: EventKind
    data: Mapping[str, Any] = attrs.field(factory=dict)


class RecordsEvents:
    """An entity that records events. Entities loaded from the database are made
    without their constructor, so the list is made on first use. ``event_ids`` says
    whom and what its events are about: the member, the request, the payment."""

    def event_ids(self) -> tuple[int, int | None, int | None]:
        raise NotImplementedError

    def record(self, kind: EventKind, **data: Any) -> None:
        self.__dict__.setdefault("_events", []).append(Event(kind, data))

    def pop_events(self) -> list[Event]:
        """The events recorded since the last call (the unit of work takes them)."""
        events: list[Event] = self.__dict__.pop("_events", [])
        return events
