"""Kasa next to its peers, in one run on one private MariaDB.

    python -m bench.run --peers DIR [--members 100000] [--peer-connections 4,32]

``DIR`` holds the peers: ``ceiling.py`` (a bare Litestar handler, ``GET /hello``),
``original_flask.py`` (the original system's design: Flask + Peewee under gunicorn),
``fastapi_sa.py`` (FastAPI + SQLAlchemy ORM under uvicorn) and ``data.py`` (their tables,
``python data.py mysql://… MEMBERS``). Each peer serves ``GET /program/list``,
``GET /user/profile/get`` (token in ``x-access-token``) and ``POST /members``
(``{"filter": {"query": …}}``), and reads ``PEER_DB_URL``; ``original_flask.token_for``
signs a member's token.

One private MariaDB holds the peers' tables and a Kasa fund of the same size
(``bench.generate``: N members, 2N payments, N/5 requests). Each system runs alone, one
worker, and each route is driven with wrk at each connection count in turn. Everyone
writes an access log line per request except the bare ceiling; every search checks a
token and its user. The peers run from their own virtual environment
(``var/peers-venv``), made on first use from the package registry.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import venv
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import attrs
import click
import pymysql

from bench.generate import Facts, Scale, generate
from bench.run import ROOT, SECRET, WRK, Result, Route, Servers, bearer, console, wrk
from kasa.adapters.system import SystemClock
from kasa.adapters.tokens import JwtTokens
from kasa.application.ports import TokenAudience

PEER_PACKAGES = (
    "flask",
    "gunicorn",
    "peewee",
    "fastapi",
    "uvicorn",
    "sqlalchemy",
    "pymysql",
    "pyjwt",
    "litestar",
    "cryptography",
)
PEER_FILES = ("ceiling.py", "original_flask.py", "fastapi_sa.py", "data.py")
# the write route: signed LiqPay callbacks of fresh pending orders (``writes.py`` of the
# peers' directory makes them, ``callbacks.lua`` posts them in order: none twice)
WRITE_FILES = ("writes.py", "callbacks.lua")
WRITE_ROUTE = "POST liqpay-callback (a new order each)"
CALLBACK = "/user/payments/liqpay-callback"
PEER_PRIVATE = "bench-peers-liqpay-private-0123456789"
KASA_PUBLIC, KASA_PRIVATE = "bench-peers-public", "bench-peers-kasa-private-0123456789"
ORIGINAL_WRITES, WRITES = 1500, 12000  # callbacks prepared for each (all counts together)
PEERS_VENV = ROOT / "var" / "peers-venv"
PEER_MEMBER = 4242  # the member whose profile the peers read (or the last one, when fewer)
SYSTEMS = ("ceiling", "original", "fastapi", "kasa")
TITLES = {
    "ceiling": "bare Litestar",
    "original": "original design",
    "fastapi": "FastAPI + SQLAlchemy",
    "kasa": "Kasa",
}


@attrs.frozen
class Compared:
    """One route as each system serves it (a system without it: absent)."""

    name: str
    routes: dict[str, Route]


def compared(rare: str) -> list[Compared]:
    def peer(method: str, path: str, body: dict[str, object] | None = None) -> dict[str, Route]:
        return {
            system: Route(path, system, method, path, body) for system in ("original", "fastapi")
        }

    def kasa(app: str, method: str, path: str, body: dict[str, object] | None = None) -> Route:
        return Route(path, app, method, path, body)

    def name_search(word: str) -> dict[str, object]:
        return {"filter": {"query": word, "fields": {"name": True}}}

    return [
        Compared(
            "bare handler",
            {
                "ceiling": Route("/hello", "ceiling", "GET", "/hello", kind="ceiling"),
                "kasa": kasa("mobile", "GET", "/health/live"),
            },
        ),
        Compared(
            "GET /program/list",
            {**peer("GET", "/program/list"), "kasa": kasa("mobile", "GET", "/program/list")},
        ),
        Compared(
            "GET /user/profile/get",
            {
                **peer("GET", "/user/profile/get"),
                "kasa": kasa("mobile", "GET", "/user/profile/get"),
            },
        ),
        Compared(
            "POST /members, a first name (a full page)",
            {
                **peer("POST", "/members", {"filter": {"query": "олена"}}),
                "kasa": kasa("admin", "POST", "/members", name_search("Олена")),
            },
        ),
        Compared(
            "POST /members, a rare surname",
            {
                **peer("POST", "/members", {"filter": {"query": "рідкісний"}}),
                "kasa": kasa("admin", "POST", "/members", name_search(rare)),
            },
        ),
        Compared(
            "POST /user/request/list (20 requests)",
            {"kasa": kasa("mobile", "POST", "/user/request/list", {})},
        ),
        Compared(
            "POST /payments (top-ups, page 1)",
            {"kasa": kasa("admin", "POST", "/payments", {"type": ["top_up"], "limit": 50})},
        ),
        Compared(
            "POST /requests (opened, page 1)",
            {"kasa": kasa("admin", "POST", "/requests", {"status": ["opened"], "limit": 50})},
        ),
    ]


def peers_python(peers: Path) -> Path:
    """The peers' interpreter, in a virtual environment of their own, with what the
    directory's ``requirements.txt`` names (made again when it changes)."""
    missing = [name for name in PEER_FILES if not (peers / name).is_file()]
    if missing:
        raise click.ClickException(f"{peers} is not a peers directory: no {', '.join(missing)}")
    python = PEERS_VENV / "bin" / "python"
    wanted = peers / "requirements.txt"
    arguments = ["-r", str(wanted)] if wanted.is_file() else list(PEER_PACKAGES)
    stamp = PEERS_VENV / "installed.txt"
    said = wanted.read_text() if wanted.is_file() else " ".join(PEER_PACKAGES)
    if not stamp.is_file() or stamp.read_text() != said:
        console.print(f"making the peers' environment in {PEERS_VENV}")
        venv.create(PEERS_VENV, with_pip=True, clear=True)
        log = PEERS_VENV / "pip.log"
        with log.open("wb") as out:
            installed = subprocess.run(  # noqa: S603 - pip of our own venv
                [str(python), "-m", "pip", "install", "-q", *arguments],
                stdout=out,
                stderr=subprocess.STDOUT,
                check=False,
            )
        if installed.returncode != 0:
            raise click.ClickException(f"installing the peers' packages failed: see {log}")
        stamp.write_text(said)
    return python


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(
    name: str, command: Sequence[str], port: int, cwd: Path, env: dict[str, str], folder: Path
) -> Iterator[str]:
    """A peer's server, until the block ends; yields its base URL."""
    log = (folder / f"{name}.log").open("wb")
    process = subprocess.Popen(  # noqa: S603 - the peers' own servers
        list(command), cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                tail = (folder / f"{name}.log").read_text(errors="replace")[-1500:]
                raise click.ClickException(f"{name} exited:\n{tail}")
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if time.monotonic() > deadline:
                raise click.ClickException(f"{name} did not start listening")
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@attrs.define
class SideBySide:
    members: int
    connections: tuple[int, ...]
    results: dict[tuple[str, str, int], Result] = attrs.field(factory=dict)
    applied: dict[tuple[str, int], int] = attrs.field(factory=dict)

    def measure(
        self,
        routes: list[Compared],
        system: str,
        url_of: dict[str, str],
        headers: dict[str, dict[str, str]],
        duration: int,
        folder: Path,
    ) -> None:
        for row in routes:
            route = row.routes.get(system)
            if route is None:
                continue
            for connections in self.connections:
                result = wrk(
                    url_of[route.app],
                    route,
                    headers.get(route.app, {}) if route.kind != "ceiling" else {},
                    folder,
                    duration,
                    connections,
                    self.members,
                )
                self.results[(row.name, system, connections)] = result
                console.print(
                    f"  {TITLES[system]}: {row.name} (c={connections}): "
                    f"{result.per_second:,.0f} req/s, p99 {result.p99_ms:.1f} ms, "
                    f"non-2xx {result.non_2xx + result.socket_errors}"
                )

    def measure_writes(
        self,
        system: str,
        url: str,
        bodies: Path,
        lua: Path,
        applied: Callable[[], int],
        duration: int,
    ) -> None:
        """The write route: the callbacks of ``bodies`` posted in order at each
        connection count (the next count goes on with unused orders), and how many the
        database shows applied."""
        for connections in self.connections:
            before = applied()
            result = wrk_lines(url + CALLBACK, bodies, lua, duration, connections, self.members)
            now = applied()
            self.results[(WRITE_ROUTE, system, connections)] = result
            self.applied[(system, connections)] = now - before
            console.print(
                f"  {TITLES[system]}: {WRITE_ROUTE} (c={connections}): "
                f"{result.per_second:,.0f} req/s, p99 {result.p99_ms:.1f} ms, "
                f"non-2xx {result.non_2xx + result.socket_errors}, {now - before} applied"
            )

    def figure(self, name: str, system: str, connections: int) -> Result | None:
        return self.results.get((name, system, connections))

    def rows(self, routes: list[Compared]) -> list[list[str]]:
        ceiling = {c: self.figure("bare handler", "ceiling", c) for c in self.connections}
        found = []
        for row in routes:
            for connections in self.connections:
                cells = [row.name, str(connections)]
                for system in SYSTEMS:
                    result = self.figure(row.name, system, connections)
                    cells.append(f"{result.per_second:,.0f}" if result else "")
                kasa = self.figure(row.name, "kasa", connections)
                peer = self.figure(row.name, "fastapi", connections)
                top = ceiling[connections]
                cells.append(f"{kasa.per_second / peer.per_second:.2f}×" if kasa and peer else "")
                cells.append(f"{kasa.per_second / top.per_second:.0%}" if kasa and top else "")
                cells.append(
                    " / ".join(
                        f"{r.p99_ms:.0f}" if r else "–"
                        for r in (self.figure(row.name, s, connections) for s in SYSTEMS[1:])
                    )
                )
                errors = sum(
                    r.non_2xx + r.socket_errors
                    for r in (self.figure(row.name, s, connections) for s in SYSTEMS)
                    if r is not None
                )
                cells.append(str(errors))
                found.append(cells)
        return found


HEADER = [
    "route",
    "conns",
    "bare Litestar",
    "original design",
    "FastAPI + SQLAlchemy",
    "Kasa",
    "Kasa ÷ FastAPI",
    "Kasa ÷ ceiling",
    "p99 ms (original / FastAPI / Kasa)",
    "non-2xx",
]


def wrk_lines(
    url: str, bodies: Path, lua: Path, duration: int, connections: int, scale: int
) -> Result:
    """wrk with the peers' ``callbacks.lua`` (``CB_FILE``: one body a line), its
    figures read from wrk's own report."""
    completed = subprocess.run(  # noqa: S603 - wrk from the OS packages
        [
            *(str(WRK), "-t1", f"-c{connections}", f"-d{duration}s", "--latency"),
            *("--timeout", "10s", "-s", str(lua), url),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=duration + 60,
        env={**os.environ, "CB_FILE": str(bodies)},
    )
    out = completed.stdout

    def number(pattern: str) -> float:
        found = re.search(pattern, out)
        return float(found.group(1)) if found else 0.0

    def ms(label: str) -> float:
        found = re.search(rf"{label}\s+([\d.]+)(us|ms|s)\b", out)
        if found is None:
            return 0.0
        return float(found.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[found.group(2)]

    count = int(number(r"(\d+) requests in"))
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    route = Route(WRITE_ROUTE, "mobile", "POST", CALLBACK)
    return Result(
        scale,
        route,
        count,
        number(r"Requests/sec:\s+([\d.]+)"),
        ms("50%"),
        ms("99%"),
        int(number(r"Non-2xx or 3xx responses: (\d+)")),
        errors,
    )


def counted(url: str, sql: str) -> Callable[[], int]:
    """A count the database gives (how many payments are applied)."""
    from sqlalchemy.engine import make_url

    parts = make_url(url.replace("mysql://", "mysql+pymysql://", 1))

    def count() -> int:
        connection = pymysql.connect(
            host=parts.host, port=parts.port, user=parts.username, database=parts.database
        )
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql)
                return int(cursor.fetchone()[0])
        finally:
            connection.close()

    return count


def rare_surname(url: str) -> str:
    """The least common surname of the generated fund (a few members bear it)."""
    from sqlalchemy.engine import make_url

    parts = make_url(url)
    connection = pymysql.connect(
        host=parts.host,
        port=parts.port,
        user=parts.username,
        database=parts.database,
        charset="utf8mb4",
    )
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT last_name FROM members WHERE last_name <> '' GROUP BY last_name "
                "ORDER BY COUNT(*), last_name LIMIT 1"
            )
            return str(cursor.fetchone()[0])
    finally:
        connection.close()


def side_by_side(
    peers: Path, members: int, connections: tuple[int, ...], duration: int, folder: Path
) -> tuple[SideBySide, list[Compared]]:
    from tests.support.mariadb import MariaDBServer

    python = peers_python(peers)
    server = MariaDBServer.start(buffer_pool="1G")
    try:
        peer_url = (
            server.create_database("peer_original")
            .replace("mysql+pymysql://", "mysql://", 1)
            .split("?", 1)[0]
        )
        console.print(f"[bold]{members:,} members[/]: filling the peers' tables")
        subprocess.run(  # noqa: S603 - the peers' own data script
            [str(python), str(peers / "data.py"), peer_url, str(members)], check=True, cwd=peers
        )
        kasa_url = server.create_database("kasa_perf")
        console.print("generating Kasa's fund of the same size")
        scale = Scale(members=members, payments=members * 2, requests=max(members // 5, 400))
        facts: Facts = generate(kasa_url, folder / "files", scale)
        routes = compared(rare_surname(kasa_url))
        writing = all((peers / name).is_file() for name in WRITE_FILES)
        if writing:
            routes.append(Compared(WRITE_ROUTE, {}))
        run = SideBySide(members, connections)
        peer_env = {**os.environ, "PEER_DB_URL": peer_url, "PEER_LIQPAY_PRIVATE": PEER_PRIVATE}
        peer_applied = counted(peer_url, "SELECT COUNT(*) FROM payments WHERE status = 'success'")
        kasa_applied = counted(kasa_url, "SELECT COUNT(*) FROM payments WHERE status = 'confirmed'")
        lua = peers / "callbacks.lua"

        def peer_bodies(name: str, first: int, count: int) -> Path:
            out = folder / f"callbacks-{name}.txt"
            subprocess.run(  # noqa: S603 - the peers' own script
                [str(python), str(peers / "writes.py"), "peers", str(out), str(first), str(count)],
                cwd=peers,
                env=peer_env,
                check=True,
            )
            return out

        bin_dir = python.parent
        token = subprocess.run(  # noqa: S603
            [
                str(python),
                "-c",
                "import original_flask; "
                f"print(original_flask.token_for({min(PEER_MEMBER, members)}))",
            ],
            cwd=peers,
            env=peer_env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        peer_headers = {name: {"x-access-token": token} for name in ("original", "fastapi")}

        port = free_port()
        console.print(f"[bold]{TITLES['ceiling']}[/]")
        with serving(
            "ceiling",
            [
                str(bin_dir / "uvicorn"),
                "--workers",
                "1",
                "--log-level",
                "warning",
                "--port",
                str(port),
                "ceiling:app",
            ],
            port,
            peers,
            peer_env,
            folder,
        ) as url:
            run.measure(routes, "ceiling", {"ceiling": url}, {}, duration, folder)
        port = free_port()
        console.print(f"[bold]{TITLES['original']}[/]")
        with serving(
            "original",
            [
                str(bin_dir / "gunicorn"),
                "-w",
                "1",
                "-b",
                f"127.0.0.1:{port}",
                "--access-logfile",
                str(folder / "original-access.log"),
                "original_flask:app",
            ],
            port,
            peers,
            peer_env,
            folder,
        ) as url:
            run.measure(routes, "original", {"original": url}, peer_headers, duration, folder)
            if writing:
                bodies = peer_bodies("original", 1, ORIGINAL_WRITES)
                run.measure_writes("original", url, bodies, lua, peer_applied, duration)
        port = free_port()
        console.print(f"[bold]{TITLES['fastapi']}[/]")
        with serving(
            "fastapi",
            [
                str(bin_dir / "uvicorn"),
                "--workers",
                "1",
                "--log-level",
                "info",
                "--port",
                str(port),
                "fastapi_sa:app",
            ],
            port,
            peers,
            peer_env,
            folder,
        ) as url:
            run.measure(routes, "fastapi", {"fastapi": url}, peer_headers, duration, folder)
            if writing:
                bodies = peer_bodies("fastapi", ORIGINAL_WRITES + 1, WRITES)
                run.measure_writes("fastapi", url, bodies, lua, peer_applied, duration)

        console.print(f"[bold]{TITLES['kasa']}[/]")
        env = {
            **os.environ,
            "KASA_DATABASE_URL": kasa_url,
            "KASA_DATA_DIR": str(folder),
            "KASA_FILES_DIR": str(folder / "files"),
            "KASA_JWT_SECRET": SECRET,
            "KASA_SMS_BACKEND": "console",
            "KASA_LIQPAY_PUBLIC_KEY": KASA_PUBLIC,
            "KASA_LIQPAY_PRIVATE_KEY": KASA_PRIVATE,
            "KASA_LIQPAY_SANDBOX": "1",
        }
        servers = Servers.start(env, folder)
        try:
            from bench.run import staff_token

            member = JwtTokens(SECRET, SystemClock()).issue(
                TokenAudience.MEMBER, facts.heavy_member_id
            )
            kasa_headers = {"mobile": bearer(member), "admin": bearer(staff_token(servers, facts))}
            urls = {app: servers.url(app, "") for app in ("mobile", "admin")}
            run.measure(routes, "kasa", urls, kasa_headers, duration, folder)
            if writing:
                # Kasa's own pending orders, started through its checkout route
                bodies = folder / "callbacks-kasa.txt"
                subprocess.run(  # noqa: S603 - the peers' own script, with Kasa's packages
                    [
                        *(sys.executable, str(peers / "writes.py"), "kasa", str(bodies)),
                        *(urls["mobile"], str(members), str(WRITES)),
                    ],
                    cwd=ROOT,
                    env=env,
                    check=True,
                )
                run.measure_writes("kasa", urls["mobile"], bodies, lua, kasa_applied, duration)
        finally:
            servers.stop()
        return run, routes
    finally:
        server.stop()


def markdown(run: SideBySide, routes: list[Compared], duration: int) -> str:
    lines = [
        f"Run on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, Python "
        f"{sys.version.split()[0]}; {run.members:,} members on one private MariaDB; wrk 1 "
        f"thread, {duration} s a route at each connection count; one worker each; access "
        "logs on everywhere except the bare handler. Requests per second; Kasa's bare "
        "handler is its own `GET /health/live` (through its middleware and access log).",
        "",
        "| " + " | ".join(HEADER) + " |",
        "|---|" + "---:|" * (len(HEADER) - 1),
    ]
    lines += ["| " + " | ".join(cells) + " |" for cells in run.rows(routes)]
    if run.applied:
        lines += ["", f"{WRITE_ROUTE}: callbacks applied (read from each database afterwards):"]
        for system in SYSTEMS:
            counts = [run.applied.get((system, c)) for c in run.connections]
            if any(n is not None for n in counts):
                shown = " / ".join(str(n) for n in counts)
                lines.append(
                    f"- {TITLES[system]}: {shown} at {'/'.join(map(str, run.connections))}"
                )
    return "\n".join(lines)
