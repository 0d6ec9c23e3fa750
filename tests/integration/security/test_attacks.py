"""Hostile input on purpose: HTML dressed as a picture, path tricks in file names, many
files at once, SQL metacharacters and very long strings in every search field."""

from __future__ import annotations

import pytest

from kasa.application.repositories import MemberQuery, Page, PaymentQuery, RequestQuery
from kasa.application.search import words_of
from tests.integration.http.conftest import MobileWorld
from tests.unit.app.helpers import JPEG

HTML = b"<html><script>alert(document.cookie)</script></html>"


def approved_headers(world: MobileWorld, phone: str) -> dict[str, str]:
    member_id, headers = world.sign_up(phone)
    world.fund.submit(member_id, world.fund.program())
    world.fund.approve(member_id)
    return headers


def test_html_named_jpg_and_path_tricks_are_harmless(world: MobileWorld) -> None:
    headers = approved_headers(world, "+380671112233")
    r = world.client.post(
        "/user/request/create",
        headers=headers,
        data={"comment": "x"},
        files=[
            ("files", ("photo.jpg", HTML, "image/jpeg")),
            ("files", ("../../../etc/passwd", JPEG, "image/jpeg")),
        ],
    )
    assert r.status_code == 200, r.text
    files = r.json()["files"]
    assert sorted(f["filename"] for f in files) == ["passwd", "photo.jpg"]
    for file in files:
        served = world.client.get(file["url"].removeprefix("http://mobile.test"), headers=headers)
        # the HTML is recognised by its bytes as plain text and never served as a page
        assert served.headers["content-type"].split(";")[0] in ("text/plain", "image/jpeg")
        assert served.headers["x-content-type-options"] == "nosniff"
        assert "sandbox" in served.headers["content-security-policy"]
    stored = [p for p in world.settings.files_dir.rglob("*") if p.is_file()]
    assert stored and all(
        p.resolve().is_relative_to(world.settings.files_dir.resolve()) for p in stored
    )
    assert all("passwd" not in p.name and "photo" not in p.name for p in stored)


def test_too_many_files_at_once_are_refused_and_nothing_is_kept(world: MobileWorld) -> None:
    headers = approved_headers(world, "+380671112233")
    before = {p for p in world.settings.files_dir.rglob("*") if p.is_file()}
    many = [("files", (f"{n}.jpg", JPEG + bytes([n]), "image/jpeg")) for n in range(21)]
    r = world.client.post(
        "/user/request/create", headers=headers, data={"comment": "x"}, files=many
    )
    assert r.status_code == 400 and "at most 20" in r.json()["message"]
    assert {p for p in world.settings.files_dir.rglob("*") if p.is_file()} == before


@pytest.mark.parametrize(
    "text", ["' OR 1=1 --", "%_%", "\\", '"; DROP TABLE members; --', "ї" * 5000, "a\x00b"]
)
def test_search_fields_take_any_text(world: MobileWorld, text: str) -> None:
    world.fund.approved_member(world.fund.program())
    staff = world.fund.operator_id
    assert world.fund.office.search(staff, text, [], Page()) == []
    found = world.fund.staff_requests.list(staff, RequestQuery(words=words_of(text)), Page())
    assert found.total == 0
    assert world.fund.staff_payments.list(staff, PaymentQuery(certificate=text), Page()).total == 0
    with world.kasa.gateways.uow()() as uow:
        assert len(uow.members.search(MemberQuery(), Page())) == 1  # the table is still there
