"""A consistent copy of the database, and the database loaded back from it.

SQLite is copied with its online backup API (readers and writers go on meanwhile; the
copy is the database as of one moment). MariaDB is dumped by ``mariadb-dump`` in a
single transaction (InnoDB's consistent read: no table is locked, and the dump is the
database as of the moment it began), one ``INSERT`` with its column names per row and
line (a value's line breaks are written escaped), so the rows of each table are its
lines, counted without reading any value. The files a snapshot carries are those the
database names once the dump is written: rows of files are never deleted, so they are
every file the dump names, and those of rows written meanwhile (left unnamed by the
restored database, and swept).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol

import attrs
import sqlalchemy as sa

from kasa.adapters.backup.dumpcheck import MariaDbDumpCheck, check_sqlite_copy
from kasa.adapters.backup.manifest import CHUNK, BackupError
from kasa.adapters.private import private_file

# what ``kasa db upgrade`` writes into an empty database besides the schema
UPGRADE_ONLY = frozenset({"alembic_version", "identity_types", "payment_types", "request_statuses"})

Report = Callable[[int, int | None], None]
"""``report(done, total)``: how far a step is (``total`` is ``None`` when unknown)."""


@attrs.frozen
class DumpContents:
    tables: dict[str, int]
    revision: str | None
    # the file store names the copy's ``files`` rows hold (an SQLite copy is read as a
    # database; a MariaDB dump's names are the database's, ``stored_names_now``)
    stored_names: list[str] | None
    # what the dump holds beside the schema's own tables and rows (it is refused)
    foreign: list[str] = attrs.field(factory=list)


class DatabaseArchive(Protocol):
    @property
    def kind(self) -> str: ...

    @property
    def dump_name(self) -> str: ...

    def dump(self, target: Path, report: Report) -> None: ...

    def rows_now(self) -> dict[str, int]: ...

    def stored_names_now(self) -> list[str]: ...

    def load(self, path: Path, report: Report) -> None: ...


def archive_for(url: str) -> DatabaseArchive:
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise BackupError("an in-memory SQLite database cannot be backed up")
        return SqliteArchive(Path(parsed.database))
    if parsed.get_backend_name() in ("mysql", "mariadb"):
        return MariaDbArchive(url)
    raise BackupError(f"backups of {parsed.get_backend_name()} databases are not supported")


# -- SQLite ---------------------------------------------------------------------------
@attrs.frozen
class SqliteArchive:
    path: Path
    kind: str = "sqlite"
    dump_name: str = "database.sqlite"

    def dump(self, target: Path, report: Report) -> None:
        if not self.path.is_file():
            raise BackupError(f"there is no database at {self.path}")
        private_file(target)
        with (
            contextlib.closing(sqlite3.connect(self.path)) as source,
            contextlib.closing(sqlite3.connect(target)) as copy,
        ):
            source.backup(copy, pages=256, progress=_pages(source, report))
            # a snapshot is one file: reading it must not make -wal and -shm files
            copy.execute("PRAGMA journal_mode = DELETE")

    def rows_now(self) -> dict[str, int]:
        if not self.path.is_file():
            return {}
        with contextlib.closing(sqlite3.connect(self.path)) as db:
            return _contents(db).tables

    def stored_names_now(self) -> list[str]:
        with contextlib.closing(sqlite3.connect(self.path)) as db:
            return _contents(db).stored_names or []

    def load(self, path: Path, report: Report) -> None:
        private_file(self.path)
        with (
            contextlib.closing(_read_only(path)) as copy,
            contextlib.closing(sqlite3.connect(self.path)) as target,
        ):
            copy.backup(target, pages=256, progress=_pages(copy, report))


def read_sqlite_dump(path: Path) -> DumpContents:
    try:
        with contextlib.closing(_read_only(path)) as db:
            return _contents(db)
    except sqlite3.DatabaseError as error:
        raise BackupError(f"the dump {path.name} cannot be read: {error}") from None


def _read_only(path: Path) -> sqlite3.Connection:
    """A snapshot opened so that nothing can change it, not even its journal."""
    return sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)


def _pages(source: sqlite3.Connection, report: Report) -> Callable[[int, int, int], None]:
    """The backup API's progress in pages, reported in bytes."""
    page = int(source.execute("PRAGMA page_size").fetchone()[0])

    def progress(_status: int, remaining: int, total: int) -> None:
        report((total - remaining) * page, total * page)

    return progress


