"""The server's commands: the settings in effect, the database schema, serving the
APIs, and staff accounts."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import time
from pathlib import Path

import click

from kasa.application.staff import StaffAccounts
from kasa.domain.errors import KasaError
from kasa.domain.staff import Role
from kasa.domain.values import Email
from kasa.entrypoints.cli import present
from kasa.entrypoints.cli.common import CliState, json_option, load_settings, pass_state, show
from kasa.entrypoints.cli.main import main
from kasa.entrypoints.settings import Settings, effective, read_dotenv, settings_table


@main.command("settings")
@click.option("--table", is_flag=True, help="The README's table of every setting, in Markdown.")
def settings_command(table: bool) -> None:
    """Every setting with the value in effect here (secrets hidden) and whether it was set
    or is the default; with --table, the table of every setting Kasa declares."""
    if table:
        click.echo(settings_table(), nl=False)
        return
    settings = load_settings()
    environ = {**read_dotenv(Path(".env")), **os.environ}
    rows = [
        {"setting": name, "value": value, "from": source}
        for name, value, source in effective(settings, environ)
    ]
    show(rows, ["setting", "value", "from"], as_json=False)


@main.group()
def db() -> None:
    """The database: schema migrations and reference data."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Bring the schema to the newest migration and load the reference data.

    Safe to run again: a second run changes nothing.
    """
    from kasa.adapters.sql.migrate import upgrade

    settings = load_settings()
    try:
        result = upgrade(settings.database.url)
    except Exception as error:  # the one line a person needs, not a traceback
        raise click.ClickException(f"upgrade failed: {error}") from error
    where = settings.safe_database_url
    if not result.changed:
        click.echo(f"{where}: already at revision {result.after}; nothing to do.")
        return
    if result.before is None:
        reference = ", ".join(
            f"{count} {name.replace('_', ' ')}" for name, count in result.reference.items()
        )
        click.echo(
            f"{where}: created the schema at revision {result.after} ({result.tables} "
            f"tables) with its reference data: {reference}."
        )
        return
    click.echo(
        f"{where}: revision {result.before} -> {result.after}; "
        f"reference rows added or corrected: {result.reference_rows}."
    )


APPS = {
    "mobile": "kasa.entrypoints.http.mobile:app_factory",
    "admin": "kasa.entrypoints.http.admin:app_factory",
}
DEFAULT_PORTS = {"mobile": 8000, "admin": 8001, "all": 8000}


def _check_schema(settings: Settings) -> None:
    from kasa.adapters.sql.migrate import current_revision, head_revision

    try:
        revision = current_revision(settings.database.url)
    except Exception as error:  # a person needs the one line, not a traceback
        raise click.ClickException(f"the database cannot be reached: {error}") from error
    if revision != head_revision():
        raise click.ClickException(
            f"the database is at revision {revision or 'none'}; run `kasa db upgrade` first"
        )


@main.command()
@click.argument("app", type=click.Choice(["mobile", "admin", "all"]))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(1, 65534),
    default=None,
    help="Port (mobile 8000, admin 8001; with `all`, admin on port + 1).",
)
@click.option(
    "--workers",
    default=None,
    type=click.IntRange(1, 64),
    help="Worker processes (they share the database and the file store); default "
    "KASA_MOBILE_WORKERS or KASA_ADMIN_WORKERS (1).",
)
def serve(app: str, host: str, port: int | None, workers: int | None) -> None:
    """Run an HTTP API (or both) with uvicorn. The database must be upgraded first.

    Without KASA_PUBLIC_URL and KASA_ADMIN_PUBLIC_URL, the addresses in file links and
    the gateway's callback URL are the ones served here: the members' API on the port,
    the staff API on the port + 1."""
    limit_malloc_arenas()
    port = port or DEFAULT_PORTS[app]
    settings = load_settings(warn=False)  # the app's own log says it, once per process
    problems = settings.problems()
    if problems:
        raise click.ClickException("cannot start: " + "; ".join(problems))
    _check_schema(settings)
    dotenv = read_dotenv(Path(".env"))
    for name, url in served_urls(app, host, port).items():
        if not (os.environ.get(name) or dotenv.get(name)):
            os.environ[name] = url  # the app processes (and their workers) inherit it
    if app == "all":
        _serve_both(host, port, workers)
        return
    if workers is None:
        workers = (
            settings.process.mobile_workers if app == "mobile" else settings.process.admin_workers
        )
    metrics_folder(settings.data_dir, app)
    import uvicorn

    click.echo(
        f"kasa {app} API on http://{host}:{port} (docs at /docs), "
        f"database {settings.safe_database_url}"
    )
    uvicorn.run(
        APPS[app],
        factory=True,
        host=host,
        port=port,
        workers=workers,
        # the client address is the TCP peer; the apps read X-Forwarded-For themselves,
        # only from KASA_TRUSTED_PROXIES
        proxy_headers=False,
        server_header=False,
        log_level="info",
    )


def metrics_folder(data_dir: Path, app: str) -> Path:
    """The app's own folder for its workers' metrics, emptied: what earlier processes
    counted is not this server's. Set before any worker (or the metrics library) starts."""
    folder = data_dir / "metrics" / app
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, mode=0o700)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)
    return folder


