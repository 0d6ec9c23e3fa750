"""The admin site's filters and pages, read into the read side's queries."""

from __future__ import annotations

from kasa.application.reads import Page, PaymentQuery, RequestQuery
from kasa.application.search import words_of
from kasa.domain.errors import InvalidInput
from kasa.entrypoints.http.admin import inputs as i
from kasa.entrypoints.parsing import amount_or_none, parse_period

MAX_PAGE = 500


def page(limit: int, offset: int) -> Page:
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput.field("limit", f"must be between 1 and {MAX_PAGE}")
    if offset < 0:
        raise InvalidInput.field("offset", "cannot be negative")
    return Page(limit, offset)


def payment_query(f: i.PaymentFilter) -> PaymentQuery:
    first, last = parse_period(f.date_start, f.date_end)
    return PaymentQuery(
        types=frozenset(f.type or ()),
        date_start=first,
        date_end=last,
        amount_start=amount_or_none(f.amount_start, "amount_start"),
        amount_end=amount_or_none(f.amount_end, "amount_end"),
        certificate=f.certificate or None,
    )


def request_query(f: i.RequestFilter) -> RequestQuery:
    first, last = parse_period(f.date_start, f.date_end)
    return RequestQuery(
        words=words_of(f.query), statuses=frozenset(f.status), date_start=first, date_end=last
    )
