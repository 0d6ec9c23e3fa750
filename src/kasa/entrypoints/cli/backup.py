"""``kasa backup create|verify|restore``: snapshots of the database and the file store."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import click

from kasa.entrypoints import status
from kasa.entrypoints.cli.common import load_settings
from kasa.entrypoints.cli.main import main
from kasa.entrypoints.settings import Settings

if TYPE_CHECKING:
    from kasa.adapters.backup.manifest import Manifest
    from kasa.adapters.backup.snapshot import Snapshots

Steps = Callable[[str], Callable[[int, int | None], None]]
FOLDER = click.argument("folder", type=click.Path(file_okay=False, path_type=Path))


@main.group()
def backup() -> None:
    """Snapshots of the fund: the database and the file store together.

    A snapshot is a folder: the database (a SQLite copy made with its online backup
    API, or a mariadb-dump taken in one transaction), then the file store, and a
    manifest with every table's rows and every file's SHA-256. Progress bars show on a
    terminal."""


@backup.command("create")
@FOLDER
@click.option(
    "--with-secrets",
    is_flag=True,
    help="Also keep the token-signing secret in the snapshot (secrets.json), so that "
    "members and staff stay signed in after a restore on a new server.",
)
def backup_create(folder: Path, with_secrets: bool) -> None:
    """Write a snapshot into FOLDER (new or empty), while the APIs go on serving. The
    snapshot never holds KASA_BACKUP_KEY, and holds the token-signing secret only with
    --with-secrets."""
    with _snapshots() as (snapshots, steps, settings):
        secrets = {"KASA_JWT_SECRET": settings.secret()} if with_secrets else None
        manifest = snapshots.create(folder, steps, secrets)
        status.record(settings.data_dir, "snapshot")
    click.echo(f"{folder}: {_summary(manifest)}")
    if manifest.holds_secrets:
        click.echo(
            "it holds the token-signing secret (secrets.json): keep it as safe as the "
            "server's environment file"
        )
    else:
        click.echo(
            "it does not hold the token-signing secret: carry KASA_JWT_SECRET to a new "
            "server too, or everyone signs in again after a restore"
        )


@backup.command("verify")
@FOLDER
def backup_verify(folder: Path) -> None:
    """Check a snapshot without restoring it: the dump against the manifest, every
    file's hash, every file the rows name, and the schema revision."""
    with _snapshots() as (snapshots, steps, _):
        manifest = snapshots.verify(folder, steps)
    click.echo(f"{folder}: intact; {_summary(manifest)}")


@backup.command("restore")
@FOLDER
def backup_restore(folder: Path) -> None:
    """Restore a snapshot into this server's database and file store, which must be
    empty (a new database, or one only `kasa db upgrade` has written; no files). The
    snapshot is verified first; an older schema is then upgraded."""
    with _snapshots() as (snapshots, steps, _):
        manifest = snapshots.restore(folder, steps)
    click.echo(f"restored {folder}: {_summary(manifest)}")
    if manifest.holds_secrets:
        click.echo(
            f"the snapshot holds the token-signing secret: set KASA_JWT_SECRET from "
            f"{folder / 'secrets.json'} on this server to keep everyone signed in"
        )


def _summary(manifest: Manifest) -> str:
    size = manifest.file_bytes / 1024 / 1024
    return (
        f"{manifest.database} at revision {manifest.schema_revision}, "
        f"{len(manifest.tables)} tables, {manifest.rows} rows, "
        f"{len(manifest.files)} files ({size:.1f} MB), made {manifest.created_at}"
    )


@contextlib.contextmanager
def _snapshots() -> Iterator[tuple[Snapshots, Steps, Settings]]:
    from kasa.adapters.backup.manifest import BackupError
    from kasa.adapters.backup.snapshot import Snapshots
    from kasa.adapters.sql.migrate import known_revisions, upgrade

    settings: Settings = load_settings()
    from kasa.entrypoints.container import Kasa

    snapshots = Snapshots(
        settings.database.url,
        Kasa(settings=settings).adapters.files(),  # the store KASA_FILE_STORE names
        known_revisions=known_revisions,
        upgrade=lambda: upgrade(settings.database.url),
        key=settings.snapshot_key(),
    )
    with _progress() as steps:
        try:
            yield snapshots, steps, settings
        except BackupError as error:
            raise click.ClickException(str(error)) from None
        except OSError as error:  # a folder that cannot be written, a full disk
            raise click.ClickException(f"{error.strerror}: {error.filename}") from None


@contextlib.contextmanager
def _progress() -> Iterator[Steps]:
    """Progress bars on standard error when it is a terminal; nothing otherwise."""
    if not sys.stderr.isatty():
        yield lambda _name: lambda _done, _total: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    bars = Progress(
        TextColumn("{task.description:>9}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=False,
    )

    def step(name: str) -> Callable[[int, int | None], None]:
        task = bars.add_task(name, total=None)

        def report(done: int, total: int | None) -> None:
            bars.update(task, completed=done, total=total)

        return report

    with bars:
        yield step
