"""Snapshots of a fund: the database, then the file store, with a manifest.

The database is copied first, consistently (see ``databases``), then the file store,
through its port: a fund whose files are in an object store has them in its snapshot as
a folder's have, and a snapshot restores into either kind of store.
Files are never deleted or changed once stored, so a file newer than the database copy
is a harmless extra, and every file a copied row names is already in the store when the
files are copied. Restoring goes into an empty target only, and checks everything
before it writes: the manifest against the dump and the files, every file a row names,
and the schema revision against the migrations this Kasa knows.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import attrs

from kasa import __version__
from kasa.adapters.backup.databases import (
    UPGRADE_ONLY,
    DatabaseArchive,
    Report,
    archive_for,
    read_dump,
)
from kasa.adapters.backup.manifest import (
    CHUNK,
    SECRETS,
    BackupError,
    FileEntry,
    Manifest,
    sha256_of,
)
from kasa.adapters.private import private_folder, write_privately
from kasa.application.ports import FileStore

FILES = "files"
Steps = Callable[[str], Report]
"""``steps(description)`` starts a step and gives its ``report(done, total)``."""


def quietly(_description: str) -> Report:
    return lambda _done, _total: None


@attrs.frozen
class Snapshots:
    """Snapshots of the fund whose database is at ``database_url`` and whose files are
    in ``files``."""

    database_url: str
    files: FileStore
    known_revisions: Callable[[], set[str]]
    upgrade: Callable[[], object]
    key: bytes  # signs the manifest; never written into a snapshot

    @property
    def archive(self) -> DatabaseArchive:
        return archive_for(self.database_url)

    # -- create -----------------------------------------------------------------------
    def create(
        self, folder: Path, steps: Steps = quietly, secrets: dict[str, str] | None = None
    ) -> Manifest:
        """Write a snapshot into ``folder`` (new or empty). ``secrets`` (the token-signing
        secret) go into it only when given: the snapshot is then readable by its owner
        alone and its manifest says it holds them."""
        if folder.exists():
            _require_private(folder)
            if any(folder.iterdir()):
                raise BackupError(f"{folder} is not empty; give a new or empty folder")
        private_folder(folder)
        archive = self.archive
        started = datetime.now(UTC)
        dump = folder / archive.dump_name
        archive.dump(dump, steps("database"))
        contents = read_dump(archive.kind, dump)
        if contents.revision is None:
            raise BackupError("the database has no schema revision: run `kasa db upgrade`")
        if contents.foreign:
            raise BackupError(
                "the database holds more than Kasa's tables and rows, which a snapshot does "
                "not carry: " + "; ".join(contents.foreign)
            )
        # only the files rows name: an upload a crash left without its row (until
        # ``kasa sweep`` removes it) is not carried into the snapshot
        named = contents.stored_names
        if named is None:  # a dump, not read for values: the names the database holds now
            named = archive.stored_names_now()
        files = self._copy_store(folder / FILES, steps("files"), set(named))
        manifest = Manifest(
            created_at=started.isoformat(timespec="seconds"),
            kasa_version=__version__,
            database=archive.kind,
            schema_revision=contents.revision,
            dump=archive.dump_name,
            dump_sha256=sha256_of(dump),
            tables=contents.tables,
            files=files,
            holds_secrets=bool(secrets),
        )
        missing = self._unnamed(named, files)
        if missing:
            raise BackupError(
                f"{len(missing)} files the database names are not in the file store, "
                f"e.g. {missing[0]}"
            )
        if secrets:
            write_privately(folder / SECRETS, [json.dumps(secrets, indent=1).encode()])
        manifest.write(folder, self.key)
        return manifest

    def _copy_store(self, target: Path, report: Report, named: set[str]) -> dict[str, FileEntry]:
        private_folder(target)
        stored = sorted(
            (e for e in self.files.inventory() if not e.partial and e.name in named),
            key=lambda e: e.name,
        )
        total = sum(e.size for e in stored)
        done = 0
        entries: dict[str, FileEntry] = {}
        for entry in stored:
            relative = _in_snapshot(entry.name)
            with self.files.open(entry.name) as reading:
                sha256, size = write_privately(
                    target / relative, iter(lambda: reading.read(CHUNK), b""), sync=False
                )
            entries[relative] = FileEntry(sha256, size)
            done += size
            report(done, total)
        # every copy on disk at once, before the manifest names them: one sync for the
        # lot instead of one for each of hundreds of thousands of files (a crash before
        # the manifest leaves no snapshot to restore, so none is trusted half-written)
        os.sync()
        report(done, total)
        return entries

    @staticmethod
    def _unnamed(stored_names: list[str], files: dict[str, FileEntry]) -> list[str]:
        return [n for n in stored_names if _in_snapshot(n) not in files]

    # -- verify -----------------------------------------------------------------------
    def verify(self, folder: Path, steps: Steps = quietly) -> Manifest:
        """Check a snapshot without restoring it; raises with every problem found. The
        folder must be writable by its owner alone and the manifest's signature right
        before anything else is read."""
        _require_private(folder)
        manifest = Manifest.read(folder, self.key)
        problems: list[str] = []
        dump = folder / manifest.dump
        if not dump.is_file():
            raise BackupError(f"the dump {manifest.dump} is missing from {folder}")
        if sha256_of(dump, _bytes(steps("dump"), dump.stat().st_size)) != manifest.dump_sha256:
            problems.append(f"the dump {manifest.dump} does not match its hash in the manifest")
        try:
            contents = read_dump(manifest.database, dump)
        except BackupError as error:
            raise BackupError(f"{folder}: " + "; ".join([*problems, str(error)])) from None
        if contents.foreign:
            problems.append(
                "the dump holds more than the schema's own tables and rows: "
                + "; ".join(contents.foreign)
            )
        if contents.tables != manifest.tables:
            differ = sorted(
                name
                for name in set(contents.tables) | set(manifest.tables)
                if contents.tables.get(name) != manifest.tables.get(name)
            )
            problems.append(f"row counts in the dump differ from the manifest: {differ[:5]}")
        if contents.revision != manifest.schema_revision:
            problems.append(
                f"the dump is at revision {contents.revision}, "
                f"the manifest says {manifest.schema_revision}"
            )
        if manifest.schema_revision not in self.known_revisions():
            problems.append(
                f"the snapshot's schema revision {manifest.schema_revision} is newer than "
                "this Kasa knows: restore it with the Kasa that made it, or a newer one"
            )
        problems += self._check_files(folder / FILES, manifest, steps("files"))
        missing = self._unnamed(contents.stored_names or [], manifest.files)
        if missing:
            problems.append(
                f"{len(missing)} files that rows of the dump name are not in the snapshot, "
                f"e.g. {missing[0]}"
            )
        if problems:
            raise BackupError(f"{folder}: " + "; ".join(problems))
        return manifest

    @staticmethod
    def _check_files(root: Path, manifest: Manifest, report: Report) -> list[str]:
        problems: list[str] = []
        total = manifest.file_bytes
        done = 0
        for name, entry in sorted(manifest.files.items()):
            path = root / name
            if not path.is_file():
                problems.append(f"the file {name} is missing")
                continue
            if path.stat().st_size != entry.size or sha256_of(path) != entry.sha256:
                problems.append(f"the file {name} does not match its hash in the manifest")
            done += entry.size
            report(done, total)
        on_disk = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
        extra = sorted(on_disk - set(manifest.files)) if root.is_dir() else []
        if extra:
            problems.append(f"{len(extra)} files are not in the manifest, e.g. {extra[0]}")
        return problems[:20]

    # -- restore ----------------------------------------------------------------------
    def restore(self, folder: Path, steps: Steps = quietly) -> Manifest:
        """Restore a snapshot into an empty database and an empty file store."""
        manifest = self.verify(folder, steps)
        archive = self.archive
        if archive.kind != manifest.database:
            raise BackupError(
                f"the snapshot is of a {manifest.database} database; "
                f"KASA_DATABASE_URL is {archive.kind}"
            )
        written = {t: n for t, n in archive.rows_now().items() if n and t not in UPGRADE_ONLY}
        if written:
            raise BackupError(
                "the target database is not empty (rows in "
                + ", ".join(sorted(written)[:5])
                + "): restore into a new database"
            )
        if any(not entry.partial for entry in self.files.inventory()):
            raise BackupError("the file store is not empty: restore into an empty one")
        archive.load(folder / manifest.dump, steps("database"))
        restored = archive.rows_now()
        wrong = [t for t, n in manifest.tables.items() if restored.get(t) != n]
        if wrong:
            raise BackupError(f"the restored database differs from the snapshot in {wrong[:5]}")
        report = steps("files")
        done = 0
        for name, entry in sorted(manifest.files.items()):
            with (folder / FILES / name).open("rb") as reading:
                blob = self.files.put(
                    name.rsplit("/", 1)[-1], iter(lambda: reading.read(CHUNK), b"")
                )
            if FileEntry(blob.sha256, blob.size) != entry:
                raise BackupError(f"the file {name} changed while it was restored")
            done += blob.size
            report(done, manifest.file_bytes)
        self.upgrade()  # an older snapshot is brought to this Kasa's schema
        return manifest


def _require_private(folder: Path) -> None:
    """A snapshot folder others may write into could have been changed by them."""
    if folder.is_dir() and folder.stat().st_mode & 0o022:
        raise BackupError(
            f"{folder} may be written by others (mode {folder.stat().st_mode & 0o777:o}): "
            "a snapshot folder must be writable by its owner alone (chmod go-w)"
        )


def _in_snapshot(name: str) -> str:
    """Where a stored file lies in a snapshot: its folder (``m<id>`` or ``shared``), then
    its name."""
    return f"{name.split('-', 1)[0]}/{name}"


def _bytes(report: Report, total: int) -> Callable[[int], None]:
    done = [0]

    def advance(n: int) -> None:
        done[0] += n
        report(done[0], total)

    return advance
