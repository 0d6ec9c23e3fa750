"""Every route of the admin plan through the real Litestar app (on SQLite)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
import sqlalchemy as sa
from litestar.testing import TestClient
from sqlalchemy.engine import Engine

from kasa.application.members import MemberData
from kasa.application.uploads import Upload
from kasa.domain.audit import EventType
from kasa.domain.money import Money
from kasa.domain.staff import Role
from kasa.entrypoints.container import Kasa
from kasa.entrypoints.http.admin import create_admin_app
from kasa.entrypoints.http.mobile import create_mobile_app
from tests.integration.app.helpers import JPEG, PDF, Fund
from tests.integration.http.conftest import DocumentedClient, build_kasa
from tests.support.fakes import Fakes

ADMIN_PASSWORD = "admin password 1"
OPERATOR_PASSWORD = "operator password 1"


@attrs.define
class AdminWorld:
    client: TestClient[Any]
    kasa: Kasa
    fund: Fund
    fakes: Fakes
    admin: dict[str, str]
    operator: dict[str, str]

    def sign_in(self, login: str, password: str) -> dict[str, str]:
        r = self.client.post("/signin", json={"login": login, "password": password})
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}


@pytest.fixture
def world(tmp_path: Path) -> Iterator[AdminWorld]:
    kasa, fakes = build_kasa(tmp_path)
    fund = Fund.on(kasa, fakes, kasa.adapters.database())
    for login, role, password in (
        ("chief", Role.ADMIN, ADMIN_PASSWORD),
        ("clerk", Role.OPERATOR, OPERATOR_PASSWORD),
    ):
        fund.accounts.create(None, login=login, role=role, name=login.title(), password=password)
    with DocumentedClient(create_admin_app(kasa)) as client:
        world = AdminWorld(client, kasa, fund, fakes, {}, {})
        world.admin = world.sign_in("chief", ADMIN_PASSWORD)
        world.operator = world.sign_in("clerk", OPERATOR_PASSWORD)
        yield world
    kasa.adapters.database().dispose()


def error_of(response: Any) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    assert body["status"] == "error" and body["message"] and "Traceback" not in response.text
    return body


# -- sign-in and tokens -------------------------------------------------------------------
def test_sign_in_answers_the_user_without_secrets(world: AdminWorld) -> None:
    r = world.client.post("/signin", json={"login": "chief", "password": ADMIN_PASSWORD})
    body = r.json()
    assert set(body["user"]) == {"name", "login", "email", "role", "is_active", "updated_at"}
    assert body["user"]["role"] == "admin" and "hash" not in r.text and ADMIN_PASSWORD not in r.text


def test_wrong_login_or_password_one_message_then_throttled(world: AdminWorld) -> None:
    wrong_password = world.client.post("/signin", json={"login": "clerk", "password": "x" * 12})
    wrong_login = world.client.post("/signin", json={"login": "nobody", "password": "x" * 12})
    assert wrong_password.status_code == wrong_login.status_code == 401
    assert error_of(wrong_password)["message"] == error_of(wrong_login)["message"]
    for _ in range(4):
        world.client.post("/signin", json={"login": "clerk", "password": "x" * 12})
    r = world.client.post("/signin", json={"login": "clerk", "password": OPERATOR_PASSWORD})
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0


def test_member_tokens_are_refused_and_staff_tokens_refused_by_mobile(world: AdminWorld) -> None:
    with TestClient(create_mobile_app(world.kasa)) as mobile:
        mobile.post("/user/signrequest", json={"phone": "+380501112233", "create": True})
        member = mobile.post(
            "/user/signin",
            json={"phone": "+380501112233", "code": world.fakes.sms.last_code("+380501112233")},
        ).json()
        member_headers = {"Authorization": f"Bearer {member['access_token']}"}
        assert world.client.get("/programs", headers=member_headers).status_code == 401
        assert mobile.get("/user/payments/list", headers=world.operator).status_code == 401
    assert world.client.get("/programs").status_code == 401


def test_deactivated_staff_cannot_sign_in_and_their_tokens_are_refused(world: AdminWorld) -> None:
    users = world.client.get("/user", headers=world.admin).json()["data"]
    clerk = next(u for u in users if u["login"] == "clerk")
    r = world.client.delete(f"/user/{clerk['id']}", headers=world.admin)
    assert r.status_code == 200 and r.json()["data"]["is_active"] is False
    # deactivation ends every token (401: sign in again), and reactivation revives none
    assert world.client.get("/programs", headers=world.operator).status_code == 401
    r = world.client.post("/signin", json={"login": "clerk", "password": OPERATOR_PASSWORD})
    assert r.status_code == 403
    r = world.client.post("/user", headers=world.admin, json={"id": clerk["id"], "is_active": True})
    assert r.json()["data"]["is_active"] is True
    assert world.client.get("/programs", headers=world.operator).status_code == 401
    fresh = world.sign_in("clerk", OPERATOR_PASSWORD)
    assert world.client.get("/programs", headers=fresh).status_code == 200


def test_a_staff_request_reads_its_staff_user_once(world: AdminWorld) -> None:
    """The token's check reads the user's role with its version; the use cases take the
    user as checked (the role is not read again for the list)."""
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "staff_users" in statement:
            seen.append(statement)

    sa.event.listen(Engine, "before_cursor_execute", count)  # every engine's statements
    try:
        for path, body in (("/members", {"filter": {"query": ""}}), ("/payments", {})):
            seen.clear()
            r = world.client.post(path, headers=world.operator, json=body)
            assert r.status_code == 200, r.text
            assert len(seen) == 1, seen
        # a token whose user was deactivated meanwhile is still refused (the one read)
        seen.clear()
        assert world.client.get("/user", headers=world.operator).status_code == 403
    finally:
        sa.event.remove(Engine, "before_cursor_execute", count)


# -- staff accounts: the role matrix ----------------------------------------------------------
def test_only_admins_manage_staff_accounts(world: AdminWorld) -> None:
    c = world.client
    everyone = c.get("/user", headers=world.admin).json()["data"]
    admin_id = next(u["id"] for u in everyone if u["login"] == "chief")
    for method, path, body in (
        ("get", "/user", None),
        ("get", f"/user/{admin_id}", None),
        ("put", "/user", {"login": "new1", "email": "a@b.ua", "is_active": True, "name": "N"}),
        ("post", "/user", {"id": admin_id, "name": "x"}),
        ("delete", f"/user/{admin_id}", None),
        ("post", "/user/change_password", {"id": admin_id, "new_password": "z" * 12}),
    ):
        kwargs = {"json": body} if body is not None else {}
        r = getattr(c, method)(path, headers=world.operator, **kwargs)
        assert r.status_code == 403, (method, path, r.text)
    r = c.put(
        "/user",
        headers=world.admin,
        json={
            "login": "petro",
            "email": "p@kasa.ua",
            "is_active": True,
            "name": "Петро",
            "role": "operator",
        },
    )
    created = r.json()
    assert r.status_code == 200 and len(created["initial_password"]) >= 10
    assert "password_hash" not in created["data"]
    world.sign_in("petro", created["initial_password"])
    r = c.put("/user", headers=world.admin, json={"login": "PETRO", "is_active": True})
    assert r.status_code == 409
    r = c.post("/user", headers=world.admin, json={"id": created["data"]["id"], "role": "admin"})
    assert r.json()["data"]["role"] == "admin"
    assert c.get("/user/999", headers=world.admin).status_code == 404
    assert c.delete(f"/user/{admin_id}", headers=world.admin).status_code == 409
    listed = c.get("/user", headers=world.admin).json()["data"]
    assert all("password" not in str(sorted(u)) for u in listed)


def test_passwords_change_with_the_old_one(world: AdminWorld) -> None:
    c = world.client
    r = c.post(
        "/user/change_password",
        headers=world.operator,
        json={"old_password": "wrong one", "new_password": "a brand new one"},
    )
    assert r.status_code == 401
    r = c.post(
        "/user/change_password",
        headers=world.operator,
        json={"old_password": OPERATOR_PASSWORD, "new_password": "short"},
    )
    assert r.status_code == 400 and "new_password" in error_of(r)["errors"]
    r = c.post(
        "/user/change_password",
        headers=world.operator,
        json={"old_password": OPERATOR_PASSWORD, "new_password": "a brand new one"},
    )
    assert r.status_code == 200
    # the token the change was made with has ended; the answer carries the new one
    assert c.get("/programs", headers=world.operator).status_code == 401
    renewed = {"Authorization": f"Bearer {r.json()['access_token']}"}
    assert c.get("/programs", headers=renewed).status_code == 200
    world.sign_in("clerk", "a brand new one")


def test_guessing_the_old_password_counts_as_failed_sign_ins(world: AdminWorld) -> None:
    """Someone holding a staff token cannot guess the password through the change:
    each wrong old password is a failed sign-in of the login (audited), and after the
    login's limit even the right one waits."""
    c = world.client
    wrong = {"old_password": "a guess 0000", "new_password": "a brand new one"}
    answers = [
        c.post("/user/change_password", headers=world.operator, json=wrong).status_code
        for _ in range(8)
    ]
    assert answers == [401] * 5 + [429] * 3
    right = {"old_password": OPERATOR_PASSWORD, "new_password": "a brand new one"}
    refused = c.post("/user/change_password", headers=world.operator, json=right)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    failures = world.fund.events(EventType.SIGN_IN_FAILED)
    assert [e.details.get("reason") for e in failures] == ["wrong old password"] * 5
    # the sign-in itself is held by the same counter
    assert (
        c.post("/signin", json={"login": "clerk", "password": OPERATOR_PASSWORD}).status_code == 429
    )


