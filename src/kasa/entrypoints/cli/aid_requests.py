"""``kasa request …``: requests for aid."""

from __future__ import annotations

import click

from kasa.application.reads import Page, RequestQuery
from kasa.application.requests import Assessment
from kasa.application.search import words_of
from kasa.domain.requests import RequestStatus, Resolution
from kasa.entrypoints.cli import present as show_as
from kasa.entrypoints.cli.common import CliState, json_option, pass_state, show, show_one
from kasa.entrypoints.cli.main import main
from kasa.entrypoints.cli.money import understood

STATUSES = click.Choice([s.value for s in RequestStatus])


@main.group()
def request() -> None:
    """Requests for aid: list, read, answer, assess, close, reopen."""


@request.command("list")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=STATUSES,
    help="Statuses to list (repeat; all when none given).",
)
@click.option(
    "--query",
    default="",
    help="Words to find in the member's name, certificate, text or diagnosis.",
)
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 500))
@click.option("--offset", default=0, type=click.IntRange(0))
@json_option
@pass_state
def request_list(
    state: CliState, statuses: tuple[str, ...], query: str, limit: int, offset: int, as_json: bool
) -> None:
    """Requests, newest first."""
    listing = state.staff.requests().list(
        state.staff_id(),
        RequestQuery(words=words_of(query), statuses=frozenset(RequestStatus(s) for s in statuses)),
        Page(limit, offset),
    )
    rows = [show_as.request(v) for v in listing.items]
    show(
        rows,
        ["id", "date", "status", "member_name", "certificate", "approved_amount", "diagnosis"],
        as_json,
        f"requests ({listing.total} in all)",
    )


@request.command("show")
@click.argument("request_id", type=int)
@json_option
@pass_state
def request_show(state: CliState, request_id: int, as_json: bool) -> None:
    """A request with its files, messages and payouts."""
    view = show_as.request_detail(state.staff.requests().get(state.staff_id(), request_id))
    if as_json:
        show_one(view, True)
        return
    show_one({k: v for k, v in view.items() if k not in ("files", "messages", "payouts")}, False)
    for message in view["messages"]:
        click.echo(f"  [{message['created_at']}] {message['author_name']}: {message['message']}")
    payouts = ", ".join(f"{c['amount']} ({c['status']})" for c in view["payouts"])
    click.echo(f"files: {len(view['files'])}; payouts: {payouts or 'none'}")


@request.command("message")
@click.argument("request_id", type=int)
@click.argument("text")
@pass_state
def request_message(state: CliState, request_id: int, text: str) -> None:
    """Write to the member; the request then waits for them."""
    state.staff.requests().write(state.staff_id(), request_id, text)
    click.echo(f"message sent on request {request_id}")


@request.command("assess")
@click.argument("request_id", type=int)
@click.option("--amount", help="The approved amount in hryvnias (not below what is paid out).")
@click.option("--diagnosis", help="The diagnosis.")
@click.option("--text", "request_text", help="The request's text, corrected.")
@pass_state
def request_assess(
    state: CliState,
    request_id: int,
    amount: str | None,
    diagnosis: str | None,
    request_text: str | None,
) -> None:
    """Set a request's approved amount, diagnosis or text."""
    assessment = Assessment(
        diagnosis=diagnosis,
        approved_amount=understood(amount) if amount is not None else None,
        request_text=request_text,
    )
    if not assessment:
        raise click.UsageError("give --amount, --diagnosis or --text")
    view = state.staff.requests().assess(state.staff_id(), request_id, assessment)
    approved = view.request.approved_amount
    click.echo(
        f"request {request_id} assessed: approved {approved or '-'} UAH,"
        f" diagnosis {view.request.diagnosis or '-'}"
    )


@request.command("close")
@click.argument("request_id", type=int)
@click.option("--resolution", required=True, type=click.Choice([r.value for r in Resolution]))
@click.option("--reason", help="Why, for the member (required when rejected).")
@pass_state
def request_close(state: CliState, request_id: int, resolution: str, reason: str | None) -> None:
    """Close a request with a resolution."""
    state.staff.requests().close(state.staff_id(), request_id, Resolution(resolution), reason)
    click.echo(f"request {request_id} closed: {resolution}")


@request.command("reopen")
@click.argument("request_id", type=int)
@pass_state
def request_reopen(state: CliState, request_id: int) -> None:
    """Reopen a closed request."""
    state.staff.requests().reopen(state.staff_id(), request_id)
    click.echo(f"request {request_id} reopened")
