"""Two hosts behind nginx over one MariaDB and one SeaweedFS, one of them killed with
SIGKILL under a bounded mixed load: nginx sends idempotent requests to the other host,
only requests in flight on the killed host fail, nothing confirmed is lost (payments,
receipts in the object store, staff messages and their audit events, sign-ins), and the
money rules and the ledger hold afterwards."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.hosts import Hosts, Load, figures, problems, two_hosts
from tests.support.mariadb import MariaDBServer
from tests.support.seaweed import SeaweedServer


@pytest.fixture
def hosts(
    mariadb_server: MariaDBServer | str, seaweed: SeaweedServer, tmp_path: Path
) -> Iterator[Hosts]:
    if isinstance(mariadb_server, str):
        pytest.skip("makes a database of its own on the private server")
    if shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists():
        pytest.skip("nginx is not installed")
    url = mariadb_server.create_database("kasa_two_hosts")
    with two_hosts(url, seaweed.settings(), tmp_path) as running:
        yield running


def test_one_host_killed_under_load_loses_nothing_confirmed(hosts: Hosts) -> None:
    load = Load.prepare(hosts, members=12)
    said: list[str] = []
    killed = load.run(threads=6, rounds=4, kill_at=0.4, victim=hosts.hosts[0], say=said.append)
    found = figures(load, killed)
    print(f"two hosts: {found}")  # the figures, in the test's output
    assert said and found.requests >= 6 * 4 * 11 * 0.9
    # the load did what it says, on both hosts before the kill and on one after it
    assert load.confirmed.orders and load.confirmed.receipts and load.confirmed.messages
    assert load.confirmed.phones
    assert sum(1 for c in load.calls if c.started > killed and not c.failed) > 50
    wrong = problems(load, killed)
    assert wrong == [], "\n".join(wrong)