def test_staff_tokens_end_with_a_reset_password_or_a_new_role(world: AdminWorld) -> None:
    c = world.client
    users = c.get("/user", headers=world.admin).json()["data"]
    clerk = next(u for u in users if u["login"] == "clerk")
    before = world.sign_in("clerk", OPERATOR_PASSWORD)
    r = c.post(
        "/user/change_password",
        headers=world.admin,
        json={"id": clerk["id"], "new_password": "set by the admin"},
    )
    assert r.status_code == 200 and r.json()["access_token"] is None
    assert c.get("/programs", headers=before).status_code == 401
    assert c.get("/programs", headers=world.operator).status_code == 401
    assert c.get("/programs", headers=world.admin).status_code == 200  # the admin's own stays
    after_reset = world.sign_in("clerk", "set by the admin")
    r = c.post("/user", headers=world.admin, json={"id": clerk["id"], "role": "admin"})
    assert r.status_code == 200
    assert c.get("/programs", headers=after_reset).status_code == 401
    assert c.get("/user", headers=world.sign_in("clerk", "set by the admin")).status_code == 200
    # a change that touches neither password, role nor activation ends nothing
    fresh = world.sign_in("clerk", "set by the admin")
    c.post("/user", headers=world.admin, json={"id": clerk["id"], "name": "Клерк"})
    assert c.get("/programs", headers=fresh).status_code == 200


