"""How the back office's searches match: by word prefix.

Every searchable text is cut into *terms*: its words, case-folded, apostrophes dropped
(``Мар'яна`` typed with any of the apostrophes in use gives the one term ``маряна``), at
most ``TERM_LENGTH`` characters. A query word matches a text when each of the query
word's own terms begins one of the text's terms: ``Ковал`` finds ``Коваленко``,
``0671`` finds ``+380 67 1…`` (phones are also indexed in their national form). Prefix
matching lets a database answer from an index instead of reading every row.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

TERM_LENGTH = 48

_APOSTROPHES = str.maketrans("", "", "'\u2019\u02bc`\u2018")
_WORD = re.compile(r"\w+")


def terms(*texts: str | None) -> set[str]:
    """The terms of some texts (empty texts give none)."""
    found: set[str] = set()
    for text in texts:
        if text:
            cleaned = text.casefold().translate(_APOSTROPHES)
            found.update(word[:TERM_LENGTH] for word in _WORD.findall(cleaned))
    return found


def phone_terms(e164: str | None) -> set[str]:
    """A phone's digits in the international (``380671234567``) and, for Ukrainian
    numbers, the national form (``0671234567``)."""
    if not e164:
        return set()
    digits = "".join(c for c in e164 if c.isdigit())
    found = {digits}
    if digits.startswith("380"):
        found.add(digits[2:])
    return found


def query_terms(words: Iterable[str]) -> list[str]:
    """The terms a query must all match, in order, each once."""
    seen: dict[str, None] = {}
    for word in words:
        for term in sorted(terms(word)):
            seen.setdefault(term, None)
    return list(seen)


def prefix_upper_bound(term: str) -> str:
    """The smallest string above every string that starts with ``term`` (for an index
    range ``term <= t < bound``)."""
    return term + "\U0010ffff"


def matches(term: str, candidates: Iterable[str]) -> bool:
    return any(candidate.startswith(term) for candidate in candidates)
