"""A member's profile and a staff user's standing read on the event loop (asyncmy,
MariaDB): the same answers as the read side's, read again when its pooled connection was
dropped, a 503 when the database cannot be reached, and what the apps answer with."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient

from kasa.adapters.sql.database import SqlDatabase
from kasa.adapters.sql.quick import QuickSqlReads, quick_reads
from kasa.adapters.sql.reads import SqlReads
from kasa.domain.members import MemberStatus
from kasa.domain.programs import MemberProgram
from kasa.domain.staff import Role
from kasa.entrypoints.http.admin import create_admin_app
from tests.integration.app.helpers import Fund
from tests.integration.conftest import empty_tables
from tests.integration.http.conftest import build_kasa, mobile_world
from tests.integration.http.test_mobile_api import approved
from tests.integration.test_read_side import blocked_member, with_programs_and_photo
from tests.integration.test_repository_contract import T0, add_members, member


@pytest.fixture
def database(mariadb_database: SqlDatabase) -> SqlDatabase:
    empty_tables(mariadb_database)
    return mariadb_database


def dropped_by_the_server(database: SqlDatabase, connection_id: int) -> None:
    """The server drops a pooled connection (as a restart or a timeout would)."""
    with database.engine.connect() as other:
        other.exec_driver_sql(f"KILL CONNECTION {connection_id}")


def quick_of(database: SqlDatabase) -> QuickSqlReads:
    found = quick_reads(database.url, 2)
    assert found is not None
    return found


def test_the_quick_profile_is_the_read_sides(database: SqlDatabase) -> None:
    uow_factory = database.unit_of_work
    with_all, bare, waiting = add_members(
        uow_factory,
        blocked_member(),
        member(2, first_name="Ігор"),
        member(3, status=MemberStatus.PENDING_REVIEW),
    )
    basic = with_programs_and_photo(uow_factory, with_all)
    with uow_factory() as uow:
        uow.member_programs.add(MemberProgram(waiting, basic, T0, T0, is_new=True))
        uow.commit()
    quick, reads = quick_of(database), database.reads()

    async def both(member_id: int) -> tuple[Any, Any]:
        return await quick.profile(member_id), reads.profile(member_id)

    async def read_all() -> list[tuple[Any, Any]]:
        try:
            return [await both(m) for m in (with_all, bare, waiting, 999_999)]
        finally:
            await quick.close()

    answers = asyncio.run(read_all())
    for fast, read_side in answers[:3]:
        assert fast is not None and fast == read_side
    assert answers[0][0].photo == "m1-photo.jpg" and answers[0][0].program.name == "Базова"
    assert answers[0][0].member.membership.credit_units == 123
    assert answers[1][0].program is None and answers[1][0].member.first_name == "Ігор"
    assert answers[3] == (None, None)


def test_a_read_whose_connection_was_dropped_is_read_again(database: SqlDatabase) -> None:
    [member_id] = add_members(database.unit_of_work, member(1))
    quick = quick_of(database)

    async def dropped_between_reads() -> tuple[Any, Any]:
        try:
            first = await quick.profile(member_id)
            pool, _ = quick._pools[asyncio.get_running_loop()]
            async with pool.acquire() as connection, connection.cursor() as cursor:
                await cursor.execute("SELECT CONNECTION_ID()")
                (pooled,) = await cursor.fetchone()
            dropped_by_the_server(database, int(pooled))
            return first, await quick.profile(member_id)
        finally:
            await quick.close()

    first, again = asyncio.run(dropped_between_reads())
    assert first is not None and again == first


def test_a_database_that_cannot_be_reached_answers_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens here once the probe closes
    quick = quick_reads(f"mysql+pymysql://kasa@127.0.0.1:{port}/kasa?charset=utf8mb4", 2)
    assert quick is not None

    async def read() -> Any:
        try:
            return await quick.profile(1)
        finally:
            await quick.close()

    with pytest.raises(sa.exc.OperationalError):
        asyncio.run(read())


def test_only_a_mariadb_url_without_other_settings_gets_a_quick_reader() -> None:
    assert quick_reads("sqlite:///kasa.db", 2) is None
    tls = "mysql+pymysql://kasa:pw@db:3307/kasa?charset=utf8mb4&ssl_ca=/etc/ca.pem"
    assert quick_reads(tls, 2) is None
    over_tcp = quick_reads("mysql+pymysql://kasa:p%40ss@db:3307/fund?charset=utf8mb4", 3)
    assert over_tcp is not None and over_tcp.connections == 3
    assert over_tcp.options == {
        "user": "kasa",
        "password": "p@ss",
        "db": "fund",
        "charset": "utf8mb4",
        "autocommit": True,
        "host": "db",
        "port": 3307,
    }
    local = quick_reads("mysql+pymysql://kasa@/fund?unix_socket=/run/mysqld/mysqld.sock", 2)
    assert local is not None and local.options["unix_socket"] == "/run/mysqld/mysqld.sock"
    assert "host" not in local.options and local.options["charset"] == "utf8mb4"


@pytest.fixture
def world_on_mariadb(
    tmp_path: Path, database: SqlDatabase, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    # the threads' read must not be the one answering
    def not_this_way(*_: Any) -> None:
        raise AssertionError("the profile was read through a thread")

    with mobile_world(tmp_path, KASA_DATABASE_URL=database.url) as world:
        monkeypatch.setattr(SqlReads, "profile", not_this_way)
        yield world


def test_the_mobile_app_answers_the_profile_from_the_quick_read(world_on_mariadb: Any) -> None:
    world = world_on_mariadb
    member_id, headers = approved(world, "+380501112233")
    r = world.client.get("/user/profile/get", headers=headers)
    assert r.status_code == 200, r.text
    profile = r.json()
    assert profile["id"] == member_id and profile["status"] == "approved"
    assert profile["program"]["month_price"] == 300.0
    world.fund.office.block(world.fund.operator_id, member_id)
    r = world.client.get("/user/profile/get", headers=headers)
    assert r.status_code == 403 and "blocked" in r.json()["message"]


def test_the_admin_app_checks_staff_tokens_from_the_quick_read(
    tmp_path: Path, database: SqlDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    kasa, fakes = build_kasa(tmp_path, KASA_DATABASE_URL=database.url)
    fund = Fund.on(kasa, fakes, kasa.adapters.database())
    password = "a clerk's password 1"
    clerk = fund.accounts.create(None, login="clerk", role=Role.OPERATOR, password=password)
    clerk_id = clerk.user.id
    assert clerk_id is not None

    # the threads' read must not be the one answering
    def not_this_way(*_: Any) -> None:
        raise AssertionError("the staff user was read through a thread")

    reads = database.reads()
    assert reads.staff_standing(clerk_id) == (Role.OPERATOR, 0)
    monkeypatch.setattr(SqlReads, "staff_standing", not_this_way)
    try:
        with TestClient(create_admin_app(kasa)) as client:
            r = client.post("/signin", json={"login": "clerk", "password": password})
            assert r.status_code == 200, r.text
            headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
            assert client.get("/programs", headers=headers).status_code == 200
            # a new password ends the user's tokens at once, and the new one is taken
            fund.accounts.reset_password("clerk", password + "2")
            r = client.get("/programs", headers=headers)
            assert r.status_code == 401 and "sign in again" in r.json()["message"]
            r = client.post("/signin", json={"login": "clerk", "password": password + "2"})
            headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
            assert client.get("/programs", headers=headers).status_code == 200
            # so does deactivation
            fund.accounts.deactivate(fund.admin_id, clerk_id)
            assert client.get("/programs", headers=headers).status_code == 401
    finally:
        kasa.adapters.database().dispose()


def test_the_quick_staff_standing_is_the_read_sides(database: SqlDatabase) -> None:
    fund = Fund.build(database=database)
    quick = quick_of(database)
    reads = database.reads()
    fund.accounts.reset_password("admin", "a new admin password 1")
    fund.accounts.deactivate(fund.admin_id, fund.operator_id)

    async def read_all() -> list[Any]:
        try:
            ids = (fund.admin_id, fund.operator_id, 999_999)
            return [(await quick.staff_standing(i), reads.staff_standing(i)) for i in ids]
        finally:
            await quick.close()

    admin, deactivated, unknown = asyncio.run(read_all())
    assert admin[0] == admin[1] == (Role.ADMIN, 1)
    assert deactivated == (None, None) and unknown == (None, None)
