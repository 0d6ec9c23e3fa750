"""Members in the office: the review queue, the search, paging, and a member's card;
and every word the pages use has its English."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kasa.domain.notifications import Language
from kasa.entrypoints.http.office import books as books_pages
from kasa.entrypoints.http.office import front as front_pages
from kasa.entrypoints.http.office import i18n
from kasa.entrypoints.http.office import members as members_pages
from kasa.entrypoints.http.office import payments as payments_pages
from kasa.entrypoints.http.office import requests as requests_pages
from kasa.entrypoints.http.office import staff as staff_pages
from tests.integration.office.test_sessions import Office, field_error, office_on

TEMPLATES = Path(i18n.__file__).parent / "templates"


@pytest.fixture
def office(tmp_path: Path) -> Iterator[Office]:
    yield from office_on(tmp_path)


def rows(page: str) -> list[list[str]]:
    body = page[page.find("<tbody>") : page.find("</tbody>")]
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def test_the_queue_shows_who_submitted_and_the_search_finds_anyone(office: Office) -> None:
    fund = office.fund
    waiting = fund.sign_up()
    fund.submit(waiting, fund.program())
    approved = fund.approved_member()
    office.sign_in("clerk")
    queue = office.client.get("/office/members")
    assert queue.status_code == 200 and "<title>Учасники на перевірці — Каса</title>" in queue.text
    assert [row[3] for row in rows(queue.text)] == ["на перевірці"]
    assert f'href="/office/members/{waiting}"' in queue.text
    found = office.client.get("/office/members", params={"q": "Коваль"})
    assert {row[3] for row in rows(found.text)} == {"на перевірці", "схвалений"}
    certificate = fund.profiles.get(approved).member.certificate
    by_number = office.client.get("/office/members", params={"q": certificate})
    assert [row[2] for row in rows(by_number.text)] == [certificate]
    nobody = office.client.get("/office/members", params={"q": "Неіснуючий"})
    assert "Нікого не знайдено." in nobody.text


def test_lists_page_through_fifty_at_a_time(office: Office) -> None:
    fund = office.fund
    program = fund.program()
    for _ in range(51):
        fund.submit(fund.sign_up(), program)
    office.sign_in()
    first = office.client.get("/office/members")
    assert len(rows(first.text)) == 50 and 'rel="next"' in first.text
    assert 'rel="prev"' not in first.text
    second = office.client.get("/office/members", params={"page": "2"})
    assert len(rows(second.text)) == 1 and 'rel="prev"' in second.text
    assert 'rel="next"' not in second.text
    assert office.client.get("/office/members", params={"page": "0"}).status_code == 400


def test_a_members_card_shows_the_profile_documents_payments_and_requests(
    office: Office,
) -> None:
    fund = office.fund
    member = fund.approved_member()
    fund.pay(member, "300")
    fund.requests.create(member, "Ліки", [])
    office.sign_in()
    card = office.client.get(f"/office/members/{member}")
    assert card.status_code == 200 and "<h1>Коваль Олена</h1>" in card.text
    assert "ID-картка, лицьовий бік" in card.text and "Базова" in card.text
    assert "300,00 грн" in card.text and "зараховано" in card.text and "liqpay" in card.text
    assert "відкрите" in card.text
    # the latest of what the member was told, and of the audit trail, with a link to all
    assert "Сповіщень немає." in card.text
    office.fund.notifier.once()
    card = office.client.get(f"/office/members/{member}")
    told = card.text[card.text.index('id="told"') : card.text.index('id="trail"')]
    assert (
        "Олена" in told
        and rows(told)
        and {row[2] for row in rows(told)}
        <= {
            "надіслано",
            "не вдалося",
            "очікує",
        }
    )
    trail = card.text[card.text.index('id="trail"') :]
    assert "approved" in {row[1] for row in rows(trail)}
    assert f'href="/office/audit?kind=member&amp;id={member}"' in trail
    missing = office.client.get("/office/members/999999")
    assert missing.status_code == 404 and "<title>" in missing.text
    assert office.client.get("/office/members/x").status_code in (400, 404)


def decided(office: Office, member: int, action: str, **form: str) -> Any:
    question = office.client.get(f"/office/members/{member}/{action}")
    assert question.status_code == 200, question.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', question.text)
    assert token
    return office.client.post(
        f"/office/members/{member}/{action}",
        data={"csrf_token": token.group(1), **form},
        follow_redirects=False,
    )


def test_staff_approve_a_member_from_the_queue_after_a_question(office: Office) -> None:
    fund = office.fund
    member = fund.sign_up()
    fund.submit(member, fund.program())
    office.sign_in("clerk")
    card = office.client.get(f"/office/members/{member}").text
    assert f'href="/office/members/{member}/approve"' in card
    question = office.client.get(f"/office/members/{member}/approve")
    assert "Схвалити профіль і видати номер посвідчення?" in question.text
    forged = office.client.post(
        f"/office/members/{member}/approve", data={"csrf_token": "x"}, follow_redirects=False
    )
    assert forged.status_code == 403
    assert fund.office.detail(fund.operator_id, member).member.status.value == "pending_review"
    done = decided(office, member, "approve")
    assert (done.status_code, done.headers["location"]) == (
        303,
        f"/office/members/{member}?done=approve",
    )
    card = office.client.get(done.headers["location"]).text
    certificate = fund.office.detail(fund.operator_id, member).member.certificate
    assert certificate and f"посвідчення {certificate}" in card
    assert "Учасника схвалено." in card and "схвалений" in card
    assert office.client.get(f"/office/members/{member}/fly").status_code == 404


def test_documents_are_viewed_inline_each_view_audited_and_refused_with_a_reason(
    office: Office,
) -> None:
    fund = office.fund
    member = fund.sign_up()
    fund.submit(member, fund.program())
    office.sign_in()
    card = office.client.get(f"/office/members/{member}").text
    file_ids = re.findall(r'<img class="document" src="/office/files/(\d+)"', card)
    assert len(file_ids) == 3
    shown = office.client.get(f"/office/files/{file_ids[0]}")
    assert shown.status_code == 200 and shown.headers["content-type"] == "image/jpeg"
    assert shown.headers["content-disposition"].startswith("inline")
    assert shown.headers["x-content-type-options"] == "nosniff"
    views = [e for e in fund.events() if e.event_type.value == "file_viewed"]
    assert [e.object_id for e in views] == [file_ids[0]]
    assert office.client.get("/office/files/999999").status_code == 404
    empty = decided(office, member, "refuse_documents", reason="  ")
    assert empty.status_code == 400  # the question again, the error beside the reason
    assert field_error(empty.text, "reason") == (
        "причина: обов'язкова: скажіть учасникові, що не так"
    )
    refused = decided(office, member, "refuse_documents", reason="Нечіткий знімок")
    assert refused.status_code == 303
    card = office.client.get(refused.headers["location"]).text
    assert "відхилено: Нечіткий знімок" in card


def test_staff_correct_a_members_data_only_what_they_change(office: Office) -> None:
    fund = office.fund
    member = fund.approved_member()
    before = fund.profiles.get(member).member
    office.sign_in("clerk")
    card = office.client.get(f"/office/members/{member}").text
    assert f'href="/office/members/{member}/correct"' in card
    form = office.client.get(f"/office/members/{member}/correct")
    assert form.status_code == 200
    shown = dict(re.findall(r'<input id="(\w+)" name="\w+" value="([^"]*)"', form.text))
    assert shown["last_name"] == before.last_name and shown["iban"] == str(before.iban)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token
    # a wrong IBAN: the form again as typed, the error beside it, nothing changed
    wrong = office.client.post(
        f"/office/members/{member}/correct",
        data={**shown, "csrf_token": token.group(1), "last_name": "Шевчук", "iban": "UA00"},
    )
    assert wrong.status_code == 400 and field_error(wrong.text, "iban")
    assert 'name="last_name" value="Шевчук"' in wrong.text
    assert fund.profiles.get(member).member.last_name == before.last_name
    unchanged = office.client.post(
        f"/office/members/{member}/correct",
        data={**shown, "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    assert unchanged.headers["location"] == f"/office/members/{member}?done=unchanged"
    done = office.client.post(
        f"/office/members/{member}/correct",
        data={**shown, "csrf_token": token.group(1), "last_name": "Шевчук"},
        follow_redirects=False,
    )
    assert done.headers["location"] == f"/office/members/{member}?done=correct"
    after = fund.profiles.get(member).member
    assert (after.last_name, after.first_name, str(after.iban)) == (
        "Шевчук",
        before.first_name,
        str(before.iban),
    )
    corrected = [e for e in fund.events() if e.event_type.value == "updated"]
    assert corrected and corrected[-1].details.get("fields") == ["last_name"]
    forged = office.client.post(
        f"/office/members/{member}/correct", data={**shown, "csrf_token": "x"}
    )
    assert forged.status_code == 403


def test_staff_block_and_unblock_a_member(office: Office) -> None:
    member = office.fund.approved_member()
    office.sign_in()
    assert decided(office, member, "block").status_code == 303
    card = office.client.get(f"/office/members/{member}").text
    assert "заблокований" in card and f"/office/members/{member}/unblock" in card
    assert decided(office, member, "unblock").status_code == 303
    assert "схвалений" in office.client.get(f"/office/members/{member}").text


def test_the_rules_field_errors_have_their_ukrainian() -> None:
    """Each fixed text the rules give a field is shown in Ukrainian on the pages (texts
    made with a value, such as an amount that cannot be read, stay as the API says them)."""
    source = Path(i18n.__file__).parents[3]
    said = {
        text
        for path in source.rglob("*.py")
        for text in re.findall(
            r'InvalidInput\.field\(\s*[^,()]+,\s*"([^"]+)"\s*\)', path.read_text()
        )
    }
    assert len(said) > 40  # the search finds them
    ukrainian = i18n.translations(Language.UK)
    assert sorted(text for text in said if ukrainian.gettext(text) == text) == []
    english = i18n.translations(Language.EN)
    assert english.gettext("is required") == "is required"


def test_every_word_the_pages_use_has_its_english() -> None:
    english = i18n.translations(Language.EN)
    used = set(i18n.LABELS.values()) | set(members_pages.DONE.values())
    used |= {word for pair in members_pages.ACTIONS.values() for word in pair}
    used |= set(requests_pages.DONE.values()) | set(payments_pages.DONE.values())
    used |= set(staff_pages.DONE.values()) | {staff_pages.ADMINS_ONLY}
    used |= set(books_pages.DONE.values()) | set(front_pages.SAID.values())
    for asked in (requests_pages.STEPS, payments_pages.ASKED, staff_pages.ASKED):
        used |= {word for pair in asked.values() for word in pair}
    for template in TEMPLATES.glob("*.html"):
        for double, single in re.findall(r"""_\((?:"([^"]+)"|'([^']+)')\)""", template.read_text()):
            used.add(double or single)
    missing = sorted(word for word in used if english.gettext(word) == word and word != "IBAN")
    assert not missing, missing
    assert len(used) > 60
