"""Backups that restore: a fund is built (members with documents, requests with receipts,
payments and payouts, the audit trail), snapshotted while the members' API serves writes
and again at rest, restored elsewhere, and compared table by table and file by file; on
SQLite and on MariaDB. Then what a restore refuses."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from litestar.testing import TestClient

from kasa.adapters.backup.databases import Report
from kasa.adapters.backup.manifest import BackupError, Manifest
from kasa.adapters.backup.snapshot import Snapshots
from kasa.adapters.files import LocalFileStore
from kasa.adapters.sql.database import SqlDatabase
from kasa.adapters.sql.migrate import known_revisions, upgrade
from kasa.application.ports import TokenAudience
from kasa.application.requests import Assessment
from kasa.application.uploads import Upload
from kasa.domain.money import Money
from kasa.entrypoints.cli import main
from kasa.entrypoints.http.mobile import create_mobile_app
from tests.integration.app.helpers import Fund
from tests.integration.http.test_mobile_api import JPEG, PDF, documents, profile_form
from tests.support import kasa as support
from tests.support.fakes import fakes
from tests.support.mariadb import MariaDBServer

# rows that are only ever added, never changed: a snapshot taken during writes holds a
# subset of what the source holds afterwards
INSERT_ONLY = ("audit_events", "files", "request_messages")
KEY = b"the-fund-snapshot-key-0123456789abcdef"


@attrs.define
class Place:
    """Where a fund lives: its database and its file store."""

    url: str
    files: Path

    def snapshots(self) -> Snapshots:
        return Snapshots(
            self.url,
            LocalFileStore(self.files),
            known_revisions=known_revisions,
            upgrade=lambda: upgrade(self.url),
            key=KEY,
        )


@pytest.fixture(params=["sqlite", "mariadb"])
def places(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Place, Place, Place]]:
    """A source and two empty targets on one kind of database."""
    if request.param == "sqlite":
        urls = [f"sqlite:///{tmp_path / name / 'kasa.db'}" for name in ("a", "b", "c")]
    else:
        server = request.getfixturevalue("mariadb_server")
        if not isinstance(server, MariaDBServer):
            pytest.skip("needs the private MariaDB server (databases are made and dropped)")
        urls = [server.create_database(f"kasa_backup_{name}") for name in ("a", "b", "c")]
    made = [Place(url, tmp_path / name / "files") for url, name in zip(urls, "abc", strict=True)]
    for place in made:
        place.files.parent.mkdir(parents=True, exist_ok=True)
    yield made[0], made[1], made[2]


def build_fund(place: Place, folder: Path) -> tuple[Any, Fund, list[str]]:
    """A fund with members, documents, requests with receipts, payments, a payout and
    their audit trail; the tokens of its approved members."""
    settings = support.test_settings(
        folder,
        KASA_DATABASE_URL=place.url,
        KASA_FILES_DIR=str(place.files),
        KASA_OTP_DAILY_LIMIT="1000",
        KASA_OTP_RESEND_SECONDS="0",
        KASA_OTP_ADDRESS_HOURLY_LIMIT="100000",
    )
    upgrade(place.url)
    found = fakes()
    database = SqlDatabase(place.url)
    kasa = support.test_kasa(settings, database, found, files=LocalFileStore(place.files))
    fund = Fund.on(kasa, found, database)
    program = fund.program()
    tokens = []
    for n in range(3):
        member = fund.approved_member(program)
        fund.pay(member, "300.00")
        receipt = Upload.of("files", f"чек-{n}.pdf", PDF + str(n).encode())
        filed = fund.requests.create(member, f"Ліки, рецепт {n}", [receipt]).request
        fund.requests.write(member, filed.id, "Додаю чек")
        tokens.append(kasa.adapters.tokens().issue(TokenAudience.MEMBER, member))
        if n == 0:
            fund.staff_requests.assess(
                fund.operator_id, filed.id, Assessment(approved_amount=Money.parse("150.00"))
            )
            fund.staff_payments.record_payout(
                fund.operator_id, filed.id, Money.parse("150.00"), fund.clock.now().date()
            )
    return kasa, fund, tokens


class Writer:
    """Members using the API while a snapshot is taken: new members sign up and submit
    profiles with documents, approved ones file requests with receipts."""

    def __init__(self, client: TestClient[Any], fund: Fund, tokens: list[str]) -> None:
        self.client, self.fund, self.tokens = client, fund, tokens
        self.done = 0
        self.stop = threading.Event()
        self.wrote = threading.Condition()
        self.failures: list[str] = []
        self.thread = threading.Thread(target=self.run)

    def run(self) -> None:
        n = 0
        while not self.stop.is_set():
            n += 1
            try:
                self.one(n)
            except Exception as error:
                self.failures.append(repr(error))
                return
            with self.wrote:
                self.done += 1
                self.wrote.notify_all()

    def one(self, n: int) -> None:
        phone = f"+38067{n:07d}"
        self.client.post("/user/signrequest", json={"phone": phone, "create": True})
        code = self.fund.fakes.sms.last_code(phone)
        token = self.client.post("/user/signin", json={"phone": phone, "code": code}).json()
        member = {"Authorization": f"Bearer {token['access_token']}"}
        r = self.client.post(
            "/user/profile/create",
            headers=member,
            data=profile_form(1),
            files=documents(),
        )
        assert r.status_code == 200, r.text
        approved = {"Authorization": f"Bearer {self.tokens[n % len(self.tokens)]}"}
        r = self.client.post(
            "/user/request/create",
            headers=approved,
            data={"comment": f"запит {n}"},
            files=[("files", (f"чек{n}.jpg", JPEG + f"{n}".encode(), "image/jpeg"))],
        )
        assert r.status_code == 200, r.text

    def wait_for(self, writes: int) -> None:
        with self.wrote:
            target = self.done + writes
            assert self.wrote.wait_for(lambda: self.done >= target or self.failures, 60)


def rows_of(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in key order."""
    engine = sa.create_engine(url)
    try:
        metadata = sa.MetaData()
        metadata.reflect(engine)
        with engine.connect() as connection:
            return {
                name: [
                    tuple(_plain(v) for v in r)
                    for r in connection.execute(
                        sa.select(table).order_by(*(table.primary_key.columns or table.columns))
                    )
                ]
                for name, table in metadata.tables.items()
            }
    finally:
        engine.dispose()


