"""The ``kasa`` command line."""

from __future__ import annotations

import click

from kasa import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kasa")
def main() -> None:
    """Kasa: the back end of a members' mutual aid fund.

    Two HTTP APIs (mobile and admin), the staff command line and scheduled jobs.
    """
