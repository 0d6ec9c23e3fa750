"""``kasa member …`` and ``kasa program …``: the review of members and the programs."""

from __future__ import annotations

from pathlib import Path

import click

from kasa.application.members import Decision, MemberData
from kasa.application.reads import Page
from kasa.application.search import SearchField, words_of
from kasa.application.uploads import Upload
from kasa.domain.money import Money
from kasa.entrypoints.cli import present as show_as
from kasa.entrypoints.cli.common import CliState, json_option, pass_state, show, show_one
from kasa.entrypoints.cli.main import main

MEMBER_COLUMNS = [
    "id",
    "certificate",
    "last_name",
    "first_name",
    "phone",
    "status",
    "paid_until",
    "requests_awaiting_staff",
]


@main.group()
def member() -> None:
    """Members: the review queue, search, a member's file and decisions."""


@member.command("queue")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 500))
@click.option("--offset", default=0, type=click.IntRange(0))
@json_option
@pass_state
def queue(state: CliState, limit: int, offset: int, as_json: bool) -> None:
    """Members with something to review."""
    found = state.staff.members().search(state.staff_id(), (), frozenset(), Page(limit, offset))
    show([show_as.member(m) for m in found], MEMBER_COLUMNS, as_json, "review queue")


@member.command("search")
@click.argument("words", nargs=-1, required=True)
@click.option(
    "--field",
    "fields",
    multiple=True,
    type=click.Choice([f.value for f in SearchField]),
    help="Fields to search (repeat; all when none given).",
)
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 500))
@json_option
@pass_state
def search(
    state: CliState, words: tuple[str, ...], fields: tuple[str, ...], limit: int, as_json: bool
) -> None:
    """Members matching every word in one of the fields (case-insensitive)."""
    chosen = frozenset(SearchField(f) for f in fields)
    found = state.staff.members().search(
        state.staff_id(), words_of(" ".join(words)), chosen, Page(limit)
    )
    show([show_as.member(m) for m in found], MEMBER_COLUMNS, as_json, "members")


@member.command("show")
@click.argument("member_id", type=int)
@json_option
@pass_state
def show_member(state: CliState, member_id: int, as_json: bool) -> None:
    """A member's whole file: data, programs, documents, requests, payments, reports."""
    detail = show_as.member_file(state.staff.members().detail(state.staff_id(), member_id))
    if as_json:
        show_one(detail, True)
        return
    show_one(detail["member"], False)
    for part in ("actual_program", "new_program"):
        program = detail[part]
        click.echo(f"{part}: {program['program_name'] if program else '-'}")
    click.echo(
        f"documents: {len(detail['current_identities'])} current, "
        f"{len(detail['new_identities'])} new; requests: {len(detail['requests'])}; "
        f"payments: {len(detail['payments'])}; corrections: {len(detail['corrections'])}"
    )


@member.command("approve")
@click.argument("member_id", type=int)
@click.option("--certificate", help="The certificate number (a new one when not given).")
@pass_state
def approve(state: CliState, member_id: int, certificate: str | None) -> None:
    """Approve a profile awaiting review, with its certificate number (the next one when
    not given; a refused approval takes none). An approved member is not approved again."""
    members = state.staff.members()
    approved = members.apply(
        state.staff_id(),
        member_id,
        data=MemberData(certificate=certificate) if certificate else None,
        decisions=[Decision.APPROVE],
        next_certificate=True,
    )
    click.echo(
        f"member {member_id} approved with certificate {approved.certificate}"
        f" (status {approved.status})"
    )


@member.command("block")
@click.argument("member_id", type=int)
@pass_state
def block(state: CliState, member_id: int) -> None:
    """Block a member: no sign-in, every token refused."""
    blocked = state.staff.members().block(state.staff_id(), member_id)
    click.echo(f"member {member_id} blocked (status {blocked.status})")


@member.command("unblock")
@click.argument("member_id", type=int)
@pass_state
def unblock(state: CliState, member_id: int) -> None:
    """Unblock a member (back to the status before blocking)."""
    unblocked = state.staff.members().unblock(state.staff_id(), member_id)
    click.echo(f"member {member_id} unblocked (status {unblocked.status})")


@member.command("accept-program")
@click.argument("member_id", type=int)
@pass_state
def accept_program(state: CliState, member_id: int) -> None:
    """Accept a member's pending program change."""
    accepted = state.staff.members().accept_program_change(state.staff_id(), member_id)
    click.echo(f"member {member_id} program change accepted (status {accepted.status})")


@member.command("accept-documents")
@click.argument("member_id", type=int)
@pass_state
def accept_documents(state: CliState, member_id: int) -> None:
    """Accept a member's new documents."""
    accepted = state.staff.members().accept_documents(state.staff_id(), member_id)
    click.echo(f"member {member_id} documents accepted (status {accepted.status})")


@member.command("refuse-documents")
@click.argument("member_id", type=int)
@click.option("--reason", required=True, help="What is wrong, as the member will read it.")
@pass_state
def refuse_documents(state: CliState, member_id: int, reason: str) -> None:
    """Refuse a member's new documents, telling the member why."""
    refused = state.staff.members().refuse_documents(state.staff_id(), member_id, reason)
    click.echo(f"member {member_id} documents refused (status {refused.status})")


@member.command("certificate")
@pass_state
def certificate(state: CliState) -> None:
    """Hand out a new certificate number (never reused)."""
    click.echo(state.staff.members().generate_certificate(state.staff_id()))


# -- programs -----------------------------------------------------------------------------
PROGRAM_COLUMNS = ["id", "program_name", "month_price", "is_active", "program_file"]


@main.group()
def program() -> None:
    """Programs the members pay for."""


@program.command("list")
@click.option("--all", "everything", is_flag=True, help="Inactive programs too.")
@json_option
@pass_state
def program_list(state: CliState, everything: bool, as_json: bool) -> None:
    """The programs."""
    found = state.staff.programs().list(state.staff_id(), active_only=not everything)
    show([show_as.program(p) for p in found], PROGRAM_COLUMNS, as_json, "programs")


def _terms(path: Path | None) -> Upload | None:
    if path is None:
        return None
    return Upload("terms", path.name, path.open("rb"), path.stat().st_size)


@program.command("create")
@click.argument("name")
@click.option("--price", required=True, help="Monthly price in hryvnias, e.g. 300.00.")
@click.option(
    "--terms",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The program's terms (PDF, image or text).",
)
@pass_state
def program_create(state: CliState, name: str, price: str, terms: Path | None) -> None:
    """Create a program."""
    created = state.staff.programs().create(
        state.staff_id(), name, Money.positive(price, "price"), terms=_terms(terms)
    )
    click.echo(f"program {created.id} created: {created.name}, {created.month_price} UAH")


@program.command("update")
@click.argument("program_id", type=int)
@click.option("--name")
@click.option("--price")
@click.option("--terms", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--active/--inactive", default=None)
@pass_state
def program_update(
    state: CliState,
    program_id: int,
    name: str | None,
    price: str | None,
    terms: Path | None,
    active: bool | None,
) -> None:
    """Change a program's name, price, terms or whether it is offered."""
    saved = state.staff.programs().update(
        state.staff_id(),
        program_id,
        name=name,
        month_price=Money.positive(price, "price") if price else None,
        terms=_terms(terms),
        is_active=active,
    )
    click.echo(
        f"program {saved.id} updated: {saved.name}, {saved.month_price} UAH, "
        f"{'active' if saved.is_active else 'inactive'}"
    )
