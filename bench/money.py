"""Money events measured: the same-member callback burst, and what finding a dropped
database connection costs the read side.

    python -m bench.money burst      # 30 members × 3 new orders, 16 callbacks at a time,
                                     # at `kasa serve mobile --workers 1` and `--workers 2`
    python -m bench.money ping       # GET /user/profile/get and /program/list with wrk:
                                     # Kasa as shipped (work run again on a fresh
                                     # connection) and with every connection pinged
                                     # before use, in turns

Both start a private MariaDB of their own and print a table; neither fails on a figure.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
import httpx
from rich.console import Console
from rich.table import Table
from tests.integration.app.helpers import Fund
from tests.support.mariadb import MariaDBServer

from bench.run import WRK, Route, free_port, wrk
from kasa.adapters import liqpay_codec
from kasa.adapters.sql.database import SqlDatabase
from kasa.adapters.sql.migrate import upgrade
from kasa.adapters.system import SystemClock
from kasa.adapters.tokens import JwtTokens
from kasa.application.ports import TokenAudience
from kasa.domain.money import Money

console = Console()
SECRET = "bench-money-secret-0123456789abcdef0123456789"
PRIVATE = "bench-money-liqpay-private-key"


@contextmanager
def database() -> Iterator[str]:
    server = MariaDBServer.start(buffer_pool="512M")
    try:
        yield server.create_database("kasa_money_bench")
    finally:
        server.stop()


@contextmanager
def serving(url: str, folder: Path, workers: int, *, ping: bool = False) -> Iterator[str]:
    """``kasa serve mobile`` with ``workers`` workers (with ``ping``, every pooled
    connection pinged before use); its base URL."""
    port = free_port()
    env = {
        **os.environ,
        "KASA_DATABASE_URL": url,
        "KASA_DATA_DIR": str(folder / "var"),
        "KASA_JWT_SECRET": SECRET,
        "KASA_LIQPAY_PUBLIC_KEY": "bench-public",
        "KASA_LIQPAY_PRIVATE_KEY": PRIVATE,
        "KASA_LIQPAY_SANDBOX": "0",
    }
    launcher = ["-m", "bench.pinged"] if ping else ["-m", "kasa.entrypoints.cli"]
    process = subprocess.Popen(  # noqa: S603 - our own command
        [sys.executable, *launcher, "serve", "mobile", "--port", str(port), "--workers", "1"]
        if workers == 1
        else [
            sys.executable,
            *launcher,
            "serve",
            "mobile",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(folder / f"mobile-{port}.log").open("wb"),
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise click.ClickException(f"kasa serve mobile did not start: {folder}")
        time.sleep(0.2)
    try:
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def signed(order: str, payment_id: int) -> dict[str, str]:
    data = liqpay_codec.encode(
        {
            "order_id": order,
            "amount": "300.00",
            "currency": "UAH",
            "status": "success",
            "payment_id": payment_id,
            "action": "pay",
        }
    )
    return {"data": data, "signature": liqpay_codec.sign(PRIVATE, data)}


@click.group()
def main() -> None:
    """Money events measured (a benchmark: it prints figures and never fails on them)."""


@main.command()
@click.option("--members", default=30, show_default=True)
@click.option("--orders", default=3, show_default=True, help="New orders per member a round.")
@click.option("--rounds", default=5, show_default=True)
@click.option("--concurrency", default=16, show_default=True)
@click.option("--workers", "worker_counts", default="1,2", show_default=True)
def burst(members: int, orders: int, rounds: int, concurrency: int, worker_counts: str) -> None:
    """First success callbacks for several new orders of each member, fired
    ``concurrency`` at a time: every answer, and callbacks a second."""
    table = Table("workers", "callbacks", "200", "non-2xx", "seconds", "callbacks/s")
    with database() as url, tempfile.TemporaryDirectory(prefix="kasa-money-") as tmp:
        folder = Path(tmp)
        upgrade(url)
        fund = Fund.build(database=SqlDatabase(url))
        program = fund.program("Щомісячна", price="300.00")
        people = [fund.approved_member(program) for _ in range(members)]
        for workers in (int(n) for n in worker_counts.split(",")):
            with serving(url, folder, workers) as base, httpx.Client(timeout=60) as client:
                codes: list[int] = []
                took = 0.0
                for _ in range(rounds):
                    forms: list[dict[str, str]] = []
                    for member in people:
                        for _ in range(orders):
                            fund.payments.start_top_up(member, Money.parse("300.00"), "liqpay")
                            order = str(fund.fakes.gateway.checkouts[-1]["order_id"])
                            forms.append(signed(order, 10_000_000 + len(codes) + len(forms)))
                    random.shuffle(forms)

                    def post(form: dict[str, str], client: Any = client, base: str = base) -> int:
                        answer = client.post(f"{base}/user/payments/liqpay-callback", data=form)
                        return int(answer.status_code)

                    started = time.perf_counter()
                    with ThreadPoolExecutor(max_workers=concurrency) as pool:
                        codes += list(pool.map(post, forms))
                    took += time.perf_counter() - started
                ok = codes.count(200)
                table.add_row(
                    str(workers),
                    str(len(codes)),
                    str(ok),
                    str(len(codes) - ok),
                    f"{took:.2f}",
                    f"{len(codes) / took:.0f}",
                )
        fund.database.dispose()
    console.print(table)


@main.command()
@click.option("--rounds", default=3, show_default=True)
@click.option("--duration", default=6, show_default=True, help="Seconds a route a round.")
@click.option("--connections", default="4,32", show_default=True)
def ping(rounds: int, duration: int, connections: str) -> None:
    """What finding a dropped connection costs the read side: Kasa as shipped (no ping;
    the work runs again on a fresh connection when its connection turns out gone) next to
    every pooled connection pinged before use, on the member's profile (one read) and
    the program list (read each time: no cache), in turns."""
    if WRK is None:
        raise click.ClickException("wrk is not installed (apt-get install wrk)")
    counts = [int(c) for c in connections.split(",")]
    results: dict[tuple[str, int, bool], list[float]] = {}
    with database() as url, tempfile.TemporaryDirectory(prefix="kasa-money-") as tmp:
        folder = Path(tmp)
        upgrade(url)
        fund = Fund.build(database=SqlDatabase(url))
        member = fund.approved_member(fund.program("Щомісячна", price="300.00"))
        for _ in range(4):
            fund.program(f"Програма {_}", price="150.00")
        fund.database.dispose()
        token = JwtTokens(SECRET, SystemClock()).issue(TokenAudience.MEMBER, member)
        routes = [
            Route("GET /user/profile/get", "mobile", "GET", "/user/profile/get"),
            Route("GET /program/list", "mobile", "GET", "/program/list", kind="ceiling"),
        ]
        os.environ["KASA_PROGRAMS_CACHE_SECONDS"] = "0"
        for _ in range(rounds):
            for pinged in (False, True):
                with serving(url, folder, 1, ping=pinged) as base:
                    for route in routes:
                        headers = {"Authorization": f"Bearer {token}"}
                        for count in counts:
                            found = wrk(base, route, headers, folder, duration, count, 0)
                            key = (route.name, count, pinged)
                            results.setdefault(key, []).append(found.per_second)
    table = Table("route", "conns", "as shipped req/s", "pinged req/s", "shipped ÷ pinged")
    for name in dict.fromkeys(r[0] for r in results):
        for count in counts:
            shipped, with_ping = results[(name, count, False)], results[(name, count, True)]
            table.add_row(
                name,
                str(count),
                " / ".join(f"{v:.0f}" for v in shipped),
                " / ".join(f"{v:.0f}" for v in with_ping),
                f"{sum(shipped) / sum(with_ping):.1%}",
            )
    console.print(table)
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
