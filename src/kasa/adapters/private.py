"""Files and folders only their owner may read: the database file, the file store,
snapshots and generated keys hold members' personal data and secrets. Writes go to a
private temporary file and are renamed into place, so a crash never leaves a
half-written file under a real name."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

# what a write is called until it is whole and renamed into place
PARTIAL = ".part-"


def private_folder(path: Path) -> None:
    """Make a folder (and missing parents) that only its owner may enter (0700)."""
    if not path.is_dir():
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        path.chmod(0o700)


def private_file(path: Path) -> None:
    """Create an empty file only its owner may read (0600), unless it exists."""
    private_folder(path.parent)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def write_privately(target: Path, chunks: Iterable[bytes], *, sync: bool = True) -> tuple[str, int]:
    """Stream the bytes into a private temporary file beside the target (0600, in a
    0700 folder), flush them to disk, then rename it into place: a crash never leaves a
    half-written file under the target's name. Returns the bytes' SHA-256 and size.
    Without ``sync`` the bytes are left to the system to write: for many files that a
    caller syncs together before it records them (``os.sync``)."""
    private_folder(target.parent)
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=PARTIAL)
    digest = hashlib.sha256()
    size = 0
    try:
        with os.fdopen(fd, "wb") as handle:
            for chunk in chunks:
                digest.update(chunk)
                size += len(chunk)
                handle.write(chunk)
            handle.flush()
            if sync:
                os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return digest.hexdigest(), size
