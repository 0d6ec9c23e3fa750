"""Search: what staff type, turned into search terms, and the terms each member and
request is found by (kept in term tables by the database adapter)."""

from __future__ import annotations

import enum
from collections.abc import Iterable

from kasa.domain.errors import InvalidInput
from kasa.domain.search import phone_terms, query_terms, terms

# A term no text has (terms are made of word characters only).
NOTHING = "\x00"
MAX_WORDS = 10
MAX_LENGTH = 200


def words_of(text: str | None, field: str = "query") -> tuple[str, ...]:
    """The terms of a query: none for a blank one (no filter); a query of only
    punctuation finds nothing. At most 10 words and 200 characters."""
    if not text or not text.strip():
        return ()
    if len(text) > MAX_LENGTH:
        raise InvalidInput.field(field, f"a search takes at most {MAX_LENGTH} characters")
    if len(text.split()) > MAX_WORDS:
        raise InvalidInput.field(field, f"a search takes at most {MAX_WORDS} words")
    return tuple(query_terms(text.split())) or (NOTHING,)


class SearchField(enum.StrEnum):
    """Member fields the back office may search (``name``: first and last names)."""

    NAME = "name"
    MIDDLE_NAME = "middle_name"
    PASSPORT = "passport"
    INN = "inn"
    IBAN = "iban"
    CERTIFICATE = "certificate"
    PHONE = "phone"


def member_terms(
    *,
    first_name: str,
    last_name: str,
    middle_name: str,
    passport_data: str,
    inn: str | None,
    iban: str | None,
    certificate: str | None,
    phone: str,
) -> dict[SearchField, set[str]]:
    """A member's search terms by field (see ``kasa.domain.search``)."""
    found = {
        SearchField.NAME: terms(first_name, last_name),
        SearchField.MIDDLE_NAME: terms(middle_name),
        SearchField.PASSPORT: terms(passport_data),
        SearchField.INN: terms(inn),
        SearchField.IBAN: terms(iban),
        SearchField.CERTIFICATE: terms(certificate),
        SearchField.PHONE: phone_terms(phone),
    }
    return {field: values for field, values in found.items() if values}


def member_sort_name(first_name: str, last_name: str) -> str:
    """What member searches sort by: the last, then the first name."""
    return f"{last_name} {first_name}".casefold()[:64]


# The member fields a request's search also looks at.
REQUEST_MEMBER_FIELDS = frozenset(
    {SearchField.NAME, SearchField.MIDDLE_NAME, SearchField.CERTIFICATE}
)


def request_terms(
    request_id: int, request_text: str, diagnosis: str, member_terms: Iterable[str]
) -> set[str]:
    """A request's search terms: its number, its text's and diagnosis' words, and its
    member's name, middle name and certificate terms."""
    return terms(str(request_id), request_text, diagnosis) | set(member_terms)
