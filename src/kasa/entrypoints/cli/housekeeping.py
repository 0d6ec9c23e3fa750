"""``kasa sweep``: the nightly housekeeping job."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import click

from kasa.application.housekeeping import Removed, SweepReport
from kasa.entrypoints.cli.common import CliState, pass_state, with_progress
from kasa.entrypoints.cli.main import main

UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
DURATION = re.compile(r"^(\d{1,7})([smhd]?)$")


class Duration(click.ParamType[timedelta]):
    """``90s``, ``30m``, ``1h``, ``2d``; a bare number is seconds."""

    name = "duration"

    def convert(self, value: object, param: click.Parameter | None, ctx: object) -> timedelta:
        if isinstance(value, timedelta):
            return value
        found = DURATION.match(str(value).strip().lower())
        if found is None:
            self.fail(f"{value!r} is not a duration such as 90s, 30m, 1h or 2d", param, None)
        number, unit = found.groups()
        return timedelta(**{UNITS[unit or "s"]: int(number)})


@main.command("sweep")
@click.option(
    "--older-than",
    type=Duration(),
    default="1h",
    show_default=True,
    help="Only files last written longer ago than this (90s, 30m, 1h, 2d): an upload in "
    "flight is never touched.",
)
@click.option("--dry-run", is_flag=True, help="Only say what would be removed.")
@pass_state
def sweep(state: CliState, older_than: timedelta, dry_run: bool) -> None:
    """Remove what crashes and time leave behind (a scheduled job): partial files of
    uploads a crash cut short, stored files no row names, throttle counters whose window
    closed days ago, events the notifications were made of (after 90 days) and
    notifications older than a year. A file a row names is never removed."""
    housekeeping = state.system.housekeeping()

    def work(step: Callable[[str], None]) -> SweepReport:
        result: SweepReport = housekeeping.sweep(older_than, dry_run=dry_run, progress=step)
        return result

    report = with_progress("sweeping", None, work)
    verb = "would remove" if dry_run else "removed"
    click.echo(f"partial files: {verb} {_files(report.partial_files)}")
    click.echo(f"files no row names: {verb} {_files(report.unnamed_files)}")
    click.echo(f"expired throttle counters: {verb} {report.throttle_counters}")
    click.echo(f"events told 90 days ago: {verb} {report.handled_events}")
    click.echo(f"notifications older than a year: {verb} {report.old_notifications}")
    click.echo(f"office sessions unused for a day: {verb} {report.ended_sessions}")


def _files(removed: Removed) -> str:
    return f"{removed.count} ({removed.bytes} bytes)"


@main.group()
def files() -> None:
    """The file store: moving every file to the other kind of store."""


@files.command("move")
@click.option(
    "--to",
    "target",
    type=click.Choice(["s3", "local"]),
    required=True,
    help="The store to copy every file into, from the other kind.",
)
@pass_state
def files_move(state: CliState, target: str) -> None:
    """Copy every stored file from the other kind of store into this one (KASA_FILES_DIR
    for local, KASA_S3_* for s3), each read back and checked by its hash. What the new
    store already holds is skipped, so an interrupted move is run again, and a last pass
    after switching KASA_FILE_STORE copies what arrived meanwhile. The old store is left
    as it was."""
    from kasa.adapters.files import LocalFileStore
    from kasa.adapters.s3 import S3FileStore
    from kasa.application.filemove import FileMove, MoveReport
    from kasa.application.ports import FileStore

    settings = state.container().settings()
    source = "local" if target == "s3" else "s3"
    if not settings.files.s3_bucket:
        raise click.ClickException("KASA_S3_BUCKET is required to move files to or from s3")
    stores: dict[str, Callable[[], FileStore]] = {
        "local": lambda: LocalFileStore(settings.files.folder),
        "s3": lambda: S3FileStore(
            settings.files.s3_bucket,
            endpoint=settings.files.s3_endpoint,
            region=settings.files.s3_region,
            access_key=settings.files.s3_access_key,
            secret_key=settings.files.s3_secret_key,
        ),
    }
    move = FileMove(stores[source](), stores[target]())
    for kind, store in ((source, move.source), (target, move.target)):
        trouble = store.problem()
        if trouble:
            raise click.ClickException(f"the {kind} store: {trouble}")
    listed = move.files()

    def work(step: Callable[[str], None]) -> MoveReport:
        found: MoveReport = move.run(lambda name, _size: step(name))
        return found

    report = with_progress(f"moving to {target}", len(listed), work)
    click.echo(
        f"{len(listed)} files: copied {report.copied} ({report.copied_bytes:,} bytes), "
        f"already there {report.skipped}, failed {len(report.failed)}"
    )
    for failure in report.failed:
        click.echo(f"failed: {failure}", err=True)
    if report.failed:
        raise SystemExit(1)
