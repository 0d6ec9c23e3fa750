"""In-memory fakes of every port, for tests: the outside world, and a unit of work on
an in-memory store (the repository contract holds it to the same rules as SQL)."""

from __future__ import annotations

import attrs

from kasa.adapters.memory.outside import (
    FakeClock,
    FakeCodeHasher,
    FakeCodes,
    FakeGateway,
    FakeIdentityProvider,
    FakePasswordHasher,
    FakeSms,
    FakeTokens,
    InMemoryFileStore,
)
from kasa.adapters.memory.store import InMemoryStore, InMemoryUnitOfWork


@attrs.define
class Fakes:
    """Every fake of one in-memory fund, for tests to look into."""

    store: InMemoryStore
    clock: FakeClock
    codes: FakeCodes
    sms: FakeSms
    gateway: FakeGateway
    identity: FakeIdentityProvider
    files: InMemoryFileStore
    passwords: FakePasswordHasher
    code_hasher: FakeCodeHasher
    tokens: FakeTokens


def fakes(seed: int = 7) -> Fakes:
    """Every fake of one fund, sharing one fake clock."""
    clock = FakeClock()
    return Fakes(
        store=InMemoryStore(),
        clock=clock,
        codes=FakeCodes(seed),
        sms=FakeSms(clock),
        gateway=FakeGateway(),
        identity=FakeIdentityProvider(),
        files=InMemoryFileStore(),
        passwords=FakePasswordHasher(),
        code_hasher=FakeCodeHasher(),
        tokens=FakeTokens(),
    )


__all__ = ["Fakes", "InMemoryUnitOfWork", "fakes"]
