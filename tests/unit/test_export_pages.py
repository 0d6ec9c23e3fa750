"""An export's pages: each read from where the last ended, the next one read while the
last is handed on, in the caller's context, and a failed read is never a short export."""

from __future__ import annotations

import contextvars
import threading

import pytest

from kasa.application import books

WHO = contextvars.ContextVar("who", default="nobody")


def test_every_item_once_in_order_each_page_from_where_the_last_ended(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(books, "EXPORT_PAGE", 3)
    items = list(range(10))
    asked: list[int | None] = []
    seen: list[tuple[str, bool]] = []

    def fetch(after: int | None) -> list[int]:
        asked.append(after)
        seen.append((WHO.get(), threading.current_thread() is threading.main_thread()))
        start = 0 if after is None else items.index(after) + 1
        return items[start : start + 3]

    WHO.set("staff 7")
    assert list(books._from_where_each_ended(fetch, lambda last: last)) == items
    assert asked == [None, 2, 5, 8]
    # the first page is read at once, the others ahead of need in the reading thread,
    # each seeing what the caller's context holds
    assert seen == [("staff 7", True)] + [("staff 7", False)] * 3


def test_a_page_that_cannot_be_read_fails_the_export(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(books, "EXPORT_PAGE", 2)

    def fetch(after: int | None) -> list[int]:
        if after is not None:
            raise ConnectionError("the database went away")
        return [1, 2]

    pages = books._from_where_each_ended(fetch, lambda last: last)
    assert [next(pages), next(pages)] == [1, 2]
    with pytest.raises(ConnectionError, match="went away"):
        next(pages)


def test_an_export_left_halfway_stops_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(books, "EXPORT_PAGE", 1)
    asked: list[int | None] = []

    def fetch(after: int | None) -> list[int]:
        asked.append(after)
        return [0 if after is None else after + 1]

    pages = books._from_where_each_ended(fetch, lambda last: last)
    assert next(pages) == 0
    pages.close()  # the download was abandoned
    assert asked == [None, 0]  # the page read ahead, and no more
