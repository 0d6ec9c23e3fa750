"""The most frequent reads, awaited on the event loop through asyncmy (MariaDB/MySQL):
a member's profile, and the staff user's standing every admin request is checked by.

The read side's other queries go through SQLAlchemy and PyMySQL in worker threads. For
these two, one row by primary key each, that path cost more than the query: measured
in one process against the same MariaDB, 390 µs of the worker's CPU a profile (the hop
to a thread and back, SQLAlchemy's execution, PyMySQL's packets) against 60 µs awaited
through asyncmy's compiled protocol on the loop. The statements and the rows' decoding
are the read side's own (``statements.PROFILE``, ``reads.profile_view``,
``statements.STAFF_STANDING``): only the driver differs.

Each event loop (a worker process has one; tests start several) has its own small pool,
made when it first reads and closed when its app stops. A pooled connection the server
dropped fails its read, which is read once more on a fresh connection; a database that
cannot be reached answers as the threads' path does (SQLAlchemy's ``OperationalError``,
a 503)."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncmy
import sqlalchemy as sa
from asyncmy import errors as driver_errors
from sqlalchemy.dialects.mysql import pymysql as pymysql_dialect

from kasa.adapters.sql import statements as q
from kasa.adapters.sql.direct import Prepared, prepared
from kasa.adapters.sql.reads import profile_view
from kasa.application.views import ProfileView
from kasa.domain.staff import Role

# what a URL may say besides where the database is; anything else (TLS, timeouts, …)
# keeps the profile on the threads' path, which honours it
UNDERSTOOD = frozenset({"charset", "unix_socket"})
# the client's codes for a connection that is gone: the server went away or the
# connection was lost mid-read (a restart, ``wait_timeout``, ``KILL``)
GONE = frozenset({2006, 2013, 2055, 4031})
# the statements are compiled as for PyMySQL: the same SQL and parameters asyncmy takes
DIALECT = pymysql_dialect.dialect()
RECYCLE_SECONDS = 3600


def for_the_loop(url: str) -> sa.URL | None:
    """A database URL parsed, when asyncmy can be given it on the event loop: MariaDB or
    MySQL, saying nothing but where the database is (None for SQLite, or a URL with
    settings only the threads' driver is given)."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "mysql" or not set(parsed.query) <= UNDERSTOOD:
        return None
    return parsed


def quick_reads(url: str, connections: int) -> QuickSqlReads | None:
    """The quick reader of a database URL, or None where there is none."""
    parsed = for_the_loop(url)
    if parsed is None:
        return None
    options: dict[str, Any] = {
        "user": parsed.username or "",
        "password": parsed.password or "",
        "db": parsed.database or "",
        "charset": str(parsed.query.get("charset", "utf8mb4")),
        "autocommit": True,
    }
    if "unix_socket" in parsed.query:
        options["unix_socket"] = str(parsed.query["unix_socket"])
    else:
        options["host"] = parsed.host or "localhost"
        options["port"] = parsed.port or 3306
    return QuickSqlReads(options, connections)


class QuickSqlReads:
    """``QuickReads`` on MariaDB/MySQL."""

    def __init__(self, options: dict[str, Any], connections: int) -> None:
        self.options = options
        self.connections = connections
        self._profile = prepared(q.PROFILE, DIALECT, None)
        self._standing = prepared(q.STAFF_STANDING, DIALECT, None)
        self._pools: dict[asyncio.AbstractEventLoop, tuple[Any, asyncio.Semaphore]] = {}
        self._opening: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}

    async def profile(self, member_id: int) -> ProfileView | None:
        row = await self._row(self._profile, {"member_id": member_id})
        return None if row is None else profile_view(q.PROFILE_ROW.load(row[0]))

    async def staff_standing(self, staff_id: int) -> tuple[Role, int] | None:
        row = await self._row(self._standing, {"staff_id": staff_id})
        return None if row is None else (Role(row[0]), int(row[1]))

    async def close(self) -> None:
        """Close this event loop's pool (an app's ``on_shutdown``)."""
        found = self._pools.pop(asyncio.get_running_loop(), None)
        self._opening.pop(asyncio.get_running_loop(), None)
        if found is not None:
            found[0].close()
            await found[0].wait_closed()

    async def _row(self, statement: Prepared, params: dict[str, Any]) -> Any:
        args = statement.args(params)
        for attempt in (1, 2):
            try:
                pool, turns = await self._pool()
                # reads take turns here (asyncio's semaphore wakes them in order), never
                # in the pool, whose waiters woke late: at 4 connections and a pool of
                # 2, one read in a hundred took 14–30 ms instead of 1.4
                async with turns, pool.acquire() as connection:
                    try:
                        async with connection.cursor() as cursor:
                            await cursor.execute(statement.sql, args)
                            row = await cursor.fetchone()
                    except BaseException:
                        # whatever broke the read, the connection goes, not back
                        connection.close()
                        raise
                return row
            except (driver_errors.OperationalError, driver_errors.InterfaceError, OSError) as error:
                if attempt == 1 and _gone(error):
                    continue
                raise sa.exc.OperationalError(statement.sql, args, error) from error
        raise AssertionError("unreachable")  # pragma: no cover

    async def _pool(self) -> tuple[Any, asyncio.Semaphore]:
        loop = asyncio.get_running_loop()
        pool = self._pools.get(loop)
        if pool is not None:
            return pool
        async with self._opening.setdefault(loop, asyncio.Lock()):
            if loop not in self._pools:
                connections = await asyncmy.create_pool(
                    minsize=0,
                    maxsize=self.connections,
                    pool_recycle=RECYCLE_SECONDS,
                    **self.options,
                )
                self._pools[loop] = (connections, asyncio.Semaphore(self.connections))
            return self._pools[loop]


def _gone(error: BaseException) -> bool:
    """A pooled connection the server dropped (worth one more read on a fresh one)."""
    if isinstance(error, driver_errors.InterfaceError | OSError):
        return True
    code = error.args[0] if error.args else None
    return code in GONE
