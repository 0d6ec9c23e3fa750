"""Reports in the office: the fund report for a period (money in, reversed and out by
month and program, money in by gateway, members by status, with a chart of money in and
out by month), and the ledger and the report's period as CSV."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.response import Stream

from kasa.application.books import Books
from kasa.entrypoints.http.common import csv_stream
from kasa.entrypoints.http.dependencies import given_straight
from kasa.entrypoints.http.office.base import PATH, page, signed_in
from kasa.entrypoints.http.threads import read, run
from kasa.entrypoints.parsing import parse_period

CHART_WIDTH = 600  # the chart's drawing units across (the SVG scales to its box)


def period_of(request: Request[Any, Any, Any]) -> tuple[str, str]:
    return request.query_params.get("from", "")[:10], request.query_params.get("to", "")[:10]


@get(f"{PATH}/reports", include_in_schema=False)
@given_straight
async def reports(request: Request[Any, Any, Any], books: NamedDependency[Books]) -> Response[str]:
    user = signed_in(request)
    first, last = period_of(request)
    start, end = parse_period(first or None, last or None, ("from", "to"))
    report = await read(books.fund_report, user.staff_id, start, end)
    months = report.by_month()
    widest = max([1, *(m.money_in.kopecks for m in months), *(m.money_out.kopecks for m in months)])
    return page(
        request,
        "reports.html",
        "Звіти",
        section="reports",
        report=report,
        months=months,
        first=first,
        last=last,
        bar=lambda amount: round(amount.kopecks * CHART_WIDTH / widest),
        chart_width=CHART_WIDTH,
    )


@get(f"{PATH}/ledger.csv", include_in_schema=False)
@given_straight
async def ledger_csv(request: Request[Any, Any, Any], books: NamedDependency[Books]) -> Stream:
    """Every money movement of the period, with the running balance."""
    user = signed_in(request)
    first, last = period_of(request)
    start, end = parse_period(first or None, last or None, ("from", "to"))
    lines = await run(books.export_ledger, user.staff_id, start, end)
    return csv_stream(lines, "ledger.csv")


HANDLERS = [reports, ledger_csv]
