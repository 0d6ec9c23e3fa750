"""The file store's contract, held by both kinds: the local folder and an S3 object store
(a real SeaweedFS). Names, whole-or-nothing saves, reads that stream, deletes, the
inventory the sweep reads (with what a crash left half-written), and what `problem`
says. The S3 store's saves go in parts past one part's size, and a failed one leaves
neither an object nor an unfinished upload."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from kasa.adapters.files import LocalFileStore
from kasa.adapters.s3 import S3FileStore
from kasa.domain.errors import DeliveryFailed, NotFound
from tests.support.seaweed import ACCESS_KEY, SECRET_KEY, SeaweedServer

PART = 5 * 1024 * 1024  # S3's smallest part


def s3_store(server: SeaweedServer, bucket: str | None = None) -> S3FileStore:
    return S3FileStore(
        bucket or server.bucket(),
        endpoint=server.endpoint,
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
        part_bytes=PART,
    )


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    if request.param == "local":
        yield LocalFileStore(tmp_path / "store")
    else:
        yield s3_store(request.getfixturevalue("seaweed"))


def test_files_are_stored_whole_under_generated_names_and_read_back(store: Any) -> None:
    blob = store.save([b"%PDF-1.7", b" receipt"], ".PDF", owner=42)
    assert blob.size == 16 and blob.sha256 == hashlib.sha256(b"%PDF-1.7 receipt").hexdigest()
    assert blob.name.startswith("m42-") and blob.name.endswith(".pdf")
    with store.open(blob.name) as stored:
        assert stored.read() == b"%PDF-1.7 receipt"
    shared = store.save([b"terms"], ".txt")
    assert shared.name.startswith("shared-")
    listed = {entry.name: entry for entry in store.inventory()}
    assert set(listed) == {blob.name, shared.name}
    assert listed[blob.name].size == 16 and not listed[blob.name].partial
    store.delete(blob.name)
    store.delete(blob.name)  # gone already: nothing happens
    with pytest.raises(NotFound):
        store.open(blob.name)
    assert [entry.name for entry in store.inventory()] == [shared.name]
    assert store.problem() is None


@pytest.mark.parametrize(
    "name", ["../../etc/passwd", "/etc/passwd", "..", "a" * 32 + "/x", "ZZ" + "0" * 30, ""]
)
def test_only_stored_names_are_read(store: Any, name: str) -> None:
    with pytest.raises(NotFound):
        store.open(name)
    store.delete(name)  # nothing happens


def test_a_large_file_streams_both_ways_in_parts(store: Any) -> None:
    block = os.urandom(1024 * 1024)
    total = 12  # MB: more than two parts
    digest = hashlib.sha256()
    for _ in range(total):
        digest.update(block)
    blob = store.save((block for _ in range(total)), ".jpg", owner=7)
    assert blob.size == total * len(block) and blob.sha256 == digest.hexdigest()
    again = hashlib.sha256()
    with store.open(blob.name) as stored:
        while chunk := stored.read(256 * 1024):
            again.update(chunk)
    assert again.hexdigest() == digest.hexdigest()


def test_a_save_that_fails_midway_leaves_nothing(store: Any) -> None:
    def broken() -> Iterator[bytes]:
        yield os.urandom(PART + 1024)  # one part sent, then the source breaks
        raise OSError("the upload was cut off")

    with pytest.raises((OSError, DeliveryFailed)):  # the folder says which, as its own
        store.save(broken(), ".png", owner=3)
    assert [entry for entry in store.inventory() if not entry.partial] == []
    assert [entry for entry in store.inventory() if entry.partial] == []


def test_an_upload_a_crash_left_unfinished_is_seen_and_discarded(seaweed: SeaweedServer) -> None:
    store = s3_store(seaweed)
    left = store.client.create_multipart_upload(Bucket=store.bucket, Key="m9/m9-" + "0" * 32)
    store.client.upload_part(
        Bucket=store.bucket,
        Key="m9/m9-" + "0" * 32,
        UploadId=left["UploadId"],
        PartNumber=1,
        Body=b"half",
    )
    partial = [entry for entry in store.inventory() if entry.partial]
    assert [entry.name for entry in partial] == ["m9/m9-" + "0" * 32]
    store.discard(partial[0])
    assert [entry for entry in store.inventory() if entry.partial] == []


def test_an_unreachable_store_says_so(seaweed: SeaweedServer) -> None:
    missing = s3_store(seaweed, bucket="no-such-bucket-here")
    assert "no-such-bucket-here" in (missing.problem() or "")
    nowhere = S3FileStore(
        "kasa",
        endpoint="http://127.0.0.1:9",
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
        part_bytes=PART,
    )
    assert "cannot be reached" in (nowhere.problem() or "")
    with pytest.raises(DeliveryFailed) as caught:
        nowhere.save([b"x"], ".txt")
    assert "file store" in caught.value.message
    with pytest.raises(DeliveryFailed):
        nowhere.open("shared-" + "0" * 32)


def test_a_fund_on_the_s3_store(seaweed: SeaweedServer, tmp_path: Path) -> None:
    """Chosen by the settings; a member's documents and receipt go to the bucket, staff
    read them back through the same use cases, and readiness asks the bucket."""
    from kasa.entrypoints.container import Kasa
    from kasa.entrypoints.settings import Settings
    from tests.integration.app.helpers import Fund
    from tests.integration.conftest import sqlite_database
    from tests.support.fakes import fakes as make_fakes
    from tests.support.kasa import test_kasa, test_settings

    bucket = seaweed.bucket()
    environ = {
        "KASA_FILE_STORE": "s3",
        "KASA_S3_ENDPOINT": seaweed.endpoint,
        "KASA_S3_BUCKET": bucket,
        "KASA_S3_ACCESS_KEY": ACCESS_KEY,
        "KASA_S3_SECRET_KEY": SECRET_KEY,
    }
    settings = test_settings(tmp_path / "data", None, **environ)
    assert settings.problems() == []
    chosen = Kasa(settings=settings).adapters.files()
    assert isinstance(chosen, S3FileStore) and chosen.bucket == bucket
    half = Settings.load({"KASA_FILE_STORE": "s3", "KASA_S3_ACCESS_KEY": "x"})
    assert half.problems() == [
        "KASA_S3_BUCKET is required by the s3 file store",
        "KASA_S3_ACCESS_KEY and KASA_S3_SECRET_KEY go together (all or none)",
    ]
    database = sqlite_database(tmp_path)
    found = make_fakes()
    fund = Fund.on(test_kasa(settings, database, found, files=chosen), found, database)
    member = fund.sign_up()
    fund.submit(member, fund.program())
    stored = [obj["Key"] for obj in seaweed.client().list_objects_v2(Bucket=bucket)["Contents"]]
    assert len(stored) == 3 and all(key.startswith(f"m{member}/m{member}-") for key in stored)
    detail = fund.office.detail(fund.operator_id, member)
    document = detail.identities[0]
    shown = fund.office.file(fund.operator_id, document.file.id)
    assert shown.content.read().startswith(b"\xff\xd8\xff")
    database.dispose()


def test_files_move_to_s3_and_back_verified_and_resumable(
    seaweed: SeaweedServer, tmp_path: Path
) -> None:
    """`kasa files move --to s3` copies every file of the local folder into the bucket
    (each read back and checked); run again it copies nothing; after the switch a last
    pass copies what arrived meanwhile; and `--to local` brings the bucket's files back."""
    from click.testing import CliRunner

    from kasa.entrypoints.cli import main
    from kasa.entrypoints.cli.common import CliState
    from kasa.entrypoints.container import Kasa
    from tests.support.kasa import test_settings

    bucket = seaweed.bucket()
    s3_settings = {
        "KASA_S3_ENDPOINT": seaweed.endpoint,
        "KASA_S3_BUCKET": bucket,
        "KASA_S3_ACCESS_KEY": ACCESS_KEY,
        "KASA_S3_SECRET_KEY": SECRET_KEY,
    }
    folder = tmp_path / "data"
    local = LocalFileStore(folder / "files")
    block = os.urandom(1024 * 1024)
    saved = [
        local.save([b"receipt"], ".txt", owner=1),
        local.save((block for _ in range(9)), ".jpg", owner=2),  # past one part
        local.save([b"terms"], ".pdf"),
    ]

    def move(store: str, to: str) -> Any:
        settings = test_settings(folder, None, KASA_FILE_STORE=store, **s3_settings)
        state = CliState(kasa=Kasa(settings=settings), settings=settings)
        return CliRunner().invoke(main, ["files", "move", "--to", to], obj=state)

    first = move("local", "s3")
    assert first.exit_code == 0, first.output
    assert "3 files: copied 3" in first.output and "already there 0, failed 0" in first.output
    remote = s3_store(seaweed, bucket)
    for blob in saved:
        with remote.open(blob.name) as stored:
            assert hashlib.sha256(stored.read()).hexdigest() == blob.sha256
    again = move("local", "s3")
    assert "copied 0 (0 bytes), already there 3, failed 0" in again.output
    # the switch, then the last pass: what arrived in the folder meanwhile
    late = local.save([b"late receipt"], ".txt", owner=1)
    last = move("s3", "s3")
    assert last.exit_code == 0 and "4 files: copied 1" in last.output, last.output
    with remote.open(late.name) as stored:
        assert stored.read() == b"late receipt"
    saved.append(late)
    # and back: into an empty folder
    for blob in saved:
        local.delete(blob.name)
    back = move("s3", "local")
    assert back.exit_code == 0 and "4 files: copied 4" in back.output, back.output
    for blob in saved:
        with local.open(blob.name) as stored:
            assert hashlib.sha256(stored.read()).hexdigest() == blob.sha256


