"""Moving every stored file from one file store to another (the local folder to an S3
bucket, or back): each file copied as a stream under its own name, read back from the
new store and checked against the original's hash. A file the new store already holds
(with the same size: a store keeps a file whole or not at all) is skipped, so a move
cut short is run again and goes on where it stopped. The old store is left as it was."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from typing import BinaryIO

import attrs

from kasa.application.ports import FileStore
from kasa.domain.errors import KasaError

CHUNK = 1024 * 1024


@attrs.define
class MoveReport:
    copied: int = 0
    skipped: int = 0  # already in the new store, whole
    copied_bytes: int = 0
    failed: list[str] = attrs.field(factory=list)  # "name: why"


@attrs.frozen
class FileMove:
    source: FileStore
    target: FileStore

    def files(self) -> list[tuple[str, int]]:
        """The files to move: every finished file of the old store, with its size."""
        return [(e.name, e.size) for e in self.source.inventory() if not e.partial]

    def run(self, progress: Callable[[str, int], None] | None = None) -> MoveReport:
        report = MoveReport()
        there = {e.name: e.size for e in self.target.inventory() if not e.partial}
        for name, size in self.files():
            if there.get(name) == size:  # a store keeps a file whole or not at all
                report.skipped += 1
            else:
                try:
                    self._copy(name)
                    report.copied += 1
                    report.copied_bytes += size
                except (KasaError, OSError) as error:
                    report.failed.append(f"{name}: {error}")
            if progress is not None:
                progress(name, size)
        return report

    def _copy(self, name: str) -> None:
        """Copy as a stream, then read the copy back: its hash must be the original's."""
        digest = hashlib.sha256()

        def hashed(reading: BinaryIO) -> Iterator[bytes]:
            for chunk in _chunks(reading):
                digest.update(chunk)
                yield chunk

        with self.source.open(name) as reading:
            written = self.target.put(name, hashed(reading))
        expected = digest.hexdigest()
        if written.sha256 != expected or _digest(self.target, name) != expected:
            self.target.delete(name)
            raise OSError("the copy's hash differs from the original's; removed")


def _chunks(reading: BinaryIO) -> Iterator[bytes]:
    while chunk := reading.read(CHUNK):
        yield chunk


def _digest(store: FileStore, name: str) -> str:
    digest = hashlib.sha256()
    with store.open(name) as reading:
        for chunk in _chunks(reading):
            digest.update(chunk)
    return digest.hexdigest()
