"""Hostile input on purpose: HTML dressed as a picture, path tricks in file names, many
files at once, SQL metacharacters and very long strings in every search field."""

from __future__ import annotations

import pytest

from kasa.application.reads import MemberQuery, Page, PaymentQuery, RequestQuery
from kasa.application.search import words_of
from tests.integration.app.helpers import JPEG
from tests.integration.http.conftest import MobileWorld

HTML = b"<html><script>alert(document.cookie)</script></html>"


def approved_headers(world: MobileWorld, phone: str) -> dict[str, str]:
    member_id, headers = world.sign_up(phone)
    world.fund.submit(member_id, world.fund.program())
    world.fund.approve(member_id)
    return headers


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("photo.jpg", HTML),  # markup named as a picture
        ("notes.txt", HTML),  # markup named as text
        ("notes.txt", b"  \n<!DOCTYPE html><p>hi</p>"),
        ("scan.txt", b"<svg onload=alert(1)></svg>"),
        ("data.txt", b'<?xml version="1.0"?><x/>'),
        ("chek.txt", b"Oplata 300 grn\n" * 400 + b"<ScRiPt>alert(1)</script>"),  # deep inside
        ("receipt", b"<html>no extension</html>"),
        ("page.html", b"just text"),  # a name promising a page
        ("photo.jpg", b"plain words, not a JPEG"),  # the content contradicts the name
        ("scan.pdf", JPEG),
        ("latin1.txt", "Оплата".encode("cp1251")),  # not UTF-8
    ],
)
def test_markup_and_content_that_contradicts_its_name_are_refused(
    world: MobileWorld, name: str, content: bytes
) -> None:
    headers = approved_headers(world, "+380671112233")
    before = {p for p in world.settings.files.folder.rglob("*") if p.is_file()}
    r = world.client.post(
        "/user/request/create",
        headers=headers,
        data={"comment": "x"},
        files=[("files", (name, content, "image/jpeg"))],
    )
    assert r.status_code == 400, r.text
    assert r.json()["errors"]["files"].startswith(f"{name}: ")  # names the file
    assert {p for p in world.settings.files.folder.rglob("*") if p.is_file()} == before
    assert world.fund.staff_requests.list(world.fund.operator_id, RequestQuery(), Page()).total == 0


def test_path_tricks_in_names_are_only_labels(world: MobileWorld) -> None:
    headers = approved_headers(world, "+380671112233")
    r = world.client.post(
        "/user/request/create",
        headers=headers,
        data={"comment": "x"},
        files=[
            ("files", ("../../../etc/passwd", JPEG, "image/jpeg")),
            ("files", ("notes.txt", "Чек на 300 грн <3".encode(), "text/plain")),
        ],
    )
    assert r.status_code == 200, r.text
    files = r.json()["files"]
    assert sorted(f["filename"] for f in files) == ["notes.txt", "passwd"]
    for file in files:
        served = world.client.get(file["url"].removeprefix("http://mobile.test"), headers=headers)
        assert served.headers["content-type"].split(";")[0] in ("text/plain", "image/jpeg")
        assert served.headers["x-content-type-options"] == "nosniff"
        assert "sandbox" in served.headers["content-security-policy"]
    stored = [p for p in world.settings.files.folder.rglob("*") if p.is_file()]
    assert stored and all(
        p.resolve().is_relative_to(world.settings.files.folder.resolve()) for p in stored
    )
    assert all("passwd" not in p.name and "notes" not in p.name for p in stored)


def test_too_many_files_at_once_are_refused_and_nothing_is_kept(world: MobileWorld) -> None:
    headers = approved_headers(world, "+380671112233")
    before = {p for p in world.settings.files.folder.rglob("*") if p.is_file()}
    many = [("files", (f"{n}.jpg", JPEG + bytes([n]), "image/jpeg")) for n in range(21)]
    r = world.client.post(
        "/user/request/create", headers=headers, data={"comment": "x"}, files=many
    )
    assert r.status_code == 400 and "at most 20" in r.json()["message"]
    assert {p for p in world.settings.files.folder.rglob("*") if p.is_file()} == before


@pytest.mark.parametrize(
    "text", ["' OR 1=1 --", "%_%", "\\", '"; DROP TABLE members; --', "ї" * 200, "a\x00b"]
)
def test_search_fields_take_any_text(world: MobileWorld, text: str) -> None:
    world.fund.approved_member(world.fund.program())
    staff = world.fund.operator_id
    assert world.fund.office.search(staff, text, [], Page()) == []
    found = world.fund.staff_requests.list(staff, RequestQuery(words=words_of(text)), Page())
    assert found.total == 0
    assert world.fund.staff_payments.list(staff, PaymentQuery(certificate=text), Page()).total == 0
    # the table is still there
    assert len(world.kasa.adapters.reads().members(MemberQuery(), Page())) == 1


@pytest.mark.parametrize("charset", ["x-bogus", "punycode", "utf-16", "cp1251"])
def test_a_form_field_in_any_charset_but_utf8_is_refused_naming_it(
    world: MobileWorld, charset: str
) -> None:
    """A text part's charset is never handed to a decoder: a made-up one crashed the
    public Diia callback, a costly one (punycode) slowed every route."""
    boundary = "kasa-boundary"
    body = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="encodeData"\r\n'
        f"Content-Type: text/plain; charset={charset}\r\n\r\n"
        + "a" * 2000
        + f"\r\n--{boundary}--\r\n"
    ).encode()
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    r = world.client.post("/user/profile/diia-callback", content=body, headers=headers)
    assert r.status_code == 400, r.text
    assert r.json()["errors"] == {"encodeData": f"must be UTF-8 text, not {charset}"}


def test_a_form_field_that_says_utf8_but_is_not_is_refused_naming_it(world: MobileWorld) -> None:
    boundary = "kasa-boundary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="encodeData"\r\n\r\n'.encode()
        + "Оплата".encode("cp1251")
        + f"\r\n--{boundary}--\r\n".encode()
    )
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    r = world.client.post("/user/profile/diia-callback", content=body, headers=headers)
    assert r.status_code == 400 and r.json()["errors"] == {"encodeData": "must be UTF-8 text"}


@pytest.mark.parametrize(
    "path",
    ["/user/signin/", "/user/signin%2F", "/user/signin%2f", "//user/signin", "/user//signin"],
)
def test_a_route_answers_only_to_its_own_spelling(world: MobileWorld, path: str) -> None:
    """A limit a proxy puts on `/user/signin` cannot be stepped around with another
    spelling of the path: Kasa answers only the one the routes have."""
    r = world.client.post(path, json={"phone": "+380501112233", "code": "123456"})
    assert r.status_code == 404 and r.json()["status"] == "error"
    assert r.headers["x-content-type-options"] == "nosniff" and r.headers["x-request-id"]
    assert world.fakes.sms.sent == []
    right = world.client.post("/user/signin", json={"phone": "+380501112233", "code": "123456"})
    assert right.status_code == 401  # the route's own spelling reaches it


def test_a_file_field_sent_as_text_is_refused_in_words(world: MobileWorld) -> None:
    _, headers = world.sign_up("+380501112233")
    program_id = world.fund.program()
    form = {
        "first_name": "Олена",
        "last_name": "Коваль",
        "email": "o@example.com",
        "program_id": str(program_id),
        "iban": "UA213223130000026007233566001",
        "id_1": "null",
    }
    files = [("inn", ("a.jpg", JPEG + b"1", "image/jpeg"))]
    r = world.client.post("/user/profile/create", headers=headers, data=form, files=files)
    assert r.status_code == 400 and r.json()["errors"]["id_1"] == "must be a file, not text"
