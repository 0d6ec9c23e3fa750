"""The office's pages on a generated fund: each page asked one request after another, as
a member of staff would, and its latency printed (p50, p95, max).

    python -m bench.office --database-url URL --facts FILE   # an already generated fund
    python -m bench.office                                   # generates 1M payments first

It signs in through the sign-in form (its token and cookie, as a browser does), then
asks every page of the office: the landing page, the review queue, searches by a common
first name and a rare surname, a member's card, requests (all, and filtered), a
request's page, the payments registry (all, a month, a deep page), the report for a
month and for a year, programs, staff, the audit trail (all, and one member's). The
time is taken on the client over loopback: the server's time plus well under a
millisecond. ``bench.run`` measures the same pages after the API routes.
A benchmark, not a test: it reports figures and never fails on them.
"""

from __future__ import annotations

import os
import platform
import re
import statistics
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlencode

import attrs
import click
import requests
from rich.console import Console
from rich.table import Table

from bench.generate import Facts, Scale, generate

console = Console()
BEGIN, END = "<!-- office:begin -->", "<!-- office:end -->"
TARGET_MS = 150.0


@attrs.frozen
class Measured:
    page: str
    path: str
    rounds: int
    p50_ms: float
    p95_ms: float
    max_ms: float
    bytes: int


@attrs.define
class OfficeRun:
    """The office's pages measured on one fund (filled by :func:`bench.run.run_scale`)."""

    pages: list[Measured] = attrs.field(factory=list)
    facts: Facts | None = None

    def measure(self, base: str, facts: Facts, rounds: int) -> None:
        self.pages, self.facts = measure(base, facts, rounds), facts


def signed_in(base: str, facts: Facts) -> requests.Session:
    """A browser's session: the sign-in form's token and cookie, then the office's."""
    session = requests.Session()
    form = session.get(f"{base}/office/login", timeout=30)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    if form.status_code != 200 or token is None:
        raise click.ClickException(f"no sign-in form: {form.status_code}")
    answer = session.post(
        f"{base}/office/login",
        data={
            "login": facts.staff_login,
            "password": facts.staff_password,
            "csrf_token": token.group(1),
        },
        allow_redirects=False,
        timeout=30,
    )
    if answer.status_code != 303 or "kasa_office" not in session.cookies:
        raise click.ClickException(f"the office sign-in failed: {answer.status_code}")
    return session


def pages(session: requests.Session, base: str, facts: Facts) -> list[tuple[str, str]]:
    """Each page and its address; the request shown is the newest one listed."""
    listed = session.get(f"{base}/office/requests", timeout=60).text
    newest = re.search(r'href="/office/requests/(\d+)"', listed)
    request_id = newest.group(1) if newest else "1"
    month = {"from": facts.month_start, "to": facts.month_end}
    year_start = date.fromisoformat(facts.month_end).replace(month=1, day=1).isoformat()

    def at(path: str, **query: str) -> str:
        return f"/office/{path}" + (f"?{urlencode(query)}" if query else "")

    return [
        ("today (landing page)", at("")),
        ("members: the review queue", at("members")),
        ("members: first name «Олена»", at("members", q="Олена")),
        (f"members: surname «{facts.search_word}»", at("members", q=facts.search_word)),
        ("a member's card", at(f"members/{facts.heavy_member_id}")),
        ("a member's correction form", at(f"members/{facts.heavy_member_id}/correct")),
        ("requests: all", at("requests")),
        ("requests: opened + a word", at("requests", status="opened", q=facts.search_word)),
        ("a request's page", at(f"requests/{request_id}")),
        ("payments: all", at("payments")),
        ("payments: a month's top-ups", at("payments", type="top_up", **month)),
        ("payments: a month, page 200", at("payments", type="top_up", page="200", **month)),
        ("reports: a month", at("reports", **month)),
        ("reports: a year", at("reports", **{"from": year_start, "to": facts.month_end})),
        ("programs", at("programs")),
        ("staff", at("staff")),
        ("audit: all", at("audit")),
        ("audit: one member", at("audit", kind="member", id=str(facts.heavy_member_id))),
    ]


