"""The office in a real headless Chromium (Debian's, driven by Playwright): the staff's
day as one journey — sign in, the queue, a member's card and document, approving, a
request's conversation, its assessment, payout and closing, the fund report — and the
refusals: a form without its token, a session after a password change, an operator at
the staff page. Every page passes axe-core (no serious or critical violation) and loads
nothing from another host. With ``KASA_TEST_SCREENSHOTS=FOLDER`` the main pages are
saved there as PNGs (``scripts/office-screenshots`` makes docs/office/'s)."""

from __future__ import annotations

import os
import shutil
import socket
import struct
import threading
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import attrs
import pytest
import uvicorn
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, sync_playwright

from kasa.application.uploads import Upload
from kasa.domain.staff import Role
from kasa.entrypoints.http.admin import create_admin_app
from tests.integration.app.helpers import Fund, documents
from tests.integration.http.conftest import build_kasa
from tests.support.fakes import Fakes

PASSWORD = "a long password 1"
SERIOUS = {"serious", "critical"}
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@attrs.define
class Site:
    base: str
    fund: Fund
    fakes: Fakes
    browser: Browser
    hosts: set[str] = attrs.field(factory=set)
    checked: list[str] = attrs.field(factory=list)
    shots: Path | None = None

    def open(self) -> Page:
        page = self.browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
        page.on("request", lambda request: self.hosts.add(urlsplit(request.url).netloc))
        return page

    def accessible(self, page: Page, name: str = "") -> None:
        """axe-core on the page as it stands: no serious or critical violation."""
        found = Axe().run(page)
        bad = [
            (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
            for v in found.response["violations"]
            if v["impact"] in SERIOUS
        ]
        assert not bad, (page.url, bad)
        self.checked.append(urlsplit(page.url).path)
        if self.shots is not None and name:
            page.screenshot(path=str(self.shots / f"{name}.png"), full_page=True)

    def sign_in(self, page: Page, login: str, password: str = PASSWORD) -> None:
        page.goto(f"{self.base}/office/")
        page.fill("#login", login)
        page.fill("#password", password)
        page.click("button[type=submit]")
        page.wait_for_url(f"{self.base}/office/")


DOCS = documents()


def document_png(width: int = 240, height: int = 150) -> bytes:
    """A small real image of a document (paper, a header band and lines of "text"), so
    that the card shows pictures, as it does for members' photos of their papers."""
    rows = []
    for y in range(height):
        line = bytearray([0])  # no filter
        for x in range(width):
            if y < 24:
                pixel = (30, 90, 160)
            elif 36 <= y < height - 12 and (y - 36) % 14 < 5 and 16 <= x < width - 16 - (y % 40):
                pixel = (120, 120, 120)
            else:
                pixel = (250, 248, 240)
            line += bytes(pixel)
        rows.append(bytes(line))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + chunk(b"IEND", b"")
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    if CHROMIUM is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is not installed (./scripts/test installs it)")
        pytest.skip("Chromium is not installed (./scripts/test installs it)")
    kasa, fakes = build_kasa(tmp_path, KASA_FOUR_EYES_THRESHOLD="10000")
    fund = Fund.on(kasa, fakes, kasa.adapters.database())
    for login, role, name in (
        ("chief", Role.ADMIN, "Ольга Шевчук"),
        ("clerk", Role.OPERATOR, "Іван"),
    ):
        fund.accounts.create(None, login=login, role=role, name=name, password=PASSWORD)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_admin_app(kasa), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the admin app did not start"
        time.sleep(0.05)
    shots = os.environ.get("KASA_TEST_SCREENSHOTS")
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
            )
            yield Site(
                f"http://127.0.0.1:{port}",
                fund,
                fakes,
                browser,
                shots=Path(shots) if shots else None,
            )
            browser.close()
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        kasa.adapters.database().dispose()


