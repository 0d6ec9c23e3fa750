"""Use cases run on the event loop on asyncmy (MariaDB): a LiqPay callback applied once,
several of one member's at the same moment applied in turn, a refusal counted, a retry
that pauses its task and not the loop, the caller's context carried in; SQLite keeps
the threads."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
import sqlalchemy as sa
from sqlalchemy.connectors.asyncio import AsyncAdapt_dbapi_connection

from kasa.adapters.sql import schema as tables
from kasa.adapters.sql.database import SqlDatabase
from kasa.adapters.sql.loop import LoopCallbacks, LoopWrites, loop_writes
from kasa.application.ports import GatewayMessage
from kasa.application.retrying import Aborted, retried
from kasa.domain.errors import InvalidInput
from kasa.entrypoints.http.mobile import public
from tests.integration.conftest import empty_tables
from tests.integration.http.conftest import MobileWorld, mobile_world
from tests.integration.http.test_mobile_api import approved
from tests.integration.test_quick_reads import dropped_by_the_server


@pytest.fixture
def database(mariadb_database: SqlDatabase) -> SqlDatabase:
    empty_tables(mariadb_database)
    return mariadb_database


@pytest.fixture
def world(
    tmp_path: Path, database: SqlDatabase, monkeypatch: pytest.MonkeyPatch
) -> Iterator[MobileWorld]:
    in_a_thread = public.run

    async def callbacks_not_in_a_thread(function: Any, *args: Any, **kwargs: Any) -> Any:
        if getattr(function, "__name__", "") == "callback":
            raise AssertionError("the callback was applied in a worker thread")
        return await in_a_thread(function, *args, **kwargs)

    with mobile_world(tmp_path, KASA_DATABASE_URL=database.url) as ready:
        monkeypatch.setattr(public, "run", callbacks_not_in_a_thread)
        yield ready


def checkout(world: MobileWorld, headers: dict[str, str], amount: int) -> str:
    r = world.client.post("/user/payments/liqpay", json={"amount": amount}, headers=headers)
    assert r.status_code == 200, r.text
    return str(json.loads(base64.b64decode(r.json()["data"]))["order_id"])


def test_a_callback_on_the_loop_is_applied_once(world: MobileWorld, database: SqlDatabase) -> None:
    member_id, headers = approved(world, "+380501112233", price="300")
    order_id = checkout(world, headers, 450)
    data, signature = world.fakes.gateway.callback(order_id, "450.00")
    form = {"data": data, "signature": signature}
    first = world.client.post("/user/payments/liqpay-callback", data=form)
    assert first.status_code == 200 and first.json()["changed"], first.text
    again = world.client.post("/user/payments/liqpay-callback", data=form)
    assert again.status_code == 200 and not again.json()["changed"]
    profile = world.client.get("/user/profile/get", headers=headers).json()
    paid_until = world.fund.clock.today() + timedelta(days=45)
    assert profile["expiration_date"] == paid_until.strftime("%d.%m.%Y")
    p = tables.payments.c
    with database.engine.connect() as c:
        status = c.execute(sa.select(p.status).where(p.payment_identifier == order_id)).scalar()
        applied = c.execute(
            sa.select(sa.func.count())
            .select_from(tables.audit_events)
            .where(tables.audit_events.c.event_type == "payment_confirmed")
        ).scalar()
        told = c.execute(
            sa.select(sa.func.count())
            .select_from(tables.outbox)
            .where(tables.outbox.c.member_id == member_id, tables.outbox.c.payment_id.is_not(None))
        ).scalar()
    assert status == "confirmed" and applied == 1 and told == 1
    # a signature that does not verify is refused, and counted on the loop's connection
    flipped = {
        "data": data,
        "signature": signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB"),
    }
    assert world.client.post("/user/payments/liqpay-callback", data=flipped).status_code == 400
    with database.engine.connect() as c:
        counted = c.execute(
            sa.select(tables.throttle_counters.c.total).where(
                tables.throttle_counters.c.key.like("callback-liqpay%*%")
            )
        ).scalar()
    assert counted == 1


def test_one_members_callbacks_at_the_same_moment_are_applied_in_turn(
    world: MobileWorld,
) -> None:
    _, headers = approved(world, "+380501112233", price="300")
    orders = [checkout(world, headers, 300) for _ in range(6)]
    forms = [world.fakes.gateway.callback(order, "300.00") for order in orders]
    callbacks: LoopCallbacks = world.kasa.system.callbacks_on_loop()

    async def all_at_once() -> list[bool]:
        try:
            results = await asyncio.gather(
                *(
                    callbacks.callback("liqpay", GatewayMessage(form={"data": d, "signature": s}))
                    for d, s in forms
                )
            )
            return [r.changed for r in results]
        finally:
            await world.kasa.adapters.on_loop().close()

    assert asyncio.run(all_at_once()) == [True] * 6
    profile = world.client.get("/user/profile/get", headers=headers).json()
    paid_until = world.fund.clock.today() + timedelta(days=180)
    assert profile["expiration_date"] == paid_until.strftime("%d.%m.%Y")


def test_a_retry_on_the_loop_pauses_its_task_and_not_the_loop(database: SqlDatabase) -> None:
    writes = loop_writes(database.url, 2)
    assert writes is not None
    ticks: list[int] = []
    seen: list[int] = []

    @retried
    def aborted_once() -> str:
        seen.append(len(ticks))
        if len(seen) == 1:
            raise Aborted("deadlock")
        return "done"

    async def ticking() -> None:
        for n in range(200):
            ticks.append(n)
            await asyncio.sleep(0.001)

    async def both() -> str:
        ticker = asyncio.create_task(ticking())
        await asyncio.sleep(0)
        try:
            return await writes.run(aborted_once)
        finally:
            ticker.cancel()

    assert asyncio.run(both()) == "done"
    # the loop kept ticking while the use case waited to run again
    assert seen[1] > seen[0]


def test_a_use_case_on_the_loop_sees_its_callers_context(database: SqlDatabase) -> None:
    writes = loop_writes(database.url, 2)
    assert writes is not None
    asked: ContextVar[str] = ContextVar("asked", default="")

    def read_back() -> tuple[str, int]:
        with writes.unit_of_work() as uow:
            one = uow.session.execute(sa.text("SELECT 1")).scalar_one()
        return asked.get(), one

    async def in_a_request() -> tuple[str, int]:
        asked.set("request 7")
        try:
            return await writes.run(read_back)
        finally:
            await writes.close()

    assert asyncio.run(in_a_request()) == ("request 7", 1)


def test_sqlite_keeps_the_threads(tmp_path: Path) -> None:
    with mobile_world(tmp_path) as world:
        assert world.kasa.adapters.on_loop() is None
        assert world.kasa.system.callbacks_on_loop() is None


def test_a_refusal_raised_on_the_loop_reaches_the_caller(database: SqlDatabase) -> None:
    writes = loop_writes(database.url, 2)
    assert isinstance(writes, LoopWrites)

    def refuses() -> None:
        raise InvalidInput("no")

    async def run() -> None:
        try:
            await writes.run(refuses)
        finally:
            await writes.close()

    with pytest.raises(InvalidInput):
        asyncio.run(run())


def test_a_committed_unit_of_work_on_the_loop_sends_no_rollback(database: SqlDatabase) -> None:
    """As on the threads' pool: after a commit nothing is sent when the connection goes
    back; one given back without a commit is rolled back."""
    writes = loop_writes(database.url, 1)
    assert writes is not None
    rollback = AsyncAdapt_dbapi_connection.rollback

    def one(commit: bool) -> None:
        with writes.unit_of_work() as uow:
            uow.session.execute(sa.select(tables.members.c.id).with_for_update()).all()
            if commit:
                uow.commit()

    async def committed_then_not() -> list[int]:
        counts = []
        try:
            await writes.run(one, True)  # the first connection is set up (and rolled back)
            with patch.object(
                AsyncAdapt_dbapi_connection, "rollback", autospec=True, side_effect=rollback
            ) as rollbacks:
                await writes.run(one, True)
                counts.append(rollbacks.call_count)
                await writes.run(one, False)
                counts.append(rollbacks.call_count)
        finally:
            await writes.close()
        return counts

    committed, then_not = asyncio.run(committed_then_not())
    assert committed == 0 and then_not == 1


def test_no_more_use_cases_at_once_on_a_loop_than_its_connections(
    database: SqlDatabase,
) -> None:
    writes = loop_writes(database.url, 2)
    assert writes is not None
    inside: list[int] = []
    most: list[int] = []

    def waits_on_the_database() -> None:
        inside.append(1)
        most.append(len(inside))
        with writes.unit_of_work() as uow:
            uow.session.execute(sa.text("SELECT SLEEP(0.05)")).all()
        inside.pop()

    async def five_at_once() -> None:
        try:
            await asyncio.gather(*(writes.run(waits_on_the_database) for _ in range(5)))
        finally:
            await writes.close()

    asyncio.run(five_at_once())
    assert len(most) == 5 and max(most) == 2


def test_a_unit_of_work_whose_connection_was_dropped_runs_again_on_the_loop(
    database: SqlDatabase,
) -> None:
    writes = loop_writes(database.url, 1)
    assert writes is not None

    @retried
    def connection_id() -> int:
        with writes.unit_of_work() as uow:
            found = int(uow.session.execute(sa.text("SELECT CONNECTION_ID()")).scalar_one())
            uow.commit()
            return found

    async def dropped_between() -> tuple[int, int]:
        try:
            first = await writes.run(connection_id)
            dropped_by_the_server(database, first)
            return first, await writes.run(connection_id)
        finally:
            await writes.close()

    first, second = asyncio.run(dropped_between())
    assert second != first
