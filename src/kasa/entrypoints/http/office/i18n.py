"""The office's words and numbers: Ukrainian is the language the templates are written
in; English comes from a gettext catalogue (``locale/en/LC_MESSAGES/office.po``, read
with Babel when first needed: no build step), and the Ukrainian catalogue holds the
rules' own error texts (English, as the APIs answer them) in Ukrainian. Dates as
dd.mm.YYYY; money as ``1 234,50 грн`` in Ukrainian and ``UAH 1,234.50`` in English."""

from __future__ import annotations

import functools
import gettext
import io
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations

from kasa.domain.ledger import Balance
from kasa.domain.money import Money
from kasa.domain.notifications import Language

LOCALES = Path(__file__).parent / "locale"
DOMAIN = "office"
KYIV = ZoneInfo("Europe/Kyiv")
NUMBER_LOCALE = {Language.UK: "uk_UA", Language.EN: "en_GB"}


@functools.cache
def translations(language: Language) -> gettext.NullTranslations:
    """The catalogue of a language."""
    source = LOCALES / language.value / "LC_MESSAGES" / f"{DOMAIN}.po"
    with source.open("rb") as handle:
        catalog = read_po(handle, locale=language.value, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def money(amount: Money | Balance, language: Language) -> str:
    """An amount (a balance may be negative: a minus sign before it)."""
    sign = "−" if amount.kopecks < 0 else ""
    whole = Money(abs(amount.kopecks)).to_decimal()
    figures = format_decimal(whole, format="#,##0.00", locale=NUMBER_LOCALE[language])
    return f"{sign}{figures} грн" if language is Language.UK else f"{sign}UAH {figures}"


def day(value: date | datetime | None) -> str:
    return "" if value is None else value.strftime("%d.%m.%Y")


def moment(value: datetime) -> str:
    """A moment as the fund's office reads it: its own time zone, dd.mm.YYYY HH:MM."""
    return value.astimezone(KYIV).strftime("%d.%m.%Y %H:%M")


# what the pages call each status and kind, in Ukrainian (English from the catalogue)
LABELS = {
    "registered": "зареєстрований",
    "pending_review": "на перевірці",
    "approved": "схвалений",
    "blocked": "заблокований",
    "pending": "очікує",
    "confirmed": "зараховано",
    "failed": "не вдалося",
    "sent": "надіслано",
    "reversed": "повернуто",
    "expired": "прострочено",
    "refund_pending_approval": "повернення чекає підтвердження",
    "refund_requested": "повернення запитано",
    "opened": "відкрите",
    "awaiting_agent": "чекає відповіді каси",
    "awaiting_client": "чекає відповіді учасника",
    "closed": "закрите",
    "id_card_front": "ID-картка, лицьовий бік",
    "id_card_back": "ID-картка, зворотний бік",
    "passport_page_1": "паспорт, сторінка 1",
    "passport_page_2": "паспорт, сторінка 2",
    "passport_address_page": "паспорт, сторінка з місцем проживання",
    "tax_number_card": "картка платника податків",
    "paid": "сплачено",
    "rejected": "відмовлено",
    "withdrawn": "відкликано",
    "diagnosis": "діагноз",
    "amount": "сума",
    "date": "дата",
    "reason": "причина",
    "resolution": "рішення",
    "member": "учасник",
    "payment": "платіж",
    "top_up": "внесок",
    "payout": "виплата",
    "partial_payout": "часткова виплата",
    "min": "сума від",
    "max": "сума до",
    "from": "від",
    "to": "до",
    "type": "вид",
    "certificate": "посвідчення",
    "first_name": "ім'я",
    "middle_name": "по батькові",
    "last_name": "прізвище",
    "birth_date": "дата народження",
    "passport_data": "паспортні дані",
    "inn": "ІПН",
    "email": "електронна пошта",
    "iban": "IBAN",
    "phone": "телефон",
    "name": "назва",
    "price": "внесок за місяць",
    "terms": "умови програми",
    "login": "логін",
    "password": "поточний пароль",
    "new_password": "новий пароль",
    "repeat": "новий пароль ще раз",
    "role": "роль",
    "language": "мова",
    "admin": "адміністратор",
    "operator": "оператор",
}


def label(value: object, words: gettext.NullTranslations) -> str:
    """A status or kind in words (its code when the pages have no word for it)."""
    text = str(getattr(value, "value", value))
    return words.gettext(LABELS[text]) if text in LABELS else text
