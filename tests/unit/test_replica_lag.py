"""How far a replica trails, read from its status, and when its reads go to the primary
instead (the replica itself is tested in tests/integration/test_replica_reads.py)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from kasa.adapters.sql.replica import Replica, ReplicaReads, seconds_behind

RUNNING = {"Slave_IO_Running": "Yes", "Slave_SQL_Running": "Yes"}


@pytest.mark.parametrize(
    ("status", "lag"),
    [
        ({**RUNNING, "Seconds_Behind_Master": 0}, 0),
        ({**RUNNING, "Seconds_Behind_Master": 7}, 7),
        (
            {"Replica_IO_Running": "Yes", "Replica_SQL_Running": "Yes", "Seconds_Behind_Source": 3},
            3,
        ),
        ({**RUNNING, "Slave_SQL_Running": "No", "Seconds_Behind_Master": None}, None),
        ({**RUNNING, "Slave_IO_Running": "Connecting", "Seconds_Behind_Master": 0}, None),
        ({**RUNNING, "Seconds_Behind_Master": None}, None),
        ({}, None),
        (None, None),
    ],
)
def test_the_lag_is_read_from_the_status(status: dict[str, Any] | None, lag: int | None) -> None:
    assert seconds_behind(status) == lag


class Answers(Replica):
    """A replica whose status is given, counting how often it is asked."""

    def __init__(self, lags: list[int | None], now: list[float]) -> None:
        super().__init__(sa.create_engine("sqlite://"), 5, clock=lambda: now[0])
        self.lags = lags
        self.asked = 0

    def _ask(self) -> tuple[int | None, str]:
        self.asked += 1
        lag = self.lags.pop(0)
        return lag, "" if lag is not None and lag <= 5 else "behind"


def test_the_lag_is_asked_at_most_once_a_second() -> None:
    now = [100.0]
    replica = Answers([0, 6, None], now)
    assert replica.keeping_up() and replica.keeping_up()
    assert replica.asked == 1
    now[0] += 1.0
    assert not replica.keeping_up() and replica.lag() == 6 and replica.asked == 2
    now[0] += 1.0
    assert replica.lag() is None and not replica.keeping_up()


def test_a_replica_that_cannot_be_asked_is_not_kept_up_with() -> None:
    replica = Replica(sa.create_engine("sqlite://"), 5)  # no replica status there
    assert replica.lag() is None and not replica.keeping_up()
    assert replica.problem.startswith("the replica cannot be asked its lag")


def test_reads_go_to_the_primary_when_the_replica_cannot_be_reached() -> None:
    now = [0.0]
    replica = Answers([0], now)
    replica.engine = sa.create_engine("mysql+pymysql://kasa@127.0.0.1:1/none")  # refused
    primary = sa.create_engine("sqlite://")
    reads = ReplicaReads(replica, primary)
    with reads._read() as connection:
        assert connection.engine is primary
    assert replica.lag() is None and "cannot be reached" in replica.problem
