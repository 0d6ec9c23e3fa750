"""Reports in the office: the fund report for a period, its chart, and the ledger CSV."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from kasa.application.requests import Assessment
from kasa.domain.money import Money
from tests.integration.office.test_sessions import Office, office_on


@pytest.fixture
def office(tmp_path: Path) -> Iterator[Office]:
    yield from office_on(tmp_path)


def test_the_fund_report_shows_the_periods_money_and_its_chart(office: Office) -> None:
    fund = office.fund
    member = fund.approved_member()
    fund.pay(member, "1200")
    request_id = fund.requests.create(member, "Ліки", []).request.id or 0
    fund.staff_requests.assess(
        fund.operator_id, request_id, Assessment(approved_amount=Money(50000))
    )
    fund.staff_payments.record_payout(
        fund.operator_id, request_id, Money(40000), fund.clock.today()
    )
    office.sign_in("clerk")
    page = office.client.get("/office/reports")
    assert page.status_code == 200
    tiles = dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", page.text))
    assert tiles["Надійшло внесків"] == "1\u00a0200,00 грн"
    assert tiles["Виплачено"] == "400,00 грн"
    assert tiles["Залишок від початку"] == "800,00 грн"
    bars = re.findall(r'<rect class="(in|out)" x="72" y="\d+" width="(\d+)"', page.text)
    assert bars == [("in", "600"), ("out", "200")]  # the widest is the chart's width
    assert "liqpay: 1\u00a0200,00 грн" in page.text
    later = office.client.get("/office/reports", params={"from": "2030-01-01"})
    assert "За цей період руху коштів не було." in later.text
    assert "Залишок від початку</dt><dd>800,00 грн" in later.text
    ledger = office.client.get("/office/ledger.csv")
    table = list(csv.reader(io.StringIO(ledger.content.decode("utf-8-sig"))))
    assert table[0][:2] == ["date", "kind"] and len(table) == 3
    assert table[-1][-1] == "800.00"
    wrong = office.client.get("/office/reports", params={"from": "2026-02-31"})
    assert wrong.status_code == 400
