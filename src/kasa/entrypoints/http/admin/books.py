"""The books: the audit trail, CSV exports for the accountant, and the fund report."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.response import Stream

from kasa.application.books import Books
from kasa.application.reads import AuditQuery, MemberQuery
from kasa.application.search import words_of
from kasa.application.views import NotificationQuery
from kasa.domain.calendar import after_day, day_start
from kasa.domain.members import MemberStatus
from kasa.domain.notifications import DeliveryState
from kasa.domain.payments import PaymentType
from kasa.domain.requests import RequestStatus
from kasa.entrypoints.http.admin import cards as c
from kasa.entrypoints.http.admin import inputs as i
from kasa.entrypoints.http.admin import present as p
from kasa.entrypoints.http.admin.queries import page, payment_query, request_query
from kasa.entrypoints.http.common import csv_stream
from kasa.entrypoints.http.fields import DATE_IN, MAX_ID
from kasa.entrypoints.http.routes import ANY_STAFF, DATES_REFUSED, Area
from kasa.entrypoints.http.threads import read, run
from kasa.entrypoints.parsing import parse_enums, parse_period

BOOKS = Area("books", ANY_STAFF, signed_in=True, answers=(400,))


@BOOKS.post(
    "/audit",
    meaning={
        400: DATES_REFUSED,
    },
)
async def audit(
    data: JSONBody[i.AuditFilter], staff_id: NamedDependency[int], books: NamedDependency[Books]
) -> c.AuditPage:
    """The audit trail, filtered by object, actor, event type and dates."""
    start, end = parse_period(data.date_start, data.date_end)
    query = AuditQuery(
        object_kind=data.object_kind,
        object_id=data.object_id,
        actor_kind=data.actor_kind,
        actor_id=data.actor_id,
        event_types=frozenset(data.event_type or ()),
        since=day_start(start) if start else None,
        before=after_day(end) if end else None,
    )
    listing = await read(books.audit_trail, staff_id, query, page(data.limit, data.offset))
    return c.AuditPage(data=[p.audit_event(e) for e in listing.items], total=listing.total)


@BOOKS.get(
    "/export/{kind:str}",
    media_type="text/csv",
    meaning={
        400: "Invalid input, named in `errors`: `status` must be a request's status for "
        "requests and a member's for members; dates must be calendar dates; a query is "
        "at most 10 words.",
    },
)
async def export(
    kind: FromPath[Literal["payments.csv", "requests.csv", "members.csv"]],
    staff_id: NamedDependency[int],
    books: NamedDependency[Books],
    type: Annotated[
        list[PaymentType] | None, QueryParameter(description="Payments: only these types.")
    ] = None,
    status: Annotated[
        list[str] | None,
        QueryParameter(
            description="Requests: only these request statuses (`opened`, `awaiting_agent`,"
            " `awaiting_client`, `closed`); members: only these member statuses"
            " (`registered`, `pending_review`, `approved`, `blocked`). Empty: no filter."
        ),
    ] = None,
    words: Annotated[str | None, QueryParameter(name="query")] = None,
    date_start: Annotated[
        str | None, QueryParameter(pattern=DATE_IN, description="From this day, `YYYY-MM-DD`.")
    ] = None,
    date_end: Annotated[
        str | None, QueryParameter(pattern=DATE_IN, description="Up to this day, included.")
    ] = None,
    amount_start: FromQuery[Decimal | None] = None,
    amount_end: FromQuery[Decimal | None] = None,
    certificate: FromQuery[str | None] = None,
) -> Stream:
    """CSV for the accountant (UTF-8 with a byte order mark, a header row), with the
    filters of the list routes: payments by ``type``, dates, amounts and ``certificate``;
    requests by ``query``, dates and ``status`` (all statuses when none is given);
    members by ``query`` (every word in any field) and ``status``. An empty ``status``
    (``status=``) is no filter, as if it were not given."""
    status = [given for given in status or () if given.strip()] or None
    if kind == "payments.csv":
        filters = i.PaymentFilter(
            type=sorted(type or ()),
            date_start=date_start,
            date_end=date_end,
            amount_start=amount_start,
            amount_end=amount_end,
            certificate=certificate,
        )
        lines = await run(books.export_payments, staff_id, payment_query(filters))
    elif kind == "requests.csv":
        wanted = i.RequestFilter(
            query=words,
            date_start=date_start,
            date_end=date_end,
            status=sorted(parse_enums(RequestStatus, status, "status")),
        )
        lines = await run(books.export_requests, staff_id, request_query(wanted))
    else:
        members = MemberQuery(
            words=words_of(words), statuses=parse_enums(MemberStatus, status, "status")
        )
        lines = await run(books.export_members, staff_id, members)
    return csv_stream(lines, kind)


@BOOKS.get(
    "/reports/fund",
    meaning={
        400: DATES_REFUSED,
    },
)
async def fund_report(
    staff_id: NamedDependency[int],
    books: NamedDependency[Books],
    date_from: Annotated[
        str | None, QueryParameter(pattern=DATE_IN, description="The first day, `YYYY-MM-DD`.")
    ] = None,
    date_to: Annotated[
        str | None, QueryParameter(pattern=DATE_IN, description="The last day, included.")
    ] = None,
) -> c.FundReportOut:
    """Money in and out by month and program, and members by status."""
    period = parse_period(date_from, date_to, ("date_from", "date_to"))
    report = await run(books.fund_report, staff_id, *period)
    return p.fund_report(report)


@BOOKS.get("/notifications")
async def notifications(
    staff_id: NamedDependency[int],
    books: NamedDependency[Books],
    member_id: Annotated[
        int | None, QueryParameter(ge=1, le=MAX_ID, description="Only this member's.")
    ] = None,
    delivery: Annotated[
        DeliveryState | None,
        QueryParameter(name="state", description="Only `pending`, `sent` or `failed` ones."),
    ] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=500, description="At most this many.")] = 50,
    offset: Annotated[int, QueryParameter(ge=0, le=MAX_ID, description="Skip this many.")] = 0,
) -> c.NotificationList:
    """What members were told, newest first, with each one's delivery state."""
    query = NotificationQuery(member_id=member_id, state=delivery)
    found = await read(books.notifications, staff_id, query, page(limit, offset))
    return c.NotificationList(data=[p.notification(n) for n in found.items], total=found.total)
