"""Values at the HTTP edge, with what the API reference says of them: ids, phones, codes,
names, dates and money as clients send them (with the constraints a schema can say), and
how dates and money go out."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

import msgspec
from litestar.openapi.spec import OpenAPIType, Schema
from litestar.plugins import OpenAPISchemaPlugin
from litestar.typing import FieldDefinition

from kasa.domain.money import KOPECKS_PER_UAH, Money

MAX_ID = 2**31 - 1


def doc(description: str, **constraints: Any) -> msgspec.Meta:
    """A field's description (and constraints) for the API reference."""
    return msgspec.Meta(description=description, **constraints)


# Ids from clients: a positive number a database key can hold (anything else is a 400).
Id = Annotated[int, msgspec.Meta(ge=1, le=MAX_ID)]


PHONE = (
    "A mobile phone number in international (E.164) form: `+`, the country code and the"
    " number, digits only. Sign-in codes go only to the fund's countries (Ukraine, 380,"
    " unless the server says otherwise)."
)
E164 = r"^\+[1-9][0-9]{7,14}$"
SMS_CODE = r"^[0-9]{6}$"
UA_IBAN = r"^UA[0-9]{27}$"
_DAY, _MONTH = r"(0[1-9]|[12][0-9]|3[01])", r"(0[1-9]|1[0-2])"
_YEAR = r"(19[0-9]{2}|2[01][0-9]{2}|2200)"  # the years the fund can mean: 1900 to 2200
DMY = rf"^{_DAY}\.{_MONTH}\.{_YEAR}$"
# a date a client sends: dd.mm.YYYY, or YYYY-MM-DD
DATE_IN = rf"^({_DAY}\.{_MONTH}\.{_YEAR}|{_YEAR}-{_MONTH}-{_DAY})$"
EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$"
LOGIN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$"
# what a value that does not match a pattern is told
PATTERN_WORDS = {
    E164: "must be a phone number in international form: + and digits, e.g. +380501234567",
    SMS_CODE: "must be the 6 digits of the code",
    UA_IBAN: "must be a Ukrainian IBAN: UA and 27 digits",
    DMY: "must be a date between 1900 and 2200, as dd.mm.YYYY",
    DATE_IN: "must be a date between 1900 and 2200, as dd.mm.YYYY or YYYY-MM-DD",
    EMAIL: "is not an e-mail address",
    LOGIN: "may contain only latin letters, digits, '.', '_', '-' (first a letter or digit)",
}
# the `status` of an answer that succeeded (failures answer an error, `ErrorOut`)
Success = Annotated[Literal["success"], doc("Always `success` (failures answer an error).")]
Phone = Annotated[str, doc(PHONE, pattern=E164, examples=["+380501234567"])]
Code = Annotated[str, doc("The 6-digit code sent by SMS.", pattern=SMS_CODE, examples=["482913"])]
ISO_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
MONEY_OUT = "hryvnias, a number with at most two decimals"
MAX_AMOUNT = 1_000_000_000


class Hryvnias(OpenAPISchemaPlugin):
    """Every decimal the APIs take is an amount of hryvnias sent as a JSON number: the
    API reference says so (read exactly, never as a float)."""

    @staticmethod
    def is_plugin_supported_type(value: Any) -> bool:
        return value is Decimal

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: Any) -> Schema:
        return Schema(
            type=OpenAPIType.NUMBER,
            minimum=0,
            maximum=MAX_AMOUNT,
            multiple_of=0.01,
            examples=[300],
        )


# a Meta's extra key: the amount must be more than zero (msgspec takes no bound on a
# Decimal, the use cases refuse zero; the document says exclusiveMinimum, see docs.py)
POSITIVE = "more_than_zero"


def dmy(value: date | datetime | None) -> str | None:
    """A date as the members' app shows it: ``dd.mm.YYYY`` (formatted by hand, in half
    the time ``strftime`` takes)."""
    if value is None:
        return None
    return f"{value.day:02d}.{value.month:02d}.{value.year:04d}"


def iso(value: date | datetime | None) -> str | None:
    """A date or moment as the admin site reads it: ISO 8601."""
    return None if value is None else value.isoformat()


def money(value: Money) -> float:
    """Money for JSON: a number with at most two decimals (exact for any real amount).
    Integer division rounds correctly, so this is the float nearest to the exact amount,
    as ``float(value.to_decimal())`` is."""
    return value.kopecks / KOPECKS_PER_UAH


def amount(value: Money | None) -> float | None:
    """Like :func:`money`, keeping "not set" as null."""
    return None if value is None else money(value)
