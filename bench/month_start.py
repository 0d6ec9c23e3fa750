"""The first days of a month as an open-model load (``./scripts/bench --month-start``, or
``python -m bench.month_start``).

Arrivals come at a constant rate whatever the answers' pace (not a fixed number of
connections that wait for each other), in a stated mix:

- 55% member reads: the profile, the program list, the member's requests, their payments;
- 10% sign-ins: a code asked for a new phone, then the sign-in with it;
- 15% checkouts, each followed by its signed LiqPay callback;
- 5% requests filed with a 1 MB receipt;
- 15% staff work: name searches, member cards, request cards, a message on a request.

A request's latency counts from when it was due, so a client that falls behind shows as
latency (no coordinated omission). For 1 and 2 workers per API, the bench finds the
highest arrival rate that holds p99 < 100 ms with no errors: short trials double the rate
until one fails, halve the gap between the last that held and the first that did not,
and the best is then held for the full window (30 s; on a failure 10% less is tried).
It prints the per-route p99 at that rate and where the machine's CPU went (the load
generator, MariaDB, each API's workers). A benchmark, not a test: it reports figures and
never fails on them.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import resource
import tempfile
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import aiohttp
import attrs
import click
from rich.console import Console
from tests.support.mariadb import MariaDBServer
from tests.support.outbox import code_in

from bench.generate import Scale, generate
from bench.names import FEMALE, MALE
from bench.writes import (
    APPROVED_MEMBERS,
    TOKENS,
    Apps,
    environment,
    ids,
    receipt,
    signed_success,
    staff_token,
)
from kasa.adapters import liqpay_codec
from kasa.application.ports import TokenAudience

console = Console()
P99_LIMIT_MS = 100.0
MOST_PER_SECOND = 5000  # the doubling stops here whatever holds
TIMEOUT = aiohttp.ClientTimeout(total=10)
# (share of arrivals, operation); the operations are the methods of Mix below
MIX = (
    (20, "profile"),
    (10, "program_list"),
    (15, "request_list"),
    (10, "payments"),
    (10, "sign_in"),
    (15, "checkout"),
    (5, "receipt"),
    (5, "search"),
    (4, "member_card"),
    (3, "request_card"),
    (3, "message"),
)


@attrs.define
class Trial:
    rate: float
    seconds: float
    latencies: dict[str, list[float]] = attrs.field(factory=dict)
    errors: dict[str, int] = attrs.field(factory=dict)
    late: int = 0  # operations still running when the window's grace ran out
    cpu: dict[str, float] = attrs.field(factory=dict)  # share of one core

    def add(self, route: str, milliseconds: float, ok: bool) -> None:
        self.latencies.setdefault(route, []).append(milliseconds)
        if not ok:
            self.errors[route] = self.errors.get(route, 0) + 1

    @property
    def requests(self) -> int:
        return sum(len(v) for v in self.latencies.values())

    @property
    def error_count(self) -> int:
        return sum(self.errors.values()) + self.late

    def p99(self, route: str | None = None) -> float:
        found = sorted(
            self.latencies.get(route, [])
            if route
            else [x for v in self.latencies.values() for x in v]
        )
        return found[max(0, int(len(found) * 0.99) - 1)] if found else float("nan")

    def p50(self, route: str) -> float:
        found = sorted(self.latencies.get(route, []))
        return found[len(found) // 2] if found else float("nan")

    @property
    def held(self) -> bool:
        return self.requests > 0 and self.error_count == 0 and self.p99() < P99_LIMIT_MS


@attrs.define
class Pools:
    """What the operations pick from: members, requests, staff, search words."""

    members: list[int]
    requests: list[int]  # open to messages
    staff: str
    words: list[str]
    folder: Path
    phones: int = 0
    receipts: int = 0


class Mix:
    """One operation a method: its requests, each timed from when it was due."""

    def __init__(
        self, session: aiohttp.ClientSession, apps: Apps, pools: Pools, trial: Trial
    ) -> None:
        self.session, self.apps, self.pools, self.trial = session, apps, pools, trial
        self.random = random.Random(len(pools.members))  # noqa: S311 - a load's picks

    def member(self) -> dict[str, str]:
        member = self.random.choice(self.pools.members)
        return {"Authorization": f"Bearer {TOKENS.issue(TokenAudience.MEMBER, member)}"}

    def staff(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.pools.staff}"}

    async def call(
        self, route: str, app: str, method: str, path: str, since: float, **kwargs: Any
    ) -> Any:
        """One request; its latency from ``since`` (when it was due). None when it failed."""
        try:
            async with self.session.request(
                method, self.apps.url(app, path), timeout=TIMEOUT, **kwargs
            ) as answer:
                body = await answer.read()
                ok = 200 <= answer.status < 300
        except (TimeoutError, aiohttp.ClientError):
            body, ok = b"", False
        self.trial.add(route, (time.perf_counter() - since) * 1000, ok)
        return body if ok else None

    async def profile(self, due: float) -> None:
        await self.call("profile", "mobile", "GET", "/user/profile/get", due, headers=self.member())

    async def program_list(self, due: float) -> None:
        await self.call("program list", "mobile", "GET", "/program/list", due)

    async def request_list(self, due: float) -> None:
        headers = self.member()
        await self.call(
            "member's requests",
            "mobile",
            "POST",
            "/user/request/list",
            due,
            json={},
            headers=headers,
        )

    async def payments(self, due: float) -> None:
        headers = self.member()
        await self.call(
            "member's payments", "mobile", "GET", "/user/payments/list", due, headers=headers
        )

    async def sign_in(self, due: float) -> None:
        self.pools.phones += 1
        phone = f"+38066{self.pools.phones:07d}"
        asked = await self.call(
            "sign-in code",
            "mobile",
            "POST",
            "/user/signrequest",
            due,
            json={"phone": phone, "create": True},
        )
        if asked is None:
            return
        code = await asyncio.to_thread(code_in, [self.pools.folder / "sms-outbox.jsonl"], phone)
        await self.call(
            "sign-in",
            "mobile",
            "POST",
            "/user/signin",
            time.perf_counter(),
            json={"phone": phone, "code": code},
        )

    async def checkout(self, due: float) -> None:
        started = await self.call(
            "checkout",
            "mobile",
            "POST",
            "/user/payments/liqpay",
            due,
            json={"amount": 100},
            headers=self.member(),
        )
        if started is None:
            return
        order = liqpay_codec.decode(json.loads(started)["data"])["order_id"]
        await self.call(
            "LiqPay callback",
            "mobile",
            "POST",
            "/user/payments/liqpay-callback",
            time.perf_counter(),
            data=signed_success(order, self.random.randrange(10**9, 2 * 10**9)),
        )

    async def receipt(self, due: float) -> None:
        form = aiohttp.FormData()
        form.add_field("comment", "Чек")
        self.pools.receipts += 1
        photo = receipt(self.pools.receipts)
        form.add_field("receipt", photo, filename="receipt.jpg", content_type="image/jpeg")
        await self.call(
            "request + 1 MB receipt",
            "mobile",
            "POST",
            "/user/request/create",
            due,
            data=form,
            headers=self.member(),
        )

    async def staff_work(self, route: str, path: str, due: float, body: Any) -> None:
        await self.call(route, "admin", "POST", path, due, json=body, headers=self.staff())

    async def search(self, due: float) -> None:
        word = self.random.choice(self.pools.words)
        body = {"filter": {"query": word, "fields": {"name": True}}, "limit": 50}
        await self.staff_work("staff: name search", "/members", due, body)

    async def member_card(self, due: float) -> None:
        member = self.random.choice(self.pools.members)
        await self.staff_work("staff: member card", "/member", due, {"id": member})

    async def request_card(self, due: float) -> None:
        request = self.random.choice(self.pools.requests)
        await self.staff_work("staff: request card", "/request", due, {"request": request})

    async def message(self, due: float) -> None:
        request = self.random.choice(self.pools.requests)
        body = {"request_id": request, "message": "Додайте, будь ласка, фото чека."}
        await self.staff_work("staff: message", "/request/message", due, body)


def cpu_seconds(pids: dict[str, list[int]]) -> dict[str, float]:
    """CPU time (user + system) so far of each named group of processes."""
    tick = os.sysconf("SC_CLK_TCK")
    found: dict[str, float] = {}
    for name, group in pids.items():
        total = 0.0
        for pid in group:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / tick
        found[name] = total
    usage = resource.getrusage(resource.RUSAGE_SELF)
    found["load generator"] = usage.ru_utime + usage.ru_stime
    return found


async def trial(
    apps: Apps, pools: Pools, rate: float, seconds: float, pids: dict[str, list[int]]
) -> Trial:
    """Arrivals at ``rate`` a second for ``seconds``; every operation waited for (up to
    the client's timeout) before the figures are read."""
    result = Trial(rate, seconds)
    weights = [w for w, _ in MIX]
    connector = aiohttp.TCPConnector(limit=512, limit_per_host=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        mix = Mix(session, apps, pools, result)
        operations: list[Callable[[float], Coroutine[Any, Any, None]]] = [
            getattr(mix, name) for _, name in MIX
        ]
        picks = mix.random.choices(operations, weights, k=int(rate * seconds))
        before = cpu_seconds(pids)
        started = time.perf_counter()
        tasks: list[asyncio.Task[None]] = []
        for n, operation in enumerate(picks):
            due = started + n / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(operation(due)))
        done, pending = await asyncio.wait(tasks, timeout=15)
        elapsed = time.perf_counter() - started
        for task in pending:
            task.cancel()
        result.late = len(pending)
        after = cpu_seconds(pids)
        result.cpu = {k: (after[k] - before[k]) / elapsed for k in after}
        for task in done:
            if task.exception() is not None:
                result.errors["(client)"] = result.errors.get("(client)", 0) + 1
    return result


def say(found: Trial) -> None:
    mark = "held" if found.held else "missed"
    slowest = sorted(found.latencies, key=found.p99, reverse=True)[:3]
    console.print(
        f"    {found.rate:6.0f}/s for {found.seconds:.0f} s: {found.requests:,} requests,"
        f" p99 {found.p99():.0f} ms, errors {found.error_count} — {mark}"
        f" (slowest p99: {', '.join(f'{r} {found.p99(r):.0f} ms' for r in slowest)};"
        f" CPU: {', '.join(f'{k} {v:.0%}' for k, v in found.cpu.items())})"
    )


def sustainable(
    apps: Apps, pools: Pools, seconds: float, probe: float, pids: dict[str, list[int]]
) -> Trial:
    """The highest rate that holds for ``seconds``, found as the module's text says."""

    def run(rate: float, length: float) -> Trial:
        found = asyncio.run(trial(apps, pools, rate, length, pids))
        say(found)
        time.sleep(5)  # let the last answers' after-work settle
        return found

    rate, good, bad = 10.0, 0.0, 0.0
    while True:  # doubling
        last = run(rate, probe)
        if not last.held:
            bad = rate
            break
        good, rate = rate, rate * 2
        if rate > MOST_PER_SECOND:
            bad = rate
            break
    while good and bad - good > max(5.0, good * 0.08):  # halving the gap
        middle = round((good + bad) / 2)
        if run(middle, probe).held:
            good = middle
        else:
            bad = middle
    rate = good
    for _ in range(4):
        if rate < 1:
            break  # not even the slowest rate held: its trial is the answer
        last = run(rate, seconds)
        if last.held:
            break
        rate = round(rate * 0.9, 1)
    return last


def report(results: dict[int, Trial]) -> str:
    routes = sorted({r for t in results.values() for r in t.latencies})
    head = "| route | " + " | ".join(
        f"{w} worker{'s' if w > 1 else ''}: p50 / p99 ms (count)" for w in results
    )
    lines = [
        "| | " + " | ".join(f"{w} worker{'s' if w > 1 else ''}" for w in results) + " |",
        "|---|" + "---:|" * len(results),
        "| sustainable arrival rate | "
        + " | ".join(
            f"**{t.rate:.0f}/s** ({'held' if t.held else 'not held'} {t.seconds:.0f} s,"
            f" {t.requests / t.seconds:.0f} requests/s)"
            for t in results.values()
        )
        + " |",
        "| p99 of all requests | "
        + " | ".join(f"{t.p99():.0f} ms" for t in results.values())
        + " |",
        "| errors | " + " | ".join(str(t.error_count) for t in results.values()) + " |",
        "| CPU, share of one core | "
        + " | ".join(
            ", ".join(f"{k} {v:.0%}" for k, v in sorted(t.cpu.items(), key=lambda kv: -kv[1]))
            for t in results.values()
        )
        + " |",
        "",
        head + " |",
        "|---|" + "---:|" * len(results),
    ]
    for route in routes:
        cells = [
            f"{t.p50(route):.0f} / {t.p99(route):.0f} ({len(t.latencies.get(route, [])):,})"
            for t in results.values()
        ]
        lines.append(f"| {route} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


@click.command()
@click.option("--payments", type=click.IntRange(10_000), default=100_000, show_default=True)
@click.option("--seconds", type=click.IntRange(5, 600), default=30, show_default=True)
@click.option(
    "--probe-seconds",
    type=click.IntRange(3, 60),
    default=8,
    show_default=True,
    help="The length of the search's short trials.",
)
@click.option("--workers", default="1,2", show_default=True, help="Worker counts, comma-separated.")
def main(payments: int, seconds: int, probe_seconds: int, workers: str) -> None:
    run(payments, seconds, probe_seconds, [int(w) for w in workers.split(",") if w.strip()])


def run(
    payments: int, seconds: int, probe_seconds: int, worker_counts: list[int]
) -> dict[int, Trial]:
    server = MariaDBServer.start(buffer_pool="2G")
    results: dict[int, Trial] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="kasa-bench-month-") as name:
            folder = Path(name)
            url = server.create_database("kasa_month")
            console.print(f"generating a fund of {payments:,} payments")
            facts = generate(url, None, Scale(payments // 10, payments, payments // 5))
            env = environment(url, folder)
            members = ids(url, APPROVED_MEMBERS)
            requests = ids(
                url,
                "SELECT id FROM requests WHERE status IN ('opened', 'awaiting_agent',"
                " 'awaiting_client') ORDER BY id",
            )
            words = [facts.search_word, *MALE[:3], *FEMALE[:3]]
            assert server.process is not None
            for count in worker_counts:
                console.print(f"{count} worker(s) per API")
                with Apps(env, folder, count) as apps:
                    pools = Pools(members, requests, staff_token(apps, facts), words, folder)
                    pools.phones = count * 1_000_000
                    pids = {
                        "MariaDB": [server.process.pid],
                        "mobile": apps.pids("mobile"),
                        "admin": apps.pids("admin"),
                    }
                    results[count] = sustainable(apps, pools, seconds, probe_seconds, pids)
    finally:
        server.stop()
    console.print(report(results), markup=False, soft_wrap=True)
    return results


if __name__ == "__main__":
    main()
