"""The staff's member search read on the event loop through asyncmy (MariaDB): the same
members as the threads' read, never through the threads' engine, read again when the
server dropped the loop's connections; SQLite and a replica keep the threads."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient

from kasa.adapters.sql.database import SqlDatabase
from kasa.adapters.sql.loop import loop_reads
from kasa.adapters.sql.reads import SqlReads, reading_on
from kasa.application.reads import MemberQuery, Page
from kasa.application.search import SearchField, words_of
from kasa.domain.staff import Role
from kasa.entrypoints.http.admin import create_admin_app
from kasa.entrypoints.http.admin import members as member_routes
from tests.integration.app.helpers import Fund
from tests.integration.conftest import empty_tables
from tests.integration.http.conftest import build_kasa
from tests.integration.test_repository_contract import add_members, member

NAMES = ["Олена", "Олена", "Оксана", "Олег", "Олена", "Марія"]


@pytest.fixture
def database(mariadb_database: SqlDatabase) -> SqlDatabase:
    empty_tables(mariadb_database)
    return mariadb_database


def dropped_all_but_mine(database: SqlDatabase) -> int:
    """The server drops every other connection to the database (as a restart would);
    ``database``'s own pools then start afresh (the tests after this one use them)."""
    name = sa.engine.make_url(database.url).database
    with database.engine.connect() as c:
        others = c.exec_driver_sql(
            "SELECT ID FROM information_schema.PROCESSLIST"
            f" WHERE DB = '{name}' AND ID <> CONNECTION_ID()"
        ).all()
        for (found,) in others:
            c.exec_driver_sql(f"KILL CONNECTION {found}")
    database.dispose()
    return len(others)


def test_the_member_search_is_read_on_the_loop(
    tmp_path: Path, database: SqlDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    kasa, fakes = build_kasa(tmp_path, KASA_DATABASE_URL=database.url)
    fund = Fund.on(kasa, fakes, kasa.adapters.database())
    ids = add_members(
        fund.uow,
        *(member(n, first_name=name, last_name=f"Прізвище{n}") for n, name in enumerate(NAMES)),
    )
    password = "a clerk's password 1"
    clerk = fund.accounts.create(None, login="clerk", role=Role.OPERATOR, password=password)
    assert clerk.user.id is not None
    in_threads = SqlReads(database.reader).members(
        MemberQuery(words_of("олена"), frozenset({SearchField.NAME})), Page(50, 0)
    )
    expected = [m.id for m in in_threads]
    assert len(expected) == 3 and set(expected) <= set(ids)

    # neither a worker thread nor the threads' engine may answer the search
    in_a_thread = member_routes.read

    async def not_the_search(function: Any, *args: Any) -> Any:
        if getattr(function, "__name__", "") == "search":
            raise AssertionError("the search was read in a thread")
        return await in_a_thread(function, *args)

    monkeypatch.setattr(member_routes, "read", not_the_search)
    threads_engine: list[int] = []
    sa.event.listen(
        kasa.adapters.database().reader, "checkout", lambda *_: threads_engine.append(1)
    )
    with TestClient(create_admin_app(kasa)) as client:
        r = client.post("/signin", json={"login": "clerk", "password": password})
        assert r.status_code == 200, r.text
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}

        def search(query: str) -> list[int]:
            body = {"filter": {"query": query, "fields": {"name": True}}}
            r = client.post("/members", json=body, headers=headers)
            assert r.status_code == 200, r.text
            return [row["id"] for row in r.json()["data"]]

        assert search("Олена") == expected
        started = {m for m, name in zip(ids, NAMES, strict=True) if name.startswith("Ол")}
        assert set(search("Ол")) == started
        assert threads_engine == []
        # the server drops the loop's connections (a restart): the next search reads again
        assert dropped_all_but_mine(database) >= 1
        assert search("Олена") == expected
    assert threads_engine == []


def test_sqlite_keeps_the_reads_in_threads(tmp_path: Path) -> None:
    assert loop_reads(f"sqlite:///{tmp_path / 'kasa.db'}", 2) is None
    kasa, _ = build_kasa(tmp_path)
    assert kasa.adapters.reads_on_loop() is None


def test_a_read_on_the_loop_reads_through_the_loops_engine_alone(database: SqlDatabase) -> None:
    reads = loop_reads(database.url, 2)
    assert reads is not None

    async def inside_and_after() -> tuple[Any, Any]:
        try:
            return await reads.run(reading_on.get), reading_on.get()
        finally:
            await reads.close()

    inside, after = asyncio.run(inside_and_after())
    assert inside is not None and inside.dialect.driver == "asyncmy"
    assert after is None  # the caller's context is untouched