# -- members ---------------------------------------------------------------------------
def member_with_profile(world: AdminWorld) -> tuple[int, int]:
    program_id = world.fund.program(price="300")
    member_id = world.fund.sign_up()
    world.fund.submit(member_id, program_id)
    return member_id, program_id


def test_review_queue_search_detail_and_approval(world: AdminWorld) -> None:
    c, h = world.client, world.operator
    member_id, program_id = member_with_profile(world)
    queue = c.post("/members", headers=h, json={"filter": {"query": ""}}).json()["data"]
    assert [m["id"] for m in queue] == [member_id]
    certificate = c.get("/member/generate_certificate", headers=h).json()["data"]
    r = c.put("/member", headers=h, json={"id": member_id, "is_submitted": True})
    assert r.status_code == 422 and "certificate" in error_of(r)["message"]
    r = c.put(
        "/member",
        headers=h,
        json={
            "id": member_id,
            "certificate": certificate,
            "is_submitted": True,
            "last_name": "Ґонта",
        },
    )
    assert r.status_code == 200 and r.json()["data"]["is_active"] is True
    assert c.post("/members", headers=h, json={"filter": {"query": ""}}).json()["data"] == []
    found = c.post(
        "/members", headers=h, json={"filter": {"query": "ґОНТА олена", "fields": {"name": True}}}
    ).json()["data"]
    assert [m["id"] for m in found] == [member_id]
    none = c.post(
        "/members", headers=h, json={"filter": {"query": "ґонта", "fields": {"inn": True}}}
    ).json()["data"]
    assert none == []
    detail = c.post("/member", headers=h, json={"id": member_id}).json()
    assert set(detail) == {
        "member",
        "actual_program",
        "new_program",
        "programs",
        "current_identities",
        "new_identities",
        "identities",
        "requests",
        "payments",
        "corrections",
        "notifications",
    }
    assert detail["actual_program"]["id"] == program_id and len(detail["current_identities"]) == 3
    stored = detail["identities"][0]["file"]["filename"]
    r = c.post("/files", headers=h, json={"user_id": member_id, "filename": stored})
    assert r.status_code == 200 and r.content.startswith(JPEG[:3])
    assert (
        c.post("/files", headers=h, json={"user_id": member_id + 1, "filename": stored}).status_code
        == 404
    )
    assert c.post("/member", headers=h, json={"id": 999}).status_code == 404
    r = c.put("/member", headers=h, json={"id": member_id, "is_active": False})
    assert r.json()["data"]["status"] == "blocked"
    r = c.put("/member", headers=h, json={"id": member_id, "iban": "UA00"})
    assert r.status_code == 400 and "iban" in error_of(r)["errors"]


