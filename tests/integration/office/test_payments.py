"""Payments in the office: the registry with filters, total and CSV; recording a bank
transfer; refunds by admins (a second admin above the threshold), each asked first."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kasa.domain.money import Money
from kasa.domain.staff import Role
from tests.integration.office.test_members import rows
from tests.integration.office.test_sessions import PASSWORD, Office, field_error, office_on


@pytest.fixture
def office(tmp_path: Path) -> Iterator[Office]:
    yield from office_on(tmp_path, KASA_FOUR_EYES_THRESHOLD="400")


def asked_and_done(office: Office, path: str, **values: str) -> Any:
    question = office.client.get(path, params=values)
    assert question.status_code == 200, question.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', question.text)
    assert token
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', question.text))
    form = {**hidden, "csrf_token": token.group(1)}
    if "reason" in values:
        form["reason"] = values["reason"]
    return office.client.post(path, data=form, follow_redirects=False)


def test_the_registry_filters_totals_and_exports_what_it_shows(office: Office) -> None:
    fund = office.fund
    member = fund.approved_member()
    fund.pay(member, "300")
    fund.pay(member, "150")
    office.sign_in("clerk")
    everything = office.client.get("/office/payments")
    assert "Знайдено: 2" in everything.text and len(rows(everything.text)) == 2
    assert {row[3] for row in rows(everything.text)} == {"300,00 грн", "150,00 грн"}
    large = office.client.get("/office/payments", params={"min": "200"})
    assert "Знайдено: 1" in large.text and rows(large.text)[0][5] == "liqpay"
    exported = office.client.get("/office/payments.csv", params={"min": "200"})
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert len(table) == 2 and "300.00" in table[1]
    wrong = office.client.get("/office/payments", params={"from": "2026-02-30"})
    assert wrong.status_code == 400
    assert "Повернути" not in everything.text  # operators do not refund


def test_money_that_came_by_bank_is_recorded_after_a_question(office: Office) -> None:
    member = office.fund.approved_member()
    office.sign_in("clerk")
    done = asked_and_done(
        office, "/office/payments/record", member=str(member), amount="300", date="2026-01-10"
    )
    assert (done.status_code, done.headers["location"]) == (303, "/office/payments?done=recorded")
    page = office.client.get(done.headers["location"]).text
    assert "Платіж записано." in page and rows(page)[0][5] == "вручну"
    # a value the form cannot take: the form again, the typed values kept, the error
    # beside its field; posted past the question, the same, and nothing is recorded
    recorded = len(office.fund.payments.top_ups(member))
    bad = {"member": "x", "amount": "12,345", "date": ""}
    asked = office.client.get("/office/payments/record", params=bad)
    assert asked.status_code == 400
    assert field_error(asked.text, "member") == "учасник: вкажіть номер учасника"
    assert 'id="amount" name="amount" inputmode="decimal" required value="12,345"' in asked.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', asked.text)
    assert token
    posted = office.client.post(
        "/office/payments/record",
        data={"csrf_token": token.group(1), "member": str(member), "amount": "12,345"},
    )
    assert posted.status_code == 400 and field_error(posted.text, "member") is None
    assert field_error(posted.text, "amount") == "сума: має більше двох знаків після коми"
    assert len(office.fund.payments.top_ups(member)) == recorded
    filtered = office.client.get("/office/payments", params={"min": "much"})
    assert filtered.status_code == 400 and rows(filtered.text) == []
    assert "сума від: &#39;much&#39; is not an amount" in filtered.text


def test_admins_refund_a_contribution_through_its_gateway(office: Office) -> None:
    fund = office.fund
    fund.accounts.create(None, login="boss", role=Role.ADMIN, name="Boss", password=PASSWORD)
    member = fund.approved_member()
    small, large = fund.pay(member, "300"), fund.pay(member, "500")
    ids = {p.payment_identifier: p.id for p in fund.payments.top_ups(member)}
    office.sign_in("clerk")
    refused = asked_and_done(office, f"/office/payments/{ids[small]}/refund", reason="двічі")
    assert refused.status_code == 403  # operators do not refund
    office.client.cookies.clear()
    office.sign_in("chief")
    registry = office.client.get("/office/payments").text
    assert f'href="/office/payments/{ids[small]}/refund"' in registry
    done = asked_and_done(office, f"/office/payments/{ids[small]}/refund", reason="двічі")
    assert done.headers["location"] == "/office/payments?done=refund"
    assert fund.fakes.gateway.refunds == [(small, Money(30000))]
    waits = asked_and_done(office, f"/office/payments/{ids[large]}/refund", reason="двічі")
    assert waits.headers["location"] == "/office/payments?done=refund-waits"
    same = asked_and_done(office, f"/office/payments/{ids[large]}/refund-approve")
    assert same.status_code == 403  # not by who asked
    office.client.cookies.clear()
    office.sign_in("boss")
    approved = asked_and_done(office, f"/office/payments/{ids[large]}/refund-approve")
    assert approved.headers["location"] == "/office/payments?done=refund-approved"
    assert [order for order, _ in fund.fakes.gateway.refunds] == [small, large]
    statuses = {row[3]: row[4] for row in rows(office.client.get("/office/payments").text)}
    assert statuses == {"300,00 грн": "повернення запитано", "500,00 грн": "повернення запитано"}


def test_admins_reverse_a_bank_transfer_that_came_back(office: Office) -> None:
    member = office.fund.approved_member()
    office.sign_in("clerk")
    recorded = asked_and_done(
        office, "/office/payments/record", member=str(member), amount="300", date="2026-01-10"
    )
    assert recorded.status_code == 303
    payment = next(p for p in office.fund.payments.top_ups(member) if p.gateway is None)
    paid_until = office.fund.profiles.get(member).member.membership.paid_until
    assert paid_until is not None
    clerk_sees = office.client.get("/office/payments").text
    assert f'href="/office/payments/{payment.id}/reverse"' not in clerk_sees  # admins only
    refused = asked_and_done(office, f"/office/payments/{payment.id}/reverse", reason="банк")
    assert refused.status_code == 403
    office.client.cookies.clear()
    office.sign_in("chief")
    registry = office.client.get("/office/payments").text
    assert f'href="/office/payments/{payment.id}/reverse"' in registry
    empty = asked_and_done(office, f"/office/payments/{payment.id}/reverse", reason=" ")
    assert empty.status_code == 400  # the question again, the error beside the reason
    assert field_error(empty.text, "reason") == "причина: обов'язкове поле"
    done = asked_and_done(
        office, f"/office/payments/{payment.id}/reverse", reason="переказ повернувся"
    )
    assert done.headers["location"] == "/office/payments?done=reversed"
    page = office.client.get(done.headers["location"]).text
    assert "Платіж сторновано; дні, які він купив, забрано." in page
    assert {row[4] for row in rows(page)} == {"повернуто"}
    assert office.fund.profiles.get(member).member.membership.paid_until is None or (
        office.fund.profiles.get(member).member.membership.paid_until <= office.fund.clock.today()
    )
