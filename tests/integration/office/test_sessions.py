"""The office's front door over HTTP: signing in and out, the session cookie, CSRF on
every changing form, sessions ending by time and by account changes, errors as pages,
and the landing page's figures."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest
from litestar.testing import TestClient

from kasa.domain.money import Money
from kasa.domain.notifications import Language
from kasa.domain.staff import Role
from kasa.entrypoints.http.admin import create_admin_app
from tests.integration.app.helpers import Fund
from tests.integration.http.conftest import build_kasa
from tests.support.fakes import Fakes

PASSWORD = "a long password 1"
HTMX_SHA256 = "d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717"


@attrs.define
class Office:
    client: TestClient[Any]
    fund: Fund
    fakes: Fakes

    def form_token(self, path: str = "/office/login") -> str:
        page = self.client.get(path)
        found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert found, page.text
        return found.group(1)

    def sign_in(self, login: str = "chief", password: str = PASSWORD) -> Any:
        token = self.form_token()
        return self.client.post(
            "/office/login",
            data={"login": login, "password": password, "csrf_token": token},
            follow_redirects=False,
        )


def office_on(
    tmp_path: Path, base_url: str = "http://testserver.local", **environ: str
) -> Iterator[Office]:
    kasa, fakes = build_kasa(tmp_path, **environ)
    fund = Fund.on(kasa, fakes, kasa.adapters.database())
    for login, role in (("chief", Role.ADMIN), ("clerk", Role.OPERATOR)):
        fund.accounts.create(None, login=login, role=role, name=login.title(), password=PASSWORD)
    with TestClient(create_admin_app(kasa), base_url=base_url) as client:
        yield Office(client, fund, fakes)
    kasa.adapters.database().dispose()


def field_error(html: str, field_id: str) -> str | None:
    """The error a refused form shows beside a field, which names it as described."""
    found = re.search(rf'<span class="error" id="{field_id}-error">([^<]*)</span>', html)
    if found is None:
        return None
    assert f'aria-describedby="{field_id}-error"' in html
    return found.group(1).replace("&#39;", "'")


@pytest.fixture
def office(tmp_path: Path) -> Iterator[Office]:
    yield from office_on(tmp_path)


def test_a_stranger_is_sent_to_sign_in_and_the_pages_say_what_they_allow(
    office: Office,
) -> None:
    r = office.client.get("/office/", follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/office/login")
    page = office.client.get("/office/login")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["cache-control"] == "no-store"
    assert '<html lang="uk">' in page.text and "<title>Вхід — Каса</title>" in page.text
    assert 'name="login"' in page.text and 'name="password"' in page.text
    assert "<script>" not in page.text and "style=" not in page.text  # nothing inline
    htmx = office.client.get("/office/static/htmx-2.0.11.min.js")
    assert hashlib.sha256(htmx.content).hexdigest() == HTMX_SHA256
    assert office.client.get("/office/static/other.js").status_code == 404
    missing = office.client.get("/office/no-such-page")
    assert missing.status_code == 404 and "Такої сторінки немає." in missing.text


def test_signing_in_opens_a_session_the_cookie_names(office: Office) -> None:
    r = office.sign_in()
    assert (r.status_code, r.headers["location"]) == (303, "/office/")
    cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith("kasa_office="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/office" in cookie
    assert "Secure" not in cookie  # outside production
    secret = cookie.split(";")[0].split("=", 1)[1]
    with office.fund.uow() as uow:  # only the secret's hash is kept
        assert uow.office_sessions.get(secret) is None
        assert uow.office_sessions.get(hashlib.sha256(secret.encode()).hexdigest())
    landing = office.client.get("/office/")
    assert landing.status_code == 200 and "<h1>Сьогодні</h1>" in landing.text
    assert "Chief" in landing.text


def test_wrong_passwords_and_forms_without_their_token_are_refused(office: Office) -> None:
    wrong = office.sign_in(password="not the password")
    assert wrong.status_code == 401 and "Неправильний логін або пароль." in wrong.text
    assert 'value="chief"' in wrong.text  # the login is kept, the password is not
    token = office.form_token()
    for form in (
        {"login": "chief", "password": PASSWORD},
        {"login": "chief", "password": PASSWORD, "csrf_token": "forged"},
    ):
        refused = office.client.post("/office/login", data=form, follow_redirects=False)
        assert refused.status_code == 403 and "Форму не прийнято" in refused.text
    assert office.client.get("/office/", follow_redirects=False).status_code == 303
    assert token  # the form's own token was there to be sent
    for _ in range(5):
        office.sign_in(password="not the password")
    throttled = office.sign_in()
    assert throttled.status_code == 429 and "Забагато невдалих спроб" in throttled.text


def test_signing_out_needs_the_sessions_token_and_ends_it(office: Office) -> None:
    office.sign_in()
    token = office.form_token("/office/")
    refused = office.client.post("/office/logout", data={}, follow_redirects=False)
    assert refused.status_code == 403
    assert office.client.get("/office/").status_code == 200  # still signed in
    out = office.client.post("/office/logout", data={"csrf_token": token}, follow_redirects=False)
    assert (out.status_code, out.headers["location"]) == (303, "/office/login")
    assert office.client.get("/office/", follow_redirects=False).status_code == 303


def test_a_session_ends_when_idle_when_old_and_when_the_account_changes(
    office: Office,
) -> None:
    office.sign_in()
    office.fakes.clock.advance(minutes=29)
    assert office.client.get("/office/").status_code == 200
    office.fakes.clock.advance(minutes=31)  # 31 minutes after the last page
    assert office.client.get("/office/", follow_redirects=False).status_code == 303
    office.sign_in()
    for _ in range(12 * 3 - 1):  # busy all day, a page every 20 minutes
        office.fakes.clock.advance(minutes=20)
        assert office.client.get("/office/").status_code == 200
    office.fakes.clock.advance(minutes=20)  # twelve hours after signing in
    assert office.client.get("/office/", follow_redirects=False).status_code == 303
    office.sign_in()
    chief = office.fund.accounts.by_login("chief")
    office.fund.accounts.change_password(
        chief.id, new_password=PASSWORD + "2", old_password=PASSWORD
    )
    assert office.client.get("/office/", follow_redirects=False).status_code == 303
    office.sign_in("clerk")
    clerk = office.fund.accounts.by_login("clerk")
    office.fund.accounts.deactivate(chief.id or 0, clerk.id or 0)
    assert office.client.get("/office/", follow_redirects=False).status_code == 303


def test_the_landing_page_counts_what_waits_and_this_months_money(office: Office) -> None:
    fund = office.fund
    waiting = fund.sign_up()
    fund.submit(waiting, fund.program())
    member = fund.approved_member()
    fund.pay(member, "1234.5")
    office.sign_in()
    page = office.client.get("/office/").text
    tiles = dict(re.findall(r"<dt>([^<]+)</dt><dd>(?:<a[^>]*>)?([^<]+)", page))
    assert tiles["Учасники на перевірці"] == "1"
    assert '<a href="/office/members">1</a>' in page  # the count leads to the queue
    assert tiles["Надійшло внесків"] == "1\u00a0234,50 грн"
    assert tiles["Виплачено"] == "0,00 грн"


def test_a_staff_user_who_reads_english_gets_the_pages_in_english(office: Office) -> None:
    chief = office.fund.accounts.by_login("chief")
    with office.fund.uow() as uow:
        user = uow.staff.get(chief.id or 0)
        assert user is not None
        user.language = Language.EN
        uow.commit()
    member = office.fund.approved_member()
    office.fund.pay(member, "1234.5")
    office.sign_in()
    page = office.client.get("/office/").text
    assert '<html lang="en">' in page and "<h1>Today</h1>" in page
    assert "<dd>UAH 1,234.50</dd>" in page and "Sign out" in page
    assert Money.parse("1234.5") == Money(123450)


def test_in_production_the_cookie_is_sent_over_https_only(tmp_path: Path) -> None:
    for office in office_on(tmp_path, "https://kasa.example", KASA_ENV="production"):
        cookie = next(
            h for h in office.sign_in().headers.get_list("set-cookie") if "kasa_office=" in h
        )
        assert "Secure" in cookie


def test_the_nightly_sweep_forgets_sessions_unused_for_a_day(office: Office) -> None:
    office.sign_in()
    office.client.cookies.clear()  # another browser
    assert office.sign_in("clerk").status_code == 303
    housekeeping = office.fund.kasa.system.housekeeping()
    assert housekeeping.sweep(timedelta(hours=1)).ended_sessions == 0
    office.fakes.clock.advance(hours=25)
    assert housekeeping.sweep(timedelta(hours=1), dry_run=True).ended_sessions == 2
    assert housekeeping.sweep(timedelta(hours=1)).ended_sessions == 2
    assert housekeeping.sweep(timedelta(hours=1)).ended_sessions == 0