def test_new_documents_are_refused_with_a_reason_the_member_reads(world: AdminWorld) -> None:
    c, h = world.client, world.operator
    member_id, _ = member_with_profile(world)
    r = c.put(
        "/member",
        headers=h,
        json={"id": member_id, "approve_documents": True, "refuse_documents": "Розмито"},
    )
    assert r.status_code == 400 and "refuse_documents" in error_of(r)["errors"]
    r = c.put("/member", headers=h, json={"id": member_id, "refuse_documents": ""})
    assert r.status_code == 400 and "refuse_documents" in error_of(r)["errors"]
    assert world.fund.tables().members[member_id].status.value == "pending_review"
    r = c.put("/member", headers=h, json={"id": member_id, "refuse_documents": "Розмито"})
    assert r.status_code == 200, r.text
    assert r.json()["data"]["status"] == "registered"
    detail = c.post("/member", headers=h, json={"id": member_id}).json()
    assert detail["new_identities"] == [] and detail["current_identities"] == []
    refused = [d for d in detail["identities"] if d["refused_at"]]
    assert len(refused) == 3 and {d["refusal_reason"] for d in refused} == {"Розмито"}
    assert c.post("/members", headers=h, json={"filter": {"query": ""}}).json()["data"] == []
    r = c.put("/member", headers=h, json={"id": member_id, "refuse_documents": "Ще раз"})
    assert r.status_code == 409 and "no new documents" in error_of(r)["message"]


