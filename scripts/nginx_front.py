"""nginx in front of Kasa with the shipped configuration, on loopback: the templates of
``deploy/nginx`` rendered by ``deploy/nginx/render`` with a self-signed certificate for
``mobile.kasa.test`` and ``admin.kasa.test`` and the given upstream servers, and a client
that speaks to it by server name from a chosen loopback address. Used by the deploy
check, the two-host test and the two-host benchmark."""

# the commands run here are this project's own and the OS's nginx and openssl
# ruff: noqa: S603

from __future__ import annotations

import contextlib
import http.client
import json
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
NGINX_DIR = ROOT / "deploy" / "nginx"
MOBILE, ADMIN = "mobile.kasa.test", "admin.kasa.test"
CLIENT = "127.0.0.2"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Answer:
    def __init__(self, response: http.client.HTTPResponse) -> None:
        self.status = response.status
        self.headers = response.getheaders()
        self.body = response.read()

    def header(self, name: str) -> str | None:
        found = [v for k, v in self.headers if k.lower() == name]
        return found[0] if found else None

    def count(self, name: str) -> int:
        return sum(1 for k, _ in self.headers if k.lower() == name)

    def json(self) -> Any:
        return json.loads(self.body)


class Site:
    """Requests to the nginx under test, by server name, from a chosen loopback address."""

    def __init__(self, https_port: int, http_port: int, cert: Path) -> None:
        self.https_port = https_port
        self.http_port = http_port
        self.context = ssl.create_default_context(cafile=str(cert))
        self.request_ids: list[tuple[str, int]] = []

    def connect(self, host: str, source: str = CLIENT, timeout: float = 15) -> ssl.SSLSocket:
        raw = socket.create_connection(
            ("127.0.0.1", self.https_port), timeout=timeout, source_address=(source, 0)
        )
        return self.context.wrap_socket(raw, server_hostname=host)

    def https(
        self,
        host: str,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        source: str = CLIENT,
    ) -> Answer:
        connection = http.client.HTTPSConnection(host, self.https_port, context=self.context)
        connection.sock = self.connect(host, source)
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        connection.request(method, path, body=body, headers=all_headers)
        answer = Answer(connection.getresponse())
        connection.close()
        request_id = answer.header("x-request-id")
        if request_id:
            self.request_ids.append((request_id, answer.status))
        return answer

    def post(self, host: str, path: str, data: Any, **kw: Any) -> Answer:
        return self.https(host, "POST", path, json.dumps(data).encode(), **kw)

    def plain(self, host: str, path: str) -> Answer:
        connection = http.client.HTTPConnection(
            "127.0.0.1", self.http_port, timeout=10, source_address=(CLIENT, 0)
        )
        connection.request("GET", path, headers={"Host": host})
        answer = Answer(connection.getresponse())
        connection.close()
        return answer


def render(env_file: Path, template: str, out: Path) -> None:
    rendered = subprocess.run(
        [str(NGINX_DIR / "render"), str(env_file), str(NGINX_DIR / template)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    out.write_text(rendered)


def wait_until_up(port: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        time.sleep(0.2)
    raise RuntimeError(f"nothing answers on port {port} after {seconds} s")


@dataclass
class Front:
    """A rendered nginx configuration in ``work``, ready to start with ``command``."""

    work: Path
    https_port: int
    http_port: int
    cert: Path
    command: list[str]

    def site(self) -> Site:
        return Site(self.https_port, self.http_port, self.cert)


def prepare_front(
    work: Path,
    mobile: Sequence[str],
    admin: Sequence[str],
    **params: str,
) -> Front:
    """nginx's files in ``work`` for Kasa's APIs at the ``mobile`` and ``admin``
    addresses (``host:port``, several for several hosts); ``params`` override the
    template's other parameters."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    https_port, http_port = free_port(), free_port()
    cert, key = work / "cert.pem", work / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=kasa.test"),
            *("-addext", f"subjectAltName=DNS:{MOBILE},DNS:{ADMIN}"),
        ],
        check=True,
        capture_output=True,
    )
    for folder in ("conf.d", "snippets", "logs", "temp"):
        (work / folder).mkdir()
    given = {
        "MOBILE_HOST": MOBILE,
        "ADMIN_HOST": ADMIN,
        "HTTP_LISTEN": f"127.0.0.1:{http_port}",
        "HTTPS_LISTEN": f"127.0.0.1:{https_port}",
        "HTTPS_PORT": str(https_port),
        "TLS_CERT": str(cert),
        "TLS_KEY": str(key),
        "MOBILE_UPSTREAM": ",".join(mobile),
        "ADMIN_UPSTREAM": ",".join(admin),
        "LOG_DIR": str(work / "logs"),
        "SNIPPETS_DIR": str(work / "snippets"),
        "BODY_LIMIT": "64k",
        "UPLOAD_LIMIT": "201m",
        "SIGNIN_RATE": "30r/m",
        "SIGNIN_BURST": "6",
        **params,
    }
    env_file = work / "nginx.env"
    env_file.write_text("".join(f"{name}={value}\n" for name, value in given.items()))
    render(env_file, "kasa.conf.template", work / "conf.d" / "kasa.conf")
    render(env_file, "kasa-common.conf.template", work / "snippets" / "kasa-common.conf")
    temp = work / "temp"
    (work / "nginx.conf").write_text(
        f"""worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/logs/error.log warn;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {work}/conf.d/*.conf;
}}
"""
    )
    command = [nginx, "-p", str(work), "-c", str(work / "nginx.conf"), "-g", "daemon off;"]
    return Front(work, https_port, http_port, cert, command)
