"""Telling members, measured on a private MariaDB:

    python -m bench.notify                 # 2,000 queued events, one worker, FCM stand-in

- how many push notifications one worker (``Notifier.once``, the loop ``kasa notify
  run`` runs) delivers a second to the local FCM stand-in over real HTTP, from events
  waiting in the outbox to pushes taken;
- what writing the outbox row adds to the use case that raises the event: a staff
  message on a request, timed with its event and with the outbox write left out.

Prints a table; never fails on a figure.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from dependency_injector import providers
from rich.console import Console
from rich.table import Table
from tests.integration.app.helpers import Fund
from tests.integration.test_notify_workers import queued_fund
from tests.support.fcm_standin import fcm_standin
from tests.support.mariadb import MariaDBServer

from kasa.adapters.push import FcmPush
from kasa.adapters.sql import database as sql_database
from kasa.adapters.sql.database import SqlDatabase
from kasa.adapters.sql.migrate import upgrade
from kasa.application.settings import FundSettings
from kasa.domain.notifications import Platform

console = Console()


def timed(runs: int, step: Callable[[int], None]) -> list[float]:
    took = []
    for n in range(runs):
        started = time.perf_counter()
        step(n)
        took.append((time.perf_counter() - started) * 1000)
    return took


@click.command()
@click.option("--members", default=200, show_default=True)
@click.option("--events", "events_each", default=10, show_default=True, help="Events a member.")
@click.option("--messages", default=300, show_default=True, help="Staff messages timed.")
def main(members: int, events_each: int, messages: int) -> None:
    server = MariaDBServer.start(buffer_pool="512M")
    folder = Path(tempfile.mkdtemp(prefix="kasa-bench-notify-"))
    table = Table(title="Telling members (one worker, MariaDB, FCM stand-in on loopback)")
    table.add_column("what")
    table.add_column("figure", justify="right")
    try:
        url = server.create_database("kasa_notify_bench")
        upgrade(url)
        queued_fund(url, members, events_each)
        total = members * events_each
        with fcm_standin(folder) as stand:
            fund = Fund.build(FundSettings(quiet_hours=None), database=SqlDatabase(url))
            fund.phones = members  # new members' phones after the queued ones
            fund.kasa.adapters.push.override(
                providers.Object(FcmPush(stand.credentials, stand.url))
            )
            started = time.perf_counter()
            report = fund.notifier.once()
            seconds = time.perf_counter() - started
            table.add_row(
                f"pushes delivered ({total} queued events)", f"{report.pushed} in {seconds:.1f} s"
            )
            table.add_row("pushes a second, one worker", f"{report.pushed / seconds:,.0f}")
            outbox_cost(fund, messages, table)
    finally:
        server.stop()
    console.print(table)


def outbox_cost(fund: Fund, runs: int, table: Table) -> None:
    member_id = fund.approved_member(fund.program(price="300"))
    fund.inbox.register_device(member_id, "bench-phone", Platform.ANDROID)
    request_id = fund.requests.create(member_id, "Ліки", []).request.id

    def message(n: int) -> None:
        fund.staff_requests.write(fund.operator_id, request_id, f"Повідомлення {n}")

    timed(30, message)  # warm
    with_outbox = timed(runs, message)
    kept = sql_database.write_outbox

    def no_outbox(session: Any) -> None:
        for entity in list(session.identity_map.values()):
            if hasattr(entity, "pop_events"):
                entity.pop_events()

    sql_database.write_outbox = no_outbox
    try:
        without = timed(runs, message)
    finally:
        sql_database.write_outbox = kept
    median_with, median_without = statistics.median(with_outbox), statistics.median(without)
    table.add_row("a staff message, median ms (with its outbox row)", f"{median_with:.2f}")
    table.add_row("a staff message, median ms (outbox write left out)", f"{median_without:.2f}")
    table.add_row("the outbox row adds, ms", f"{median_with - median_without:.2f}")


if __name__ == "__main__":
    main()