def test_a_copy_that_does_not_read_back_the_same_is_reported_and_removed() -> None:
    from kasa.application.filemove import FileMove
    from tests.support.fakes import InMemoryFileStore

    class Garbling(InMemoryFileStore):
        def put(self, name: str, chunks: Any) -> Any:
            written = super().put(name, chunks)
            self.blobs[name] = self.blobs[name][::-1] + b"!"  # the disk changed it
            return written

    source, target = InMemoryFileStore(), Garbling()
    kept = source.save([b"a receipt"], ".txt", owner=5)
    report = FileMove(source, target).run()
    assert (report.copied, report.skipped) == (0, 0)
    assert report.failed == [f"{kept.name}: the copy's hash differs from the original's; removed"]
    assert list(target.inventory()) == []
    with source.open(kept.name) as original:  # the old store is as it was
        assert original.read() == b"a receipt"


def test_while_files_move_a_file_not_yet_moved_is_read_from_the_old_store(
    seaweed: SeaweedServer, tmp_path: Path
) -> None:
    from kasa.adapters.s3 import WithFallback
    from kasa.entrypoints.container import Kasa
    from kasa.entrypoints.settings import Settings

    bucket = seaweed.bucket()
    environ = {
        "KASA_DATA_DIR": str(tmp_path),
        "KASA_FILE_STORE": "s3",
        "KASA_FILE_STORE_FALLBACK": "local",
        "KASA_S3_ENDPOINT": seaweed.endpoint,
        "KASA_S3_BUCKET": bucket,
        "KASA_S3_ACCESS_KEY": ACCESS_KEY,
        "KASA_S3_SECRET_KEY": SECRET_KEY,
    }
    settings = Settings.load(environ)
    assert settings.problems() == []
    store = Kasa(settings=settings).adapters.files()
    assert isinstance(store, WithFallback)
    old = LocalFileStore(settings.files.folder)
    not_moved = old.save([b"still in the folder"], ".txt", owner=4)
    new = store.save([b"in the bucket"], ".txt", owner=4)
    with store.open(not_moved.name) as found:
        assert found.read() == b"still in the folder"
    with store.open(new.name) as found:
        assert found.read() == b"in the bucket"
    assert [entry.name for entry in store.inventory()] == [new.name]  # the sweep's view
    assert store.problem() is None
    store.delete(not_moved.name)
    with pytest.raises(NotFound):
        store.open(not_moved.name)
    same = Settings.load({**environ, "KASA_FILE_STORE_FALLBACK": "s3"})
    assert "KASA_FILE_STORE_FALLBACK must name the other kind of store" in same.problems()


