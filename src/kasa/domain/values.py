"""Value objects of identity and contact data: phone, IBAN, tax number, e-mail, names.

Each one normalises what it is given and refuses malformed input with an
``InvalidInput`` that names the field and says what is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import date

import attrs
import phonenumbers
from stdnum import iban as stdnum_iban
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.ua import rntrc

from kasa.domain.errors import InvalidInput

# Dates the fund deals in: birth dates, payment dates, report periods.
FIRST_DATE = date(1900, 1, 1)
LAST_DATE = date(2200, 12, 31)
NAME_MAX = 32
EMAIL_MAX = 128
UA_IBAN_LENGTH = 29


def check_date(value: date, field: str) -> date:
    """A calendar date within the years the fund can mean (1900 to 2200)."""
    if not FIRST_DATE <= value <= LAST_DATE:
        raise InvalidInput.field(field, "must be a date between 1900 and 2200")
    return value


@attrs.frozen
class Phone:
    """A mobile phone number in E.164 form, e.g. ``+380501234567``."""

    e164: str

    @classmethod
    def parse(cls, value: str, field: str = "phone") -> Phone:
        text = re.sub(r"[\s()\-]", "", value or "")
        if not text.startswith("+"):
            raise InvalidInput.field(field, "must be in international form, starting with +")
        if not text[1:].isdigit():
            raise InvalidInput.field(field, "may contain only digits after the +")
        try:
            number = phonenumbers.parse(text, None)
        except phonenumbers.NumberParseException:
            raise InvalidInput.field(field, "is not a phone number") from None
        if not phonenumbers.is_valid_number(number):
            raise InvalidInput.field(field, "is not a valid phone number")
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        if e164 != text:
            raise InvalidInput.field(field, "is not in E.164 form")
        return cls(e164)

    @property
    def calling_code(self) -> int:
        """The country calling code (380 for Ukraine)."""
        return int(phonenumbers.parse(self.e164, None).country_code or 0)

    def require_country(self, calling_codes: Collection[int], field: str = "phone") -> None:
        """Refuse a phone outside the given countries (codes go only where the fund works),
        or one that is not a mobile number (a landline or a toll-free number takes no
        SMS, and a code sent there costs the fund for nothing)."""
        if self.calling_code not in calling_codes:
            allowed = ", ".join(f"+{code}" for code in sorted(calling_codes))
            raise InvalidInput.field(
                field, f"codes are sent only to phones of the fund's countries ({allowed})"
            )
        kind = phonenumbers.number_type(phonenumbers.parse(self.e164, None))
        if kind not in MOBILE_TYPES:
            raise InvalidInput.field(field, "codes are sent only to mobile numbers")

    def __str__(self) -> str:
        return self.e164


# numbering plan types that take an SMS (some plans do not tell mobile from fixed)
MOBILE_TYPES = frozenset(
    {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
)


@attrs.frozen
class Iban:
    """A Ukrainian bank account number (IBAN): ``UA`` + 27 characters, checksum valid."""

    value: str

    @classmethod
    def parse(cls, text: str, field: str = "iban") -> Iban:
        compact = re.sub(r"\s", "", text or "").upper()
        if not compact.startswith("UA"):
            raise InvalidInput.field(field, "must be a Ukrainian IBAN starting with UA")
        if len(compact) != UA_IBAN_LENGTH:
            raise InvalidInput.field(
                field, f"must be {UA_IBAN_LENGTH} characters long, got {len(compact)}"
            )
        try:
            stdnum_iban.validate(compact)
        except InvalidChecksum:
            raise InvalidInput.field(field, "has a wrong checksum") from None
        except (InvalidFormat, InvalidLength, InvalidComponent, StdnumError):
            raise InvalidInput.field(field, "is not a valid IBAN") from None
        return cls(compact)

    def __str__(self) -> str:
        return self.value


@attrs.frozen
class TaxNumber:
    """A Ukrainian individual tax number (RNOKPP): 10 digits, the last a check digit."""

    value: str

    @classmethod
    def parse(cls, text: str, field: str = "inn") -> TaxNumber:
        compact = re.sub(r"\s", "", text or "")
        if not compact.isdigit() or len(compact) != 10:
            raise InvalidInput.field(field, "must be exactly 10 digits")
        try:
            rntrc.validate(compact)
        except InvalidChecksum:
            raise InvalidInput.field(field, "has a wrong check digit") from None
        except StdnumError:
            raise InvalidInput.field(field, "is not a valid tax number") from None
        return cls(compact)

    def __str__(self) -> str:
        return self.value


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$")


@attrs.frozen
class Email:
    """An e-mail address: one ``@``, a dotted domain, at most 128 characters."""

    value: str

    @classmethod
    def parse(cls, text: str, field: str = "email") -> Email:
        value = (text or "").strip()
        if not value:
            raise InvalidInput.field(field, "is required")
        if len(value) > EMAIL_MAX:
            raise InvalidInput.field(field, f"must be at most {EMAIL_MAX} characters")
        local, _, domain = value.rpartition("@")
        if not _EMAIL.match(value) or ".." in domain or domain.startswith("."):
            raise InvalidInput.field(field, "is not an e-mail address")
        return cls(f"{local}@{domain.lower()}")

    def __str__(self) -> str:
        return self.value


def person_name(text: str | None, field: str, *, required: bool = True) -> str:
    """A first, middle or last name: trimmed, at most 32 characters, letters and ``'-``."""
    value = " ".join((text or "").split())
    if not value:
        if required:
            raise InvalidInput.field(field, "is required")
        return ""
    if len(value) > NAME_MAX:
        raise InvalidInput.field(field, f"must be at most {NAME_MAX} characters")
    if not all(ch.isalpha() or ch in " '’ʼ-." for ch in value):
        raise InvalidInput.field(field, "may contain only letters, spaces, apostrophes and -")
    return value
