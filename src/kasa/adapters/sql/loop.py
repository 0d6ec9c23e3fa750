"""Use cases run on the event loop, their unit of work on asyncmy (MariaDB/MySQL).

The use cases are synchronous and the API runs them in worker threads, on PyMySQL. A
gateway's callback, the busiest write, spent as much of a worker's time on that path
as on its own work: the hop to a thread and back, several threads taking turns holding
the interpreter, and PyMySQL's packets for its ten statements. Here the same use case,
unchanged, runs in a greenlet on the event loop (SQLAlchemy's asyncio bridge), on the
``sync_engine`` of an asyncmy engine whose every round trip is awaited on the loop while
other requests are served: first on a callback's own unit of work (``settling``: the
same statements without the ORM's session), and when that one cannot apply the notice,
on an ordinary ``SqlUnitOfWork``. Same locks and lock order, same ledger, same retries.
The staff's member search runs there the same way (``LoopReads``): the read side's
code, unchanged, reads through the loop's engine.

Each event loop has its own engine (a worker process has one loop; tests start several),
made when it is first used and disposed of when its app stops. A use case run here must
not block: it may call nothing outside the database (the callers keep to the ones that
do not), and a retry's pause sleeps the use case's task, not the loop.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar, cast

import attrs
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.util import await_only, greenlet_spawn

from kasa.adapters.sql.database import SqlUnitOfWork, gathering, reset_after_use
from kasa.adapters.sql.quick import for_the_loop
from kasa.adapters.sql.reads import reading_on
from kasa.adapters.sql.settling import SettlingUnitOfWork, Unhandled
from kasa.application.callbacks import CallbackResult, GatewayCallbacks
from kasa.application.ports import GatewayMessage
from kasa.application.repositories import UnitOfWorkFactory
from kasa.application.retrying import pause

T = TypeVar("T")
RECYCLE_SECONDS = 3600


def loop_writes(url: str, connections: int) -> LoopWrites | None:
    """Units of work on the event loop for a database URL, or None where there are none
    (as for the quick reads)."""
    parsed = for_the_loop(url)
    if parsed is None:
        return None
    return LoopWrites(parsed.set(drivername="mysql+asyncmy"), connections)


def loop_reads(url: str, connections: int) -> LoopReads | None:
    """Reads on the event loop for a database URL, or None where there are none."""
    parsed = for_the_loop(url)
    if parsed is None:
        return None
    return LoopReads(parsed.set(drivername="mysql+asyncmy"), connections)


class _OnTheLoop:
    """An asyncmy engine for each event loop, and turns at its connections."""

    # as the threads' engine: READ COMMITTED, a pool kept open, no rollback of a
    # connection given back after its commit
    options: ClassVar[dict[str, Any]] = {"isolation_level": "READ COMMITTED"}
    listeners: ClassVar[tuple[tuple[str, Callable[..., None]], ...]] = (("reset", reset_after_use),)

    def __init__(self, url: sa.URL, connections: int) -> None:
        self.url = url
        self.connections = connections
        self._engines: dict[asyncio.AbstractEventLoop, AsyncEngine] = {}
        self._semaphores: dict[asyncio.AbstractEventLoop, asyncio.Semaphore] = {}

    async def _in_turn(
        self, context: contextvars.Context, function: Callable[..., T], *args: Any
    ) -> T:
        # at most as many at a time as the pool has connections: the rest wait their
        # turn here, in order (waiting in the pool instead, at 32 connections one
        # callback in a hundred took 336 ms against 123 ms here)
        async with self._turns():
            result: T = await greenlet_spawn(context.run, function, *args)
        return result

    def _turns(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        turns = self._semaphores.get(loop)
        if turns is None:
            turns = self._semaphores[loop] = asyncio.Semaphore(self.connections)
        return turns

    async def close(self) -> None:
        """Dispose of this loop's engine (an app's ``on_shutdown``)."""
        engine = self._engines.pop(asyncio.get_running_loop(), None)
        self._semaphores.pop(asyncio.get_running_loop(), None)
        if engine is not None:
            await engine.dispose()

    def _engine(self) -> AsyncEngine:
        loop = asyncio.get_running_loop()
        engine = self._engines.get(loop)
        if engine is None:
            engine = self._engines[loop] = self._made()
        return engine

    def _made(self) -> AsyncEngine:
        engine = create_async_engine(
            self.url,
            pool_size=self.connections,
            max_overflow=0,
            pool_recycle=RECYCLE_SECONDS,
            pool_reset_on_return=None,
            **self.options,
        )
        for name, listener in self.listeners:
            sa.event.listen(engine.sync_engine, name, listener)
        return engine


class LoopWrites(_OnTheLoop):
    """Units of work of an asyncmy engine, run in greenlets on the event loop."""

    def unit_of_work(self) -> SqlUnitOfWork:
        """A unit of work of this loop's engine (only inside :meth:`run`)."""
        return SqlUnitOfWork(self._engine().sync_engine)

    def settling(self) -> SettlingUnitOfWork:
        """A callback's unit of work on this loop's engine (only inside :meth:`run`)."""
        return SettlingUnitOfWork(self._engine().sync_engine)

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """``function(*args)`` in a greenlet on this loop, in a copy of the caller's
        context (its request id, its checked staff user), pausing its task to retry."""
        context = contextvars.copy_context()
        context.run(pause.set, _pause_the_task)
        return await self._in_turn(context, function, *args)


class LoopReads(_OnTheLoop):
    """Reads run in greenlets on the event loop, each ``SqlReads`` of them reading through
    this loop's asyncmy engine (autocommit, as the threads' reads). Not for a replica's
    reads, which choose their own engine (PyMySQL's: it would block the loop)."""

    # as the threads' reads: autocommit, nothing to reset when a connection comes back
    options: ClassVar[dict[str, Any]] = {
        "isolation_level": "AUTOCOMMIT",
        "skip_autocommit_rollback": True,
    }
    listeners = (("connect", gathering),)

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """``function(*args)`` (a use case that only reads the database) in a greenlet on
        this loop, in a copy of the caller's context."""
        context = contextvars.copy_context()
        context.run(reading_on.set, self._engine().sync_engine)
        return await self._in_turn(context, function, *args)


def _pause_the_task(seconds: float) -> None:
    await_only(asyncio.sleep(seconds))


@attrs.frozen
class LoopCallbacks:
    """A gateway's callbacks applied on the event loop: ``callbacks`` must be the use
    cases on this loop's units of work (the signature check is a computation, and the
    refusals' count is written in the same way). A notice is applied on a callback's
    unit of work (``settling``), and again on a session's when it asks for more."""

    writes: LoopWrites
    callbacks: GatewayCallbacks
    settling: GatewayCallbacks = attrs.field(
        init=False,
        default=attrs.Factory(
            lambda self: attrs.evolve(
                self.callbacks, uow=cast(UnitOfWorkFactory, self.writes.settling)
            ),
            takes_self=True,
        ),
    )

    async def callback(
        self, gateway_name: str, message: GatewayMessage, address: str = ""
    ) -> CallbackResult:
        return await self.writes.run(self._apply, gateway_name, message, address)

    def _apply(self, gateway_name: str, message: GatewayMessage, address: str) -> CallbackResult:
        try:
            return self.settling.callback(gateway_name, message, address)
        except Unhandled:
            return self.callbacks.callback(gateway_name, message, address)
