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
