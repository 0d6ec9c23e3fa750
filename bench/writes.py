"""The write paths, each at 1 and 2 workers per API on MariaDB (``./scripts/bench
--writes``, or ``python -m bench.writes``):

- LiqPay callbacks applied a second: fresh pending orders started through the checkout
  route, their signed callbacks posted by wrk in order (none twice), the applied count
  read from the database afterwards;
- member sign-ins a second: a code asked for a new phone and the sign-in with it (the
  codes read from the SMS outbox, a file like the console's output);
- requests filed with a 1 MB receipt: MB/s and the workers' peak memory;
- staff approvals: a certificate number and the approval of a member in the queue;
- the CSV export of every payment (rows/s and the admin worker's peak memory, streamed);
- ``kasa export ledger``: every movement of money with its running balance;
- ``kasa backup create`` of the fund (time and size).

Every run prints requests/s, p50/p99 and the answers that were not 2xx. The per-address
limits are raised through their settings so that one load generator is not throttled. A
benchmark, not a test: it reports figures and never fails on them.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import attrs
import click
import requests
import sqlalchemy as sa
from rich.console import Console
from tests.support.mariadb import MariaDBServer
from tests.support.outbox import code_in

from bench.generate import Facts, Scale, generate
from bench.run import SECRET, WRK, WRK_RESULT, free_port, wrk_result
from kasa.adapters import liqpay_codec
from kasa.adapters.system import SystemClock
from kasa.adapters.tokens import JwtTokens
from kasa.application.ports import TokenAudience

console = Console()
PRIVATE = "bench-liqpay-private-key"
RECEIPT = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + os.urandom(1024 * 1024 - 11)  # 1 MB
TOKENS = JwtTokens(SECRET, SystemClock())


def receipt(n: int) -> bytes:
    """A 1 MB receipt of its own (members' photos differ: the same bytes again would be
    flagged as a duplicate of the earlier request)."""
    return RECEIPT[:-8] + n.to_bytes(8, "big")


CALLBACKS_LUA = (
    """
local bodies, i = {}, 0
init = function(args)
  for line in io.lines(os.getenv("CB_FILE")) do bodies[#bodies + 1] = line end
end
request = function()
  i = i + 1
  if i > #bodies then i = 1 end
  local form = {["Content-Type"] = "application/x-www-form-urlencoded"}
  return wrk.format("POST", nil, form, bodies[i])
end
"""
    + WRK_RESULT
)


@attrs.define
class Figure:
    path: str
    workers: int
    count: int
    seconds: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    extra: str = ""

    @property
    def per_second(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0


@attrs.define
class Apps:
    """``kasa serve mobile`` and ``kasa serve admin`` with ``workers`` each."""

    env: dict[str, str]
    folder: Path
    workers: int
    ports: dict[str, int] = attrs.field(factory=dict)
    processes: list[subprocess.Popen[bytes]] = attrs.field(factory=list)

    def __enter__(self) -> Apps:
        first = free_port()  # a free pair: this one and the next
        for app, port in (("mobile", first), ("admin", first + 1)):
            self.ports[app] = port
            command = [sys.executable, "-m", "kasa.entrypoints.cli", "serve", app]
            self.processes.append(
                subprocess.Popen(  # noqa: S603 - our own command
                    [*command, "--port", str(port), "--workers", str(self.workers)],
                    env=self.env,
                    stdout=subprocess.DEVNULL,
                    stderr=(self.folder / f"{app}-{self.workers}.log").open("wb"),
                    start_new_session=True,
                )
            )
        for app in self.ports:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if requests.get(self.url(app, "/health"), timeout=2).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                if time.monotonic() > deadline:
                    raise click.ClickException(f"kasa serve {app} did not start")
                time.sleep(0.2)
        return self

    def __exit__(self, *_: object) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.wait(timeout=30)

    def url(self, app: str, path: str) -> str:
        return f"http://127.0.0.1:{self.ports[app]}{path}"

    def pids(self, app: str) -> list[int]:
        """The app's processes: ``kasa serve`` and the workers it started."""
        process = self.processes[0 if app == "mobile" else 1]
        return [process.pid, *_children(process.pid)]

    def peak_rss_mb(self, app: str) -> float:
        """The largest peak resident memory of the app's processes (its workers)."""
        peaks = []
        for pid in self.pids(app):
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024)
        return max(peaks, default=float("nan"))


