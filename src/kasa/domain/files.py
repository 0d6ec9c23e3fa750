"""Stored files and the kinds of content Kasa accepts, recognised by their bytes."""

from __future__ import annotations

import codecs
import enum
from datetime import datetime

import attrs

from kasa.domain.errors import InvalidInput

TEXT_SNIFF_BYTES = 4096
ORIGINAL_NAME_MAX = 255


class FileKind(enum.StrEnum):
    """What a stored file is for. A program's terms file is the only kind anyone may
    read without signing in; nothing else can ever be named as one."""

    DOCUMENT = "document"  # an identity document of a member
    PHOTO = "photo"  # a member's photo
    RECEIPT = "receipt"  # a file of a request for aid
    TERMS = "terms"  # a program's terms, public


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


ALLOWED = "must be a JPEG, PNG, PDF or plain text file"

# What a file's name says it is. Names that promise markup or code are refused whatever
# they hold; other names (or none) leave it to the content.
EXTENSION_KINDS = {
    "jpg": ContentType.JPEG,
    "jpeg": ContentType.JPEG,
    "jpe": ContentType.JPEG,
    "jfif": ContentType.JPEG,
    "png": ContentType.PNG,
    "pdf": ContentType.PDF,
    "txt": ContentType.TEXT,
    "text": ContentType.TEXT,
}
REFUSED_EXTENSIONS = frozenset(
    {"html", "htm", "xhtml", "xht", "shtml", "svg", "svgz", "xml", "js", "mjs", "hta", "php"}
)
# Where plain text turns into something a browser would run or render.
MARKUP_STARTS = (b"<html", b"<svg", b"<script", b"<?xml", b"<!doctype")
_LONGEST_MARKUP = max(len(m) for m in MARKUP_STARTS)


def extension_of(name: str | None) -> str:
    base = clean_original_name(name)
    return base.rsplit(".", 1)[-1].lower() if "." in base else ""


class ContentCheck:
    """Checks one upload as it streams past, chunk by chunk: its kind by its first
    bytes, and, for plain text, that the whole file is UTF-8 text in which no markup or
    script starts anywhere (a page or a script named ``.txt`` is not plain text). The
    kind must agree with the name's extension (a ``.jpg`` that is not a JPEG is
    refused)."""

    def __init__(self, field: str, filename: str | None) -> None:
        self.field = field
        self.filename = clean_original_name(filename)
        self.kind: ContentType | None = None
        self._head = b""
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._tail = b""
        self._text_ok = True

    def feed(self, chunk: bytes) -> None:
        if self.kind is None:
            self._head += chunk
            if len(self._head) < TEXT_SNIFF_BYTES and chunk:
                return
            self._decide()
            chunk = self._head
        if self.kind is ContentType.TEXT and chunk:
            self._check_text(chunk)

    def _decide(self) -> None:
        kind = detect_content_type(self._head)
        if kind is None:
            raise InvalidInput.field(self.field, f"{self.filename}: {ALLOWED}")
        self.kind = kind

    def _check_text(self, chunk: bytes) -> None:
        if not self._text_ok:
            return
        try:
            text = self._decoder.decode(chunk)
        except UnicodeDecodeError:
            self._text_ok = False
            return
        if any((ord(ch) < 32 and ch not in "\t\n\r") or ord(ch) == 127 for ch in text):
            self._text_ok = False
            return
        window = (self._tail + chunk).lower()
        if any(marker in window for marker in MARKUP_STARTS):
            self._text_ok = False
        self._tail = window[-_LONGEST_MARKUP:]

    def finish(self) -> ContentType:
        """The file's kind, or ``InvalidInput`` naming the file."""
        if self.kind is None:
            if not self._head:
                raise InvalidInput.field(self.field, "the file is empty")
            self._decide()
            if self.kind is ContentType.TEXT:
                self._check_text(self._head)
        if self.kind is ContentType.TEXT:
            try:
                self._decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                self._text_ok = False
            if not self._text_ok:
                raise InvalidInput.field(
                    self.field, f"{self.filename}: plain text must be UTF-8 text, not markup"
                )
        assert self.kind is not None
        extension = extension_of(self.filename)
        if extension in REFUSED_EXTENSIONS:
            raise InvalidInput.field(self.field, f"{self.filename}: {ALLOWED}")
        named = EXTENSION_KINDS.get(extension)
        if named is not None and named is not self.kind:
            raise InvalidInput.field(
                self.field, f"{self.filename}: the content is not what the name says ({extension})"
            )
        return self.kind


def clean_original_name(name: str | None) -> str:
    """The client's file name, kept only as a label: path parts and control
    characters removed, length capped. It never becomes a path on disk."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip()
    return base[:ORIGINAL_NAME_MAX] or "file"


@attrs.define(eq=False, slots=False)
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
    kind: FileKind = FileKind.DOCUMENT
