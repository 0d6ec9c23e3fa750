"""``kasa serve mobile`` runs the app with uvicorn on the embedded defaults."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests
from click.testing import CliRunner

from kasa.adapters.sql.migrate import upgrade
from kasa.entrypoints.cli import main


def free_port() -> int:
    """A free port for a server of the test, outside the kernel's range for outgoing
    connections (so no client socket can take it before the server binds it)."""
    return free_port_pair()


def free_port_pair() -> int:
    """A port P with P + 1 free too (for `kasa serve all`), outside the range the kernel
    hands out for outgoing connections, so a client socket cannot take P + 1 meanwhile."""
    for port in range(20000, 30000, 2):
        sockets = []
        try:
            for number in (port, port + 1):
                sock = socket.socket()
                sockets.append(sock)
                sock.bind(("127.0.0.1", number))
            return port
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
    raise AssertionError("no two free ports in a row")


def test_serve_refuses_a_database_that_is_not_upgraded(tmp_path: Path) -> None:
    env = {"KASA_DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(main, ["serve", "mobile"], env=env)
    assert result.exit_code == 1 and "run `kasa db upgrade` first" in result.output


def wait_for(url: str, server: subprocess.Popen[bytes]) -> requests.Response:
    deadline = time.monotonic() + 30
    while True:
        try:
            return requests.get(url, timeout=2)
        except requests.ConnectionError:
            assert time.monotonic() < deadline, "the server did not start"
            assert server.poll() is None, server.stdout.read() if server.stdout else ""
            time.sleep(0.2)


def test_a_staff_user_made_by_the_cli_signs_in_to_the_admin_api(tmp_path: Path) -> None:
    env = {**os.environ, "KASA_DATA_DIR": str(tmp_path / "var")}
    env.pop("KASA_DATABASE_URL", None)
    kasa = [sys.executable, "-m", "kasa.entrypoints.cli"]
    subprocess.run(
        [*kasa, "db", "upgrade"],
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
        cwd=tmp_path,
    )
    made = subprocess.run(
        [*kasa, "user", "create", "chief", "--role", "admin", "--name", "Голова"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    password = made.stdout.split("password: ")[1].split()[0]
    again = subprocess.run(
        [*kasa, "user", "create", "chief", "--role", "admin"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert again.returncode == 1 and again.stderr.strip() == "Error: This login is taken."
    port = free_port()
    server = subprocess.Popen(
        [*kasa, "serve", "all", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        assert wait_for(f"http://127.0.0.1:{port}/health", server).status_code == 200
        assert wait_for(f"http://127.0.0.1:{port + 1}/health", server).status_code == 200
        signed = requests.post(
            f"http://127.0.0.1:{port + 1}/signin",
            timeout=10,
            json={"login": "chief", "password": password},
        )
        token = signed.json()["access_token"]
        users = requests.get(
            f"http://127.0.0.1:{port + 1}/user",
            timeout=5,
            headers={"Authorization": f"Bearer {token}"},
        ).json()["data"]
        assert [u["login"] for u in users] == ["chief"]
        # no public URLs set: links point at the ports served, not at the defaults
        saved = requests.put(
            f"http://127.0.0.1:{port + 1}/program",
            timeout=10,
            headers={"Authorization": f"Bearer {token}"},
            data={"program_name": "Базова", "month_price": "300"},
            files={"new_program_file": ("terms.pdf", b"%PDF-1.7\n" + b"1 0 obj\n" * 8)},
        )
        assert saved.status_code == 200, saved.text
        listed = requests.get(f"http://127.0.0.1:{port}/program/list", timeout=5).json()
        link = listed[0]["program_file"]
        assert link.startswith(f"http://127.0.0.1:{port + 1}/program/"), link
        assert requests.get(link, timeout=5).content.startswith(b"%PDF")
    finally:
        server.terminate()
        server.wait(timeout=40)


def test_serve_mobile_answers_on_its_port(tmp_path: Path) -> None:
    env = {**os.environ, "KASA_DATA_DIR": str(tmp_path / "var")}
    env.pop("KASA_DATABASE_URL", None)
    kasa = [sys.executable, "-c", "from kasa.entrypoints.cli import main; main()"]
    subprocess.run(
        [*kasa, "db", "upgrade"],
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
        cwd=tmp_path,
    )
    port = free_port()
    server = subprocess.Popen(
        [*kasa, "serve", "mobile", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                health = requests.get(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "the server did not start"
                assert server.poll() is None, server.stdout.read() if server.stdout else ""
                time.sleep(0.2)
        assert health.json() == {"status": "ok", "database": "ok"}
        programs = requests.get(f"http://127.0.0.1:{port}/program/list", timeout=5)
        assert programs.status_code == 200 and programs.json() == []
        docs = requests.get(f"http://127.0.0.1:{port}/docs/openapi.json", timeout=5).json()
        assert "/user/signrequest" in docs["paths"]
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_serve_refuses_a_production_configuration_with_dev_backends(tmp_path: Path) -> None:
    env = {"KASA_DATA_DIR": str(tmp_path), "KASA_ENV": "production"}
    result = CliRunner().invoke(main, ["serve", "mobile"], env=env)
    assert result.exit_code == 1
    assert result.output.startswith("Error: cannot start: ")
    assert "KASA_JWT_SECRET must be set" in result.output
    assert "KASA_SMS_BACKEND=console is for development" in result.output


def test_serve_all_fails_naming_the_port_it_cannot_listen_on(tmp_path: Path) -> None:
    """With the admin port taken, `kasa serve all` exits non-zero and says which port,
    so a supervisor (systemd's Restart=on-failure) sees it; nothing keeps running."""
    port = free_port_pair()
    with socket.socket() as taken:
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        taken.bind(("127.0.0.1", port + 1))
        taken.listen()
        env = {**os.environ, "KASA_DATA_DIR": str(tmp_path)}
        env.pop("KASA_DATABASE_URL", None)
        upgrade(f"sqlite:///{tmp_path / 'kasa.db'}")
        done = subprocess.run(
            [sys.executable, "-m", "kasa.entrypoints.cli", "serve", "all", "--port", str(port)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 1, done.stderr
    assert f"cannot listen on 127.0.0.1:{port + 1}" in done.stderr
    with socket.socket() as probe:  # the mobile API is not left running either
        assert probe.connect_ex(("127.0.0.1", port)) != 0
