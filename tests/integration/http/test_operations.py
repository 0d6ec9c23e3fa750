"""Operations: request ids, security headers, CORS for the admin site, JSON logs
without secrets, and stored files that are never served as a page."""

from __future__ import annotations

import json
import logging
import sys
import threading
from pathlib import Path

import anyio
import pytest
from litestar.testing import TestClient

from kasa.entrypoints.http.admin import create_admin_app
from kasa.entrypoints.http.mobile import create_mobile_app
from kasa.entrypoints.http.threads import read, run, thread_limits
from kasa.entrypoints.logs import JsonFormatter, configure
from tests.integration.app.helpers import JPEG
from tests.integration.http.conftest import MobileWorld, build_kasa


def test_request_ids_are_kept_or_made_and_returned(world: MobileWorld) -> None:
    r = world.client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    made = world.client.get("/health", headers={"X-Request-ID": "<script>" + "x" * 80})
    assert made.headers["x-request-id"] != "abc-123" and len(made.headers["x-request-id"]) == 32
    error = world.client.get("/user/profile/get")
    assert error.status_code == 401 and error.headers["x-request-id"]


def test_security_headers_on_every_answer(world: MobileWorld) -> None:
    for response in (
        world.client.get("/health"),
        world.client.get("/nowhere"),
        world.client.post("/user/signin", json={}),
    ):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert "strict-transport-security" not in response.headers


def test_hsts_and_admin_cors_when_configured(tmp_path: Path) -> None:
    kasa, _ = build_kasa(
        tmp_path, KASA_HSTS="1", KASA_ADMIN_CORS_ORIGINS="https://admin.kasa.example"
    )
    with TestClient(create_admin_app(kasa)) as admin:
        r = admin.get("/health", headers={"Origin": "https://admin.kasa.example"})
        assert r.headers["access-control-allow-origin"] == "https://admin.kasa.example"
        assert r.headers["strict-transport-security"].startswith("max-age=")
        other = admin.get("/health", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
        preflight = admin.options(
            "/members",
            headers={
                "Origin": "https://admin.kasa.example",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization,content-type",
            },
        )
        assert preflight.status_code in (200, 204)
    with TestClient(create_mobile_app(kasa)) as mobile:
        assert (
            "access-control-allow-origin"
            not in mobile.get("/health", headers={"Origin": "https://admin.kasa.example"}).headers
        )
    kasa.adapters.database().dispose()


def test_files_are_served_inline_under_their_name_and_never_as_a_page(world: MobileWorld) -> None:
    world.fund.program()
    phone = "+380501112233"
    member_id, headers = world.sign_up(phone)
    world.client.post(
        "/user/profile/edit",
        headers=headers,
        files=[("photo", ("фото <1>.jpg", JPEG, "text/html"))],
    )
    photo = world.fund.profiles.profiles if False else None
    del photo
    with world.kasa.adapters.uow()() as uow:
        member = uow.members.get(member_id)
        stored = uow.files.get(member.photo_file_id or 0) if member else None
    assert stored is not None
    r = world.client.get(f"/files/{member_id}/{stored.stored_name}", headers=headers)
    assert r.headers["content-type"] == "image/jpeg"
    assert r.headers["content-disposition"].startswith("inline; filename*=UTF-8''")
    assert "%3C1%3E" in r.headers["content-disposition"]  # the name is quoted, not raw
    assert "sandbox" in r.headers["content-security-policy"]


def test_json_logs_carry_the_request_id_and_no_code(
    world: MobileWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    configure(json_lines=True)
    try:
        world.client.post(
            "/user/signrequest",
            headers={"X-Request-ID": "req-42"},
            json={"phone": "+380671234567", "create": True},
        )
        logging.getLogger("kasa.test").warning("after the request")
    finally:
        configure(json_lines=False)
    code = world.fakes.sms.last_code("+380671234567")
    lines = [
        json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")
    ]
    assert lines and all(
        set(line) >= {"time", "level", "logger", "request_id", "message"} for line in lines
    )
    assert all(code not in json.dumps(line) for line in lines)


def test_the_json_formatter_keeps_errors_on_one_line() -> None:
    try:
        raise ValueError("broken")
    except ValueError:
        record = logging.getLogger("kasa").makeRecord(
            "kasa", logging.ERROR, __file__, 1, "failed %s", ("here",), sys.exc_info()
        )
    line = JsonFormatter().format(record)
    parsed = json.loads(line)
    assert (
        "\n" not in line and parsed["message"] == "failed here" and "ValueError" in parsed["error"]
    )


def test_reads_keep_their_own_threads_when_every_worker_thread_is_busy() -> None:
    """A slow outside call holds a worker thread; reads run on threads of their own."""
    release = threading.Event()
    order: list[str] = []

    def slow_call() -> None:
        release.wait(10)
        order.append("slow call done")

    def quick_read() -> str:
        order.append("read done")
        release.set()
        return "read"

    async def main() -> None:
        thread_limits(workers=1, readers=1)()
        async with anyio.create_task_group() as group:
            group.start_soon(run, slow_call)
            await anyio.sleep(0.05)  # the only worker thread is now waiting
            with anyio.fail_after(5):
                assert await read(quick_read) == "read"

    anyio.run(main)
    assert order == ["read done", "slow call done"]
