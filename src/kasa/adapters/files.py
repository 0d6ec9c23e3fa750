"""The local file store: one directory shared by every API process.

Writes go to a temporary file in the store and are renamed into place, so a crash never
leaves a half-written file under a real name. Each member's files live in the member's
own folder (``m<id>/``; files of no member, like programs' terms, in ``shared/``). Names
are generated as ``<folder>-<random hex><extension>``, so a name alone finds its file;
the client's name never touches the file system, and reads are confined to the store.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import tempfile
from pathlib import Path

from kasa.application.ports import StoredBlob
from kasa.domain.errors import DeliveryFailed, NotFound

NAME = re.compile(r"^(?P<folder>m[1-9][0-9]{0,11}|shared)-[0-9a-f]{32}(\.[a-z0-9]{1,8})?$")


class LocalFileStore:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, name: str) -> Path:
        match = NAME.match(name)
        if match is None:
            raise NotFound("File not found.")
        path = (self.root / match["folder"] / name).resolve()
        if self.root not in path.parents:
            raise NotFound("File not found.")
        return path

    def save(self, content: bytes, suffix: str = "", owner: int | None = None) -> StoredBlob:
        folder = "shared" if owner is None else f"m{owner}"
        name = f"{folder}-{secrets.token_hex(16)}{suffix.lower()}"
        target = self._path(name)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise DeliveryFailed(f"The file store cannot save files: {error}") from error
        digest = hashlib.sha256(content).hexdigest()
        try:
            fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".part-")
        except OSError as error:
            raise DeliveryFailed(f"The file store cannot save files: {error}") from error
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, target)
        except OSError as error:
            Path(temporary).unlink(missing_ok=True)
            raise DeliveryFailed(f"The file store cannot save files: {error}") from error
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return StoredBlob(name, len(content), digest)

    def open(self, name: str) -> bytes:
        try:
            return self._path(name).read_bytes()
        except FileNotFoundError:
            raise NotFound("File not found.") from None

    def delete(self, name: str) -> None:
        try:
            self._path(name).unlink(missing_ok=True)
        except NotFound:
            return
