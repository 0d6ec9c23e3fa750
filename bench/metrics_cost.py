"""What counting costs: the profile route (a member's own read) under wrk with the
metrics on (every request counted and timed, ``/metrics`` served) and off
(``KASA_METRICS=0``), in alternating rounds on the same fund and machine.

    python -m bench.metrics_cost --database-url URL --facts FILE
    python -m bench.metrics_cost                 # generates a fund of 10,000 payments

A benchmark, not a test: it prints the figures and never fails on them.
"""

from __future__ import annotations

import os
import statistics
import tempfile
from pathlib import Path

import click
from rich.console import Console

from bench.generate import Facts, Scale, generate
from bench.run import SECRET, Route, Servers, bearer, wrk
from kasa.adapters.system import SystemClock
from kasa.adapters.tokens import JwtTokens
from kasa.application.ports import TokenAudience

console = Console()
PROFILE = Route("GET /user/profile/get", "mobile", "GET", "/user/profile/get")


@click.command()
@click.option("--database-url", default=None, help="Measure this generated database.")
@click.option(
    "--facts",
    "facts_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="With --database-url: the facts file bench.generate wrote for it.",
)
@click.option("--rounds", type=click.IntRange(1, 10), default=3, show_default=True)
@click.option("--duration", type=click.IntRange(1, 60), default=6, show_default=True)
@click.option("--connections", type=click.IntRange(1, 64), default=4, show_default=True)
def main(
    database_url: str | None, facts_path: Path | None, rounds: int, duration: int, connections: int
) -> None:
    server = None
    with tempfile.TemporaryDirectory(prefix="kasa-bench-metrics-") as name:
        folder = Path(name)
        if database_url is None:
            from tests.support.mariadb import MariaDBServer

            server = MariaDBServer.start(buffer_pool="256M")
            database_url = server.create_database("kasa_bench")
            facts = generate(database_url, None, Scale(1_000, 10_000, 2_000))
        elif facts_path is None:
            raise click.ClickException("--database-url needs --facts")
        else:
            facts = Facts.load(facts_path)
        token = JwtTokens(SECRET, SystemClock()).issue(TokenAudience.MEMBER, facts.heavy_member_id)
        found: dict[str, list[tuple[float, float, float]]] = {"on": [], "off": []}
        try:
            for round_number in range(rounds):
                for state in ("on", "off"):
                    env = {
                        **os.environ,
                        "KASA_DATABASE_URL": database_url,
                        "KASA_DATA_DIR": str(folder / state),
                        "KASA_FILES_DIR": str(folder / "files"),
                        "KASA_JWT_SECRET": SECRET,
                        "KASA_SMS_BACKEND": "console",
                        "KASA_METRICS": "1" if state == "on" else "0",
                    }
                    servers = Servers.start(env, folder)
                    try:
                        result = wrk(
                            servers.url("mobile", ""),
                            PROFILE,
                            bearer(token),
                            folder,
                            duration,
                            connections,
                            facts.payments,
                        )
                    finally:
                        servers.stop()
                    found[state].append((result.per_second, result.p50_ms, result.p99_ms))
                    console.print(
                        f"round {round_number + 1}, metrics {state}: "
                        f"{result.per_second:,.0f} req/s, p50 {result.p50_ms:.2f} ms, "
                        f"p99 {result.p99_ms:.2f} ms, non-2xx {result.non_2xx}"
                    )
        finally:
            if server is not None:
                server.stop()
    console.print(f"the bookkeeping of one request, measured alone: {bookkeeping_us():.1f} µs")
    on = [statistics.median(x) for x in zip(*found["on"], strict=True)]
    off = [statistics.median(x) for x in zip(*found["off"], strict=True)]
    console.print(
        f"median of {rounds} rounds, {connections} connections: metrics on "
        f"{on[0]:,.0f} req/s (p50 {on[1]:.2f} ms), off {off[0]:,.0f} req/s "
        f"(p50 {off[1]:.2f} ms); on costs {1 - on[0] / off[0]:.1%} of the throughput and "
        f"{on[1] / off[1] - 1:.1%} of the median latency"
    )


def bookkeeping_us(rounds: int = 50_000) -> float:
    """What counting adds to one request, timed in a process of its own in multiprocess
    mode as the servers run: the request's count and duration, and a database
    connection's checkout and checkin."""
    import subprocess
    import sys

    code = (
        "import time, asyncio\n"
        "from kasa.entrypoints.http import metrics as m\n"
        "async def inner(scope, receive, send):\n"
        "    scope['path_template'] = '/user/profile/get'\n"
        "    await send({'type': 'http.response.start', 'status': 200})\n"
        "async def send(message): pass\n"
        "counted = m.measured('mobile', inner)\n"
        "async def run(n):\n"
        "    for _ in range(n):\n"
        "        await counted({'type': 'http', 'method': 'GET'}, None, send)\n"
        "        m.POOL_IN_USE.inc(); m.POOL_IN_USE.dec()\n"
        "async def bare(n):\n"
        "    for _ in range(n):\n"
        "        await inner({'type': 'http', 'method': 'GET'}, None, send)\n"
        f"n = {rounds}\n"
        "t = time.perf_counter(); asyncio.run(run(n)); a = time.perf_counter() - t\n"
        "t = time.perf_counter(); asyncio.run(bare(n)); b = time.perf_counter() - t\n"
        "print((a - b) / n * 1e6)\n"
    )
    with tempfile.TemporaryDirectory(prefix="kasa-metrics-") as folder:
        env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": folder}
        done = subprocess.run(  # noqa: S603 - this interpreter, our own code
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
    return float(done.stdout.strip())


if __name__ == "__main__":
    main()