def _plain(value: Any) -> Any:
    """A JSON column's value as its text, so that rows can be compared as sets."""
    return json.dumps(value, sort_keys=True) if isinstance(value, dict | list) else value


def hashes_of(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in folder.rglob("*")
        if p.is_file()
    }


def test_a_snapshot_taken_while_members_write_and_one_at_rest_restore_whole(
    places: tuple[Place, Place, Place], tmp_path: Path
) -> None:
    source, during, at_rest = places
    kasa, fund, tokens = build_fund(source, tmp_path / "settings")
    with TestClient(create_mobile_app(kasa)) as client:
        writer = Writer(client, fund, tokens)
        writer.thread.start()
        writer.wait_for(2)

        def steps(name: str) -> Report:
            if name == "files":  # rows written after the database copy, files before ours
                writer.wait_for(2)
            return lambda _done, _total: None

        try:
            taken = source.snapshots().create(tmp_path / "during", steps)
        finally:
            writer.stop.set()
            writer.thread.join(timeout=60)
    assert not writer.failures, writer.failures
    now = rows_of(source.url)
    assert len(now["members"]) > taken.tables["members"]  # members kept coming meanwhile

    during.snapshots().restore(tmp_path / "during")
    restored = rows_of(during.url)
    assert {t: len(r) for t, r in restored.items()} == taken.tables
    for table in INSERT_ONLY:
        assert set(restored[table]) <= set(now[table]), table
    for table, rows in restored.items():  # every restored row existed in the source
        keys = len(sa.Table(table, sa.MetaData()).primary_key.columns) or 1
        assert {r[:keys] for r in rows} <= {r[:keys] for r in now[table]}, table
    restored_files = hashes_of(during.files)
    source_files = hashes_of(source.files)
    assert restored_files.items() <= source_files.items()
    assert len(restored_files) >= len(restored["files"]) == taken.tables["files"]

    quiet = source.snapshots().create(tmp_path / "at-rest")
    at_rest.snapshots().restore(tmp_path / "at-rest")
    assert rows_of(at_rest.url) == rows_of(source.url)
    assert hashes_of(at_rest.files) == hashes_of(source.files)
    assert quiet.rows == sum(len(r) for r in now.values())
    assert quiet.tables["payments"] >= 4 and quiet.tables["request_messages"] >= 3
    kasa.adapters.database().dispose()


@pytest.fixture
def snapshot(tmp_path: Path) -> tuple[Place, Path, Manifest]:
    source = sqlite_fund(tmp_path)
    folder = tmp_path / "snap"
    return source, folder, source.snapshots().create(folder)


