"""``kasa report``, ``kasa export`` and ``kasa audit``: the books."""

from __future__ import annotations

import enum
from collections.abc import Callable
from pathlib import Path

import click

from kasa.application.reads import AuditQuery, MemberQuery, Page, PaymentQuery, RequestQuery
from kasa.domain.audit import ActorKind, EventType, ObjectKind
from kasa.domain.calendar import after_day, day_start
from kasa.entrypoints.cli import present as show_as
from kasa.entrypoints.cli.common import (
    CliState,
    json_option,
    pass_state,
    show,
    show_one,
    with_progress,
)
from kasa.entrypoints.cli.main import main
from kasa.entrypoints.parsing import parse_date


@main.group()
def report() -> None:
    """Reports."""


@report.command("fund")
@click.option("--from", "first", help="First date (dd.mm.YYYY or YYYY-MM-DD).")
@click.option("--to", "last", help="Last date.")
@json_option
@pass_state
def fund(state: CliState, first: str | None, last: str | None, as_json: bool) -> None:
    """Money in, reversed and out by month and program, the balance, and members by
    status."""
    result = state.staff.books().fund_report(
        state.staff_id(), parse_date(first, "from"), parse_date(last, "to")
    )
    shown = show_as.fund_report(result)
    if as_json:
        show_one(shown, True)
        return
    columns = ["month", "program", "money_in", "reversed", "money_out", "balance"]
    show(shown["months"], columns, False, "fund")
    click.echo(
        f"total in {result.money_in} UAH, reversed {result.reversed} UAH, "
        f"out {result.money_out} UAH, balance {result.balance} UAH; "
        f"balance since the fund began {result.balance_total} UAH"
    )
    by_gateway = result.money_in_by_gateway.items()
    click.echo("money in by gateway: " + (", ".join(f"{k} {v} UAH" for k, v in by_gateway) or "-"))
    click.echo("members: " + ", ".join(f"{k} {v}" for k, v in result.members_by_status.items()))
    click.echo("notifications: " + ", ".join(f"{k} {v}" for k, v in result.notifications.items()))


@main.command("export")
@click.argument("what", type=click.Choice(["payments", "requests", "members", "ledger"]))
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The CSV file to write (UTF-8 with a byte order mark).",
)
@click.option(
    "--from",
    "first",
    help="ledger: the first day (dd.mm.YYYY or YYYY-MM-DD); from the fund's beginning if left out.",
)
@click.option("--to", "last", help="ledger: the last day, included; up to now if left out.")
@pass_state
def export(state: CliState, what: str, out: Path, first: str | None, last: str | None) -> None:
    """Export payments, requests, members or the ledger to CSV for the accountant.

    The ledger is every movement of money (contributions confirmed, reversals, payouts)
    with its signed amount and the running balance since the fund began."""
    books = state.staff.books()
    staff = state.staff_id()
    if (first or last) and what != "ledger":
        raise click.UsageError("--from and --to are for the ledger")
    lines = {
        "payments": lambda: books.export_payments(staff, PaymentQuery()),
        "requests": lambda: books.export_requests(staff, RequestQuery()),
        "members": lambda: books.export_members(staff, MemberQuery()),
        "ledger": lambda: books.export_ledger(
            staff, parse_date(first, "from"), parse_date(last, "to")
        ),
    }[what]()
    partial = out.with_name(out.name + ".part")

    def work(step: Callable[[str], None]) -> int:
        with partial.open("w", encoding="utf-8", newline="") as handle:
            for piece in lines:
                handle.write(piece)
                step(f"{lines.rows} rows")
        partial.replace(out)
        return lines.rows

    try:
        rows = with_progress(f"exporting {what}", None, work)
    finally:
        partial.unlink(missing_ok=True)
    click.echo(f"{rows} {'ledger movements' if what == 'ledger' else what} written to {out}")


@main.group()
def audit() -> None:
    """The audit trail."""


def _choice(kind: type[enum.StrEnum]) -> click.Choice[str]:
    return click.Choice([k.value for k in kind])


@audit.command("list")
@click.option("--object", "object_kind", type=_choice(ObjectKind))
@click.option("--id", "object_id")
@click.option("--actor", "actor_kind", type=_choice(ActorKind))
@click.option("--actor-id", type=int)
@click.option("--event", "events", multiple=True, type=_choice(EventType))
@click.option("--from", "first")
@click.option("--to", "last")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 500))
@json_option
@pass_state
def audit_list(
    state: CliState,
    object_kind: str | None,
    object_id: str | None,
    actor_kind: str | None,
    actor_id: int | None,
    events: tuple[str, ...],
    first: str | None,
    last: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """Audit events, newest first."""
    start, end = parse_date(first, "from"), parse_date(last, "to")
    query = AuditQuery(
        object_kind=ObjectKind(object_kind) if object_kind else None,
        object_id=object_id,
        actor_kind=ActorKind(actor_kind) if actor_kind else None,
        actor_id=actor_id,
        event_types=frozenset(EventType(e) for e in events),
        since=day_start(start) if start else None,
        before=after_day(end) if end else None,
    )
    listing = state.staff.books().audit_trail(state.staff_id(), query, Page(limit))
    show(
        [show_as.audit_event(e) for e in listing.items],
        ["at", "event_type", "actor_kind", "actor_id", "object_kind", "object_id"],
        as_json,
        f"audit ({listing.total} in all)",
    )
