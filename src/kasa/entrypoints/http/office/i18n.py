"""The office's words and numbers: Ukrainian is the language the templates are written
in; English comes from a gettext catalogue (``locale/en/LC_MESSAGES/office.po``, read
with Babel when first needed: no build step). Dates as dd.mm.YYYY; money as
``1 234,50 грн`` in Ukrainian and ``UAH 1,234.50`` in English."""

from __future__ import annotations

import functools
import gettext
import io
from datetime import date, datetime
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations

from kasa.domain.money import Money
from kasa.domain.notifications import Language

LOCALES = Path(__file__).parent / "locale"
DOMAIN = "office"
NUMBER_LOCALE = {Language.UK: "uk_UA", Language.EN: "en_GB"}


@functools.cache
def translations(language: Language) -> gettext.NullTranslations:
    """The catalogue of a language (Ukrainian, the templates' own, needs none)."""
    if language is Language.UK:
        return gettext.NullTranslations()
    source = LOCALES / language.value / "LC_MESSAGES" / f"{DOMAIN}.po"
    with source.open("rb") as handle:
        catalog = read_po(handle, locale=language.value, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def money(amount: Money, language: Language) -> str:
    figures = format_decimal(amount.to_decimal(), format="#,##0.00", locale=NUMBER_LOCALE[language])
    return f"{figures} грн" if language is Language.UK else f"UAH {figures}"


def day(value: date | datetime | None) -> str:
    return "" if value is None else value.strftime("%d.%m.%Y")