def test_an_s3_funds_snapshot_holds_its_objects_and_restores_into_either_kind(
    seaweed: SeaweedServer, tmp_path: Path
) -> None:
    from kasa.adapters.backup.snapshot import Snapshots
    from kasa.adapters.sql.migrate import known_revisions, upgrade
    from tests.integration.app.helpers import Fund
    from tests.integration.conftest import sqlite_database
    from tests.support.fakes import fakes as make_fakes
    from tests.support.kasa import test_kasa, test_settings

    key = b"the-fund-snapshot-key-0123456789abcdef"
    source = s3_store(seaweed)
    settings = test_settings(tmp_path / "a", None)
    database = sqlite_database(tmp_path)
    found = make_fakes()
    fund = Fund.on(test_kasa(settings, database, found, files=source), found, database)
    for _ in range(2):
        fund.approved_member()
    url = str(database.engine.url)
    database.dispose()

    def snapshots(at: str, files: Any) -> Snapshots:
        return Snapshots(
            at, files, known_revisions=known_revisions, upgrade=lambda: upgrade(at), key=key
        )

    stored = {e.name for e in source.inventory() if not e.partial}
    assert len(stored) == 6  # two members' three documents
    manifest = snapshots(url, source).create(tmp_path / "snapshot")
    assert {name.rsplit("/", 1)[1] for name in manifest.files} == stored
    for kind, target in (
        ("local", LocalFileStore(tmp_path / "restored-files")),
        ("s3", s3_store(seaweed)),
    ):
        at = f"sqlite:///{tmp_path / f'restored-{kind}.db'}"
        snapshots(at, target).restore(tmp_path / "snapshot")
        for name in stored:
            with source.open(name) as original, target.open(name) as copy:
                assert copy.read() == original.read(), (kind, name)


