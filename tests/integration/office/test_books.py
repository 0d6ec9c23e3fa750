"""Programs and the audit trail in the office."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.office.test_members import rows
from tests.integration.office.test_sessions import Office, office_on
from tests.integration.office.test_staff import token_of


@pytest.fixture
def office(tmp_path: Path) -> Iterator[Office]:
    yield from office_on(tmp_path)


def test_staff_create_and_change_programs(office: Office) -> None:
    office.sign_in("clerk")
    page = office.client.get("/office/programs")
    made = office.client.post(
        "/office/programs",
        data={"csrf_token": token_of(page.text), "name": "Сімейна", "price": "450,50"},
        follow_redirects=False,
    )
    assert made.headers["location"] == "/office/programs?done=created"
    page = office.client.get(made.headers["location"])
    assert "Програму створено." in page.text
    listed = {row[0]: row[1:3] for row in rows(page.text)}
    assert listed["Сімейна"] == ["450,50 грн", "так"]
    program = next(
        p for p in office.fund.programs.list(None, active_only=False) if p.name == "Сімейна"
    )
    changed = office.client.post(
        f"/office/programs/{program.id}",
        data={"csrf_token": token_of(page.text), "name": "Сімейна+", "price": "500"},
        follow_redirects=False,
    )
    assert changed.status_code == 303
    listed = {row[0]: row[1:3] for row in rows(office.client.get("/office/programs").text)}
    assert listed["Сімейна+"] == ["500,00 грн", "ні"]  # not offered: the box was not ticked
    free = office.client.post(
        "/office/programs", data={"csrf_token": token_of(page.text), "name": "X", "price": "0"}
    )
    assert free.status_code == 400


def test_the_audit_trail_pages_and_filters(office: Office) -> None:
    member = office.fund.approved_member()
    office.sign_in()
    trail = office.client.get("/office/audit")
    assert trail.status_code == 200 and "Знайдено:" in trail.text
    mine = office.client.get("/office/audit", params={"kind": "member", "id": str(member)})
    events = {row[1] for row in rows(mine.text)}
    assert "approved" in events and all(row[3] == f"member {member}" for row in rows(mine.text))
    signed = office.client.get("/office/audit", params={"event": "signed_in"})
    assert rows(signed.text) and {row[1] for row in rows(signed.text)} == {"signed_in"}
    assert office.client.get("/office/audit", params={"kind": "planet"}).status_code == 400
