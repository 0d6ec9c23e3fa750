"""Two hosts behind nginx, one killed midway: ``./scripts/bench --hosts 2``.

Starts a private MariaDB and SeaweedFS, two hosts' ``kasa serve`` processes and nginx
with the shipped configuration in front of both (tests/support/hosts.py), runs a
bounded mixed load (sign-ins, profile reads, receipts, checkouts with their callbacks,
staff reading and writing) and SIGKILLs one host midway; then prints the requests, the
failures (by kind), the time from the kill to the last failure, and whether everything
confirmed is still there and the ledger holds. A benchmark, not a test: it reports."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table
from tests.support.hosts import Load, figures, problems, two_hosts
from tests.support.mariadb import MariaDBServer
from tests.support.seaweed import SeaweedServer

console = Console()
THREADS, ROUNDS, MEMBERS, KILL_AT = 8, 10, 40, 0.4


def run(
    threads: int = THREADS, rounds: int = ROUNDS, members: int = MEMBERS, kill_at: float = KILL_AT
) -> None:
    database = MariaDBServer.start(buffer_pool="256M")
    store = SeaweedServer.start()
    try:
        url = database.create_database("kasa_hosts")
        with (
            tempfile.TemporaryDirectory(prefix="kasa-bench-hosts-") as folder,
            two_hosts(url, store.settings(), Path(folder)) as hosts,
        ):
            load = Load.prepare(hosts, members)
            console.print(
                f"{threads} clients × {rounds} rounds of the mix, {members} members;"
                f" {hosts.hosts[0].name} is killed after {kill_at:.0%} of the requests"
            )
            killed = load.run(threads, rounds, kill_at, hosts.hosts[0], console.print)
            found = figures(load, killed)
            wrong = problems(load, killed)
    finally:
        store.stop()
        database.stop()
    shown = Table(title="Two hosts, one killed (SIGKILL) under load")
    shown.add_column("figure")
    shown.add_column("value", justify="right")
    confirmed = load.confirmed
    for name, value in (
        ("requests", f"{found.requests:,}"),
        ("in seconds", f"{found.seconds:.1f}"),
        ("requests a second", f"{found.requests / found.seconds:,.0f}"),
        ("failed (502 or no answer)", f"{found.failures}"),
        ("failed, by kind", ", ".join(f"{k} {v}" for k, v in sorted(found.failed.items()))),
        ("from the kill to the last failure", f"{found.recovery_seconds:.2f} s"),
        ("confirmed payments", f"{len(confirmed.orders)}"),
        ("confirmed receipts", f"{len(confirmed.receipts)}"),
        ("confirmed staff messages", f"{len(confirmed.messages)}"),
        ("confirmed sign-ins", f"{len(confirmed.phones)}"),
        ("lost or broken afterwards", "none" if not wrong else f"{len(wrong)}"),
    ):
        shown.add_row(name, value)
    console.print(shown)
    for problem in wrong:
        console.print(f"[red]{problem}[/]")


@click.command()
@click.option("--threads", type=click.IntRange(1, 32), default=THREADS)
@click.option("--rounds", type=click.IntRange(1, 100), default=ROUNDS)
@click.option("--members", type=click.IntRange(1, 1000), default=MEMBERS)
@click.option("--kill-at", type=click.FloatRange(0.05, 0.95), default=KILL_AT)
def main(threads: int, rounds: int, members: int, kill_at: float) -> None:
    run(threads, rounds, members, kill_at)


if __name__ == "__main__":
    main()
