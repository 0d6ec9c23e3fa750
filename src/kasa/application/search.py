"""Turning what staff type into search terms."""

from __future__ import annotations

from kasa.domain.search import query_terms

# A term no text has (terms are made of word characters only).
NOTHING = "\x00"


def words_of(text: str | None) -> tuple[str, ...]:
    """The terms of a query: none for a blank one (no filter); a query of only
    punctuation finds nothing."""
    if not text or not text.strip():
        return ()
    return tuple(query_terms(text.split())) or (NOTHING,)
