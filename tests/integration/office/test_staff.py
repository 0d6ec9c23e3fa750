"""Staff accounts in the office (admins only), and each user's language."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.office.test_members import rows
from tests.integration.office.test_sessions import Office, field_error, office_on


@pytest.fixture
def office(tmp_path: Path) -> Iterator[Office]:
    yield from office_on(tmp_path)


def token_of(text: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', text)
    assert found
    return found.group(1)


def test_an_operator_neither_sees_nor_opens_the_staff_page(office: Office) -> None:
    office.sign_in("clerk")
    assert 'href="/office/staff"' not in office.client.get("/office/").text
    refused = office.client.get("/office/staff")
    assert refused.status_code == 403 and "Ця сторінка лише для адміністраторів." in refused.text


def test_an_admin_creates_an_account_resets_a_password_and_deactivates(office: Office) -> None:
    office.sign_in()
    staff = office.client.get("/office/staff")
    assert staff.status_code == 200 and 'href="/office/staff"' in staff.text
    assert {"chief", "clerk"} <= {row[0] for row in rows(staff.text)}
    made = office.client.post(
        "/office/staff",
        data={
            "csrf_token": token_of(staff.text),
            "login": "olha",
            "name": "Ольга",
            "role": "operator",
        },
    )
    assert made.status_code == 200
    password = re.search(r'<code class="secret">([^<]+)</code>', made.text)
    assert password
    olha = office.fund.accounts.by_login("olha")
    assert olha.role.value == "operator"
    again = office.client.post(
        "/office/staff",
        data={"csrf_token": token_of(staff.text), "login": "olha", "name": "Друга", "role": "x"},
    )
    assert again.status_code == 400  # the form as typed, the error beside the role
    assert field_error(again.text, "role") == "роль: виберіть адміністратора або оператора"
    assert 'name="name" maxlength="128" value="Друга"' in again.text
    taken = office.client.post(
        "/office/staff",
        data={"csrf_token": token_of(staff.text), "login": "olha", "role": "operator"},
    )
    assert taken.status_code == 409 and 'class="problem" role="alert"' in taken.text
    question = office.client.get(f"/office/staff/{olha.id}/password")
    reset = office.client.post(
        f"/office/staff/{olha.id}/password", data={"csrf_token": token_of(question.text)}
    )
    fresh = re.search(r'<code class="secret">([^<]+)</code>', reset.text)
    assert fresh and fresh.group(1) != password.group(1)
    question = office.client.get(f"/office/staff/{olha.id}/deactivate")
    gone = office.client.post(
        f"/office/staff/{olha.id}/deactivate",
        data={"csrf_token": token_of(question.text)},
        follow_redirects=False,
    )
    assert gone.headers["location"] == "/office/staff?done=deactivate"
    listed = {row[0]: row[3] for row in rows(office.client.get("/office/staff").text)}
    assert listed["olha"] == "вимкнено" and listed["clerk"] == "діє"
    # the new user's first password would have opened the office
    office.client.cookies.clear()
    assert office.sign_in("olha", fresh.group(1)).status_code == 403


def test_a_staff_user_chooses_english(office: Office) -> None:
    office.sign_in("clerk")
    me = office.client.get("/office/me")
    chosen = office.client.post(
        "/office/me",
        data={"csrf_token": token_of(me.text), "language": "en"},
        follow_redirects=False,
    )
    assert chosen.headers["location"] == "/office/me?done=language"
    page = office.client.get(chosen.headers["location"]).text
    assert '<html lang="en">' in page and "The language is changed." in page
    wrong = office.client.post("/office/me", data={"csrf_token": token_of(page), "language": "fr"})
    assert wrong.status_code == 400
