"""Listings whose filters vary (a search's words, a status, a date range), as statements
built once for each combination of filters and then run with parameters.

Building a SQLAlchemy statement, computing its cache key and finding its compiled form
cost about as much as running a page's query; a statement kept and run again costs
neither. A query's :class:`Filters` names the filters it uses (the key its statement is
kept under) and holds their parameters."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from kasa.domain.search import prefix_upper_bound

# Enough for every combination of filters the listings take; a statement not kept is only
# built again.
KEPT_STATEMENTS = 512


class Filters:
    """The filters one query uses, in a fixed order, and their parameters' values."""

    __slots__ = ("names", "params")

    def __init__(self, **params: Any) -> None:
        self.names: list[str] = []
        self.params: dict[str, Any] = dict(params)

    def add(self, name: str, **params: Any) -> None:
        self.names.append(name)
        self.params.update(params)

    def words(self, words: Iterable[str]) -> None:
        """Search words, longest (the most selective) first: ``word0``, ``word1``…"""
        for at, word in enumerate(sorted(words, key=len, reverse=True)):
            self.add(f"word{at}", **{f"word{at}": word, f"word{at}_end": prefix_upper_bound(word)})

    @property
    def key(self) -> tuple[str, ...]:
        return tuple(self.names)

    @property
    def word_count(self) -> int:
        return sum(1 for name in self.names if name.startswith("word"))

    def has(self, name: str) -> bool:
        return name in self.names


def starts_with_word(column: Any, at: int) -> Any:
    """``column`` begins with search word number ``at``, as an index range."""
    return sa.and_(column >= sa.bindparam(f"word{at}"), column < sa.bindparam(f"word{at}_end"))


def one_of(name: str) -> Any:
    """A list parameter for ``IN``."""
    return sa.bindparam(name, expanding=True)


def param(name: str) -> Any:
    return sa.bindparam(name)


def paged(stmt: Any) -> Any:
    return stmt.limit(sa.bindparam("limit")).offset(sa.bindparam("offset"))
