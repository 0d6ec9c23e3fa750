"""Every text a member can be sent, in both languages: short, filled in, with the
member's own amounts and dates written as people write them."""

from __future__ import annotations

import pytest

from kasa.application.texts import TEXTS, money_text, render, template_key
from kasa.domain.events import EventKind
from kasa.domain.money import Money
from kasa.domain.notifications import Language

CASES = [
    (EventKind.MESSAGE, {}, 1),
    (EventKind.MESSAGE, {}, 3),
    (EventKind.REQUEST_MOVED, {"change": "status", "status": "awaiting_agent"}, 1),
    (EventKind.REQUEST_MOVED, {"change": "status", "status": "awaiting_client"}, 1),
    (EventKind.REQUEST_MOVED, {"change": "amount", "amount": "1234.50"}, 1),
    (EventKind.REQUEST_MOVED, {"change": "closed", "resolution": "rejected"}, 1),
    (EventKind.REQUEST_MOVED, {"change": "reopened"}, 1),
    (EventKind.PAYOUT, {"amount": "450.00"}, 1),
    (EventKind.PAYMENT_CONFIRMED, {"amount": "300.00", "paid_until": "2027-01-05"}, 1),
    (EventKind.PAYMENT_CONFIRMED, {"amount": "300.00", "paid_until": None}, 1),
    (EventKind.PAYMENT_REVERSED, {"amount": "300.00"}, 1),
    (EventKind.PROFILE_REVIEWED, {"outcome": "approved"}, 1),
    (EventKind.PROFILE_REVIEWED, {"outcome": "documents_refused"}, 1),
    (EventKind.PROFILE_REVIEWED, {"outcome": "program_changed"}, 1),
    (EventKind.MEMBERSHIP_EXPIRING, {"paid_until": "2027-01-05", "lapsed": False}, 1),
    (EventKind.MEMBERSHIP_EXPIRING, {"paid_until": "2027-01-05", "lapsed": True}, 1),
    (EventKind.BLOCKED, {}, 1),
    (EventKind.UNBLOCKED, {}, 1),
]


@pytest.mark.parametrize("language", list(Language))
@pytest.mark.parametrize(("kind", "data", "count"), CASES)
def test_every_text_in_both_languages(
    kind: EventKind, data: dict[str, object], count: int, language: Language
) -> None:
    text = render(kind, data, language, first_name="Олена", request_id=12, count=count)
    assert text.startswith("Олена, ") and "{" not in text and len(text) <= 160
    if "request" in TEXTS[language][template_key(kind, data)]:
        assert "12" in text
    if data.get("paid_until"):
        assert "05.01.2027" in text
    if data.get("amount"):
        assert money_text(Money.parse(str(data["amount"])), language) in text


def test_both_languages_have_every_text_and_amounts_read_as_people_write_them() -> None:
    assert set(TEXTS[Language.UK]) == set(TEXTS[Language.EN])
    keys = {template_key(kind, data) for kind, data, _ in CASES} | {"messages"}
    assert keys == set(TEXTS[Language.UK])
    assert money_text(Money.parse("1234.50"), Language.UK) == "1\u00a0234,50\u00a0грн"
    assert money_text(Money.parse("1234.50"), Language.EN) == "UAH 1,234.50"
    no_name = render(EventKind.BLOCKED, {}, Language.EN, first_name="")
    assert no_name.startswith("Hello, ")