# -- programs ------------------------------------------------------------------------------
def test_programs_with_a_public_terms_file(world: AdminWorld) -> None:
    c, h = world.client, world.operator
    r = c.put(
        "/program",
        headers=h,
        data={"program_name": "Базова", "month_price": "300"},
        files=[("new_program_file", ("умови.pdf", PDF, "application/pdf"))],
    )
    assert r.status_code == 200, r.text
    program = r.json()["data"]
    assert program["month_price"] == 300.0 and program["program_file"].endswith(".pdf")
    public = c.get(f"/program/{program['program_file']}")
    assert public.status_code == 200 and public.content == PDF
    assert public.headers["content-type"].startswith("application/pdf")
    assert c.get("/program/nothing.pdf").status_code == 404
    r = c.put(
        "/program",
        headers=h,
        data={"id": str(program["id"]), "is_active": "false"},
        files=[("new_program_file", ("x.pdf", PDF + b"2", "application/pdf"))],
    )
    assert r.json()["data"]["is_active"] is False
    assert c.get("/programs", headers=h).json() == {"status": "success", "data": []}
    got = c.post("/program", headers=h, json={"id": program["id"]}).json()
    assert got["status"] == "success" and got["data"]["program_name"] == "Базова"
    assert c.post("/program", headers=h, json={"id": 999}).status_code == 404


# -- payments and requests ------------------------------------------------------------------
def approved_member(world: AdminWorld) -> int:
    member_id = world.fund.approved_member(world.fund.program(price="300"))
    return member_id


def test_payments_registry_filters_are_anded_and_paged(world: AdminWorld) -> None:
    c, h = world.client, world.operator
    alice, bob = approved_member(world), approved_member(world)
    today = world.fund.clock.today().isoformat()
    for member, amount in ((alice, 300), (alice, 50), (bob, 300)):
        r = c.put(
            "/payment",
            headers=h,
            json={"member": member, "type": "top_up", "date": today, "amount": amount},
        )
        assert r.status_code == 200, r.text
    cert = world.fund.profiles.get(alice).member.certificate
    both = c.post("/payments", headers=h, json={"certificate": cert, "amount_start": 100}).json()
    assert both["total"] == 1 and both["data"][0]["member"] == alice
    assert both["data"][0]["member_name"] and both["data"][0]["type"] == "top_up"
    paged = c.post("/payments", headers=h, json={"limit": 2, "offset": 0}).json()
    assert paged["total"] == 3 and len(paged["data"]) == 2
    assert c.post("/payments", headers=h, json={"type": ["gift"]}).status_code == 400
    assert c.post("/payments", headers=h, json={"limit": 0}).status_code == 400