def sqlite_fund(tmp_path: Path) -> Place:
    """A fund built on SQLite in ``tmp_path / "a"``."""
    source = Place(f"sqlite:///{tmp_path / 'a' / 'kasa.db'}", tmp_path / "a" / "files")
    source.files.parent.mkdir(parents=True)
    kasa, _, _ = build_fund(source, tmp_path / "settings")
    kasa.adapters.database().dispose()
    return source


def empty_place(tmp_path: Path, name: str) -> Place:
    (tmp_path / name).mkdir()
    return Place(f"sqlite:///{tmp_path / name / 'kasa.db'}", tmp_path / name / "files")


def test_a_restore_refuses_a_target_that_is_not_empty(
    snapshot: tuple[Place, Path, Manifest], tmp_path: Path
) -> None:
    source, folder, _ = snapshot
    with pytest.raises(BackupError, match="target database is not empty"):
        source.snapshots().restore(folder)
    upgraded = empty_place(tmp_path, "upgraded")
    upgrade(upgraded.url)  # only what `kasa db upgrade` writes: taken
    stray = LocalFileStore(upgraded.files).save([JPEG], ".jpg", owner=1)
    with pytest.raises(BackupError, match=r"file store is not empty"):
        upgraded.snapshots().restore(folder)
    LocalFileStore(upgraded.files).delete(stray.name)
    assert upgraded.snapshots().restore(folder).rows > 0


@pytest.mark.parametrize(
    ("spoil", "said"),
    [
        (lambda f, m: _edit(f, tables={**m["tables"], "members": 99}), "row counts"),
        (lambda f, m: _edit(f, schema_revision="9999"), "newer than this Kasa knows"),
        (lambda f, m: _first_file(f).write_bytes(b"changed"), "does not match its hash"),
        (lambda f, m: _forget_first_file(f, m), "rows of the dump name are not in the snapshot"),
        (lambda f, m: (f / m["dump"]).write_bytes(b"x"), "does not match its hash"),
        (lambda f, m: (f / m["dump"]).write_bytes(b"\xff" * 8192), "cannot be read"),
        (lambda f, m: (f / "manifest.json").unlink(), "not a finished snapshot"),
    ],
    ids=["counts", "newer", "file", "missing", "dump", "unreadable", "unfinished"],
)
def test_a_spoiled_snapshot_is_refused_and_nothing_is_restored(
    snapshot: tuple[Place, Path, Manifest], tmp_path: Path, spoil: Any, said: str
) -> None:
    _, folder, _ = snapshot
    spoil(folder, json.loads((folder / "manifest.json").read_text()))
    target = empty_place(tmp_path, "target")
    with pytest.raises(BackupError, match=said):
        target.snapshots().verify(folder)
    with pytest.raises(BackupError, match=said):
        target.snapshots().restore(folder)
    assert not Path(target.url.removeprefix("sqlite:///")).exists()
    assert not [p for p in target.files.rglob("*") if p.is_file()]  # nothing restored


def test_a_snapshot_goes_only_into_a_new_or_empty_folder(
    snapshot: tuple[Place, Path, Manifest],
) -> None:
    source, folder, _ = snapshot
    with pytest.raises(BackupError, match="is not empty"):
        source.snapshots().create(folder)


def test_the_command_line_creates_verifies_and_restores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = sqlite_fund(tmp_path)
    runner = CliRunner()
    monkeypatch.setenv("KASA_DATABASE_URL", source.url)
    monkeypatch.setenv("KASA_FILES_DIR", str(source.files))
    monkeypatch.setenv("KASA_DATA_DIR", str(tmp_path / "a"))
    made = runner.invoke(main, ["backup", "create", str(tmp_path / "snap")])
    assert made.exit_code == 0, made.output
    assert "sqlite at revision" in made.output and " files (" in made.output
    checked = runner.invoke(main, ["backup", "verify", str(tmp_path / "snap")])
    assert checked.exit_code == 0 and "intact" in checked.output, checked.output
    again = runner.invoke(main, ["backup", "restore", str(tmp_path / "snap")])
    assert again.exit_code == 1 and again.output.startswith("Error: the target database")
    target = empty_place(tmp_path, "b")
    monkeypatch.setenv("KASA_DATABASE_URL", target.url)
    monkeypatch.setenv("KASA_FILES_DIR", str(target.files))
    restored = runner.invoke(main, ["backup", "restore", str(tmp_path / "snap")])
    assert restored.exit_code == 0 and restored.output.startswith("restored"), restored.output
    assert rows_of(target.url) == rows_of(source.url)


def _edit(folder: Path, *, key: bytes = KEY, **changes: Any) -> None:
    """Change the manifest and sign it again, as someone holding ``key`` would."""
    path = folder / "manifest.json"
    data = {**json.loads(path.read_text()), **changes}
    data.pop("hmac_sha256")
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    data["hmac_sha256"] = hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()
    path.write_text(json.dumps(data))