def _children(pid: int) -> list[int]:
    """The processes ``pid`` started (a supervisor's workers), from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def timed(
    name: str, workers: int, jobs: list[Callable[[], int]], threads: int, extra: str = ""
) -> Figure:
    """Run each job (a request or two; its status) from ``threads`` threads."""
    latencies: list[float] = []
    bad = [0]
    lock = threading.Lock()

    def one(job: Callable[[], int]) -> None:
        started = time.perf_counter()
        status = job()
        elapsed = time.perf_counter() - started
        with lock:
            latencies.append(elapsed)
            if not 200 <= status < 300:
                bad[0] += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, jobs))
    seconds = time.perf_counter() - started
    latencies.sort()
    return Figure(
        name,
        workers,
        len(jobs),
        seconds,
        statistics.median(latencies) * 1000,
        latencies[int(len(latencies) * 0.99) - 1] * 1000,
        bad[0],
        extra,
    )


def sessions() -> Iterator[requests.Session]:
    local = threading.local()
    while True:
        if not hasattr(local, "session"):
            local.session = requests.Session()
        yield local.session


# members who may pay: approved, with a current program
APPROVED_MEMBERS = (
    "SELECT m.id FROM members m JOIN member_programs p ON p.member_id = m.id"
    " AND p.is_active WHERE m.status = 'approved' ORDER BY m.id"
)


def signed_success(order: str, payment_id: int) -> dict[str, str]:
    """LiqPay's signed callback form: the order's 100 UAH paid."""
    data = liqpay_codec.encode(
        {
            "action": "pay",
            "status": "success",
            "order_id": order,
            "amount": 100,
            "currency": "UAH",
            "payment_id": payment_id,
            "version": 3,
        }
    )
    return {"data": data, "signature": liqpay_codec.sign(PRIVATE, data)}


def ids(url: str, sql: str) -> list[int]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as c:
            return [int(row[0]) for row in c.execute(sa.text(sql))]
    finally:
        engine.dispose()


def callbacks(apps: Apps, url: str, members: list[int], count: int, folder: Path) -> Figure:
    session = requests.Session()

    def checkout(k: int) -> str | None:
        member = members[(k * 7919) % len(members)]
        token = TOKENS.issue(TokenAudience.MEMBER, member)
        answer = session.post(
            apps.url("mobile", "/user/payments/liqpay"),
            json={"amount": 100},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        if answer.status_code != 200:
            return None
        return str(liqpay_codec.decode(answer.json()["data"])["order_id"])

    with ThreadPoolExecutor(4) as pool:
        orders = [o for o in pool.map(checkout, range(count)) if o]
    lines = [urlencode(signed_success(order, 800_000_000 + n)) for n, order in enumerate(orders)]
    (folder / "callbacks.txt").write_text("\n".join(lines) + "\n")
    (folder / "callbacks.lua").write_text(CALLBACKS_LUA)
    before = ids(url, "SELECT COUNT(*) FROM payments WHERE status = 'confirmed'")[0]
    seconds = 6
    completed = subprocess.run(  # noqa: S603
        [
            str(WRK),
            "-t1",
            "-c4",
            f"-d{seconds}s",
            "--latency",
            "-s",
            str(folder / "callbacks.lua"),
            apps.url("mobile", "/user/payments/liqpay-callback"),
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "CB_FILE": str(folder / "callbacks.txt")},
    )
    after = ids(url, "SELECT COUNT(*) FROM payments WHERE status = 'confirmed'")[0]
    count_, micros, p50, p99, non_2xx, errors = wrk_result(completed.stdout)
    sent = min(count_, len(orders))
    return Figure(
        "LiqPay callbacks (new orders, c=4)",
        apps.workers,
        after - before,
        micros / 1e6,
        p50 / 1000,
        p99 / 1000,
        non_2xx + errors,
        f"{after - before} applied of {sent} sent"
        + (" (all prepared orders used; the rest were repeats)" if count_ > len(orders) else ""),
    )


def sign_ins(apps: Apps, folder: Path, count: int, first: int) -> Figure:
    pool = sessions()

    def job(n: int) -> Callable[[], int]:
        phone = f"+38063{first + n:07d}"

        def run() -> int:
            session = next(pool)
            asked = session.post(
                apps.url("mobile", "/user/signrequest"),
                json={"phone": phone, "create": True},
                timeout=30,
            )
            if asked.status_code != 200:
                return asked.status_code
            code = code_in([folder / "sms-outbox.jsonl"], phone)
            return session.post(
                apps.url("mobile", "/user/signin"),
                json={"phone": phone, "code": code},
                timeout=30,
            ).status_code

        return run

    return timed(
        "sign-ins (code + sign-in, 4 clients)", apps.workers, [job(n) for n in range(count)], 4
    )


def uploads(apps: Apps, members: list[int], count: int) -> Figure:
    pool = sessions()

    def job(n: int) -> Callable[[], int]:
        token = TOKENS.issue(TokenAudience.MEMBER, members[n % len(members)])

        def run() -> int:
            return (
                next(pool)
                .post(
                    apps.url("mobile", "/user/request/create"),
                    files={"receipt": ("receipt.jpg", receipt(n), "image/jpeg")},
                    data={"comment": "Чек"},
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=60,
                )
                .status_code
            )

        return run

    figure = timed(
        "requests with a 1 MB receipt (4 clients)", apps.workers, [job(n) for n in range(count)], 4
    )
    mb = figure.count * len(RECEIPT) / 1024 / 1024
    figure.extra = (
        f"{mb / figure.seconds:.1f} MB/s, mobile worker peak {apps.peak_rss_mb('mobile'):.0f} MB"
    )
    return figure


def approvals(apps: Apps, staff: str, queue: list[int]) -> Figure:
    pool = sessions()
    headers = {"Authorization": f"Bearer {staff}"}

    def job(member: int) -> Callable[[], int]:
        def run() -> int:
            session = next(pool)
            number = session.get(
                apps.url("admin", "/member/generate_certificate"), headers=headers, timeout=30
            )
            if number.status_code != 200:
                return number.status_code
            return session.put(
                apps.url("admin", "/member"),
                json={"id": member, "certificate": number.json()["data"], "is_submitted": True},
                headers=headers,
                timeout=30,
            ).status_code

        return run

    return timed(
        "staff approvals (number + approval, 4 clients)", apps.workers, [job(m) for m in queue], 4
    )


def export(apps: Apps, staff: str, payments: int) -> Figure:
    started = time.perf_counter()
    rows = 0
    with requests.get(
        apps.url("admin", "/export/payments.csv"),
        headers={"Authorization": f"Bearer {staff}"},
        stream=True,
        timeout=600,
    ) as answer:
        status = answer.status_code
        first = time.perf_counter()
        for chunk in answer.iter_content(256 * 1024):
            rows += chunk.count(b"\n")
    seconds = time.perf_counter() - started
    rows -= 1  # the header
    return Figure(
        "CSV export of every payment (p50: first byte, p99: whole)",
        apps.workers,
        rows,
        seconds,
        (first - started) * 1000,
        seconds * 1000,
        0 if status == 200 else 1,
        f"{rows:,} of {payments:,} rows, admin worker peak {apps.peak_rss_mb('admin'):.0f} MB",
    )


def ledger_export(env: dict[str, str], folder: Path, login: str) -> Figure:
    """``kasa export ledger`` of every movement of money (the office's ledger CSV is the
    same use case)."""
    out = folder / "ledger.csv"
    command = [sys.executable, "-m", "kasa.entrypoints.cli", "--as", login, "export"]
    started = time.perf_counter()
    done = subprocess.run(  # noqa: S603 - our own command
        [*command, "ledger", "--out", str(out)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    # the last line: "N ledger movements written to FILE" (progress lines come before)
    rows = int(done.stdout.strip().splitlines()[-1].split()[0]) if not done.returncode else 0
    return Figure(
        "kasa export ledger (every movement, p50/p99: whole)",
        1,
        rows,
        seconds,
        seconds * 1000,
        seconds * 1000,
        done.returncode,
        f"{rows:,} movements" if not done.returncode else done.stderr[-300:],
    )


def backup(env: dict[str, str], folder: Path) -> Figure:
    out = folder / "snapshots"
    started = time.perf_counter()
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "kasa.entrypoints.cli", "backup", "create", str(out)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) if out.exists() else 0
    return Figure(
        "kasa backup create",
        1,
        1,
        seconds,
        seconds * 1000,
        seconds * 1000,
        done.returncode,
        f"{size / 1024 / 1024:.0f} MB" if not done.returncode else done.stderr[-300:],
    )


def staff_token(apps: Apps, facts: Facts) -> str:
    answer = requests.post(
        apps.url("admin", "/signin"),
        json={"login": facts.staff_login, "password": facts.staff_password},
        timeout=30,
    )
    answer.raise_for_status()
    return str(answer.json()["access_token"])


PATHS = ("callbacks", "sign-ins", "uploads", "approvals", "export", "ledger", "backup")


@click.command()
@click.option("--payments", type=click.IntRange(10_000), default=1_000_000, show_default=True)
@click.option("--callbacks", "callback_count", default=5000, show_default=True)
@click.option("--sign-ins", "sign_in_count", default=400, show_default=True)
@click.option("--uploads", "upload_count", default=80, show_default=True)
@click.option("--approvals", "approval_count", default=200, show_default=True)
@click.option(
    "--only",
    default=",".join(PATHS),
    show_default=True,
    help="Comma-separated: which of the paths to measure.",
)
@click.option(
    "--files/--no-files",
    default=None,
    help="Generate the fund's files too (the documents and receipts its rows name; a"
    " few minutes at 1M). The snapshot needs them: by default they are made when the"
    " backup is measured.",
)
def main(
    payments: int,
    callback_count: int,
    sign_in_count: int,
    upload_count: int,
    approval_count: int,
    only: str,
    files: bool | None,
) -> None:
    chosen = {name.strip() for name in only.split(",") if name.strip()}
    if not chosen <= set(PATHS):
        raise click.BadParameter(f"choose among {', '.join(PATHS)}", param_hint="--only")
    if files is None:
        files = "backup" in chosen
    if "backup" in chosen and not files:
        console.print("kasa backup create needs the fund's files: not measured with --no-files")
        chosen.discard("backup")
    run(payments, callback_count, sign_in_count, upload_count, approval_count, chosen, files)


def run(
    payments: int,
    callback_count: int,
    sign_in_count: int,
    upload_count: int,
    approval_count: int,
    chosen: set[str] | None = None,
    files: bool = False,
) -> list[Figure]:
    chosen = set(PATHS) if chosen is None else chosen
    if WRK is None:
        raise click.ClickException("wrk is not installed (apt-get install wrk)")
    server = MariaDBServer.start(buffer_pool="2G")
    figures: list[Figure] = []
    try:
        with tempfile.TemporaryDirectory(prefix="kasa-bench-writes-") as name:
            folder = Path(name)
            url = server.create_database("kasa_writes")
            console.print(f"generating a fund of {payments:,} payments")
            env = environment(url, folder)
            files_dir = Path(env["KASA_FILES_DIR"]) if files else None
            facts = generate(url, files_dir, Scale(payments // 10, payments, payments // 5))
            approved = ids(url, APPROVED_MEMBERS)
            queue = ids(url, "SELECT id FROM members WHERE in_review_queue ORDER BY id")
            for workers in (1, 2):
                with Apps(env, folder, workers) as apps:
                    staff = staff_token(apps, facts)
                    found: list[Figure] = []
                    if "callbacks" in chosen:
                        found.append(callbacks(apps, url, approved, callback_count, folder))
                    if "sign-ins" in chosen:
                        found.append(sign_ins(apps, folder, sign_in_count, workers * 1_000_000))
                    if "uploads" in chosen:
                        found.append(uploads(apps, approved[workers::7], upload_count))
                    if "approvals" in chosen:
                        found.append(approvals(apps, staff, queue[:approval_count]))
                    if "export" in chosen:
                        found.append(export(apps, staff, payments))
                    for figure in found:
                        say(figure)
                    figures += found
                    queue = queue[approval_count:]
            if "ledger" in chosen:
                figure = ledger_export(env, folder, facts.staff_login)
                say(figure)
                figures.append(figure)
            if "backup" in chosen:
                figure = backup(env, folder)
                say(figure)
                figures.append(figure)
    finally:
        server.stop()
    console.print(markdown(figures), markup=False, soft_wrap=True)
    return figures


def environment(url: str, folder: Path) -> dict[str, str]:
    """The apps' settings: the generated fund, the SMS outbox, the bench's LiqPay keys, and
    the per-address limits raised so that one load generator is not throttled."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("KASA_")},
        "KASA_DATABASE_URL": url,
        "KASA_DATA_DIR": str(folder / "data"),
        "KASA_FILES_DIR": str(folder / "files"),
        "KASA_JWT_SECRET": SECRET,
        "KASA_SMS_BACKEND": "outbox",
        "KASA_SMS_OUTBOX": str(folder / "sms-outbox.jsonl"),
        "KASA_LIQPAY_PUBLIC_KEY": "bench-public",
        "KASA_LIQPAY_PRIVATE_KEY": PRIVATE,
        "KASA_LIQPAY_SANDBOX": "0",
        "KASA_OTP_ADDRESS_HOURLY_LIMIT": "1000000",
        "KASA_OTP_RESEND_SECONDS": "0",
        "KASA_OPEN_REQUESTS_MAX": "100000",
    }


def say(figure: Figure) -> None:
    console.print(
        f"  {figure.path}, {figure.workers} worker(s): {figure.per_second:,.1f}/s,"
        f" p50 {figure.p50_ms:.1f} ms, p99 {figure.p99_ms:.1f} ms, non-2xx {figure.non_2xx}"
        f"{'; ' + figure.extra if figure.extra else ''}"
    )


def markdown(figures: list[Figure]) -> str:
    lines = [
        "| path | workers | done | per second | p50 ms | p99 ms | non-2xx | |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for f in figures:
        lines.append(
            f"| {f.path} | {f.workers} | {f.count:,} | {f.per_second:,.1f} | {f.p50_ms:.1f}"
            f" | {f.p99_ms:.1f} | {f.non_2xx} | {f.extra} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