def served_urls(app: str, host: str, port: int) -> dict[str, str]:
    """The public URLs of both APIs when this command serves ``app`` on ``port``: the
    members' API on a port, the staff API on the next (an address that listens on every
    interface is written as 127.0.0.1)."""
    mobile = port - 1 if app == "admin" else port
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104
    shown = f"[{shown}]" if ":" in shown else shown
    return {
        "KASA_PUBLIC_URL": f"http://{shown}:{mobile}",
        "KASA_ADMIN_PUBLIC_URL": f"http://{shown}:{mobile + 1}",
    }


def limit_malloc_arenas(arenas: int = 2) -> None:
    """Keep glibc to a few malloc arenas in the API processes (unless
    ``MALLOC_ARENA_MAX`` says otherwise). By default every thread of the worker pool may
    get an arena of its own, each keeping freed memory: under 200 concurrent members a
    worker peaked at 158 MB resident, with two arenas at 132 MB. Worker processes
    started by uvicorn inherit the variable; this process is set directly."""
    if "MALLOC_ARENA_MAX" in os.environ:
        return
    os.environ["MALLOC_ARENA_MAX"] = str(arenas)
    if sys.platform.startswith("linux"):
        import ctypes
        import ctypes.util

        name = ctypes.util.find_library("c")
        if name:
            with contextlib.suppress(OSError, AttributeError):
                ctypes.CDLL(name).mallopt(M_ARENA_MAX, arenas)


M_ARENA_MAX = -8  # glibc's mallopt parameter


def _serve_both(host: str, port: int, workers: int | None) -> None:
    """The mobile API on ``port`` and the admin API on ``port + 1``, as two processes
    that stop together (on Ctrl+C, on SIGTERM, or when either of them ends). When either
    cannot listen, or ends by itself, the command fails naming it, so a supervisor sees
    the failure."""
    import signal
    import subprocess

    apps = (("mobile", port), ("admin", port + 1))
    for name, number in apps:
        _require_free(host, number, name)

    def stop(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    command = [sys.executable, "-m", "kasa.entrypoints.cli", "serve"]
    processes = [
        subprocess.Popen(  # noqa: S603 - our own command line, no shell
            [
                *command,
                *(name, "--host", host, "--port", str(number)),
                *(("--workers", str(workers)) if workers else ()),
            ]
        )
        for name, number in apps
    ]
    ended: tuple[str, int, int] | None = None
    try:
        while ended is None:
            for (name, number), process in zip(apps, processes, strict=True):
                code = process.poll()
                if code is not None:
                    ended = (name, number, code)
                    break
            else:
                time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            process.wait(timeout=30)
    if ended is not None:
        name, number, code = ended
        raise click.ClickException(
            f"the {name} API on {host}:{number} stopped (exit status {code}); "
            "the other was stopped with it"
        )


def _require_free(host: str, port: int, name: str) -> None:
    """Refuse at once, naming the port, when an API could not listen on it."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise click.ClickException(
                f"the {name} API cannot listen on {host}:{port}: {error.strerror}"
            ) from None


@main.group()
def user() -> None:
    """Staff accounts."""


@user.command("create")
@click.argument("login")
@click.option("--role", type=click.Choice(["admin", "operator"]), required=True)
@click.option("--name", default="", help="The person's name.")
@click.option("--email", default=None)
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from standard input instead of generating one.",
)
def user_create(login: str, role: str, name: str, email: str | None, password_stdin: bool) -> None:
    """Create a staff user. Without --password-stdin a strong password is generated and
    printed once."""
    from kasa.entrypoints.container import build_container

    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    state = click.get_current_context().ensure_object(CliState)
    if state.kasa is None:
        settings = load_settings()
        _check_schema(settings)
        state.kasa = build_container(settings)
    accounts: StaffAccounts = state.staff.accounts()
    try:
        created = accounts.create(
            None,
            login=login,
            role=Role(role),
            name=name,
            email=Email.parse(email) if email else None,
            password=password,
        )
    except KasaError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"created {role} {created.user.login} (id {created.user.id})")
    if password is None:
        click.echo(f"password: {created.initial_password}")
        click.echo("It is shown only now; keep it safe.")


@user.command("list")
@json_option
@pass_state
def user_list(state: CliState, as_json: bool) -> None:
    """Staff accounts (no password hashes)."""
    users = state.staff.accounts().list(None)
    show(
        [present.staff(u) for u in users],
        ["id", "login", "name", "role", "is_active", "email"],
        as_json,
        "staff users",
    )


@user.command("set-password")
@click.argument("login")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the new password from standard input instead of generating one.",
)
@pass_state
def user_set_password(state: CliState, login: str, password_stdin: bool) -> None:
    """Set a staff user's password (an operator of the server may set anyone's)."""
    chosen = sys.stdin.readline().rstrip("\n") if password_stdin else None
    password = state.staff.accounts().reset_password(login, chosen)
    click.echo(f"password of {login} changed")
    if chosen is None:
        click.echo(f"password: {password}")


@user.command("deactivate")
@click.argument("login")
@pass_state
def user_deactivate(state: CliState, login: str) -> None:
    """Deactivate a staff account (kept for the audit trail), acting as --as (an admin)."""
    accounts = state.staff.accounts()
    target = accounts.by_login(login)
    assert target.id is not None  # a stored user
    accounts.deactivate(state.staff_id(), target.id)
    click.echo(f"{target.login} deactivated")