def test_request_work_payout_cap_and_four_eyes(tmp_path: Path) -> None:
    kasa, fakes = build_kasa(tmp_path, KASA_FOUR_EYES_THRESHOLD="1000")
    fund = Fund.on(kasa, fakes, kasa.adapters.database())
    for login, role, password in (
        ("chief", Role.ADMIN, ADMIN_PASSWORD),
        ("clerk", Role.OPERATOR, OPERATOR_PASSWORD),
    ):
        fund.accounts.create(None, login=login, role=role, password=password)
    with TestClient(create_admin_app(kasa)) as c:
        world = AdminWorld(c, kasa, fund, fakes, {}, {})
        admin, h = world.sign_in("chief", ADMIN_PASSWORD), world.sign_in("clerk", OPERATOR_PASSWORD)
        member_id = fund.approved_member(fund.program())
        view = fund.requests.create(member_id, "Ліки", [Upload.of("f", "чек.jpg", JPEG)])
        request_id = view.request.id
        listed = c.post("/requests", headers=h, json={}).json()
        assert listed["total"] == 1 and listed["data"][0]["member_name"]
        r = c.put("/request", headers=h, json={"id": request_id, "diagnos": "J06", "suma": 2000})
        assert r.json()["data"]["suma"] == 2000.0
        today = fund.clock.today().isoformat()
        r = c.put(
            "/payment",
            headers=h,
            json={
                "member": member_id,
                "type": "payout",
                "request": request_id,
                "date": today,
                "amount": 2500,
            },
        )
        assert r.status_code == 422 and "exceed" in error_of(r)["message"]
        r = c.put(
            "/payment",
            headers=h,
            json={
                "member": member_id,
                "type": "payout",
                "request": request_id,
                "date": today,
                "amount": 1500,
            },
        )
        pending = r.json()["data"]
        assert pending["status"] == "pending" and pending["needs_approval"]
        r = c.post("/payout/approve", headers=h, json={"payment_id": pending["id"]})
        assert r.status_code == 403
        r = c.post("/payout/approve", headers=admin, json={"payment_id": pending["id"]})
        assert r.json()["data"]["status"] == "confirmed"
        rest = c.put(
            "/payment",
            headers=h,
            json={
                "member": member_id,
                "type": "payout",
                "request": request_id,
                "date": today,
                "amount": 500,
            },
        ).json()["data"]
        # under the threshold on its own, but the request's payouts together pass it
        assert rest["status"] == "pending" and rest["needs_approval"]
        r = c.post("/payout/approve", headers=admin, json={"payment_id": rest["id"]})
        assert r.json()["data"]["status"] == "confirmed"
        r = c.post(
            "/request/message", headers=h, json={"request_id": request_id, "message": "Виплачено"}
        )
        assert r.json()["status"] == "success"
        r = c.put("/request", headers=h, json={"id": request_id, "status": "closed"})
        assert r.status_code == 400
        r = c.put(
            "/request", headers=h, json={"id": request_id, "status": "closed", "resolution": "paid"}
        )
        assert r.json()["data"]["status"] == "closed"
        r = c.put("/request", headers=h, json={"id": request_id, "status": "awaiting_client"})
        assert r.status_code == 409
        read = c.post("/request", headers=h, json={"request": request_id}).json()["data"]
        assert sorted(p["type"] for p in read["charges"]) == ["partial_payout", "payout"]
        assert {t["code"] for t in read["payout_types"]} == {"payout", "partial_payout"}
        assert read["messages"][0]["author"] == "staff" and len(read["files"]) == 1
        assert c.post("/request", headers=h, json={"request": 999}).status_code == 404
        closed = c.post("/requests", headers=h, json={"status": ["closed"]}).json()
        assert closed["total"] == 1
    kasa.adapters.database().dispose()


# -- books -----------------------------------------------------------------------------------
def test_exports_open_in_a_spreadsheet(world: AdminWorld) -> None:
    member_id = approved_member(world)
    world.fund.office.correct(world.fund.operator_id, member_id, MemberData(last_name="Їжакевич"))
    world.fund.staff_payments.record_top_up(
        world.fund.operator_id, member_id, Money(30000), world.fund.clock.today()
    )
    for kind, rows in (("payments", 1), ("members", 1), ("requests", 0)):
        r = world.client.get(f"/export/{kind}.csv", headers=world.operator)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        text = r.content.decode("utf-8")
        assert text.startswith("\ufeff")
        table = list(csv.reader(io.StringIO(text[1:])))
        assert table[0][0] == "id" and len(table) == rows + 1
        if kind != "requests":
            assert any("Їжакевич" in cell for cell in table[1])
    assert world.client.get("/export/secrets.csv", headers=world.operator).status_code == 400
    # the same filters as the list routes
    big = world.client.get("/export/payments.csv?amount_start=1000", headers=world.operator)
    assert len(list(csv.reader(io.StringIO(big.content.decode()[1:])))) == 1  # header only
    mine = world.client.get("/export/members.csv?query=їжакевич", headers=world.operator)
    assert len(list(csv.reader(io.StringIO(mine.content.decode()[1:])))) == 2
    r = world.client.get("/export/members.csv?status=lost", headers=world.operator)
    assert r.status_code == 400
    for kind in ("members", "requests"):  # an empty status is no filter (schema-valid)
        empty = world.client.get(f"/export/{kind}.csv?status=", headers=world.operator)
        whole = world.client.get(f"/export/{kind}.csv", headers=world.operator)
        assert empty.status_code == 200 and empty.content == whole.content
    assert world.client.get("/export/members.csv").status_code == 401


