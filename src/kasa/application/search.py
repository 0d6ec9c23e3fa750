"""Turning what staff type into search terms."""

from __future__ import annotations

from kasa.domain.errors import InvalidInput
from kasa.domain.search import query_terms

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