def measure(base: str, facts: Facts, rounds: int) -> list[Measured]:
    session = signed_in(base, facts)
    found = []
    for name, path in pages(session, base, facts):
        times = []
        size = 0
        for n in range(rounds + 5):
            started = time.perf_counter()
            answer = session.get(base + path, timeout=60)
            elapsed = (time.perf_counter() - started) * 1000
            if answer.status_code != 200:
                raise click.ClickException(f"{name}: {answer.status_code} {answer.text[:300]}")
            if n >= 5:  # the first few warm the caches
                times.append(elapsed)
                size = len(answer.content)
        times.sort()
        found.append(
            Measured(
                name,
                path,
                rounds,
                statistics.median(times),
                times[max(0, round(0.95 * len(times)) - 1)],
                times[-1],
                size,
            )
        )
        result = found[-1]
        console.print(
            f"  {name}: p50 {result.p50_ms:.1f} ms, p95 {result.p95_ms:.1f} ms, "
            f"max {result.max_ms:.1f} ms"
        )
    return found


def table(results: list[Measured]) -> Table:
    shown = Table(title=f"The office's pages (target: p95 under {TARGET_MS:.0f} ms)")
    for column in ("page", "p50 ms", "p95 ms", "max ms", "KB"):
        shown.add_column(column, justify="left" if column == "page" else "right")
    for r in results:
        shown.add_row(
            r.page, f"{r.p50_ms:.1f}", f"{r.p95_ms:.1f}", f"{r.max_ms:.1f}", f"{r.bytes / 1024:.0f}"
        )
    return shown


def markdown(results: list[Measured], facts: Facts) -> str:
    lines = [
        f"Run on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, mariadb; one uvicorn worker for the staff app.",
        "",
        f"Office pages on the fund of {facts.members:,} members and {facts.payments:,} "
        f"payments: {results[0].rounds} requests a page, one after another, signed in as "
        "staff; the time on the client over loopback.",
        "",
        "| page | p50 ms | p95 ms | max ms | KB |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.page} | {r.p50_ms:.1f} | {r.p95_ms:.1f} | {r.max_ms:.1f} | "
            f"{r.bytes / 1024:.0f} |"
        )
    worst = max(results, key=lambda r: r.p95_ms)
    lines += [
        "",
        f"Slowest at the 95th percentile: {worst.page}, {worst.p95_ms:.1f} ms "
        f"(target: every page under {TARGET_MS:.0f} ms).",
    ]
    return "\n".join(lines)


@click.command()
@click.option("--database-url", default=None, help="Measure this generated database.")
@click.option(
    "--facts",
    "facts_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="With --database-url: the facts file bench.generate wrote for it.",
)
@click.option("--rounds", type=click.IntRange(20, 10_000), default=200, show_default=True)
@click.option("--write/--no-write", default=True, help="Write the table into docs/benchmarks.md.")
def main(database_url: str | None, facts_path: Path | None, rounds: int, write: bool) -> None:
    """The office's pages, each asked ROUNDS times, on a fund of 1,000,000 payments."""
    from bench.run import SECRET, Servers, write_report

    server = None
    with tempfile.TemporaryDirectory(prefix="kasa-bench-office-") as name:
        folder = Path(name)
        if database_url is not None:
            if facts_path is None:
                raise click.ClickException("--database-url needs --facts")
            facts = Facts.load(facts_path)
        else:
            from tests.support.mariadb import MariaDBServer

            server = MariaDBServer.start(buffer_pool="1G")
            database_url = server.create_database("kasa_bench")
            console.print("[bold]1,000,000 payments[/]: generating the fund on mariadb")
            facts = generate(database_url, folder / "files", Scale(100_000, 1_000_000, 200_000))
        env = {
            **os.environ,
            "KASA_DATABASE_URL": database_url,
            "KASA_DATA_DIR": str(folder),
            "KASA_FILES_DIR": str(folder / "files"),
            "KASA_JWT_SECRET": SECRET,
            "KASA_SMS_BACKEND": "console",
        }
        servers = Servers.start(env, folder)
        try:
            results = measure(servers.url("admin", ""), facts, rounds)
        finally:
            servers.stop()
            if server is not None:
                server.stop()
    console.print(table(results))
    if write:
        write_report(markdown(results, facts), BEGIN, END)


if __name__ == "__main__":
    main()
