"""The texts members are sent, every one of them here, in Ukrainian and in English.

Short, for a lock screen: nothing personal beyond the member's first name and the
amounts and dates of their own fund business. Amounts read as people write them in each
language (``1 234,50 грн``, ``UAH 1,234.50``), dates as ``05.12.2026``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from kasa.domain.events import EventKind
from kasa.domain.money import Money
from kasa.domain.notifications import Language

UK, EN = Language.UK, Language.EN

RESOLUTIONS = {
    UK: {"paid": "виплачено", "rejected": "відхилено", "withdrawn": "відкликано"},
    EN: {"paid": "paid", "rejected": "rejected", "withdrawn": "withdrawn"},
}
STATUSES = {
    UK: {
        "awaiting_agent": "розглядається працівником фонду",
        "awaiting_client": "чекає на вашу відповідь",
        "opened": "відкрито",
    },
    EN: {
        "awaiting_agent": "is being reviewed by the fund",
        "awaiting_client": "waits for your answer",
        "opened": "is open",
    },
}
TEXTS: Mapping[Language, Mapping[str, str]] = {
    UK: {
        "message": "{name}, нове повідомлення щодо запиту №{request}.",
        "messages": "{name}, {count} нові повідомлення щодо запиту №{request}.",
        "request_moved.status": "{name}, запит №{request} {status}.",
        "request_moved.amount": "{name}, за запитом №{request} затверджено {amount}.",
        "request_moved.closed": "{name}, запит №{request} закрито: {resolution}.",
        "request_moved.reopened": "{name}, запит №{request} знову відкрито.",
        "payout": "{name}, за запитом №{request} виплачено {amount}.",
        "payment_confirmed": "{name}, внесок {amount} зараховано. Сплачено до {paid_until}.",
        "payment_confirmed.credit": "{name}, внесок {amount} зараховано на ваш рахунок у фонді.",
        "payment_reversed": "{name}, внесок {amount} повернуто платіжною системою.",
        "profile_reviewed.approved": "{name}, ваш профіль схвалено. Ласкаво просимо до фонду!",
        "profile_reviewed.documents_refused": "{name}, документи не прийнято. "
        "Подивіться причину в застосунку.",
        "profile_reviewed.program_changed": "{name}, вашу нову програму підтверджено.",
        "membership_expiring": "{name}, членство сплачено до {paid_until}. Не забудьте внесок.",
        "membership_expiring.lapsed": "{name}, членство закінчилося {paid_until}. "
        "Сплатіть внесок, щоб його поновити.",
        "blocked": "{name}, ваш обліковий запис у фонді заблоковано. Зверніться до фонду.",
        "unblocked": "{name}, ваш обліковий запис у фонді знову активний.",
    },
    EN: {
        "message": "{name}, a new message on request No. {request}.",
        "messages": "{name}, {count} new messages on request No. {request}.",
        "request_moved.status": "{name}, request No. {request} {status}.",
        "request_moved.amount": "{name}, {amount} was approved on request No. {request}.",
        "request_moved.closed": "{name}, request No. {request} is closed: {resolution}.",
        "request_moved.reopened": "{name}, request No. {request} is open again.",
        "payout": "{name}, {amount} was paid out on request No. {request}.",
        "payment_confirmed": "{name}, your contribution of {amount} is confirmed. "
        "Paid until {paid_until}.",
        "payment_confirmed.credit": "{name}, your contribution of {amount} is kept as credit.",
        "payment_reversed": "{name}, your contribution of {amount} was reversed by the "
        "payment service.",
        "profile_reviewed.approved": "{name}, your profile is approved. Welcome to the fund!",
        "profile_reviewed.documents_refused": "{name}, your documents were not accepted. "
        "See why in the app.",
        "profile_reviewed.program_changed": "{name}, your new program is confirmed.",
        "membership_expiring": "{name}, your membership is paid until {paid_until}. "
        "Remember your contribution.",
        "membership_expiring.lapsed": "{name}, your membership ended on {paid_until}. "
        "Pay a contribution to renew it.",
        "blocked": "{name}, your account with the fund is blocked. Please contact the fund.",
        "unblocked": "{name}, your account with the fund is active again.",
    },
}
DEAR = {UK: "Вітаємо", EN: "Hello"}  # when the member gave no first name yet


def money_text(amount: Money, language: Language) -> str:
    units, cents = divmod(abs(amount.kopecks), 100)
    sign = "-" if amount.kopecks < 0 else ""
    if language is UK:
        grouped = f"{units:,}".replace(",", "\u00a0")
        return f"{sign}{grouped},{cents:02d}\u00a0грн"
    return f"{sign}UAH {units:,}.{cents:02d}"


def date_text(iso: str | None) -> str:
    return date.fromisoformat(iso).strftime("%d.%m.%Y") if iso else ""


def template_key(kind: EventKind, data: Mapping[str, Any]) -> str:
    """Which text an event takes."""
    if kind is EventKind.REQUEST_MOVED:
        return f"request_moved.{data.get('change', 'status')}"
    if kind is EventKind.PROFILE_REVIEWED:
        return f"profile_reviewed.{data.get('outcome', 'approved')}"
    if kind is EventKind.PAYMENT_CONFIRMED and not data.get("paid_until"):
        return "payment_confirmed.credit"
    if kind is EventKind.MEMBERSHIP_EXPIRING and data.get("lapsed"):
        return "membership_expiring.lapsed"
    return kind.value


def render(
    kind: EventKind,
    data: Mapping[str, Any],
    language: Language,
    *,
    first_name: str,
    request_id: int | None = None,
    count: int = 1,
) -> str:
    """The text of one notification in the member's language (``count``: messages on
    the request a push stands for)."""
    key = "messages" if kind is EventKind.MESSAGE and count > 1 else template_key(kind, data)
    amount = data.get("amount")
    values = {
        "name": first_name or DEAR[language],
        "request": request_id or "",
        "count": count,
        "amount": money_text(Money.parse(str(amount)), language) if amount else "",
        "paid_until": date_text(data.get("paid_until")),
        "status": STATUSES[language].get(str(data.get("status")), ""),
        "resolution": RESOLUTIONS[language].get(str(data.get("resolution")), ""),
    }
    return TEXTS[language][key].format(**values)
