"""The ``kasa`` command group: who acts (``--as``), and refusals as one line and a
non-zero exit status. The commands are in the modules beside it, by area."""

from __future__ import annotations

from typing import Any

import click

from kasa import __version__
from kasa.domain.errors import KasaError
from kasa.entrypoints.cli.common import CliState


class KasaGroup(click.Group):
    """Turns the fund's refusals into one clear line and a non-zero exit status."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KasaError as error:
            raise click.ClickException(error.message) from None


@click.group(cls=KasaGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kasa")
@click.option(
    "--as",
    "staff_login",
    envvar="KASA_STAFF",
    metavar="LOGIN",
    help="The staff user staff commands act as (or KASA_STAFF); recorded in the "
    "audit trail like the same action over HTTP.",
)
@click.pass_context
def main(ctx: click.Context, staff_login: str | None) -> None:
    """Kasa: the back end of a members' mutual aid fund.

    Two HTTP APIs (mobile and admin), the staff command line and scheduled jobs.
    """
    state = ctx.ensure_object(CliState)
    state.staff_login = staff_login or state.staff_login
