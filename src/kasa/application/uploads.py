"""Files members and staff upload: checked before anything is stored, written to the
file store under generated names, and removed again when the use case fails."""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import BinaryIO

import attrs

from kasa.application.clock import FundClock
from kasa.application.ports import FileStore
from kasa.application.repositories import UnitOfWork
from kasa.application.settings import MIB, FundSettings
from kasa.domain.errors import InvalidInput, TooLarge
from kasa.domain.files import (
    EXTENSIONS,
    ContentCheck,
    ContentType,
    FileKind,
    StoredFile,
    clean_original_name,
)

CHUNK = 64 * 1024


@attrs.frozen(eq=False)
class Upload:
    """A file as the client sent it: the form field, the client's name, and its bytes
    in a readable, seekable file (spooled to disk by the HTTP layer; never held whole
    in memory), ``size`` bytes long."""

    field: str
    filename: str | None
    content: BinaryIO
    size: int

    @classmethod
    def of(cls, field: str, filename: str | None, data: bytes) -> Upload:
        return cls(field, filename, io.BytesIO(data), len(data))

    def chunks(self) -> Iterator[bytes]:
        """The bytes from the start, a chunk at a time."""
        self.content.seek(0)
        while chunk := self.content.read(CHUNK):
            yield chunk


@attrs.frozen
class FileStaging:
    """Stages the uploads of one use case: ``with staging.of(uploads) as staged:``."""

    files: FileStore
    settings: FundSettings
    clock: FundClock

    @contextmanager
    def of(self, uploads: Sequence[Upload] = ()) -> Iterator[StagedFiles]:
        """Checks the uploads first, then removes whatever was saved if the block raises."""
        staged = StagedFiles(self)
        staged.check(uploads)
        try:
            yield staged
        except BaseException:
            staged.discard()
            raise


class StagedFiles:
    """Files written to the store during one use case.

    Each upload is checked first (count, size, allowed kind by its bytes, text that is
    really text, a name that does not contradict the content) and then written under a
    random name. If the use case fails before its unit of work commits, every file
    written is removed again, so nothing is left orphaned.
    """

    def __init__(self, staging: FileStaging) -> None:
        self._staging = staging
        self.saved: list[StoredFile] = []
        self._kinds: dict[int, ContentType] = {}
        self._uploads: list[Upload] = []

    def check(self, uploads: Sequence[Upload]) -> None:
        settings = self._staging.settings
        limit = settings.max_upload_bytes
        if len(uploads) > settings.max_files_per_upload:
            raise InvalidInput.field(
                "files", f"at most {settings.max_files_per_upload} files at once"
            )
        for upload in uploads:
            if upload.size > limit:
                raise TooLarge(
                    f"{upload.field}: the file is larger than {limit // MIB} MB.",
                    {upload.field: f"must be at most {limit // MIB} MB"},
                )
            self._kinds[id(upload)] = self._inspect(upload)
        self._uploads = list(uploads)

    @staticmethod
    def _inspect(upload: Upload) -> ContentType:
        check = ContentCheck(upload.field, upload.filename)
        for chunk in upload.chunks():
            check.feed(chunk)
        return check.finish()

    def require_room(self, uow: UnitOfWork, member_id: int) -> None:
        """Refuse (413) uploads that would take the member's stored files, all of them
        together, past the fund's bound (nothing a member uploads is ever deleted)."""
        limit = self._staging.settings.member_storage_bytes
        incoming = sum(upload.size for upload in self._uploads)
        if incoming and uow.files.stored_bytes(member_id) + incoming > limit:
            raise TooLarge(
                f"Your files would take more than {limit // MIB} MB in all; "
                "the fund cannot keep more of them. Please contact the fund.",
                {"files": f"at most {limit // MIB} MB per member in all"},
            )

    def save(
        self,
        upload: Upload,
        *,
        member_id: int | None,
        kind: FileKind,
        request_id: int | None = None,
    ) -> StoredFile:
        content = self._kinds.get(id(upload)) or self._inspect(upload)
        blob = self._staging.files.save(upload.chunks(), EXTENSIONS[content], member_id)
        stored = StoredFile(
            stored_name=blob.name,
            original_name=clean_original_name(upload.filename),
            content_type=content,
            size=blob.size,
            sha256=blob.sha256,
            created_at=self._staging.clock.now(),
            member_id=member_id,
            request_id=request_id,
            kind=kind,
        )
        self.saved.append(stored)
        return stored

    def discard(self) -> None:
        for stored in self.saved:
            self._staging.files.delete(stored.stored_name)
        self.saved.clear()
