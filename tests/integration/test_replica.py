"""A MariaDB primary and a read-only replica following it by binlog replication, on
loopback, as the tests of reads from a replica will run them: what is written on the
primary arrives on the replica, the replica refuses writes, and its lag is seen."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from tests.support.mariadb import MariaDBServer


def test_what_the_primary_writes_arrives_on_the_read_only_replica(
    replicated: tuple[MariaDBServer, MariaDBServer],
) -> None:
    primary, replica = replicated
    url = primary.create_database("kasa_replicated")
    primary.execute(  # an application's user (no SUPER): the replica is read-only to it
        "CREATE USER 'notes'@'127.0.0.1' IDENTIFIED BY 'notes'",
        "GRANT ALL ON `kasa_replicated`.* TO 'notes'@'127.0.0.1'",
    )
    engine = sa.create_engine(url)
    with engine.begin() as c:
        c.execute(sa.text("CREATE TABLE notes (id INT PRIMARY KEY, body VARCHAR(64))"))
        c.execute(sa.text("INSERT INTO notes VALUES (1, 'written on the primary')"))
    engine.dispose()
    copy = sa.create_engine(replica.url("kasa_replicated").replace("root@", "notes:notes@"))
    deadline = time.monotonic() + 30
    found: list[str] = []
    while not found and time.monotonic() < deadline:
        try:
            with copy.connect() as c:
                found = [row[0] for row in c.execute(sa.text("SELECT body FROM notes"))]
        except sa.exc.DBAPIError:  # the database or the table has not arrived yet
            time.sleep(0.2)
    assert found == ["written on the primary"]
    with pytest.raises(sa.exc.DBAPIError, match=r"read-only"), copy.begin() as c:
        c.execute(sa.text("INSERT INTO notes VALUES (2, 'x')"))
    copy.dispose()
    status = replica.replica_status()
    assert status["Slave_IO_Running"] == "Yes" and status["Slave_SQL_Running"] == "Yes"
    assert status["Seconds_Behind_Master"] == 0
