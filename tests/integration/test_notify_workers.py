"""Real `kasa notify run` processes on one MariaDB against the FCM stand-in: two workers
deliver a thousand queued notifications exactly once each, and a worker killed in the
middle of a batch loses none (what it had claimed goes out after a restart, the inbox
holding each once)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from kasa.adapters.sql import schema as tables
from kasa.adapters.sql.migrate import upgrade
from tests.support.fcm_standin import FcmStandIn, fcm_standin
from tests.support.mariadb import MariaDBServer

MEMBERS = 100
EVENTS_EACH = 10


def queued_fund(url: str, members: int, events_each: int) -> None:
    """Members with a phone each, and events waiting in the outbox."""
    now = datetime.now(UTC)
    engine = sa.create_engine(url)
    with engine.begin() as c:
        c.execute(
            sa.insert(tables.members),
            [
                {
                    "id": n,
                    "phone": f"+38050{n:07d}",
                    "first_name": "Олена",
                    "status": "approved",
                    "certificate": f"{n:06d}",
                    "has_new_program_change": False,
                    "has_new_passport_data": False,
                    "has_new_correction": False,
                    "in_review_queue": False,
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(1, members + 1)
            ],
        )
        c.execute(
            sa.insert(tables.devices),
            [
                {
                    "member_id": n,
                    "token": f"phone-{n}",
                    "platform": "android",
                    "created_at": now,
                    "last_seen_at": now,
                }
                for n in range(1, members + 1)
            ],
        )
        c.execute(
            sa.insert(tables.outbox),
            [
                {
                    "kind": "payment_confirmed",
                    "member_id": n,
                    "payment_id": n * 1000 + k,
                    "data": {"amount": "300.00", "paid_until": "2026-12-31"},
                    "created_at": now,
                }
                for n in range(1, members + 1)
                for k in range(events_each)
            ],
        )
    engine.dispose()


@contextmanager
def workers(
    url: str, stand: FcmStandIn, folder: Path, count: int
) -> Iterator[list[subprocess.Popen[bytes]]]:
    env = {
        **os.environ,
        "KASA_DATA_DIR": str(folder / "var"),
        "KASA_DATABASE_URL": url,
        "KASA_SMS_BACKEND": "outbox",
        "KASA_FCM_CREDENTIALS": str(stand.credentials),
        "KASA_FCM_API_URL": stand.url,
        "KASA_NOTIFY_QUIET_HOURS": "0-0",
    }
    started = [
        subprocess.Popen(
            [sys.executable, "-m", "kasa.entrypoints.cli", "notify", "run", "--every", "0.2"],
            env=env,
            cwd=folder,
            stdout=subprocess.DEVNULL,
            stderr=(folder / f"worker-{n}.log").open("wb"),
        )
        for n in range(count)
    ]
    try:
        yield started
    finally:
        for process in started:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in started:
            process.wait(timeout=30)


def wait_until(done: object, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if done():  # type: ignore[operator]
            return
        time.sleep(0.2)
    raise AssertionError("not done in time")


def states(url: str) -> Counter[str]:
    engine = sa.create_engine(url)
    with engine.connect() as c:
        found = Counter(
            str(s) for s in c.execute(sa.select(tables.notifications.c.state)).scalars()
        )
    engine.dispose()
    return found


@pytest.fixture
def server(mariadb_server: MariaDBServer | str) -> MariaDBServer:
    if isinstance(mariadb_server, str):
        pytest.skip("makes databases of its own on the private server")
    return mariadb_server


def test_two_workers_deliver_a_thousand_notifications_exactly_once(
    server: MariaDBServer, tmp_path: Path
) -> None:
    url = server.create_database("kasa_notify_two")
    upgrade(url)
    queued_fund(url, MEMBERS, EVENTS_EACH)
    total = MEMBERS * EVENTS_EACH
    with fcm_standin(tmp_path) as stand, workers(url, stand, tmp_path, 2) as running:
        wait_until(lambda: len(stand.received) >= total)
        time.sleep(1)  # anything sent twice would arrive by now
        for process in running:
            process.send_signal(signal.SIGTERM)
        assert [process.wait(timeout=30) for process in running] == [0, 0]
    ids = Counter(m["data"]["notification_id"] for m in stand.received)
    assert len(ids) == total and set(ids.values()) == {1}
    assert states(url) == Counter({"sent": total})
    logs = [(tmp_path / f"worker-{n}.log").read_text() for n in range(2)]
    assert all("Traceback" not in log for log in logs)


def test_a_worker_killed_mid_batch_loses_nothing(server: MariaDBServer, tmp_path: Path) -> None:
    url = server.create_database("kasa_notify_killed")
    upgrade(url)
    queued_fund(url, 20, 5)
    total = 100
    with fcm_standin(tmp_path) as stand:
        stand.delay = 0.05
        with workers(url, stand, tmp_path, 1) as (first,):
            wait_until(lambda: len(stand.received) >= 10)
            first.send_signal(signal.SIGKILL)  # between claim and commit
            first.wait(timeout=10)
        time.sleep(0.5)  # a send in flight when it died lands
        before = {m["data"]["notification_id"] for m in stand.received}
        assert len(before) < total
        stand.delay = 0
        (tmp_path / "again").mkdir()
        with workers(url, stand, tmp_path / "again", 1):
            wait_until(lambda: states(url) == Counter({"sent": total}))
    ids = Counter(m["data"]["notification_id"] for m in stand.received)
    assert len(ids) == total  # every notification reached FCM at least once
    again = {n for n, times in ids.items() if times > 1}
    assert again and again <= before  # only what the killed worker sent, once more
    engine = sa.create_engine(url)
    with engine.connect() as c:
        inbox = c.execute(sa.select(sa.func.count()).select_from(tables.notifications)).scalar()
        events = c.execute(
            sa.select(sa.func.count()).where(tables.outbox.c.handled_at.is_(None))
        ).scalar()
    engine.dispose()
    assert (inbox, events) == (total, 0)  # the inbox holds each once, no event left
