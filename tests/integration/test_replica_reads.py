"""Reads from a real MariaDB replica, through the real apps: the staff's lists and the
program list come from the replica while it keeps up; a member's own reads, a staff
member's card and every read of a change come from the primary, so nobody misses their
own write; a replica further behind than allowed, or stopped, sends the lists to the
primary, and ``/health/ready`` and ``/metrics`` say how far it trails."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import pymysql
import pytest
from litestar.testing import TestClient

from kasa.adapters.sql.database import SqlDatabase
from kasa.adapters.sql.migrate import upgrade
from kasa.adapters.sql.replica import Replica
from kasa.application.ports import TokenAudience
from kasa.application.reads import latest
from kasa.domain.staff import Role
from kasa.entrypoints.container import Kasa
from kasa.entrypoints.http.admin import create_admin_app
from kasa.entrypoints.http.metrics import Asked
from kasa.entrypoints.http.mobile import create_mobile_app
from tests.integration.app.helpers import Fund
from tests.integration.office.test_sessions import PASSWORD
from tests.support.fakes import fakes
from tests.support.kasa import test_kasa as kasa_on
from tests.support.kasa import test_settings as settings_in
from tests.support.mariadb import MariaDBServer

NAME = "kasa_replica_reads"
ONLY_ON_THE_REPLICA = 900_001  # a program written on the replica alone: where a read ran


@attrs.define
class World:
    primary: MariaDBServer
    replica: MariaDBServer
    kasa: Kasa
    fund: Fund
    mobile: TestClient[Any]
    admin: TestClient[Any]

    @property
    def staff(self) -> dict[str, str]:
        token = self.kasa.adapters.tokens().issue(TokenAudience.STAFF, self.fund.operator_id)
        return {"Authorization": f"Bearer {token}"}

    def member(self, member_id: int) -> dict[str, str]:
        token = self.kasa.adapters.tokens().issue(TokenAudience.MEMBER, member_id)
        return {"Authorization": f"Bearer {token}"}

    def ready(self) -> dict[str, Any]:
        answer = self.admin.get("/health/ready")
        assert answer.status_code == 200, answer.text  # a replica never makes it unready
        found: dict[str, Any] = answer.json()
        return found

    def found_by_staff(self, words: str) -> list[int]:
        r = self.admin.post("/members", headers=self.staff, json={"filter": {"query": words}})
        assert r.status_code == 200, r.text
        return [m["id"] for m in r.json()["data"]]

    def programs_listed(self) -> set[str]:
        return {p["program_name"] for p in self.mobile.get("/program/list").json()}


def until(check: Callable[[], bool], seconds: float = 30, what: str = "") -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"not within {seconds} s: {what}"
        time.sleep(0.2)


@pytest.fixture(scope="module")
def world(replicated: tuple[MariaDBServer, MariaDBServer]) -> Iterator[World]:
    primary, replica = replicated
    primary.create_database(NAME)
    primary.execute(  # the application's user, which may also see the replica's lag
        "CREATE USER IF NOT EXISTS 'kasa'@'127.0.0.1' IDENTIFIED BY 'kasa'",
        f"GRANT ALL ON `{NAME}`.* TO 'kasa'@'127.0.0.1'",
        "GRANT REPLICA MONITOR ON *.* TO 'kasa'@'127.0.0.1'",
    )
    url = primary.url(NAME).replace("root@", "kasa:kasa@")
    read_url = replica.url(NAME).replace("root@", "kasa:kasa@")
    upgrade(url)
    until(
        lambda: bool(replica.execute(f"SHOW TABLES IN `{NAME}` LIKE 'alembic_version'")),
        what="the schema arrives on the replica",
    )
    folder = Path(tempfile.mkdtemp(prefix="kasa-replica-"))
    settings = settings_in(
        folder,
        KASA_DATABASE_URL=url,
        KASA_READ_DATABASE_URL=read_url,
        KASA_METRICS="0",
        KASA_JWT_SECRET="replica-" + "r" * 64,
    )
    assert settings.problems() == []
    database = SqlDatabase(url, read_url=read_url, max_lag=settings.database.replica_max_lag)
    found = fakes()
    kasa = kasa_on(settings, database, found)
    fund = Fund.on(kasa, found, database)
    with (
        TestClient(create_mobile_app(kasa)) as mobile,
        TestClient(create_admin_app(kasa)) as admin,
    ):
        yield World(primary, replica, kasa, fund, mobile, admin)
    database.dispose()


@pytest.fixture
def world_caught_up(world: World) -> World:
    until(lambda: world.ready()["replica"] == "ok", what="the replica keeps up")
    return world


def test_the_lists_come_from_the_replica_and_details_from_the_primary(
    world_caught_up: World,
) -> None:
    world = world_caught_up
    world.replica.execute(  # root may write on the read-only replica: a row only it has
        f"INSERT INTO `{NAME}`.programs (id, program_name, month_price, program_file,"
        " is_active, created_at, updated_at)"
        f" VALUES ({ONLY_ON_THE_REPLICA}, 'Лише на репліці', 1000, '', 1, NOW(), NOW())"
    )
    try:
        assert "Лише на репліці" in world.programs_listed()  # members' public list
        staff_list = world.admin.get("/programs", headers=world.staff).json()["data"]
        assert ONLY_ON_THE_REPLICA in {p["id"] for p in staff_list}
        # one program's page is a detail: the primary's, where there is no such program
        one = world.admin.post("/program", headers=world.staff, json={"id": ONLY_ON_THE_REPLICA})
        assert one.status_code == 404, one.text
        with latest():  # a request that must see the latest writes reads the primary
            shown = world.fund.programs.list(None)
        assert ONLY_ON_THE_REPLICA not in {p.id for p in shown}
        ready = world.ready()
        assert (ready["status"], ready["replica"], ready["replica_lag_seconds"]) == ("ok", "ok", 0)
    finally:
        world.replica.execute(f"DELETE FROM `{NAME}`.programs WHERE id = {ONLY_ON_THE_REPLICA}")


def test_a_lagging_replica_serves_lists_within_the_limit_and_nobody_misses_their_own_write(
    world_caught_up: World,
) -> None:
    world = world_caught_up
    program = world.fund.program("Сімейна")
    until(lambda: "Сімейна" in world.programs_listed(), what="the program on the replica")
    # the replica takes no more changes while this lock is held: it falls behind
    held = pymysql.connect(host="127.0.0.1", port=world.replica.port, user="root")
    try:
        held.cursor().execute("FLUSH TABLES WITH READ LOCK")
        member = world.fund.sign_up()
        world.fund.submit(member, program)
        # a change reads the primary: the approval finds the member submitted
        world.fund.approve(member)
        # the member reads their own profile from the primary: approved (the replica
        # does not know them yet)
        mine = world.mobile.get("/user/profile/get", headers=world.member(member))
        assert mine.status_code == 200, mine.text
        assert mine.json()["last_name"] == "Коваль"
        # staff open the member's card: a detail, from the primary
        card = world.admin.post("/member", headers=world.staff, json={"id": member})
        assert card.status_code == 200 and card.json()["member"]["id"] == member
        # the replica has not caught up: within the limit, the list is still its
        lag = world.ready()["replica_lag_seconds"]
        if lag is not None and lag <= world.kasa.settings().database.replica_max_lag:
            assert member not in world.found_by_staff("Коваль")
        # further behind than allowed: the lists are the primary's
        until(
            lambda: world.ready()["replica"] == "behind",
            seconds=20,
            what="the replica falls behind",
        )
        assert member in world.found_by_staff("Коваль")
        ready = world.ready()
        assert ready["status"] == "ok" and ready["replica_lag_seconds"] > 5
        assert "behind" in ready["replica_problem"]
        lag_series = _scraped(world)
        assert lag_series > 5
    finally:
        held.close()  # the lock goes with its connection
    until(lambda: world.ready()["replica"] == "ok", what="the replica catches up")
    assert member in world.found_by_staff("Коваль")  # now from the replica, caught up


def test_a_stopped_replica_sends_the_lists_to_the_primary(world_caught_up: World) -> None:
    world = world_caught_up
    world.replica.execute("STOP SLAVE SQL_THREAD")
    try:
        until(lambda: world.ready()["replica"] == "stopped", what="the replica is seen stopped")
        world.fund.program("Додаткова")
        assert "Додаткова" in world.programs_listed()  # from the primary
        ready = world.ready()
        assert (
            ready["replica_lag_seconds"] is None and "not replicating" in ready["replica_problem"]
        )
        assert _scraped(world) == -1
    finally:
        world.replica.execute("START SLAVE SQL_THREAD")
    until(lambda: world.ready()["replica"] == "ok", what="the replica runs again")


def test_the_office_page_after_a_change_shows_it_though_the_replica_trails(
    world_caught_up: World,
) -> None:
    world = world_caught_up
    world.fund.accounts.create(
        None, login="desk", role=Role.OPERATOR, name="Desk", password=PASSWORD
    )
    world.replica.execute("STOP SLAVE SQL_THREAD")  # nothing more arrives on the replica
    try:
        # seen as keeping up until it is asked again: within that second the list is
        # the replica's, but the page after a change is the primary's
        replica: Replica = world.kasa.adapters.database().replica
        replica.every = 3600.0
        office = world.admin
        token = _form_token(office, "/office/login")
        signed = office.post(
            "/office/login",
            data={"login": "desk", "password": PASSWORD, "csrf_token": token},
            follow_redirects=False,
        )
        assert signed.status_code == 303, signed.text
        page = office.get("/office/programs")
        made = office.post(
            "/office/programs",
            data={"csrf_token": _token_in(page.text), "name": "Програма сусідів", "price": "100"},
            follow_redirects=False,
        )
        assert made.headers["location"] == "/office/programs?done=created"
        assert "Програма сусідів" in office.get(made.headers["location"]).text
        assert "Програма сусідів" not in office.get("/office/programs").text  # the replica's
    finally:
        replica.every = 1.0
        replica._asked_at = -float("inf")
        world.replica.execute("START SLAVE SQL_THREAD")
        world.admin.cookies.clear()
    until(lambda: world.ready()["replica"] == "ok", what="the replica runs again")


def _scraped(world: World) -> float:
    replica = world.kasa.adapters.database().replica
    asked = Asked(world.kasa.system.watching(), world.kasa.settings().data_dir, replica)
    for family in asked.collect():
        if family.name == "kasa_replica_lag_seconds":
            return float(family.samples[0].value)
    raise AssertionError("no kasa_replica_lag_seconds")


def _form_token(client: TestClient[Any], path: str) -> str:
    return _token_in(client.get(path).text)


def _token_in(html: str) -> str:
    import re

    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, html
    return found.group(1)
