"""``kasa notify``: the worker that tells members (run, once), and staff's view of what
was sent (list, retry)."""

from __future__ import annotations

import signal
import threading
from types import FrameType

import click

from kasa.application.notifying import NotifyReport
from kasa.application.reads import Page
from kasa.application.views import NotificationQuery
from kasa.domain.notifications import DeliveryState
from kasa.entrypoints.cli import present as show_as
from kasa.entrypoints.cli.common import CliState, json_option, pass_state, show
from kasa.entrypoints.cli.main import main

NOTIFICATION_COLUMNS = ["id", "created_at", "member_id", "event", "state", "channel", "reason"]


@main.group()
def notify() -> None:
    """Telling members: the delivery worker, and what was sent."""


def _said(report: NotifyReport) -> str:
    return (
        f"events {report.handled}, pushed {report.pushed}, by SMS {report.texted}, "
        f"inbox only {report.in_inbox}, waiting {report.waiting}, failed {report.failed}"
    )


@notify.command("once")
@pass_state
def notify_once(state: CliState) -> None:
    """Make the notifications of new events and deliver everything due now, then exit."""
    click.echo(_said(state.system.notifier().once()))


@notify.command("run")
@click.option(
    "--every",
    type=click.FloatRange(0.1, 3600),
    default=1.0,
    show_default=True,
    help="Seconds between looks when nothing is due.",
)
@pass_state
def notify_run(state: CliState, every: float) -> None:
    """Deliver as notifications fall due, until stopped (SIGTERM or SIGINT stop it
    between deliveries: nothing claimed is left half done)."""
    notifier = state.system.notifier()
    stop = threading.Event()

    def stopping(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, stopping)
    click.echo("kasa notify: delivering (SIGTERM stops)")
    while not stop.is_set():
        report = notifier.once()
        if report.done:
            click.echo(_said(report))
        stop.wait(every)
    click.echo("kasa notify: stopped")


@notify.command("list")
@click.option("--failed", is_flag=True, help="Only the notifications that failed.")
@click.option("--member", "member_id", type=click.IntRange(1), help="Only this member's.")
@click.option("--limit", type=click.IntRange(1, 500), default=50, show_default=True)
@json_option
@pass_state
def notify_list(
    state: CliState, failed: bool, member_id: int | None, limit: int, as_json: bool
) -> None:
    """Notifications, newest first, with their delivery state."""
    query = NotificationQuery(member_id=member_id, state=DeliveryState.FAILED if failed else None)
    listing = state.staff.books().notifications(state.staff_id(), query, Page(limit, 0))
    rows = [show_as.notification(n) for n in listing.items]
    show(rows, NOTIFICATION_COLUMNS, as_json, title=f"notifications ({listing.total} in all)")


@notify.command("retry")
@click.argument("notification_id", type=click.IntRange(1))
@pass_state
def notify_retry(state: CliState, notification_id: int) -> None:
    """Send a failed notification again (the worker delivers it)."""
    again = state.system.notifier().retry(state.staff_id(), notification_id)
    click.echo(f"notification {again.id} will be sent again")
