"""Reads on a replica: the read side's routes under wrk with the fund's database alone,
and again with ``KASA_READ_DATABASE_URL`` pointing at a replica of it, in alternating
rounds on the same fund and machine (both MariaDB servers on this machine's cores).

    python -m bench.replica                      # a fund of 100,000 payments
    python -m bench.replica --payments 1000000

A benchmark, not a test: it prints the figures and never fails on them.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table
from tests.support.mariadb import MariaDBServer

from bench.generate import Scale, generate
from bench.run import SECRET, Servers, bearer, routes, staff_token, wrk
from kasa.adapters.system import SystemClock
from kasa.adapters.tokens import JwtTokens
from kasa.application.ports import TokenAudience

console = Console()
MODES = ("primary alone", "lists on the replica")


def caught_up(primary: MariaDBServer, replica: MariaDBServer, timeout: float = 600) -> None:
    """Wait until the replica has applied everything the primary has written."""
    position = primary.execute("SELECT @@gtid_binlog_pos AS p")[0]["p"]
    waited = replica.execute(f"SELECT MASTER_GTID_WAIT('{position}', {timeout}) AS w")[0]["w"]
    if waited != 0:
        raise click.ClickException(f"the replica did not catch up with {position}")


@click.command()
@click.option("--payments", type=click.IntRange(10_000), default=100_000, show_default=True)
@click.option("--rounds", type=click.IntRange(1, 10), default=2, show_default=True)
@click.option("--duration", type=click.IntRange(1, 60), default=6, show_default=True)
@click.option("--connections", type=click.IntRange(1, 64), default=4, show_default=True)
def main(payments: int, rounds: int, duration: int, connections: int) -> None:
    primary, replica = MariaDBServer.replicated(buffer_pool="1G")
    try:
        with tempfile.TemporaryDirectory(prefix="kasa-bench-replica-") as name:
            folder = Path(name)
            url = primary.create_database("kasa_bench")
            scale = Scale(payments // 10, payments, payments // 5)
            console.print(f"generating a fund of {payments:,} payments on the primary")
            facts = generate(url, None, scale)
            started = time.monotonic()
            caught_up(primary, replica)
            console.print(f"the replica caught up {time.monotonic() - started:.1f} s later")
            read_url = replica.url("kasa_bench")
            member = JwtTokens(SECRET, SystemClock()).issue(
                TokenAudience.MEMBER, facts.heavy_member_id
            )
            measured = [r for r in routes(facts) if r.kind != "ceiling"]
            found: dict[tuple[str, str], list[float]] = {}
            p99: dict[tuple[str, str], list[float]] = {}
            for number in range(rounds):
                for mode in MODES:
                    env = {
                        **os.environ,
                        "KASA_DATABASE_URL": url,
                        "KASA_READ_DATABASE_URL": read_url if mode == MODES[1] else "",
                        "KASA_DATA_DIR": str(folder / f"{number}-{mode[:7]}"),
                        "KASA_JWT_SECRET": SECRET,
                        "KASA_SMS_BACKEND": "console",
                    }
                    servers = Servers.start(env, folder)
                    try:
                        staff = staff_token(servers, facts)
                        for route in measured:
                            token = member if route.app == "mobile" else staff
                            result = wrk(
                                servers.url(route.app, ""),
                                route,
                                bearer(token),
                                folder,
                                duration,
                                connections,
                                payments,
                            )
                            found.setdefault((route.name, mode), []).append(result.per_second)
                            p99.setdefault((route.name, mode), []).append(result.p99_ms)
                            console.print(
                                f"  round {number + 1}, {mode}: {route.name}: "
                                f"{result.per_second:,.0f} req/s, p99 {result.p99_ms:.1f} ms, "
                                f"non-2xx {result.non_2xx + result.socket_errors}"
                            )
                    finally:
                        servers.stop()
    finally:
        replica.stop()
        primary.stop()
    shown = Table(title=f"Reads with and without a replica (c={connections}, medians)")
    for column in ("route", *MODES, "replica ÷ primary", "p99 ms (primary / replica)"):
        shown.add_column(column, justify="left" if column == "route" else "right")
    for route in measured:
        alone, on = (statistics.median(found[(route.name, m)]) for m in MODES)
        latencies = " / ".join(f"{statistics.median(p99[(route.name, m)]):.1f}" for m in MODES)
        shown.add_row(route.name, f"{alone:,.0f}", f"{on:,.0f}", f"{on / alone:.0%}", latencies)
    console.print(shown)


if __name__ == "__main__":
    main()