def _contents(db: sqlite3.Connection) -> DumpContents:
    names = [
        row[0]
        for row in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    # the names are the database's own tables, read from its catalogue just above
    tables = {
        name: int(db.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0])  # noqa: S608
        for name in names
    }
    revision = None
    if "alembic_version" in tables:
        found = db.execute("SELECT version_num FROM alembic_version").fetchone()
        revision = found[0] if found else None
    stored = (
        [row[0] for row in db.execute("SELECT stored_name FROM files")] if "files" in tables else []
    )
    return DumpContents(tables, revision, stored, check_sqlite_copy(db))


def _stored_names(url: str) -> list[str]:
    """The stored names every ``files`` row of the database holds now."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return [
                str(n)
                for n in connection.execute(sa.text("SELECT stored_name FROM files")).scalars()
            ]
    finally:
        engine.dispose()


# -- MariaDB --------------------------------------------------------------------------
# the one row of the schema's revision, as mariadb-dump writes it
REVISION = re.compile(r"INSERT INTO `alembic_version` \(`version_num`\) VALUES \('([0-9a-z_]+)'\);")


@attrs.frozen
class MariaDbArchive:
    url: str
    kind: str = "mariadb"
    dump_name: str = "database.sql"

    @property
    def database(self) -> str:
        name = sa.engine.make_url(self.url).database
        if not name:
            raise BackupError("KASA_DATABASE_URL names no database")
        return name

    @contextlib.contextmanager
    def _options(self) -> Iterator[str]:
        """The connection's options in a file only this user may read, so that the
        password is never on a command line."""
        url = sa.engine.make_url(self.url)
        lines = ["[client]", "default-character-set=utf8mb4"]
        for key, value in (
            ("user", url.username),
            ("password", url.password),
            ("host", url.host),
            ("port", url.port),
            ("socket", url.query.get("unix_socket")),
        ):
            if value:
                lines.append(f"{key}={value}")
        fd, name = tempfile.mkstemp(prefix="kasa-db-", suffix=".cnf")
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write("\n".join(lines) + "\n")
            yield f"--defaults-extra-file={name}"
        finally:
            Path(name).unlink(missing_ok=True)

    def dump(self, target: Path, report: Report) -> None:
        tool = _tool("mariadb-dump", "mysqldump")
        private_file(target)
        with (
            self._options() as options,
            target.open("wb") as out,
            tempfile.TemporaryFile() as said,  # never a pipe that could fill and block it
        ):
            process = subprocess.Popen(  # noqa: S603 - the OS's dump tool, our arguments
                [
                    tool,
                    options,
                    "--single-transaction",
                    "--skip-extended-insert",
                    "--complete-insert",
                    "--hex-blob",
                    "--no-tablespaces",
                    "--skip-dump-date",
                    "--skip-triggers",  # the schema has none; a dump holds tables and rows
                    self.database,
                ],
                stdout=out,
                stderr=said,
            )
            _watch(process, lambda: target.stat().st_size, report)
            if process.wait() != 0:
                said.seek(0)
                error = said.read().decode(errors="replace").strip()
                raise BackupError(f"mariadb-dump failed: {error[-500:]}")

    def stored_names_now(self) -> list[str]:
        return _stored_names(self.url)

    def rows_now(self) -> dict[str, int]:
        engine = sa.create_engine(self.url)
        try:
            with engine.connect() as connection:
                names = sa.inspect(connection).get_table_names()
                count = "SELECT COUNT(*) FROM `{}`"  # the database's own table names
                return {
                    name: int(connection.execute(sa.text(count.format(name))).scalar_one())
                    for name in names
                }
        finally:
            engine.dispose()

    def load(self, path: Path, report: Report) -> None:
        tool = _sandboxed_client()
        engine = sa.create_engine(self.url)
        try:  # the target was found empty: its schema from `kasa db upgrade` goes
            with engine.begin() as connection:
                connection.execute(sa.text("SET FOREIGN_KEY_CHECKS = 0"))
                for name in sa.inspect(connection).get_table_names():
                    connection.execute(sa.text(f"DROP TABLE `{name}`"))
        finally:
            engine.dispose()
        size = path.stat().st_size
        with self._options() as options, path.open("rb") as dump:
            process = subprocess.Popen(  # noqa: S603 - the OS's client, our arguments
                # sandbox: the client refuses its own commands that reach the system
                [tool, options, "--batch", "--sandbox", self.database],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            assert process.stdin is not None and process.stderr is not None
            stderr = process.stderr
            errors: list[bytes] = []  # read meanwhile, so that a full pipe never blocks it
            reader = threading.Thread(target=lambda: errors.append(stderr.read()))
            reader.start()
            sent = 0
            try:
                while chunk := dump.read(CHUNK):
                    process.stdin.write(chunk)
                    sent += len(chunk)
                    report(sent, size)
                process.stdin.close()
            except BrokenPipeError:
                pass
            code = process.wait()
            reader.join()
            if code != 0:
                said = b"".join(errors).decode(errors="replace").strip()
                raise BackupError(f"loading the dump failed: {said[-500:]}")


def read_mariadb_dump(path: Path) -> DumpContents:
    """Every table's rows and the schema revision in a dump of ``mariadb-dump`` (one
    ``INSERT`` a row and line), each line held to what the tool writes for Kasa."""
    try:
        return _read_mariadb_dump(path)
    except UnicodeDecodeError as error:
        raise BackupError(f"the dump {path.name} is not UTF-8 text: {error}") from None


def _read_mariadb_dump(path: Path) -> DumpContents:
    tables: dict[str, int] = {}
    revision: str | None = None
    check = MariaDbDumpCheck()
    with path.open(encoding="utf-8", errors="strict") as dump:
        for number, line in enumerate(dump, start=1):
            check.feed(number, line)
            if line.startswith(("CREATE TABLE `", "INSERT INTO `")):
                table = line.split("`", 2)[1]
                rows = int(line.startswith("INSERT"))
                tables[table] = tables.get(table, 0) + rows
                if table == "alembic_version" and rows:
                    found = REVISION.fullmatch(line.rstrip("\n"))
                    if found is None:
                        raise BackupError(f"{path.name}: line {number}: not a schema revision")
                    revision = found[1]
    return DumpContents(tables, revision, None, check.done())


DUMP_READERS: dict[str, Callable[[Path], DumpContents]] = {
    "sqlite": read_sqlite_dump,
    "mariadb": read_mariadb_dump,
}


def read_dump(kind: str, path: Path) -> DumpContents:
    """A dump read without any database (to check a snapshot)."""
    if kind not in DUMP_READERS:
        raise BackupError(f"the snapshot is of an unknown database kind {kind!r}")
    return DUMP_READERS[kind](path)


def _tool(*names: str) -> str:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    raise BackupError(f"{names[0]} is not installed (apt-get install mariadb-client)")


def _sandboxed_client() -> str:
    """The ``mariadb`` client, which must have its sandbox mode (MariaDB 10.5.25,
    10.6.18, 10.11.8 and newer): a dump then cannot run a shell command."""
    tool = _tool("mariadb", "mysql")
    said = subprocess.run(  # noqa: S603 - the OS's client asked for its options
        [tool, "--no-defaults", "--help"], capture_output=True, text=True, check=False
    )
    if "--sandbox" not in said.stdout:
        raise BackupError(
            f"{tool} has no --sandbox mode: install a MariaDB client from 10.5.25, 10.6.18 "
            "or 10.11.8 on to restore a snapshot"
        )
    return tool


def _watch(process: subprocess.Popen[bytes], size: Callable[[], int], report: Report) -> None:
    while process.poll() is None:
        report(size(), None)
        time.sleep(0.2)
    report(size(), None)
