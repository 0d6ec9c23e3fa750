"""``kasa report``, ``kasa export`` and ``kasa audit``: the books."""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import UTC, datetime, time
from pathlib import Path

import click

from kasa.application.reads import AuditQuery, MemberQuery, Page, PaymentQuery, RequestQuery
from kasa.domain.audit import ActorKind, EventType, ObjectKind
from kasa.entrypoints.cli import main
from kasa.entrypoints.cli.common import (
    CliState,
    json_option,
    pass_state,
    show,
    show_one,
    with_progress,
)
from kasa.entrypoints.http import admin_schemas as a
from kasa.entrypoints.http.schemas import parse_date


@main.group()
def report() -> None:
    """Reports."""


@report.command("fund")
@click.option("--from", "first", help="First date (dd.mm.YYYY or YYYY-MM-DD).")
@click.option("--to", "last", help="Last date.")
@json_option
@pass_state
def fund(state: CliState, first: str | None, last: str | None, as_json: bool) -> None:
    """Money in and out by month and program, and members by status."""
    result = state.service("books").fund_report(
        state.staff_id(), parse_date(first, "from"), parse_date(last, "to")
    )
    lines = [
        {
            "month": line.month,
            "program": line.program,
            "money_in": str(line.money_in),
            "money_out": str(line.money_out),
        }
        for line in result.lines
    ]
    if as_json:
        show_one(
            {
                "money_in": str(result.money_in),
                "money_out": str(result.money_out),
                "months": lines,
                "members_by_status": result.members_by_status,
            },
            True,
        )
        return
    show(lines, ["month", "program", "money_in", "money_out"], False, "fund")
    click.echo(f"total in {result.money_in} UAH, out {result.money_out} UAH")
    click.echo("members: " + ", ".join(f"{k} {v}" for k, v in result.members_by_status.items()))


@main.command("export")
@click.argument("what", type=click.Choice(["payments", "requests", "members"]))
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The CSV file to write (UTF-8 with a byte order mark).",
)
@pass_state
def export(state: CliState, what: str, out: Path) -> None:
    """Export payments, requests or members to CSV for the accountant."""
    books = state.service("books")
    staff = state.staff_id()
    lines = {
        "payments": lambda: books.export_payments(staff, PaymentQuery()),
        "requests": lambda: books.export_requests(staff, RequestQuery()),
        "members": lambda: books.export_members(staff, MemberQuery()),
    }[what]()
    partial = out.with_name(out.name + ".part")

    def work(step: Callable[[str], None]) -> int:
        rows = -1  # the header
        with partial.open("w", encoding="utf-8", newline="") as handle:
            for line in lines:
                handle.write(line)
                rows += 1
                if rows and rows % 500 == 0:
                    step(f"{rows} rows")
        partial.replace(out)
        return rows

    try:
        rows = with_progress(f"exporting {what}", None, work)
    finally:
        partial.unlink(missing_ok=True)
    click.echo(f"{rows} {what} written to {out}")


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
        since=datetime.combine(start, time.min, tzinfo=UTC) if start else None,
        until=datetime.combine(end, time.max, tzinfo=UTC) if end else None,
    )
    listing = state.service("books").audit_trail(state.staff_id(), query, Page(limit))
    show(
        [a.audit_event(e) for e in listing.items],
        ["at", "event_type", "actor_kind", "actor_id", "object_kind", "object_id"],
        as_json,
        f"audit ({listing.total} in all)",
    )
