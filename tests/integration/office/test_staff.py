"""Staff accounts in the office (admins only), and each user's language."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from kasa.domain.audit import EventType
from tests.integration.office.test_members import rows
from tests.integration.office.test_sessions import PASSWORD, Office, field_error, office_on


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


def test_a_staff_user_changes_their_own_password(office: Office) -> None:
    office.sign_in("clerk")
    me = office.client.get("/office/me")
    assert 'action="/office/me/password"' in me.text
    token = token_of(me.text)
    new = "a-new-and-long-secret"
    mismatch = office.client.post(
        "/office/me/password",
        data={"csrf_token": token, "password": PASSWORD, "new_password": new, "repeat": "x"},
    )
    assert mismatch.status_code == 400
    assert field_error(mismatch.text, "repeat") == (
        "новий пароль ще раз: не збігається з новим паролем"
    )
    assert new not in mismatch.text and PASSWORD not in mismatch.text  # never shown again
    wrong = office.client.post(
        "/office/me/password",
        data={"csrf_token": token, "password": "not-it", "new_password": new, "repeat": new},
    )
    assert wrong.status_code == 401
    assert field_error(wrong.text, "password") == "поточний пароль: це не ваш поточний пароль"
    failed = office.fund.events(EventType.SIGN_IN_FAILED)
    assert failed and failed[-1].details.get("reason") == "wrong old password"
    short = office.client.post(
        "/office/me/password",
        data={"csrf_token": token, "password": PASSWORD, "new_password": "x", "repeat": "x"},
    )
    assert short.status_code == 400 and field_error(short.text, "new_password")
    done = office.client.post(
        "/office/me/password",
        data={"csrf_token": token, "password": PASSWORD, "new_password": new, "repeat": new},
        follow_redirects=False,
    )
    assert (done.status_code, done.headers["location"]) == (303, "/office/login?done=password")
    login = office.client.get(done.headers["location"])
    assert "Пароль змінено. Увійдіть з новим паролем." in login.text
    # the session has ended: the office asks to sign in, with the new password
    assert office.client.get("/office/", follow_redirects=False).status_code == 303
    office.client.cookies.clear()
    assert office.sign_in("clerk", PASSWORD).status_code == 401
    assert office.sign_in("clerk", new).status_code == 303
