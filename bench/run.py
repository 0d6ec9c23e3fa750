"""Load runs with wrk against ``kasa serve`` (one worker per API) on loopback.

    python -m bench.run                      # 10k, 100k and 1M payments on MariaDB
    python -m bench.run --scales 10000 --duration 5 --no-write
    python -m bench.run --hosts 2            # two hosts behind nginx, one killed
    python -m bench.run --writes             # the write paths at 1 and 2 workers

For each scale (payments; members are a tenth of that, requests a fifth) it starts a
private MariaDB (or uses SQLite with ``--database sqlite``), fills it with
``bench.generate``, starts ``kasa serve mobile`` and ``kasa serve admin`` as they run in
production, and drives each route with wrk (``--latency``, a Lua script for the method,
body and ``Authorization`` header). The same servers' bare handler (``GET /health/live``,
a small JSON object, no database) is the ceiling each route's requests/s is compared
with. The table is printed and, unless ``--no-write``, written into docs/benchmarks.md.
A benchmark, not a test: it reports figures and never fails on them.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs
import click
import requests
from rich.console import Console
from rich.table import Table

from bench import office as office_pages
from bench.generate import Facts, Scale, generate
from bench.office import OfficeRun
from kasa.adapters.system import SystemClock
from kasa.adapters.tokens import JwtTokens
from kasa.application.ports import TokenAudience

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
PEERS_BEGIN, PEERS_END = "<!-- peers:begin -->", "<!-- peers:end -->"
SECRET = "bench-secret-" + "x" * 40
PAGE = 50
OFFICE_ROUNDS = 200  # requests for each office page, one after another
WRK = shutil.which("wrk")
console = Console()

# wrk's report on one line: requests, microseconds, p50 and p99 (µs), non-2xx, errors
WRK_RESULT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT %d %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), e.status,
    e.connect + e.read + e.write + e.timeout))
end
"""
LUA = """
wrk.method = {method}
wrk.body = {body}
wrk.headers["Content-Type"] = "application/json"
{auth}
""" + WRK_RESULT.replace("{", "{{").replace("}", "}}")


def wrk_result(out: str) -> tuple[int, ...]:
    """The figures of ``WRK_RESULT``'s line."""
    found = re.search(r"RESULT (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)", out)
    if found is None:
        raise click.ClickException(f"wrk gave no result: {out}")
    return tuple(int(g) for g in found.groups())


@attrs.define
class Route:
    name: str
    app: str  # "mobile" or "admin"
    method: str
    path: str
    body: dict[str, Any] | None = None
    kind: str = "member"  # "ceiling", "member" (member reads) or "admin" (lists/search)


@attrs.define
class Result:
    scale: int
    route: Route
    requests: int
    per_second: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: int
    ratio: float = 0.0


def routes(facts: Facts) -> list[Route]:
    month = {"date_start": facts.month_start, "date_end": facts.month_end, "type": ["top_up"]}
    return [
        Route("bare handler (mobile)", "mobile", "GET", "/health/live", kind="ceiling"),
        Route("GET /program/list", "mobile", "GET", "/program/list"),
        Route("GET /user/profile/get", "mobile", "GET", "/user/profile/get"),
        Route("POST /user/request/list (20 requests)", "mobile", "POST", "/user/request/list", {}),
        Route("bare handler (admin)", "admin", "GET", "/health/live", kind="ceiling"),
        Route(
            f"POST /members (surname «{facts.search_word}»)",
            "admin",
            "POST",
            "/members",
            {"filter": {"query": facts.search_word, "fields": {"name": True}}},
            kind="admin",
        ),
        Route(
            "POST /members (first name «Олена», thousands match)",
            "admin",
            "POST",
            "/members",
            {"filter": {"query": "Олена", "fields": {"name": True}}},
            kind="admin",
        ),
        Route(
            "POST /payments (month + type, page 1)",
            "admin",
            "POST",
            "/payments",
            {**month, "offset": 0, "limit": PAGE},
            kind="admin",
        ),
        Route(
            "POST /payments (month + type, page 500)",
            "admin",
            "POST",
            "/payments",
            {**month, "offset": 499 * PAGE, "limit": PAGE},
            kind="admin",
        ),
        Route(
            "POST /requests (status + query)",
            "admin",
            "POST",
            "/requests",
            {"query": facts.search_word, "status": ["opened"], "limit": PAGE},
            kind="admin",
        ),
    ]


def free_port() -> int:
    start = 31000 + (os.getpid() % 500) * 4
    for port in range(start, start + 2000, 2):
        with socket.socket() as a, socket.socket() as b:
            try:
                a.bind(("127.0.0.1", port))
                b.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
            return port
    raise click.ClickException("no free port pair on 127.0.0.1")


