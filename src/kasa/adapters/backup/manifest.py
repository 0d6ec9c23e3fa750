"""What a snapshot holds, written beside it as ``manifest.json``: the database dump's
name and hash, the rows of every table (counted in the dump itself), each file's
SHA-256 and size, and the schema revision the dump was taken at. The manifest is signed
(HMAC-SHA-256 under the fund's snapshot key, which no snapshot holds): a snapshot
changed by anyone without the key is refused before anything in it is used."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs

from kasa.adapters.private import private_file

FORMAT = "kasa-snapshot/2"  # /2: signed
MANIFEST = "manifest.json"
SECRETS = "secrets.json"
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A snapshot cannot be made, checked or restored; the message says why."""


@attrs.frozen
class FileEntry:
    sha256: str
    size: int


@attrs.frozen
class Manifest:
    created_at: str
    kasa_version: str
    database: str  # "sqlite" or "mariadb"
    schema_revision: str
    dump: str  # the dump's file name in the snapshot
    dump_sha256: str
    tables: dict[str, int]
    files: dict[str, FileEntry]
    # the snapshot holds the token-signing secret (``--with-secrets``), in SECRETS
    holds_secrets: bool = False

    @property
    def rows(self) -> int:
        return sum(self.tables.values())

    @property
    def file_bytes(self) -> int:
        return sum(f.size for f in self.files.values())

    def write(self, folder: Path, key: bytes) -> None:
        """Write the manifest, signed with ``key``, last and by rename: a snapshot
        without one is unfinished."""
        data: dict[str, Any] = {
            "format": FORMAT,
            **attrs.asdict(self, filter=lambda a, _: a.name != "files"),
            "files": {name: attrs.asdict(entry) for name, entry in sorted(self.files.items())},
        }
        data[SIGNATURE] = _signature(data, key)
        partial = folder / f".{MANIFEST}.part"
        private_file(partial)
        partial.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
        partial.replace(folder / MANIFEST)

    @classmethod
    def read(cls, folder: Path, key: bytes) -> Manifest:
        """The manifest, once its signature under ``key`` is found right."""
        path = folder / MANIFEST
        if not path.is_file():
            raise BackupError(f"{folder} holds no {MANIFEST}: not a finished snapshot")
        try:
            data: dict[str, Any] = json.loads(path.read_text())
            if not isinstance(data, dict):
                raise BackupError(f"{path} is not a manifest")
            signed = str(data.pop(SIGNATURE, ""))
            if not hmac.compare_digest(signed, _signature(data, key)):
                raise BackupError(
                    f"{path}: the signature does not match this fund's snapshot key "
                    "(KASA_BACKUP_KEY): the snapshot was changed, or made with another key"
                )
            if data.get("format") != FORMAT:
                raise BackupError(f"{path}: format {data.get('format')!r}, not {FORMAT}")
            return cls(
                created_at=str(data["created_at"]),
                kasa_version=str(data["kasa_version"]),
                database=str(data["database"]),
                schema_revision=str(data["schema_revision"]),
                dump=_plain_name(str(data["dump"])),
                dump_sha256=str(data["dump_sha256"]),
                tables={str(k): int(v) for k, v in data["tables"].items()},
                files={
                    _relative(str(k)): FileEntry(str(v["sha256"]), int(v["size"]))
                    for k, v in data["files"].items()
                },
                holds_secrets=bool(data.get("holds_secrets", False)),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise BackupError(f"{path} cannot be read: {error}") from error


SIGNATURE = "hmac_sha256"


def _signature(data: dict[str, Any], key: bytes) -> str:
    """HMAC-SHA-256 of the manifest's content, as canonical JSON."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()


def _plain_name(name: str) -> str:
    if "/" in name or name.startswith("."):
        raise BackupError(f"the dump's name {name!r} is not a plain file name")
    return name


def _relative(name: str) -> str:
    """A file's path in the store as the manifest names it: relative, never upwards."""
    parts = name.split("/")
    if name.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise BackupError(f"the manifest names a file outside the store: {name!r}")
    return name


def sha256_of(path: Path, advance: Callable[[int], None] | None = None) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            if advance:
                advance(len(chunk))
    return digest.hexdigest()
