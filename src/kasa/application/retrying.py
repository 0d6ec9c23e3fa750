"""A change the database gives up on is run again from the start.

Two transactions that wait on each other (a deadlock), a lock held past the database's
wait limit, or an SQLite database busy past its timeout make the database abort a unit of
work; a pooled connection the server dropped fails the first statement sent on it. In
each case nothing of the unit of work was kept, so running the same use case again (on a
fresh connection) is safe and is what the caller wants. The unit of work says so by
raising ``Aborted``; ``retried`` runs the call again, a few times with a short random
pause so that the two rivals do not meet again, and only then gives up with ``Busy`` (an
answer the caller may retry later).

Only the outermost use case call is run again: a use case called inside another (or a
helper working in its caller's unit of work) lets ``Aborted`` through to it, because the
caller's transaction is gone too. ``use_cases`` marks every public method of a class of
use cases; a method that runs many units of work one after the other (a job over many
members or orders) is marked ``runs_many`` and retries each of them instead.
"""

from __future__ import annotations

import functools
import inspect
import logging
import random
import time
from collections.abc import Callable
from contextvars import ContextVar
from typing import ParamSpec, TypeVar

from kasa.domain.errors import Busy

P = ParamSpec("P")
R = TypeVar("R")
C = TypeVar("C", bound=type)

ATTEMPTS = 5
PAUSE_SECONDS = 0.02  # times the attempt number, at random between 0.5× and 1.5×

log = logging.getLogger("kasa.retrying")
_running: ContextVar[bool] = ContextVar("kasa_use_case_running", default=False)
# how a retry waits: the thread sleeps; a use case run on the event loop pauses its task
pause: ContextVar[Callable[[float], None]] = ContextVar("kasa_retry_pause", default=time.sleep)


class Aborted(Exception):
    """The database aborted the unit of work (deadlock, lock wait timeout, busy);
    nothing of it was kept."""


def retried(method: Callable[P, R]) -> Callable[P, R]:
    """Run ``method`` again from the start when the database aborts its unit of work."""

    name = getattr(method, "__qualname__", repr(method))

    @functools.wraps(method)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        if _running.get():
            return method(*args, **kwargs)  # the outermost call runs it again
        token = _running.set(True)
        try:
            for attempt in range(1, ATTEMPTS + 1):
                try:
                    return method(*args, **kwargs)
                except Aborted as error:
                    if attempt == ATTEMPTS:
                        log.error("%s gave up after %d attempts: %s", name, attempt, error)
                        raise Busy(
                            "The fund is busy with other changes to the same records; "
                            "nothing was changed, please try again."
                        ) from error
                    log.warning(
                        "%s aborted by the database (%s); running it again",
                        name,
                        error,
                    )
                    pause.get()(PAUSE_SECONDS * attempt * random.uniform(0.5, 1.5))  # noqa: S311
            raise AssertionError("unreachable")  # pragma: no cover
        finally:
            _running.reset(token)

    return run


def runs_many(method: Callable[P, R]) -> Callable[P, R]:
    """A method that runs many units of work one after the other: each of them is
    retried on its own (``use_cases`` leaves this method as it is)."""
    method._runs_many = True  # type: ignore[attr-defined]
    return method


def use_cases(cls: C) -> C:
    """Every public method of a class of use cases is ``retried`` (but a coroutine: the
    reads awaited on the event loop change nothing)."""
    for name, value in list(vars(cls).items()):
        if name.startswith("_") or not inspect.isfunction(value):
            continue
        if inspect.iscoroutinefunction(value):
            continue  # awaited on the event loop: a read, never a unit of work
        if getattr(value, "_runs_many", False):
            continue
        setattr(cls, name, retried(value))
    return cls