def test_a_staff_members_day_in_the_office(site: Site) -> None:
    fund = site.fund
    waiting = fund.sign_up()
    picture = document_png()
    papers = {
        kind: Upload.of(u.field, f"{u.field}.png", picture) for kind, u in documents().items()
    }
    fund.submit(waiting, fund.program(price="300"), docs=papers)
    paying = fund.approved_member(fund.program("Розширена", price="450"))
    fund.pay(paying, "450")
    request_id = fund.requests.create(paying, "Ліки після операції", []).request.id or 0
    page = site.open()

    page.goto(f"{site.base}/office/")
    assert page.url == f"{site.base}/office/login"
    site.accessible(page, "login")
    site.sign_in(page, "chief")
    assert page.locator("h1").inner_text() == "Сьогодні"
    tiles = page.locator(".tiles dd").all_inner_texts()
    # to review: the member who submitted, and the one whose request awaits staff
    assert tiles[:2] == ["2", "1"]
    site.accessible(page, "today")

    # the queue, the card, a document, approving
    page.click("nav >> text=Учасники")
    assert page.locator("tbody tr").count() == 2
    site.accessible(page, "members")
    with page.expect_response(lambda r: "/office/files/" in r.url) as shown:
        page.click(f"a[href='/office/members/{waiting}']")
    document = shown.value
    assert document.status == 200 and document.headers["content-type"] == "image/png"
    image = page.locator("img.document").first
    image.wait_for()
    assert page.evaluate("(img) => img.complete && img.naturalWidth", image.element_handle()) == 240
    site.accessible(page, "member")
    page.click("text=Схвалити учасника")
    site.accessible(page)
    page.click("button[type=submit] >> text=Схвалити учасника")
    page.wait_for_selector(".done")
    certificate = fund.office.detail(fund.operator_id, waiting).member.certificate
    assert certificate and f"посвідчення {certificate}" in page.locator(".lead").inner_text()
    # correcting data: a value refused is shown beside its field, the rest as typed
    page.click("text=Виправити дані")
    page.fill("#iban", "UA00")
    page.click("button[type=submit] >> text=Зберегти")
    page.wait_for_selector("#iban-error")
    assert page.locator("#iban").get_attribute("aria-invalid") == "true"
    site.accessible(page)
    page.fill("#middle_name", "Іванівна")
    page.fill("#iban", fund.office.detail(fund.operator_id, waiting).member.iban)
    page.click("button[type=submit] >> text=Зберегти")
    page.wait_for_selector("text=Дані виправлено; зміни записано до журналу.")
    assert fund.office.detail(fund.operator_id, waiting).member.middle_name == "Іванівна"

    # a request: a message without a full reload, an amount, a payout, closing
    page.click("nav >> text=Звернення")
    site.accessible(page, "requests")
    page.click(f"a[href='/office/requests/{request_id}']")
    page.evaluate("window.kasaStayed = true")
    page.fill("#message", "Додайте, будь ласка, чек.")
    page.click("#conversation button[type=submit]")
    page.wait_for_selector("#thread >> text=Додайте, будь ласка, чек.")
    assert page.evaluate("window.kasaStayed === true")  # the page was not reloaded
    site.accessible(page, "request")
    page.fill("#assess-amount", "500")
    page.click("form[action$='/assess'] button")
    site.accessible(page)
    page.click("button[type=submit] >> text=Оцінити звернення")
    page.wait_for_selector("text=Оцінку записано.")
    page.fill("#payout-amount", "500")
    page.click("form[action$='/payout'] button")
    page.click("button[type=submit] >> text=Записати виплату")
    page.wait_for_selector("text=Виплату записано.")
    page.select_option("#resolution", "paid")
    page.click("form[action$='/close'] button")
    page.click("button[type=submit] >> text=Закрити звернення")
    page.wait_for_selector("text=Звернення закрито.")
    assert "закрите (сплачено)" in page.locator(".lead").inner_text()

    # the books
    page.click("nav >> text=Звіти")
    assert "500,00 грн" in page.locator(".tiles").inner_text()
    assert page.locator("svg.chart rect.out").count() == 1
    site.accessible(page, "reports")
    # a program's terms, uploaded from the browser as a file
    page.click("nav >> text=Програми")
    page.set_input_files(
        "input[type=file] >> nth=0",
        files=[{"name": "umovy.txt", "mimeType": "text/plain", "buffer": "Умови".encode()}],
    )
    page.click("form[enctype] button >> nth=0")
    page.wait_for_selector("text=Умови програми завантажено.")
    with page.expect_response(lambda r: "/program/" in r.url) as terms:
        page.click("text=Відкрити >> nth=0")
    assert terms.value.status == 200 and terms.value.body() == "Умови".encode()
    page.go_back()
    for section, name in (
        ("Платежі", "payments"),
        ("Програми", "programs"),
        ("Журнал", "audit"),
        ("Працівники", "staff"),
    ):
        page.click(f"nav >> text={section}")
        site.accessible(page, name)
    # pages reached from others: what members were told, and one's own settings
    page.click("nav >> text=Сьогодні")
    page.click("a[href='/office/notifications?state=failed']")
    site.accessible(page, "notifications")
    page.click("header >> text=Ольга Шевчук")
    site.accessible(page, "me")

    # a changing form without its token changes nothing
    refused = page.request.post(f"{site.base}/office/logout", form={"csrf_token": "forged"})
    assert refused.status == 403
    page.goto(f"{site.base}/office/")
    assert page.url == f"{site.base}/office/"  # still signed in

    # an operator has no staff page
    clerk = site.open()
    site.sign_in(clerk, "clerk")
    assert clerk.locator("nav >> text=Працівники").count() == 0
    answer = clerk.goto(f"{site.base}/office/staff")
    assert answer is not None and answer.status == 403
    site.accessible(clerk)

    # a new password ends the session
    chief = fund.accounts.by_login("chief")
    fund.accounts.change_password(chief.id, new_password=PASSWORD + "2", old_password=PASSWORD)
    page.goto(f"{site.base}/office/")
    assert page.url == f"{site.base}/office/login"

    assert site.hosts == {urlsplit(site.base).netloc}  # nothing from another host
    assert len(set(site.checked)) >= 12


def test_the_office_in_english_reads_english(site: Site) -> None:
    page = site.open()
    site.sign_in(page, "clerk")
    page.click(".signout a")
    page.select_option("#language", "en")
    page.click("button[type=submit] >> text=Зберегти")
    page.wait_for_selector("text=The language is changed.")
    assert page.locator("html").get_attribute("lang") == "en"
    page.click("nav >> text=Today")
    assert page.locator("h1").inner_text() == "Today"
    site.accessible(page)
    assert site.hosts == {urlsplit(site.base).netloc}
