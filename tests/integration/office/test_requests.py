"""Requests in the office: the list and its filters, the thread (a message without a
full reload), assessing, paying (four-eyes above the threshold) and closing, each asked
first; the fund report then shows the payout."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kasa.domain.money import Money
from tests.integration.office.test_members import rows
from tests.integration.office.test_sessions import Office, field_error, office_on


@pytest.fixture
def office(tmp_path: Path) -> Iterator[Office]:
    yield from office_on(tmp_path, KASA_FOUR_EYES_THRESHOLD="1000")


def step(office: Office, request_id: int, name: str, **values: str) -> Any:
    question = office.client.get(f"/office/requests/{request_id}/{name}", params=values)
    assert question.status_code == 200, question.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', question.text)
    assert token
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', question.text))
    assert {k: hidden[k] for k in values} == values  # what was asked is what is sent
    return office.client.post(
        f"/office/requests/{request_id}/{name}",
        data={**hidden, "csrf_token": token.group(1)},
        follow_redirects=False,
    )


def test_a_request_from_message_to_payout_to_closing(office: Office) -> None:
    fund = office.fund
    member = fund.approved_member()
    request_id = fund.requests.create(member, "Ліки після операції", []).request.id or 0
    office.sign_in("clerk")
    listed = office.client.get("/office/requests")
    assert [row[0] for row in rows(listed.text)] == [str(request_id)]
    assert "Знайдено: 1" in listed.text
    none = office.client.get("/office/requests", params={"status": "closed"})
    assert rows(none.text) == [] and "Знайдено: 0" in none.text
    page = office.client.get(f"/office/requests/{request_id}")
    assert page.status_code == 200 and "Ліки після операції" in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    # a message through htmx: the answer is the page the conversation is taken from
    sent = office.client.post(
        f"/office/requests/{request_id}/message",
        data={"csrf_token": token.group(1), "message": "Додайте, будь ласка, чек."},
        headers={"HX-Request": "true"},
    )
    assert sent.status_code == 200 and 'id="conversation"' in sent.text
    assert "Додайте, будь ласка, чек." in sent.text
    assert fund.requests.get(member, request_id).messages[-1].message == (
        "Додайте, будь ласка, чек."
    )
    refused = office.client.post(
        f"/office/requests/{request_id}/message", data={"message": "без токена"}
    )
    assert refused.status_code == 403
    assessed = step(office, request_id, "assess", diagnosis="J06", amount="1500")
    assert assessed.status_code == 303
    assert "Оцінку записано." in office.client.get(assessed.headers["location"]).text
    # 1,500.00 is above the threshold: the payout waits for someone else
    paid = step(office, request_id, "payout", amount="1500", date="2026-01-15")
    assert paid.status_code == 303
    mine = office.client.get(f"/office/requests/{request_id}").text
    assert "чекає іншого працівника" in mine and "Підтвердити виплату" not in mine
    office.client.cookies.clear()
    office.sign_in("chief")
    other = office.client.get(f"/office/requests/{request_id}").text
    approve = re.search(r'action="(/office/requests/\d+/payouts/\d+/approve)"', other)
    token = re.search(r'name="csrf_token" value="([^"]+)"', other)
    assert approve and token
    approved = office.client.post(
        approve.group(1), data={"csrf_token": token.group(1)}, follow_redirects=False
    )
    assert approved.status_code == 303
    closed = step(office, request_id, "close", resolution="paid", reason="")
    assert closed.status_code == 303
    final = office.client.get(closed.headers["location"]).text
    assert "Звернення закрито." in final and "закрите" in final and "сплачено" in final
    report = fund.books.fund_report(fund.admin_id)
    assert report.money_out == Money(150000)
    assert "1\u00a0500,00 грн" in office.client.get("/office/").text


def test_a_step_with_bad_values_is_its_form_again_with_the_errors(office: Office) -> None:
    member = office.fund.approved_member()
    request_id = office.fund.requests.create(member, "Ліки", []).request.id or 0
    office.sign_in()
    # refused at the question: the request's page, the payout form as it was typed
    wrong = office.client.get(
        f"/office/requests/{request_id}/payout", params={"amount": "-5", "date": "2026-01-15"}
    )
    assert wrong.status_code == 400 and "<title>Звернення" in wrong.text
    assert field_error(wrong.text, "payout-amount") == "сума: не може бути від'ємною"
    assert 'name="amount" inputmode="decimal" required value="-5"' in wrong.text
    assert field_error(wrong.text, "assess-amount") is None  # only the form that failed
    # posted past the question (an old tab): the same form and errors, nothing assessed
    page = office.client.get(f"/office/requests/{request_id}").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    posted = office.client.post(
        f"/office/requests/{request_id}/assess",
        data={"csrf_token": token.group(1), "diagnosis": "J06", "amount": "1.001"},
    )
    assert posted.status_code == 400
    assert field_error(posted.text, "assess-amount") == "сума: має більше двох знаків після коми"
    assert 'name="diagnosis" value="J06"' in posted.text
    assert office.fund.requests.get(member, request_id).request.diagnosis in ("", None)
    too_much = step(office, request_id, "payout", amount="5", date="2026-01-15")
    assert too_much.status_code == 422  # nothing approved yet: a rule, not a field
    assert office.client.get(f"/office/requests/{request_id}/jump").status_code == 404