def test_an_admin_refunds_a_contribution_and_the_registry_shows_it(
    world: AdminWorld,
) -> None:
    member_id = approved_member(world)
    order = world.fund.pay(member_id, "300")
    rows = world.client.post("/payments", json={}, headers=world.operator).json()["data"]
    (row,) = [r for r in rows if r["type"] == "top_up"]
    assert (row["status"], row["gateway"]) == ("confirmed", "liqpay")
    refund = f"/payments/{row['id']}/refund"
    reason = {"reason": "Сплачено двічі"}
    assert world.client.post(refund, json=reason, headers=world.operator).status_code == 403
    r = world.client.post(refund, json=reason, headers=world.admin)
    assert r.status_code == 200 and r.json()["data"]["status"] == "refund_requested"
    assert world.fakes.gateway.refunds[-1][0] == order
    world.fund.gateway.callback("liqpay", world.fakes.gateway.message(order, "300", "reversed"))
    rows = world.client.post("/payments", json={}, headers=world.operator).json()["data"]
    assert [r["status"] for r in rows if r["id"] == row["id"]] == ["reversed"]
    report = world.client.get("/reports/fund", headers=world.operator).json()
    assert (report["money_in"], report["reversed"], report["balance"]) == (300.0, 300.0, 0.0)


def test_fund_report_audit_and_health(world: AdminWorld) -> None:
    member_id = approved_member(world)
    world.fund.pay(member_id, "300")
    reversed_later = world.fund.pay(member_id, "100")
    world.fakes.clock.advance(hours=1)
    world.fund.gateway.callback(
        "liqpay", world.fakes.gateway.message(reversed_later, "100", "reversed")
    )
    report = world.client.get("/reports/fund", headers=world.operator).json()
    assert report["money_in"] == 400.0 and report["members_by_status"]["approved"] == 1
    assert (report["reversed"], report["money_out"], report["balance"]) == (100.0, 0.0, 300.0)
    assert report["balance_total"] == 300.0
    assert report["money_in_by_gateway"] == {"liqpay": 400.0}
    assert report["months"][0]["program"] == "Базова"
    assert (report["months"][0]["reversed"], report["months"][0]["balance"]) == (100.0, 300.0)
    r = world.client.get("/reports/fund?date_from=2030-01-01", headers=world.operator)
    assert r.json()["money_in"] == 0.0 and r.json()["balance_total"] == 300.0
    trail = world.client.post(
        "/audit",
        headers=world.operator,
        json={"object_kind": "member", "object_id": str(member_id), "limit": 3},
    ).json()
    assert trail["total"] >= 4 and len(trail["data"]) == 3
    assert (
        world.client.post(
            "/audit", headers=world.operator, json={"event_type": ["nonsense"]}
        ).status_code
        == 400
    )
    assert world.client.get("/health").json() == {"status": "ok", "database": "ok"}


ADMIN_ROUTES = [
    ("post", "/files"),
    ("get", "/program/{filename}"),
    ("post", "/signin"),
    ("get", "/user"),
    ("get", "/user/{user_id}"),
    ("put", "/user"),
    ("post", "/user"),
    ("delete", "/user/{user_id}"),
    ("post", "/user/change_password"),
    ("post", "/members"),
    ("get", "/member/generate_certificate"),
    ("post", "/member"),
    ("put", "/member"),
    ("get", "/programs"),
    ("post", "/program"),
    ("put", "/program"),
    ("put", "/payment"),
    ("post", "/payments"),
    ("post", "/requests"),
    ("put", "/request"),
    ("post", "/request/message"),
    ("post", "/request"),
    ("post", "/audit"),
    ("post", "/payout/approve"),
    ("get", "/export/{kind}"),
    ("get", "/reports/fund"),
    ("get", "/health"),
]


def test_openapi_lists_every_admin_route(world: AdminWorld) -> None:
    paths = world.client.get("/docs/openapi.json").json()["paths"]
    for method, path in ADMIN_ROUTES:
        assert method in paths.get(path, {}), (method, path)
    assert world.client.get("/docs/swagger").status_code == 200


