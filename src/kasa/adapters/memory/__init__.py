"""In-memory fakes of every port, for unit tests, property tests and ``KASA_ENV=test``."""

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
from kasa.application.context import Context, FundSettings


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


def in_memory_fund(settings: FundSettings | None = None, seed: int = 7) -> tuple[Context, Fakes]:
    """A whole fund in memory: the use cases' context and the fakes behind it."""
    clock = FakeClock()
    fakes = Fakes(
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
    context = Context(
        uow=fakes.store.unit_of_work,
        clock=fakes.clock,
        codes=fakes.codes,
        sms=fakes.sms,
        gateway=fakes.gateway,
        identity=fakes.identity,
        files=fakes.files,
        passwords=fakes.passwords,
        code_hasher=fakes.code_hasher,
        tokens=fakes.tokens,
        settings=settings or FundSettings(),
    )
    return context, fakes


__all__ = ["Fakes", "InMemoryUnitOfWork", "in_memory_fund"]
