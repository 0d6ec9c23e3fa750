"""A private MariaDB server for one test run: its own data folder, port and socket,
started from the OS packages and stopped afterwards. No system service is involved."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

BINARIES = ("mariadbd", "mysqld")
INSTALLERS = ("mariadb-install-db", "mysql_install_db")


class MariaDBUnavailable(RuntimeError):
    pass


def _which(names: tuple[str, ...]) -> str | None:
    for name in names:
        for folder in (None, "/usr/sbin", "/usr/bin", "/usr/local/bin"):
            found = shutil.which(name, path=folder)
            if found:
                return found
    return None


def _free_port() -> int:
    """A free port below the kernel's range for outgoing connections, so no client socket
    takes it between this check and the server binding it."""
    start = 30000 + (os.getpid() % 1000) * 2
    for port in range(start, start + 2000):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise MariaDBUnavailable("no free port for the test server")


@attrs.define
class MariaDBServer:
    folder: Path
    port: int
    process: subprocess.Popen[bytes] | None = None
    command: list[str] = attrs.field(factory=list)

    @property
    def socket_path(self) -> Path:
        return self.folder / "mysqld.sock"

    def url(self, database: str) -> str:
        return f"mysql+pymysql://root@127.0.0.1:{self.port}/{database}?charset=utf8mb4"

    @classmethod
    def start(cls, buffer_pool: str = "64M", extra: Sequence[str] = ()) -> MariaDBServer:
        server_bin = _which(BINARIES)
        installer = _which(INSTALLERS)
        if server_bin is None or installer is None:
            raise MariaDBUnavailable("MariaDB is not installed (apt-get install mariadb-server)")
        folder = Path(tempfile.mkdtemp(prefix="kasa-mariadb-"))
        server = cls(folder, _free_port())
        data = folder / "data"
        user = ["--user=root"] if os.geteuid() == 0 else []
        init = subprocess.run(
            [
                installer,
                f"--datadir={data}",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
                *user,
            ],
            capture_output=True,
            check=False,
            timeout=180,
        )
        if init.returncode != 0:
            raise MariaDBUnavailable(f"mariadb-install-db failed: {init.stderr.decode()[-800:]}")
        server.command = [
            server_bin,
            "--no-defaults",
            f"--datadir={data}",
            f"--port={server.port}",
            "--bind-address=127.0.0.1",
            f"--socket={server.socket_path}",
            f"--pid-file={folder / 'mysqld.pid'}",
            "--skip-name-resolve",
            f"--innodb-buffer-pool-size={buffer_pool}",
            "--innodb-flush-log-at-trx-commit=2",
            "--innodb-lock-wait-timeout=20",
            "--max-connections=200",
            "--character-set-server=utf8mb4",
            "--collation-server=utf8mb4_unicode_ci",
            *extra,
            *user,
        ]
        server.launch()
        return server

    @classmethod
    def replicated(cls, buffer_pool: str = "64M") -> tuple[MariaDBServer, MariaDBServer]:
        """A primary writing its binary log and a read-only replica following it (binlog
        replication with GTIDs, both on loopback), the replica caught up and running."""
        primary = cls.start(
            buffer_pool, extra=["--server-id=1", "--log-bin=primary", "--binlog-format=ROW"]
        )
        try:
            replica = cls.start(
                buffer_pool, extra=["--server-id=2", "--read-only=ON", "--relay-log=relay"]
            )
        except BaseException:
            primary.stop()
            raise
        try:
            primary.execute(
                "CREATE USER 'replication'@'127.0.0.1' IDENTIFIED BY 'replication'",
                "GRANT REPLICATION SLAVE ON *.* TO 'replication'@'127.0.0.1'",
            )
            replica.execute(
                f"CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT={primary.port}, "
                "MASTER_USER='replication', MASTER_PASSWORD='replication', "
                "MASTER_USE_GTID=slave_pos",
                "START SLAVE",
            )
            replica.wait_replicating()
        except BaseException:
            replica.stop()
            primary.stop()
            raise
        return primary, replica

    def execute(self, *statements: str) -> list[Any]:
        """Statements as root; the rows of the last one."""
        import pymysql

        connection = pymysql.connect(host="127.0.0.1", port=self.port, user="root")
        try:
            with connection.cursor(pymysql.cursors.DictCursor) as cursor:
                rows: list[Any] = []
                for statement in statements:
                    cursor.execute(statement)
                    rows = list(cursor.fetchall())
            connection.commit()
            return rows
        finally:
            connection.close()

    def replica_status(self) -> dict[str, Any]:
        found = self.execute("SHOW SLAVE STATUS")
        return dict(found[0]) if found else {}

    def wait_replicating(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self.replica_status()
            running = status.get("Slave_IO_Running") == "Yes"
            if running and status.get("Slave_SQL_Running") == "Yes":
                return
            time.sleep(0.2)
        raise MariaDBUnavailable(f"the replica does not follow its primary: {status}")

    def launch(self) -> None:
        """Start (or start again) the server on its data folder and port."""
        log = open(self.folder / "server.log", "ab")  # noqa: SIM115 - lives with the server
        self.process = subprocess.Popen(self.command, stdout=log, stderr=subprocess.STDOUT)
        self.wait_ready()

    def halt(self) -> None:
        """Stop the server but keep its data (to start it again with ``launch``)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)

    def wait_ready(self, timeout: float = 60) -> None:
        import pymysql

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                tail = (self.folder / "server.log").read_text(errors="replace")[-800:]
                raise MariaDBUnavailable(f"mariadbd exited: {tail}")
            try:
                pymysql.connect(host="127.0.0.1", port=self.port, user="root").close()
                return
            except pymysql.err.OperationalError:
                time.sleep(0.2)
        self.stop()
        raise MariaDBUnavailable("mariadbd did not answer within a minute")

    def create_database(self, name: str) -> str:
        import pymysql

        connection = pymysql.connect(host="127.0.0.1", port=self.port, user="root")
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
                cursor.execute(
                    f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
                )
        finally:
            connection.close()
        return self.url(name)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        shutil.rmtree(self.folder, ignore_errors=True)