def _first_file(folder: Path) -> Path:
    return sorted(p for p in (folder / "files").rglob("*") if p.is_file())[0]


def _forget_first_file(folder: Path, manifest: dict[str, Any]) -> None:
    first = _first_file(folder)
    name = first.relative_to(folder / "files").as_posix()
    first.unlink()
    _edit(folder, files={k: v for k, v in manifest["files"].items() if k != name})


def test_a_dump_that_fails_says_why_and_leaves_no_snapshot(tmp_path: Path) -> None:
    if shutil.which("mariadb-dump") is None and shutil.which("mysqldump") is None:
        pytest.skip("needs mariadb-dump")
    nowhere = Place("mysql+pymysql://kasa:secret@127.0.0.1:1/kasa", tmp_path / "files")
    with pytest.raises(BackupError, match=r"mariadb-dump failed: .*127\.0\.0\.1") as refused:
        nowhere.snapshots().create(tmp_path / "snap")
    assert "secret" not in str(refused.value)
    assert not (tmp_path / "snap" / "manifest.json").exists()


def test_a_folder_that_cannot_be_written_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KASA_DATA_DIR", str(tmp_path / "a"))
    monkeypatch.delenv("KASA_DATABASE_URL", raising=False)
    monkeypatch.delenv("KASA_FILES_DIR", raising=False)
    assert CliRunner().invoke(main, ["db", "upgrade"]).exit_code == 0
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = CliRunner().invoke(main, ["backup", "create", str(blocker / "snap")])
    assert result.exit_code == 1 and result.output.startswith("Error: ")
    assert "Traceback" not in result.output and str(blocker) in result.output


# -- a doctored snapshot -------------------------------------------------------------------
def doctor_dump(folder: Path, lines: list[str], *, key: bytes) -> None:
    """Add lines to the dump and write its hash into the manifest, signed with ``key``."""
    manifest = json.loads((folder / "manifest.json").read_text())
    dump = folder / manifest["dump"]
    text = dump.read_text()
    marker = "UNLOCK TABLES;\n"
    at = text.index(marker) + len(marker)
    dump.write_text(text[:at] + "".join(line + "\n" for line in lines) + text[at:])
    _edit(folder, key=key, dump_sha256=hashlib.sha256(dump.read_bytes()).hexdigest())


ATTACK = [
    "\\! id > {proof}",
    "DELIMITER ;;",
    "/*!50003 CREATE*/ /*!50003 TRIGGER `double` BEFORE INSERT ON `payments` FOR EACH ROW "
    "SET NEW.amount = NEW.amount * 2 */;;",
    "DELIMITER ;",
]


@pytest.fixture
def mariadb_snapshot(
    mariadb_server: MariaDBServer | str, tmp_path: Path
) -> tuple[Place, Path, Manifest]:
    if not isinstance(mariadb_server, MariaDBServer):
        pytest.skip("needs the private MariaDB server (databases are made and dropped)")
    source = Place(mariadb_server.create_database("kasa_doctored_a"), tmp_path / "a" / "files")
    kasa, _, _ = build_fund(source, tmp_path / "settings")
    kasa.adapters.database().dispose()
    folder = tmp_path / "snap"
    return source, folder, source.snapshots().create(folder)


def test_a_doctored_dump_runs_no_command_and_installs_no_trigger(
    mariadb_snapshot: tuple[Place, Path, Manifest],
    mariadb_server: MariaDBServer,
    tmp_path: Path,
) -> None:
    _, folder, _ = mariadb_snapshot
    proof = tmp_path / "ran"
    target = Place(mariadb_server.create_database("kasa_doctored_b"), tmp_path / "b" / "files")
    attack = [line.format(proof=proof) for line in ATTACK]
    # without the fund's key: the signature is wrong, nothing else is even read
    doctor_dump(folder, attack, key=b"an-attacker-guessing-the-key-000000")
    with pytest.raises(BackupError, match="signature does not match"):
        target.snapshots().verify(folder)
    with pytest.raises(BackupError, match="signature does not match"):
        target.snapshots().restore(folder)
    # signed with the key after all (someone holding it): the dump's contents are refused
    _edit(folder)
    for check in (target.snapshots().verify, target.snapshots().restore):
        with pytest.raises(BackupError, match="more than the schema's own") as refused:
            check(folder)
        assert "line " in str(refused.value) and "\\!" in str(refused.value)
    assert not proof.exists()
    engine = sa.create_engine(target.url)
    try:
        with engine.connect() as connection:
            assert connection.execute(sa.text("SHOW TRIGGERS")).all() == []
            assert sa.inspect(connection).get_table_names() == []  # nothing was loaded
    finally:
        engine.dispose()