@attrs.define
class Servers:
    ports: dict[str, int]
    processes: dict[str, subprocess.Popen[bytes]]
    folder: Path

    @classmethod
    def start(cls, env: dict[str, str], folder: Path) -> Servers:
        port = free_port()
        ports = {"mobile": port, "admin": port + 1}
        processes = {}
        for app, number in ports.items():
            log = (folder / f"{app}.log").open("wb")
            processes[app] = subprocess.Popen(  # noqa: S603 - our own command
                [sys.executable, "-m", "kasa.entrypoints.cli", "serve", app, "--port", str(number)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        servers = cls(ports, processes, folder)
        servers.wait_ready()
        return servers

    def url(self, app: str, path: str) -> str:
        return f"http://127.0.0.1:{self.ports[app]}{path}"

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        for app in self.ports:
            while True:
                if self.processes[app].poll() is not None:
                    log = (self.folder / f"{app}.log").read_text(errors="replace")[-1500:]
                    raise click.ClickException(f"kasa serve {app} exited:\n{log}")
                try:
                    if requests.get(self.url(app, "/health"), timeout=2).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                if time.monotonic() > deadline:
                    raise click.ClickException(f"kasa serve {app} did not become ready")
                time.sleep(0.2)

    def peak_rss_mb(self, app: str) -> float:
        status = Path(f"/proc/{self.processes[app].pid}/status").read_text()
        found = re.search(r"VmHWM:\s+(\d+) kB", status)
        return int(found.group(1)) / 1024 if found else float("nan")

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def wrk(
    url: str,
    route: Route,
    headers: dict[str, str],
    folder: Path,
    duration: int,
    connections: int,
    scale: int,
) -> Result:
    """``route`` at ``url`` (its path appended) with wrk for ``duration`` seconds."""
    body = json.dumps(route.body) if route.body is not None else None
    script = folder / "route.lua"
    script.write_text(
        LUA.format(
            method=json.dumps(route.method),
            body=json.dumps(body) if body is not None else "nil",
            auth="\n".join(
                f"wrk.headers[{json.dumps(name)}] = {json.dumps(value)}"
                for name, value in headers.items()
            ),
        )
    )
    target = url + route.path
    # one request first: a route that does not answer 200 is reported, not measured
    probe = requests.request(
        route.method,
        target,
        data=body,
        headers={"Content-Type": "application/json", **headers},
        timeout=30,
    )
    if probe.status_code != 200:
        raise click.ClickException(f"{route.name}: {probe.status_code} {probe.text[:300]}")
    completed = subprocess.run(  # noqa: S603 - wrk from the OS packages
        [
            str(WRK),
            "-t1",
            f"-c{connections}",
            f"-d{duration}s",
            "--latency",
            "--timeout",
            "10s",
            "-s",
            str(script),
            target,
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=duration + 60,
    )
    count, micros, p50, p99, non_2xx, errors = wrk_result(completed.stdout + completed.stderr)
    return Result(
        scale, route, count, count / (micros / 1e6), p50 / 1000, p99 / 1000, non_2xx, errors
    )


def bearer(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


def staff_token(servers: Servers, facts: Facts) -> str:
    answer = requests.post(
        servers.url("admin", "/signin"),
        json={"login": facts.staff_login, "password": facts.staff_password},
        timeout=30,
    )
    answer.raise_for_status()
    body = answer.json()
    token = body.get("token") or body.get("access_token") or body.get("data", {}).get("token")
    if not token:
        raise click.ClickException(f"the admin sign-in gave no token: {body}")
    return str(token)


@attrs.define
class Load:
    duration: int
    connections: int  # for the ceilings and the member reads (throughput)
    admin_connections: int  # for the admin lists and searches (a person waiting)

    def for_route(self, route: Route) -> int:
        return self.admin_connections if route.kind == "admin" else self.connections


def run_scale(
    payments: int,
    database: str,
    load: Load,
    folder: Path,
    existing: tuple[str, Facts] | None = None,
    office: OfficeRun | None = None,
) -> tuple[list[Result], dict[str, float]]:
    """The routes at one scale; with ``office`` (a list to fill), the office's pages too."""
    server = None
    if existing is not None:
        url, facts = existing
    elif database == "mariadb":
        from tests.support.mariadb import MariaDBServer

        server = MariaDBServer.start(buffer_pool="1G")
        url = server.create_database("kasa_bench")
    else:
        url = f"sqlite:///{folder / 'kasa.db'}"
    servers = None
    try:
        if existing is None:
            scale = Scale(
                members=max(payments // 10, 250),
                payments=payments,
                requests=max(payments // 5, 400),
            )
            console.print(f"[bold]{payments:,} payments[/]: generating the fund on {database}")
            started = time.monotonic()
            facts = generate(url, folder / "files", scale)
            console.print(f"generated in {time.monotonic() - started:.0f} s")
        env = {
            **os.environ,
            "KASA_DATABASE_URL": url,
            "KASA_DATA_DIR": str(folder),
            "KASA_FILES_DIR": str(folder / "files"),
            "KASA_JWT_SECRET": SECRET,
            "KASA_SMS_BACKEND": "console",
        }
        servers = Servers.start(env, folder)
        member = JwtTokens(SECRET, SystemClock()).issue(TokenAudience.MEMBER, facts.heavy_member_id)
        staff = staff_token(servers, facts)
        results = []
        for route in routes(facts):
            token = (
                None if route.kind == "ceiling" else (member if route.app == "mobile" else staff)
            )
            result = wrk(
                servers.url(route.app, ""),
                route,
                bearer(token),
                folder,
                load.duration,
                load.for_route(route),
                payments,
            )
            console.print(
                f"  {route.name} (c={load.for_route(route)}): {result.per_second:,.0f} req/s, "
                f"p50 {result.p50_ms:.1f} ms, "
                f"p99 {result.p99_ms:.1f} ms, non-2xx {result.non_2xx}"
            )
            results.append(result)
        if office is not None:
            console.print("  the office's pages:")
            office.measure(servers.url("admin", ""), facts, OFFICE_ROUNDS)
        ceiling = {r.route.app: r.per_second for r in results if r.route.kind == "ceiling"}
        for result in results:
            result.ratio = result.per_second / ceiling[result.route.app]
        memory = {app: servers.peak_rss_mb(app) for app in ("mobile", "admin")}
        return results, memory
    finally:
        if servers is not None:
            servers.stop()
        if server is not None:
            server.stop()


def table(results: list[Result]) -> Table:
    shown = Table(title="Kasa under wrk")
    for column in ("payments", "route", "req/s", "of ceiling", "p50 ms", "p99 ms", "non-2xx"):
        shown.add_column(column, justify="left" if column == "route" else "right")
    for r in results:
        shown.add_row(
            f"{r.scale:,}",
            r.route.name,
            f"{r.per_second:,.0f}",
            f"{r.ratio:.0%}",
            f"{r.p50_ms:.1f}",
            f"{r.p99_ms:.1f}",
            str(r.non_2xx + r.socket_errors),
        )
    return shown


def markdown(
    results: list[Result], memory: dict[int, dict[str, float]], database: str, load: Load
) -> str:
    lines = [
        f"Run on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores "
        f"({platform.processor() or platform.machine()}), Python {platform.python_version()}, "
        f"{database}; wrk 1 thread, {load.duration} s per route, {load.connections} "
        f"connections for the ceilings and member reads, {load.admin_connections} for the "
        "admin lists and searches; one uvicorn worker per API. Scale = payments (members: "
        "a tenth, requests: a fifth).",
        "",
        "| payments | route | conns | req/s | of ceiling | p50 ms | p99 ms | non-2xx |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.scale:,} | {r.route.name} | {load.for_route(r.route)} | "
            f"{r.per_second:,.0f} | {r.ratio:.0%} | {r.p50_ms:.1f} | {r.p99_ms:.1f} | "
            f"{r.non_2xx + r.socket_errors} |"
        )
    lines += ["", "Peak resident memory of each API worker (VmHWM) after its routes:", ""]
    lines += ["| payments | mobile MB | admin MB |", "|---:|---:|---:|"]
    for scale, found in memory.items():
        lines.append(f"| {scale:,} | {found['mobile']:.0f} | {found['admin']:.0f} |")
    return "\n".join(lines)


def write_report(text: str, begin: str = BEGIN, end: str = END) -> None:
    current = REPORT.read_text() if REPORT.exists() else "# Benchmarks\n"
    block = f"{begin}\n{text}\n{end}"
    if begin in current and end in current:
        head, rest = current.split(begin, 1)
        current = head + block + rest.split(end, 1)[1]
    else:
        current = current.rstrip() + "\n\n" + block + "\n"
    REPORT.write_text(current)


@click.command()
@click.option(
    "--scales",
    default="10000,100000,1000000",
    show_default=True,
    help="Payments per run, comma-separated.",
)
@click.option("--database", type=click.Choice(["mariadb", "sqlite"]), default="mariadb")
@click.option("--duration", type=click.IntRange(1, 120), default=10, show_default=True)
@click.option(
    "--connections",
    type=click.IntRange(1, 256),
    default=4,
    show_default=True,
    help="Connections for the ceilings and the member reads.",
)
@click.option(
    "--admin-connections",
    type=click.IntRange(1, 256),
    default=1,
    show_default=True,
    help="Connections for the admin lists and searches.",
)
@click.option("--database-url", default=None, help="Measure this generated database instead.")
@click.option(
    "--facts",
    "facts_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="With --database-url: the facts file bench.generate wrote for it.",
)
@click.option("--write/--no-write", default=True, help="Write the table into docs/benchmarks.md.")
@click.option(
    "--peers",
    "peers_dir",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    default=None,
    help="Instead: measure Kasa next to the peer apps of this directory (see bench.peers).",
)
@click.option(
    "--members",
    type=click.IntRange(100, 10_000_000),
    default=100_000,
    show_default=True,
    help="With --peers: members in the peers' tables and in Kasa's fund.",
)
@click.option(
    "--writes",
    is_flag=True,
    help="Instead: the write paths at 1 and 2 workers on a 1M fund (see bench.writes).",
)
@click.option(
    "--month-start",
    is_flag=True,
    help="Instead: the month-start open-model mix at 1 and 2 workers (see bench.month_start).",
)
@click.option(
    "--hosts",
    type=click.IntRange(2, 2),
    default=None,
    help="Instead: two hosts behind nginx, one killed under load (see bench.hosts).",
)
@click.option(
    "--peer-connections",
    default="4,32",
    show_default=True,
    help="With --peers: the connection counts each route is measured at.",
)
def main(
    scales: str,
    database: str,
    duration: int,
    connections: int,
    admin_connections: int,
    database_url: str | None,
    facts_path: Path | None,
    write: bool,
    peers_dir: Path | None,
    members: int,
    writes: bool,
    month_start: bool,
    hosts: int | None,
    peer_connections: str,
) -> None:
    """Generate a fund at each scale and measure the routes with wrk (or, with --peers,
    measure Kasa next to its peers)."""
    if WRK is None:
        raise click.ClickException("wrk is not installed (apt-get install wrk)")
    if writes:
        from bench import writes as write_paths

        write_paths.main.main([], standalone_mode=False)
        return
    if month_start:
        from bench import month_start as month

        month.main.main([], standalone_mode=False)
        return
    if hosts is not None:
        from bench import hosts as two_hosts

        two_hosts.run()
        return
    if peers_dir is not None:
        compare(peers_dir.resolve(), members, peer_connections, duration, write)
        return
    load = Load(duration, connections, admin_connections)
    results: list[Result] = []
    office = OfficeRun()  # the office's pages, at the largest scale
    memory: dict[int, dict[str, float]] = {}
    if database_url is not None:
        if facts_path is None:
            raise click.ClickException("--database-url needs --facts")
        facts = Facts.load(facts_path)
        with tempfile.TemporaryDirectory(prefix="kasa-bench-") as folder:
            results, memory[facts.payments] = run_scale(
                facts.payments, database, load, Path(folder), (database_url, facts), office
            )
        scales = ""
    sizes = [int(text.replace("_", "")) for text in filter(None, scales.split(","))]
    for payments in sizes:
        with tempfile.TemporaryDirectory(prefix="kasa-bench-") as folder:
            found, memory[payments] = run_scale(
                payments,
                database,
                load,
                Path(folder),
                office=office if payments == max(sizes) else None,
            )
        results += found
    console.print(table(results))
    for scale, found_memory in memory.items():
        console.print(
            f"peak RSS at {scale:,}: mobile {found_memory['mobile']:.0f} MB, "
            f"admin {found_memory['admin']:.0f} MB"
        )
    if office.facts is not None:
        console.print(office_pages.table(office.pages))
    if write:
        write_report(markdown(results, memory, database, load))
        if office.facts is not None:
            text = office_pages.markdown(office.pages, office.facts)
            write_report(text, office_pages.BEGIN, office_pages.END)
        console.print(f"written to {REPORT.relative_to(ROOT)}")


def compare(peers_dir: Path, members: int, connections: str, duration: int, write: bool) -> None:
    from bench import peers

    counts = tuple(int(c) for c in connections.split(",") if c.strip())
    if not counts or any(c < 1 for c in counts):
        raise click.BadParameter(
            "give connection counts like 4,32", param_hint="--peer-connections"
        )
    with tempfile.TemporaryDirectory(prefix="kasa-peers-") as folder:
        run, routes = peers.side_by_side(peers_dir, members, counts, duration, Path(folder))
    report = peers.markdown(run, routes, duration)
    console.print(report, markup=False, soft_wrap=True)
    if write:
        write_report(report, PEERS_BEGIN, PEERS_END)
        console.print(f"written to {REPORT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
