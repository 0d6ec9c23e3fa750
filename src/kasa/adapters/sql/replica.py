"""Reads from a MariaDB/MySQL replica while it keeps up.

The replica says how far it trails (``SHOW REPLICA STATUS``: the seconds behind its
primary, or nothing while replication is stopped or broken); that is asked at most once a
second per process. Reads given to the replica go to the primary instead while it trails
by more than the allowed seconds, cannot say, or cannot be reached, and while the request
being answered asked to see the latest writes (``kasa.application.reads.latest``)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from kasa.adapters.sql.reads import SqlReads
from kasa.application.reads import LATEST

ASKED_EVERY = 1.0  # seconds a replica's lag is trusted before it is asked again


def seconds_behind(status: Mapping[str, Any] | None) -> int | None:
    """How many seconds a replica's status says it trails its primary; None when it is
    not replicating (no status, a thread stopped, the figure unknown)."""
    if not status:
        return None
    running = [v for k, v in status.items() if k.endswith(("_IO_Running", "_SQL_Running"))]
    if not running or any(str(v) != "Yes" for v in running):
        return None
    behind = status.get("Seconds_Behind_Master", status.get("Seconds_Behind_Source"))
    return None if behind is None else int(behind)


class Replica:
    """A replica's engine and how far it trails, asked at most every ``every`` seconds."""

    def __init__(
        self,
        engine: Engine,
        max_lag: float,
        *,
        every: float = ASKED_EVERY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine = engine
        self.max_lag = max_lag
        self.every = every
        self.clock = clock
        self._lock = threading.Lock()
        self._asked_at = -float("inf")
        self._lag: int | None = None
        self.problem = ""

    def lag(self) -> int | None:
        """Seconds behind the primary (None: not replicating or not reachable)."""
        now = self.clock()
        if now - self._asked_at < self.every:
            return self._lag
        with self._lock:
            if now - self._asked_at >= self.every:  # no other thread asked meanwhile
                self._lag, self.problem = self._ask()
                self._asked_at = self.clock()
        return self._lag

    def keeping_up(self) -> bool:
        lag = self.lag()
        return lag is not None and lag <= self.max_lag

    def _ask(self) -> tuple[int | None, str]:
        try:
            with self.engine.connect() as c:
                row = c.exec_driver_sql("SHOW REPLICA STATUS").mappings().first()
        except sa.exc.DBAPIError as error:
            return None, f"the replica cannot be asked its lag: {error.orig}"
        lag = seconds_behind(None if row is None else {str(k): v for k, v in row.items()})
        if lag is None:
            return None, "the replica is not replicating"
        if lag > self.max_lag:
            return lag, f"the replica is {lag} s behind (more than {self.max_lag:g} s)"
        return lag, ""

    def failed(self, error: sa.exc.DBAPIError) -> None:
        """The replica could not be reached: reads go to the primary until it is asked
        again."""
        with self._lock:
            self._lag = None
            self.problem = f"the replica cannot be reached: {error.orig}"
            self._asked_at = self.clock()


class ReplicaReads(SqlReads):
    """The reads that may come from the replica: from it while it keeps up, else from
    the primary."""

    def __init__(self, replica: Replica, primary: Engine, **kwargs: Any) -> None:
        super().__init__(replica.engine, **kwargs)
        self.replica = replica
        self.primary = primary

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        if not LATEST.get() and self.replica.keeping_up():
            try:
                connection = self.engine.connect()
            except sa.exc.DBAPIError as error:
                self.replica.failed(error)
            else:
                with connection:
                    yield connection
                return
        with self.primary.connect() as connection:
            yield connection
