"""The file store in an S3 object store (AWS S3, SeaweedFS, MinIO, Ceph …): the same names,
rules and answers as the local folder, objects private (no ACL is ever set: the bucket's
own, private, holds), members' files reached only through Kasa's authenticated routes.

Files stream both ways: a save is sent in parts of ``part_bytes`` (an S3 multipart upload
once a file outgrows one part; a smaller one is one request), so a worker holds one part
at a time whatever the file's size; a failed save aborts its upload and leaves nothing
under the name. Reads stream the object's body. The sweep sees an upload a crash left
unfinished as a partial entry and aborts it.

boto3 was chosen on figures (docs/decisions.md): it streams a 100 MB file up within one
part plus 16 MB of memory, and, unlike the lighter clients, lists and aborts unfinished
multipart uploads, which the sweep needs.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any, BinaryIO

from kasa.application.ports import StoredBlob, StoredEntry
from kasa.domain.errors import DeliveryFailed, NotFound

NAME = re.compile(r"^(?P<folder>m[1-9][0-9]{0,11}|shared)-[0-9a-f]{32}(\.[a-z0-9]{1,8})?$")
SERVICE = "file store"
PART_BYTES = 5 * 1024 * 1024  # S3's smallest part (the last may be smaller): least memory
MISSING = {"NoSuchKey", "404", "NotFound"}


class S3FileStore:
    def __init__(
        self,
        bucket: str,
        *,
        endpoint: str = "",
        region: str = "",
        access_key: str = "",
        secret_key: str = "",
        part_bytes: int = PART_BYTES,
        client: Any = None,
    ) -> None:
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self.part_bytes = part_bytes
        self.client = client or boto3.client(
            "s3",
            endpoint_url=endpoint or None,
            region_name=region or "us-east-1",
            aws_access_key_id=access_key or None,
            aws_secret_access_key=secret_key or None,
            config=Config(
                retries={"max_attempts": 3, "mode": "standard"},
                connect_timeout=5,
                read_timeout=30,
                s3={"addressing_style": "path"},
            ),
        )

    def problem(self) -> str | None:
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except Exception as error:
            return f"the bucket {self.bucket} cannot be reached: {_said(error)}"
        return None

    @staticmethod
    def _key(name: str) -> str:
        match = NAME.match(name)
        if match is None:
            raise NotFound("File not found.")
        return f"{match['folder']}/{name}"

    def save(
        self, chunks: Iterable[bytes], suffix: str = "", owner: int | None = None
    ) -> StoredBlob:
        folder = "shared" if owner is None else f"m{owner}"
        return self.put(f"{folder}-{secrets.token_hex(16)}{suffix.lower()}", chunks)

    def put(self, name: str, chunks: Iterable[bytes]) -> StoredBlob:
        key = self._key(name)
        digest, size = hashlib.sha256(), 0
        part = bytearray()
        upload: dict[str, Any] | None = None
        try:
            for chunk in chunks:
                digest.update(chunk)
                size += len(chunk)
                part += chunk
                while len(part) >= self.part_bytes:
                    upload = upload or self._begin(key)
                    self._part(upload, bytes(part[: self.part_bytes]))
                    del part[: self.part_bytes]
            if upload is None:  # one part or less: one request
                self.client.put_object(Bucket=self.bucket, Key=key, Body=bytes(part))
            else:
                if part:
                    self._part(upload, bytes(part))
                self.client.complete_multipart_upload(
                    Bucket=self.bucket,
                    Key=key,
                    UploadId=upload["id"],
                    MultipartUpload={"Parts": upload["parts"]},
                )
        except BaseException as error:
            if upload is not None:
                self._abort(key, upload["id"])
            if isinstance(error, Exception) and _is_client_error(error):
                raise DeliveryFailed(SERVICE, f"cannot save {name}: {_said(error)}") from error
            raise
        return StoredBlob(name, size, digest.hexdigest())

    def _begin(self, key: str) -> dict[str, Any]:
        started = self.client.create_multipart_upload(Bucket=self.bucket, Key=key)
        return {"id": started["UploadId"], "key": key, "parts": []}

    def _part(self, upload: dict[str, Any], data: bytes) -> None:
        number = len(upload["parts"]) + 1
        sent = self.client.upload_part(
            Bucket=self.bucket,
            Key=upload["key"],
            UploadId=upload["id"],
            PartNumber=number,
            Body=data,
        )
        upload["parts"].append({"PartNumber": number, "ETag": sent["ETag"]})

    def _abort(self, key: str, upload_id: str) -> None:
        try:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
        except Exception:  # the sweep aborts what is left over
            return

    def open(self, name: str) -> BinaryIO:
        key = self._key(name)
        try:
            found = self.client.get_object(Bucket=self.bucket, Key=key)
        except Exception as error:
            if _code(error) in MISSING:
                raise NotFound("File not found.") from None
            raise DeliveryFailed(SERVICE, f"cannot read {name}: {_said(error)}") from error
        body: BinaryIO = found["Body"]
        return body

    def delete(self, name: str) -> None:
        try:
            key = self._key(name)
        except NotFound:
            return
        try:
            self.client.delete_object(Bucket=self.bucket, Key=key)
        except Exception as error:
            if _code(error) not in MISSING:
                raise DeliveryFailed(SERVICE, f"cannot delete {name}: {_said(error)}") from error

    def inventory(self) -> Iterator[StoredEntry]:
        """Every stored object (by its name), and every multipart upload left unfinished
        (a partial entry named by its key, dated when it began)."""
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket)
        for page in pages:
            for found in page.get("Contents", []):
                name = found["Key"].rsplit("/", 1)[-1]
                if NAME.match(name) and found["Key"] == self._key(name):
                    yield StoredEntry(name, int(found["Size"]), _aware(found["LastModified"]))
        uploads = self.client.get_paginator("list_multipart_uploads").paginate(Bucket=self.bucket)
        for page in uploads:
            for found in page.get("Uploads", []):
                yield StoredEntry(found["Key"], 0, _aware(found["Initiated"]), partial=True)

    def discard(self, entry: StoredEntry) -> None:
        if not entry.partial:
            self.delete(entry.name)
            return
        uploads = self.client.get_paginator("list_multipart_uploads").paginate(
            Bucket=self.bucket, Prefix=entry.name
        )
        for page in uploads:
            for found in page.get("Uploads", []):
                if found["Key"] == entry.name:
                    self._abort(found["Key"], found["UploadId"])


def _code(error: Exception) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def _is_client_error(error: Exception) -> bool:
    from botocore.exceptions import BotoCoreError, ClientError

    return isinstance(error, ClientError | BotoCoreError)


def _said(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:300]


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class WithFallback:
    """A file store that reads, when a file is not found in it, from the store files are
    being moved out of (while ``kasa files move`` runs on a live fund, and until its last
    pass): writes, the inventory and readiness are the new store's alone."""

    def __init__(self, store: Any, fallback: Any) -> None:
        self.store = store
        self.fallback = fallback

    def open(self, name: str) -> BinaryIO:
        try:
            found: BinaryIO = self.store.open(name)
        except NotFound:
            found = self.fallback.open(name)
        return found

    def delete(self, name: str) -> None:
        self.store.delete(name)
        self.fallback.delete(name)  # a file deleted stays deleted after the last pass

    def save(
        self, chunks: Iterable[bytes], suffix: str = "", owner: int | None = None
    ) -> StoredBlob:
        saved: StoredBlob = self.store.save(chunks, suffix, owner)
        return saved

    def put(self, name: str, chunks: Iterable[bytes]) -> StoredBlob:
        saved: StoredBlob = self.store.put(name, chunks)
        return saved

    def inventory(self) -> Iterator[StoredEntry]:
        found: Iterator[StoredEntry] = self.store.inventory()
        return found

    def discard(self, entry: StoredEntry) -> None:
        self.store.discard(entry)

    def problem(self) -> str | None:
        found: str | None = self.store.problem()
        return found
