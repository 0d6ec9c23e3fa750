"""Callbacks that cannot be verified (a wrong signature, data that cannot be decrypted):
counted per client address, and written to the audit trail at most once a minute per
address, so junk sent in bulk cannot flood the trail."""

from __future__ import annotations

from datetime import timedelta

import attrs

from kasa.application.auditing import audit
from kasa.application.clock import FundClock
from kasa.application.repositories import UnitOfWorkFactory
from kasa.application.retrying import use_cases
from kasa.domain.audit import Actor, EventType, ObjectKind
from kasa.domain.throttle import counter_key

MINUTE = timedelta(minutes=1)


@use_cases
@attrs.frozen
class UnverifiedCallbacks:
    uow: UnitOfWorkFactory
    clock: FundClock

    def refuse(self, source: str, object_kind: ObjectKind, address: str, reason: str) -> None:
        """Count one unverifiable callback from ``address``. The first of a minute from
        any address is audited, carrying how many more came (from all addresses) in the
        minute before it, counted but not audited one by one, and how many came from
        this address in all: junk sent from many addresses adds one audit row a
        minute."""
        now = self.clock.now()
        every = counter_key(f"callback-{source}", "*")
        one = counter_key(f"callback-{source}", address or "-")
        with self.uow() as uow:
            counters = uow.counters.locked([every, one])
            in_last_window = counters[every].count
            counters[one].hit(now, MINUTE)
            if counters[every].hit(now, MINUTE):
                audit(
                    uow,
                    EventType.CALLBACK_REFUSED,
                    Actor.system(),
                    object_kind,
                    "-",
                    now,
                    source=source,
                    reason=reason,
                    address=address,
                    not_audited_before=max(in_last_window - 1, 0),
                    total_from_address=counters[one].total,
                )
            uow.commit()