def test_the_sweep_aborts_an_upload_a_crash_left_in_the_bucket(
    seaweed: SeaweedServer, tmp_path: Path
) -> None:
    """`kasa sweep`'s use case on an S3 store: an unfinished multipart upload older than
    the cutoff is aborted, a stored file no row names is removed, a named one stays."""
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    from kasa.adapters.sql import schema as tables
    from kasa.adapters.system import SystemClock
    from kasa.application.clock import FundClock
    from kasa.application.housekeeping import Housekeeping
    from tests.integration.conftest import sqlite_database

    store = s3_store(seaweed)
    left = store.client.create_multipart_upload(Bucket=store.bucket, Key="m2/m2-" + "1" * 32)
    store.client.upload_part(
        Bucket=store.bucket,
        Key="m2/m2-" + "1" * 32,
        UploadId=left["UploadId"],
        PartNumber=1,
        Body=b"half a receipt",
    )
    unnamed = store.save([b"a receipt whose row was never committed"], ".pdf", owner=2)
    database = sqlite_database(tmp_path)
    housekeeping = Housekeeping(
        database.unit_of_work, store, FundClock(SystemClock(), ZoneInfo("Europe/Kyiv"))
    )
    kept = store.save([b"an unfinished upload is not this"], ".txt", owner=2)
    with database.engine.begin() as connection:  # a row names this one
        connection.execute(
            sa.insert(tables.files).values(
                stored_name=kept.name,
                original_name="kept.txt",
                content_type="text/plain",
                size=kept.size,
                sha256=kept.sha256,
                created_at=datetime.now(UTC),
                kind="document",
            )
        )
    report = housekeeping.sweep(timedelta(0))
    assert (report.partial_files.count, report.unnamed_files.count) == (1, 1)
    assert report.unnamed_files.bytes == unnamed.size
    assert [e.name for e in store.inventory()] == [kept.name]
    database.dispose()
