"""The ``kasa`` command line: the server (``db``, ``serve``), staff accounts, and the
fund staff's daily work and scheduled jobs. Every command is a thin shell over a use
case; errors are one line on stderr and exit status 1. ``main`` is the group; importing
the modules by area registers their commands on it."""

from __future__ import annotations

from kasa.entrypoints.cli import (  # noqa: F401 - each registers its commands
    aid_requests,
    backup,
    books,
    housekeeping,
    members,
    money,
    notify,
    server,
)
from kasa.entrypoints.cli.main import main

__all__ = ["main"]
