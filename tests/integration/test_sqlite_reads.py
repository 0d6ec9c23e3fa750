"""On SQLite a unit of work that only reads takes no write lock: a long search or
export holds up no change (changes take the write lock when they begin)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kasa.application.reads import MemberQuery, Page
from kasa.domain.members import Member
from kasa.domain.values import Phone
from tests.integration.conftest import sqlite_database

T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def test_a_long_read_holds_up_no_change(tmp_path: Path) -> None:
    database = sqlite_database(tmp_path)
    written = threading.Event()

    def change() -> None:
        with database.unit_of_work() as uow:
            uow.members.add(Member(Phone.parse("+380501112233"), T0, T0))
            uow.commit()
        written.set()

    reads = database.reads()
    with database.unit_of_work(read_only=True) as reader:
        assert reader.members.get(1) is None  # a read is under way
        writer = threading.Thread(target=change)
        writer.start()
        assert written.wait(5), "the change waited for the read to end"
        # the read keeps its own snapshot meanwhile
        assert reader.members.get(1) is None
        with pytest.raises(AssertionError, match="read-only"):
            reader.commit()
    writer.join(5)
    assert len(reads.members(MemberQuery(), Page())) == 1
    database.dispose()
