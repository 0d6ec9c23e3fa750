"""What a unit of work costs in Python: Kasa's (its repositories on SQLAlchemy's
session, the domain's entities mapped imperatively, value-object column types, the
listeners that keep search terms and counts) next to a bare SQLAlchemy session on a plain
class mapped onto the same table.

    python -m bench.mapping [--rounds N]

Each of three operations runs ``N`` times on a file SQLite database in ``/dev/shm``
(so the disk costs nothing and what remains is Python): read a member and commit
unchanged, read a member for update and change one column, and add a member. The bare
class keeps the row's strings (no value objects, enums or renamed columns, no search
terms), so its figures are what SQLAlchemy alone costs.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session, registry

from kasa.adapters.sql import schema as tables
from kasa.adapters.sql.database import SqlDatabase
from kasa.adapters.sql.migrate import upgrade
from kasa.domain.members import Member
from kasa.domain.values import Email, Phone

NOW = datetime(2026, 1, 1, tzinfo=UTC)


class MappedMember:
    """A plain class SQLAlchemy maps onto the members table."""


def map_members() -> None:
    mapper = registry()
    mapper.map_imperatively(MappedMember, tables.members)


def timed(rounds: int, step: Callable[[int], Any]) -> float:
    """Median microseconds of one step over five batches."""
    batches = []
    for batch in range(5):
        started = time.perf_counter()
        for n in range(rounds):
            step(batch * rounds + n)
        batches.append((time.perf_counter() - started) / rounds * 1e6)
    return statistics.median(batches)


def measure(rounds: int) -> list[tuple[str, float, float]]:
    folder = Path(tempfile.mkdtemp(prefix="kasa-mapping-", dir="/dev/shm"))
    url = f"sqlite:///{folder / 'kasa.db'}"
    upgrade(url)
    database = SqlDatabase(url)
    members = 1000
    with database.unit_of_work() as uow:
        for n in range(members):
            uow.members.add(Member(Phone(f"+38050{n:07d}"), NOW, NOW))
        uow.commit()
    map_members()
    engine = database.engine

    def kasa_read(n: int) -> None:
        with database.unit_of_work() as uow:
            assert uow.members.get(n % members + 1) is not None
            uow.commit()

    def orm_read(n: int) -> None:
        with Session(engine) as session, session.begin():
            assert session.get(MappedMember, n % members + 1) is not None

    def kasa_change(n: int) -> None:
        with database.unit_of_work() as uow:
            member = uow.members.get_for_update(n % members + 1)
            assert member is not None
            member.email = Email(f"m{n}@example.com")
            uow.commit()

    def orm_change(n: int) -> None:
        with Session(engine) as session, session.begin():
            member: Any = session.get(MappedMember, n % members + 1, with_for_update=True)
            member.email = f"o{n}@example.com"

    added = itertools.count()

    def kasa_add(_: int) -> None:
        with database.unit_of_work() as uow:
            uow.members.add(Member(Phone(f"+38051{next(added):07d}"), NOW, NOW))
            uow.commit()

    def orm_add(_: int) -> None:
        with Session(engine) as session, session.begin():
            row: Any = MappedMember()
            values: dict[str, Any] = {"phone": f"+38052{next(added):07d}", "status": "registered"}
            values |= {"created_at": NOW, "updated_at": NOW, "credit_units": 0}
            values |= dict.fromkeys(
                (
                    "has_new_program_change",
                    "has_new_passport_data",
                    "has_new_correction",
                    "in_review_queue",
                ),
                False,
            )
            for name, value in values.items():
                setattr(row, name, value)
            session.add(row)

    found = []
    for name, kasa, orm in (
        ("read one member, commit unchanged", kasa_read, orm_read),
        ("read one member for update, change a column", kasa_change, orm_change),
        ("add a member", kasa_add, orm_add),
    ):
        timed(rounds // 5 or 1, kasa)  # warm both paths' caches first
        timed(rounds // 5 or 1, orm)
        found.append((name, timed(rounds, kasa), timed(rounds, orm)))
    database.dispose()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=400)
    rounds = parser.parse_args().rounds
    table = Table(title=f"One unit of work, µs (median of 5 × {rounds}, SQLite in /dev/shm)")
    for column in ("operation", "Kasa", "bare SQLAlchemy", "Kasa / bare"):
        table.add_column(column, justify="left" if column == "operation" else "right")
    for name, kasa, orm in measure(rounds):
        table.add_row(name, f"{kasa:.0f}", f"{orm:.0f}", f"{kasa / orm:.2f}")
    Console().print(table)


if __name__ == "__main__":
    main()
