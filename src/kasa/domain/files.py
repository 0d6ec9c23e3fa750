"""Stored files and the kinds of content Kasa accepts, recognised by their bytes."""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from kasa.domain.errors import InvalidInput

TEXT_SNIFF_BYTES = 4096
ORIGINAL_NAME_MAX = 255


class ContentType(enum.StrEnum):
    JPEG = "image/jpeg"
    PNG = "image/png"
    PDF = "application/pdf"
    TEXT = "text/plain"


EXTENSIONS = {
    ContentType.JPEG: ".jpg",
    ContentType.PNG: ".png",
    ContentType.PDF: ".pdf",
    ContentType.TEXT: ".txt",
}


def detect_content_type(head: bytes) -> ContentType | None:
    """The kind of a file from its first bytes (magic numbers), or None if not allowed.

    Text is UTF-8 without control characters other than tab, line feed and carriage
    return (a cut multi-byte character at the end of the sample is tolerated).
    """
    if head.startswith(b"\xff\xd8\xff"):
        return ContentType.JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return ContentType.PNG
    if head.startswith(b"%PDF-"):
        return ContentType.PDF
    sample = head[:TEXT_SNIFF_BYTES]
    if not sample:
        return None
    try:
        text = sample.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.reason != "unexpected end of data":  # only a character cut by the sample
            return None
        text = sample[: error.start].decode("utf-8")
    if any((ord(ch) < 32 and ch not in "\t\n\r") or ord(ch) == 127 for ch in text):
        return None
    return ContentType.TEXT


def require_allowed_content(head: bytes, field: str = "file") -> ContentType:
    kind = detect_content_type(head)
    if kind is None:
        raise InvalidInput.field(field, "must be a JPEG, PNG, PDF or plain text file")
    return kind


def clean_original_name(name: str | None) -> str:
    """The client's file name, kept only as a label: path parts and control
    characters removed, length capped. It never becomes a path on disk."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip()
    return base[:ORIGINAL_NAME_MAX] or "file"


@attrs.define(eq=False)
class StoredFile:
    """A file a member or staff uploaded; ``stored_name`` is random, never the client's."""

    stored_name: str
    original_name: str
    content_type: ContentType
    size: int
    sha256: str
    created_at: datetime
    member_id: int | None = None
    request_id: int | None = None
    id: int | None = None
    duplicate_of_request: int | None = None
