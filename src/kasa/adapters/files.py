"""The local file store: one directory shared by every API process.

Writes go to a temporary file in the store and are renamed into place, so a crash never
leaves a half-written file under a real name. Each member's files live in the member's
own folder (``m<id>/``; files of no member, like programs' terms, in ``shared/``). Names
are generated as ``<folder>-<random hex><extension>``, so a name alone finds its file;
the client's name never touches the file system, and reads are confined to the store.
"""

from __future__ import annotations

import os
import re
import secrets
import stat
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from kasa.adapters.private import PARTIAL, private_folder, write_privately
from kasa.application.ports import StoredBlob, StoredEntry
from kasa.domain.errors import DeliveryFailed, NotFound

NAME = re.compile(r"^(?P<folder>m[1-9][0-9]{0,11}|shared)-[0-9a-f]{32}(\.[a-z0-9]{1,8})?$")


class LocalFileStore:
    def __init__(self, root: Path) -> None:
        private_folder(root)
        self.root = root.resolve()

    def problem(self) -> str | None:
        if not self.root.is_dir():
            return f"the folder {self.root} is gone"
        if not os.access(self.root, os.W_OK | os.X_OK):
            return f"the folder {self.root} cannot be written"
        return None

    def _path(self, name: str) -> Path:
        match = NAME.match(name)
        if match is None:
            raise NotFound("File not found.")
        path = (self.root / match["folder"] / name).resolve()
        if self.root not in path.parents:
            raise NotFound("File not found.")
        return path

    def save(
        self, chunks: Iterable[bytes], suffix: str = "", owner: int | None = None
    ) -> StoredBlob:
        """Stream the bytes into a private temporary file beside the target (0600),
        flush them to disk, then rename it into place."""
        folder = "shared" if owner is None else f"m{owner}"
        return self.put(f"{folder}-{secrets.token_hex(16)}{suffix.lower()}", chunks)

    def put(self, name: str, chunks: Iterable[bytes]) -> StoredBlob:
        target = self._path(name)
        try:
            sha256, size = write_privately(target, chunks)
        except OSError as error:
            raise DeliveryFailed("file store", f"cannot save {name}: {error}") from error
        return StoredBlob(name, size, sha256)

    def open(self, name: str) -> BinaryIO:
        try:
            return self._path(name).open("rb")
        except FileNotFoundError:
            raise NotFound("File not found.") from None
        except OSError as error:  # a disk error, a folder where the file should be
            raise DeliveryFailed("file store", f"cannot read {name}: {error}") from error

    def delete(self, name: str) -> None:
        try:
            self._path(name).unlink(missing_ok=True)
        except NotFound:
            return

    def inventory(self) -> Iterator[StoredEntry]:
        """Every file in the store's folders: stored names, and the ``.part-*`` files of
        writes a crash cut short (named by their path in the store)."""
        for folder in sorted(p for p in self.root.iterdir() if p.is_dir()):
            for path in sorted(folder.iterdir()):
                try:
                    found = path.lstat()
                except FileNotFoundError:
                    continue  # removed meanwhile
                if not stat.S_ISREG(found.st_mode):
                    continue
                at = datetime.fromtimestamp(found.st_mtime, tz=UTC)
                if path.name.startswith(PARTIAL):
                    name = path.relative_to(self.root).as_posix()
                    yield StoredEntry(name, found.st_size, at, partial=True)
                elif NAME.match(path.name) and path.name.startswith(folder.name + "-"):
                    yield StoredEntry(path.name, found.st_size, at)

    def discard(self, entry: StoredEntry) -> None:
        if not entry.partial:
            self.delete(entry.name)
            return
        path = (self.root / entry.name).resolve()
        if self.root in path.parents and path.name.startswith(PARTIAL):
            path.unlink(missing_ok=True)
