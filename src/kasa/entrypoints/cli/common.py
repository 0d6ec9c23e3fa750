"""What every command shares: the container, who acts (``--as``), tables or JSON, and
progress that is a bar on a terminal and plain lines elsewhere."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar

import attrs
import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from kasa.domain.errors import KasaError
from kasa.entrypoints.settings import Settings

if TYPE_CHECKING:
    from kasa.entrypoints.container import Kasa, StaffUseCases, SystemUseCases

T = TypeVar("T")


@attrs.define
class CliState:
    """Built lazily: ``kasa --help`` needs no database. Tests pass a ready container.
    The use cases come typed (``state.staff.members()`` is ``BackOfficeMembers``), so a
    renamed use case or method fails type checking here."""

    kasa: Kasa | None = None
    staff_login: str | None = None
    settings: Settings | None = None

    def container(self) -> Kasa:
        if self.kasa is None:
            from kasa.entrypoints.container import build_container

            if self.settings is None:
                self.settings = load_settings()
            self.kasa = build_container(self.settings)
        return self.kasa

    @property
    def staff(self) -> StaffUseCases:
        """The staff's use cases (``state.staff.members()``)."""
        return self.container().staff.container

    @property
    def system(self) -> SystemUseCases:
        """The fund's own jobs (``state.system.reminders()``)."""
        return self.container().system.container

    def staff_id(self) -> int:
        """The staff user a command acts as (``--as LOGIN`` or ``KASA_STAFF``)."""
        if not self.staff_login:
            raise click.ClickException("name the staff user to act as: --as LOGIN or KASA_STAFF")
        user = self.staff.accounts().by_login(self.staff_login)
        assert user.id is not None
        return user.id

    def today(self) -> date:
        """Today at the fund."""
        return self.container().services.container.clock().today()


pass_state = click.make_pass_decorator(CliState, ensure=True)


def json_option(function: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--json",
        "as_json",
        is_flag=True,
        help="Print JSON instead of a table. On a terminal the table fits its width;"
        " piped or redirected, it is printed as tab-separated lines with every value whole.",
    )(function)


def show(rows: Sequence[Any], columns: Sequence[str], as_json: bool, title: str = "") -> None:
    """A list as a table, or as JSON with ``--json``. A table on a terminal fits its
    width (long values cut); elsewhere (a pipe, a file) it is tab-separated lines, a
    header first, every value whole."""
    if as_json:
        click.echo(json.dumps(list(rows), ensure_ascii=False, indent=2, default=str))
        return
    if not rows:
        click.echo(f"{title}: none" if title else "none")
        return
    if not on_terminal():
        click.echo("\t".join(columns))
        for row in rows:
            click.echo("\t".join(_cell(row.get(c)) for c in columns))
        return
    table = Table(title=title or None, show_lines=False)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(_cell(row.get(c)) for c in columns))
    Console(soft_wrap=True).print(table)


def _cell(value: Any) -> str:
    """A value in one cell: text without tabs or line breaks."""
    return "" if value is None else " ".join(str(value).split())


def show_one(record: Any, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(record, ensure_ascii=False, indent=2, default=str))
        return
    width = max((len(k) for k in record), default=0)
    for key, value in record.items():
        if isinstance(value, list | dict):
            value = json.dumps(value, ensure_ascii=False, default=str)
        click.echo(f"{key:<{width}}  {'' if value is None else value}")


def on_terminal() -> bool:
    return sys.stdout.isatty()


def asked() -> bool:
    """Someone is at a terminal to answer a question (piped input never waits)."""
    return sys.stdin.isatty()


def confirm(question: str, yes: bool) -> None:
    """Say what a command that moves money will do; on a terminal, ask first (``--yes``
    skips the question). Answering no changes nothing."""
    if yes or not asked():
        return
    click.confirm(question, abort=True)


def with_progress(label: str, total: int | None, work: Callable[[Callable[[str], None]], T]) -> T:
    """Run ``work(step)``: a progress bar on a terminal, a plain line per step elsewhere."""
    if not on_terminal():
        return work(lambda item: click.echo(f"{label}: {item}"))
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}"),
        TimeRemainingColumn(),
    ) as progress:
        task = progress.add_task(label, total=total)
        return work(lambda _item: progress.advance(task))


def load_settings(*, warn: bool = True) -> Settings:
    try:
        settings = Settings.load()
    except KasaError as error:
        raise click.ClickException(error.message) from None
    for line in settings.warnings() if warn else []:
        click.echo(f"kasa: warning: {line}", err=True)
    return settings