# -- the admin site's whole forms, read as decisions --------------------------------------
def test_a_saved_member_form_acts_only_on_what_changed(world: AdminWorld) -> None:
    c, h = world.client, world.operator
    member_id = approved_member(world)
    before = world.fund.tables().members[member_id].certificate
    events = len(world.fund.events())
    # the site resends is_submitted and is_active with every save of an approved member
    r = c.put("/member", headers=h, json={"id": member_id, "is_submitted": True, "is_active": True})
    assert r.status_code == 200 and r.json()["data"]["is_active"] is True
    assert world.fund.tables().members[member_id].certificate == before
    assert len(world.fund.events()) == events  # nothing decided, nothing recorded
    r = c.put("/member", headers=h, json={"id": member_id, "is_submitted": False})
    assert r.status_code == 409 and "block" in error_of(r)["message"]
    r = c.put("/member", headers=h, json={"id": member_id, "is_active": False})
    assert r.status_code == 200 and r.json()["data"]["is_active"] is False
    r = c.put("/member", headers=h, json={"id": member_id, "is_active": False})
    assert r.status_code == 200  # already blocked: nothing to decide
    assert len(world.fund.events(EventType.BLOCKED)) == 1
    r = c.put("/member", headers=h, json={"id": member_id, "is_active": True})
    assert r.json()["data"]["is_active"] is True
    assert world.fund.events()[-1].event_type is EventType.UNBLOCKED


def test_a_saved_request_form_is_one_step_and_names_the_sites_fields(world: AdminWorld) -> None:
    c, h = world.client, world.operator
    member_id = approved_member(world)
    request_id = world.fund.requests.create(member_id, "", []).request.id
    for body, field in (
        ({"status": "closed"}, "resolution"),
        ({"status": "opened", "resolution": "paid"}, "resolution"),
        ({"resolution": "forgotten"}, "resolution"),
        ({"status": "lost"}, "status"),
        ({"suma": -1}, "suma"),
    ):
        r = c.put("/request", headers=h, json={"id": request_id, **body})
        assert r.status_code == 400 and field in error_of(r)["errors"], (body, r.text)
    r = c.put("/request", headers=h, json={"id": request_id, "resolution": "rejected"})
    assert r.status_code == 400 and "reason" in error_of(r)["errors"]
    r = c.put(
        "/request",
        headers=h,
        json={"id": request_id, "suma": 100, "status": "closed", "resolution": "paid"},
    )
    assert r.status_code == 422  # nothing paid yet: closing as paid is refused ...
    detail = world.fund.staff_requests.get(world.fund.operator_id, request_id or 0)
    assert detail.request.approved_amount is None  # ... and the assessment with it
    r = c.put("/request", headers=h, json={"id": request_id, "status": "awaiting_client"})
    assert r.json()["data"]["status"] == "awaiting_client"
    r = c.put("/request", headers=h, json={"id": request_id, "status": "opened"})
    assert r.status_code == 409


def test_payment_and_account_forms_are_checked_before_anything_happens(
    world: AdminWorld,
) -> None:
    c, h = world.client, world.operator
    member_id = approved_member(world)
    request_id = world.fund.requests.create(member_id, "", []).request.id
    today = world.fund.clock.today().isoformat()
    base = {"member": member_id, "date": today, "amount": 10}
    for body, field in (
        ({"type": "gift"}, "type"),
        ({"type": "top_up", "request": request_id}, "request"),
        ({"type": "payout"}, "request"),
    ):
        r = c.put("/payment", headers=h, json={**base, **body})
        assert r.status_code == 400 and field in error_of(r)["errors"], (body, r.text)
    r = c.put("/user", headers=world.admin, json={"login": "x2", "role": "boss"})
    assert r.status_code == 400 and "role" in error_of(r)["errors"]
    assert not world.fund.tables().payments
    assert {u.login for u in world.fund.tables().staff.values()} == {
        "admin",
        "olena",
        "chief",
        "clerk",
    }
