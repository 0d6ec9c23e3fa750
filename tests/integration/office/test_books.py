"""Programs and the audit trail in the office."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kasa.application.reads import Page
from kasa.application.views import NotificationQuery
from kasa.domain.money import Money
from kasa.domain.notifications import DeliveryState
from tests.integration.office.test_members import rows
from tests.integration.office.test_sessions import Office, field_error, office_on
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
    assert free.status_code == 400  # the form again, as typed, the error beside the price
    assert field_error(free.text, "price") == "внесок за місяць: має бути більшою за нуль"
    assert 'id="name" name="name" required maxlength="128" value="X"' in free.text
    assert "X" not in {p.name for p in office.fund.programs.list(None, active_only=False)}


def test_staff_upload_a_programs_terms_which_are_then_public(office: Office) -> None:
    program = office.fund.programs.create(None, "Базова", Money(30000))
    office.sign_in("clerk")
    token = token_of(office.client.get("/office/programs").text)
    terms = ("umovy.txt", "Умови програми: ліки, обстеження.".encode(), "text/plain")
    session = dict(office.client.cookies)
    office.client.cookies.clear()
    away = office.client.post(
        f"/office/programs/{program.id}/terms",
        data={"csrf_token": token},
        files={"terms": terms},
        follow_redirects=False,
    )
    office.client.cookies.update(session)
    assert (away.status_code, away.headers["location"]) == (303, "/office/login")
    forged = office.client.post(
        f"/office/programs/{program.id}/terms", data={"csrf_token": "x"}, files={"terms": terms}
    )
    assert forged.status_code == 403
    assert office.fund.programs.get(1, program.id).terms_file == program.terms_file
    wrong = office.client.post(
        f"/office/programs/{program.id}/terms",
        data={"csrf_token": token},
        files={"terms": ("run.exe", b"MZ\x90\x00", "application/octet-stream")},
    )
    assert wrong.status_code == 400 and field_error(wrong.text, f"terms-{program.id}")
    done = office.client.post(
        f"/office/programs/{program.id}/terms",
        data={"csrf_token": token},
        files={"terms": terms},
        follow_redirects=False,
    )
    assert done.headers["location"] == "/office/programs?done=terms"
    saved = office.fund.programs.get(1, program.id).terms_file
    assert saved and saved != program.terms_file
    page = office.client.get(done.headers["location"]).text
    assert "Умови програми завантажено." in page and f'href="/program/{saved}"' in page
    public = office.client.get(f"/program/{saved}")
    assert public.status_code == 200 and public.content == terms[1]


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


def test_staff_see_what_members_were_told_and_send_a_failed_one_again(
    office: Office,
) -> None:
    fund = office.fund
    member = fund.approved_member()
    fund.notifier.once()
    told = fund.books.notifications(None, NotificationQuery(member_id=member), Page())
    assert told.total > 0
    with fund.uow() as uow:  # one of them could not be delivered
        failed = uow.notifications.get_for_update(told.items[0].id)
        assert failed is not None
        failed.state = DeliveryState.FAILED
        failed.reason = "no device"
        uow.commit()
    office.sign_in("clerk")
    today = office.client.get("/office/").text
    assert 'href="/office/notifications?state=failed"' in today
    listed = office.client.get("/office/notifications", params={"state": "failed"})
    assert listed.status_code == 200 and len(rows(listed.text)) == 1
    assert "no device" in listed.text
    mine = office.client.get("/office/notifications", params={"member": str(member)})
    assert len(rows(mine.text)) == told.total
    assert office.client.get("/office/notifications", params={"member": "x"}).status_code == 400
    assert office.client.get("/office/notifications", params={"state": "lost"}).status_code == 400
    again = office.client.post(
        f"/office/notifications/{told.items[0].id}/retry",
        data={"csrf_token": token_of(listed.text)},
        follow_redirects=False,
    )
    assert again.headers["location"] == "/office/notifications?state=failed&done=retry"
    page = office.client.get(again.headers["location"]).text
    assert "Сповіщення надішлеться знову." in page and rows(page) == []
    twice = office.client.post(
        f"/office/notifications/{told.items[0].id}/retry",
        data={"csrf_token": token_of(listed.text)},
    )
    assert twice.status_code == 409  # no longer failed
