"""The ``kasa`` command line."""

from __future__ import annotations

import click

from kasa import __version__
from kasa.domain.errors import KasaError
from kasa.entrypoints.settings import Settings


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kasa")
def main() -> None:
    """Kasa: the back end of a members' mutual aid fund.

    Two HTTP APIs (mobile and admin), the staff command line and scheduled jobs.
    """


def load_settings() -> Settings:
    try:
        return Settings.load()
    except KasaError as error:
        raise click.ClickException(error.message) from None


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
        result = upgrade(settings.database_url)
    except Exception as error:  # the one line a person needs, not a traceback
        raise click.ClickException(f"upgrade failed: {error}") from error
    where = settings.safe_database_url
    if not result.changed:
        click.echo(f"{where}: already at revision {result.after}; nothing to do.")
        return
    click.echo(
        f"{where}: revision {result.before or 'none'} -> {result.after}; "
        f"reference data rows written: {result.reference_rows}."
    )


APPS = {"mobile": "kasa.entrypoints.http.mobile:app_factory"}


@main.command()
@click.argument("app", type=click.Choice(sorted(APPS)))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Worker processes (they share the database and the file store).",
)
def serve(app: str, host: str, port: int, workers: int) -> None:
    """Run an HTTP API with uvicorn. The database must be upgraded first."""
    import uvicorn

    from kasa.adapters.sql.migrate import current_revision, head_revision

    settings = load_settings()
    try:
        revision = current_revision(settings.database_url)
    except Exception as error:  # a person needs the one line, not a traceback
        raise click.ClickException(f"the database cannot be reached: {error}") from error
    if revision != head_revision():
        raise click.ClickException(
            f"the database is at revision {revision or 'none'}; run `kasa db upgrade` first"
        )
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
        proxy_headers=True,
        server_header=False,
        log_level="info",
    )