def test_the_client_loads_a_dump_in_sandbox_mode(
    mariadb_snapshot: tuple[Place, Path, Manifest],
    mariadb_server: MariaDBServer,
    tmp_path: Path,
) -> None:
    """Past every check, the mariadb client itself refuses a shell command."""
    _, folder, manifest = mariadb_snapshot
    proof = tmp_path / "ran-in-client"
    dump = folder / manifest.dump
    dump.write_text(dump.read_text() + f"\\! touch {proof}\n")
    target = Place(mariadb_server.create_database("kasa_sandboxed"), tmp_path / "c" / "files")
    with pytest.raises(BackupError, match=r"loading the dump failed: .*sandbox"):
        target.snapshots().archive.load(dump, lambda _done, _total: None)
    assert not proof.exists()


def test_a_sqlite_copy_with_a_trigger_is_refused(
    snapshot: tuple[Place, Path, Manifest], tmp_path: Path
) -> None:
    _, folder, manifest = snapshot
    dump = folder / manifest.dump
    with sqlite3.connect(dump) as db:
        db.execute(
            "CREATE TRIGGER double AFTER INSERT ON payments "
            "BEGIN UPDATE payments SET amount = amount * 2 WHERE id = NEW.id; END"
        )
    db.close()
    _edit(folder, dump_sha256=hashlib.sha256(dump.read_bytes()).hexdigest())
    target = empty_place(tmp_path, "target")
    with pytest.raises(BackupError, match="trigger 'double'"):
        target.snapshots().restore(folder)
    assert not Path(target.url.removeprefix("sqlite:///")).exists()


def test_a_snapshot_folder_others_may_write_into_is_refused(
    snapshot: tuple[Place, Path, Manifest], tmp_path: Path
) -> None:
    source, folder, _ = snapshot
    assert folder.stat().st_mode & 0o777 == 0o700
    os.chmod(folder, 0o777)
    with pytest.raises(BackupError, match="writable by its owner alone"):
        empty_place(tmp_path, "target").snapshots().verify(folder)
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    os.chmod(shared, 0o777)
    with pytest.raises(BackupError, match="writable by its owner alone"):
        source.snapshots().create(shared)
    assert list(shared.iterdir()) == []


def test_a_snapshot_holds_the_token_secret_only_when_asked_and_never_the_backup_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = sqlite_fund(tmp_path)
    backup_key, jwt_secret = "backup-key-" + "k" * 40, "jwt-secret-" + "0123456789abcdef" * 3
    for name, value in (
        ("KASA_DATABASE_URL", source.url),
        ("KASA_FILES_DIR", str(source.files)),
        ("KASA_DATA_DIR", str(tmp_path / "a")),
        ("KASA_BACKUP_KEY", backup_key),
        ("KASA_JWT_SECRET", jwt_secret),
    ):
        monkeypatch.setenv(name, value)
    runner = CliRunner()
    plain = runner.invoke(main, ["backup", "create", str(tmp_path / "plain")])
    assert plain.exit_code == 0 and "does not hold the token-signing secret" in plain.output
    assert not (tmp_path / "plain" / "secrets.json").exists()
    held = runner.invoke(main, ["backup", "create", str(tmp_path / "held"), "--with-secrets"])
    assert held.exit_code == 0 and "holds the token-signing secret" in held.output
    secrets = tmp_path / "held" / "secrets.json"
    assert json.loads(secrets.read_text()) == {"KASA_JWT_SECRET": jwt_secret}
    assert secrets.stat().st_mode & 0o777 == 0o600
    assert json.loads((tmp_path / "held" / "manifest.json").read_text())["holds_secrets"]
    for snapshot in ("plain", "held"):  # the key that signs them is in neither
        for path in (tmp_path / snapshot).rglob("*"):
            if path.is_file():
                assert backup_key.encode() not in path.read_bytes(), path
    checked = runner.invoke(main, ["backup", "verify", str(tmp_path / "held")])
    assert checked.exit_code == 0 and "intact" in checked.output
    target = empty_place(tmp_path, "b")
    monkeypatch.setenv("KASA_DATABASE_URL", target.url)
    monkeypatch.setenv("KASA_FILES_DIR", str(target.files))
    restored = runner.invoke(main, ["backup", "restore", str(tmp_path / "held")])
    assert restored.exit_code == 0 and "set KASA_JWT_SECRET from" in restored.output
