"""Where the apps run use cases: off the event loop, in worker threads (the use cases
are synchronous: database, file store, outside services), with reads on a few threads of
their own."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

import anyio
import anyio.to_thread

T = TypeVar("T")


async def run(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Use cases are synchronous (database, file store, outside services): run them in
    a worker thread."""
    return await anyio.to_thread.run_sync(partial(function, *args, **kwargs))


async def read(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """A read (a few quick queries) on the reads' own few threads: on two cores two
    threads serve reads fastest (more only take turns holding the interpreter, and a
    profile's p99 at 4 connections went from 10 ms to 30 ms with eight), and a slow
    outside call or upload on the other threads never holds a member's read up."""
    return await anyio.to_thread.run_sync(partial(function, *args, **kwargs), limiter=_readers())


_READERS: list[anyio.CapacityLimiter] = []


def _readers() -> anyio.CapacityLimiter | None:
    return _READERS[0] if _READERS else None


def thread_limits(workers: int, readers: int) -> Callable[[], None]:
    """An ``on_startup`` hook: use cases (and Litestar's sync handlers) run on at most
    ``workers`` threads, reads on ``readers`` more, together as many as the database
    pool has connections, so no thread waits for a connection and none is opened per
    request; more requests wait their turn in the event loop, which costs nothing."""

    def limit() -> None:
        anyio.to_thread.current_default_thread_limiter().total_tokens = workers
        # made in the loop that will use it (a test may start an app in a new loop)
        _READERS[:] = [anyio.CapacityLimiter(readers)]

    return limit
