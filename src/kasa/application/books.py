"""The books: the fund report, CSV exports for the accountant, and the audit trail."""

from __future__ import annotations

import contextvars
import csv
import io
import re
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date, datetime, timedelta
from typing import TypeVar

import attrs

from kasa.application.access import require_staff
from kasa.application.clock import FundClock
from kasa.application.reads import (
    AuditQuery,
    MemberQuery,
    OfficeReads,
    Page,
    PaymentQuery,
    RequestQuery,
)
from kasa.application.views import (
    FundReport,
    Listing,
    MemberView,
    MonthLine,
    NotificationQuery,
    NotificationView,
    PaymentLine,
    RequestView,
)
from kasa.domain.audit import AuditEvent
from kasa.domain.calendar import after_day, day_start
from kasa.domain.errors import InvalidInput
from kasa.domain.ledger import Balance, Move, MoveKind
from kasa.domain.members import MemberStatus, full_name
from kasa.domain.money import Money, kopecks_text, total

EXPORT_PAGE = 500
CSV_PIECE = 64 * 1024  # characters of CSV text handed on at a time
# how the fund report names money in that staff recorded (no gateway took it)
MANUAL = "manual"
T = TypeVar("T")
K = TypeVar("K")
R = TypeVar("R")

PAYMENT_COLUMNS = [
    "id",
    "date",
    "type",
    "status",
    "amount",
    "member_id",
    "member",
    "certificate",
    "request_id",
    "source",
    "gateway",
    "order_id",
    "extended_to",
    "iban",
]
REQUEST_COLUMNS = [
    "id",
    "created",
    "status",
    "resolution",
    "member_id",
    "member",
    "certificate",
    "approved_amount",
    "diagnosis",
    "comment",
]
LEDGER_COLUMNS = ["date", "kind", "member_id", "reference", "amount", "balance"]
MEMBER_COLUMNS = [
    "id",
    "phone",
    "last_name",
    "first_name",
    "middle_name",
    "email",
    "status",
    "certificate",
    "inn",
    "iban",
    "birth_date",
    "paid_until",
    "created",
]


@attrs.frozen
class Books:
    reads: OfficeReads  # who asks
    clock: FundClock
    # the lists (a replica's, when there is one); by default the reads themselves
    lists: OfficeReads = attrs.field(
        default=attrs.Factory(lambda self: self.reads, takes_self=True), kw_only=True
    )

    def _require(self, staff_id: int | None) -> None:
        if staff_id is not None:
            require_staff(self.reads, staff_id)

    def _months(self, first: date | None, last: date | None) -> list[datetime]:
        """The first moments of the fund's months the period's movements fall in."""
        since = day_start(first) if first else self.lists.first_money_moved()
        until = after_day(last) - timedelta(hours=1) if last else self.clock.now()
        if since is None or since > until:
            return [self.clock.now()]  # nothing to sum by month
        return self.clock.month_starts(since, until)

    def fund_report(
        self, staff_id: int | None, first: date | None = None, last: date | None = None
    ) -> FundReport:
        """Money in (contributions confirmed, including ones reversed later), reversals
        and money out (payouts) by month and by the member's current program, money in
        by the gateway that took it (``manual`` for what staff recorded), the balance
        they leave in the period and since the fund began, and members by status."""
        if first and last and first > last:
            raise InvalidInput.field("from", "must not be after the last date")
        self._require(staff_id)
        column = {MoveKind.CONFIRMATION: 0, MoveKind.PAYOUT: 1, MoveKind.REVERSAL: 2}
        sums: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
        by_gateway: dict[str, int] = defaultdict(int)
        for moment, program, kind, amount, gateway in self.lists.money_moves(
            first, last, self._months(first, last)
        ):
            key = (self.clock.local_date(moment).strftime("%Y-%m"), program or "—")
            sums[key][column[kind]] += amount.kopecks
            if kind is MoveKind.CONFIRMATION:
                by_gateway[gateway or MANUAL] += amount.kopecks
        lines = [
            MonthLine(month, program, Money(values[0]), Money(values[1]), Money(values[2]))
            for (month, program), values in sorted(sums.items())
        ]
        totals = self.lists.money_totals(after_day(last) if last else None)
        counts = self.lists.members_by_status()
        told = self.lists.notifications_by_channel(
            day_start(first) if first else None, after_day(last) if last else None
        )
        notifications = dict.fromkeys(("push", "sms", "inbox", "failed", "pending"), 0)
        for (state, channel), count in told.items():
            told_as = channel if state == "sent" and channel in notifications else state
            notifications[told_as] = notifications.get(told_as, 0) + count
        return FundReport(
            first,
            last,
            total(line.money_in for line in lines),
            total(line.money_out for line in lines),
            lines,
            {status.value: counts.get(status, 0) for status in MemberStatus},
            total(line.reversed for line in lines),
            Balance.of_totals(totals),
            notifications,
            {name: Money(kopecks) for name, kopecks in sorted(by_gateway.items())},
        )

    # -- exports ---------------------------------------------------------------------
    def _export(
        self,
        staff_id: int | None,
        header: list[str],
        fetch: Callable[[Page], Sequence[T]],
        row: Callable[[T], list[str]],
    ) -> CsvText:
        """CSV text, read page by page. Who asks is checked before the first line, so
        a refusal comes before anything is sent."""
        self._require(staff_id)

        def rows() -> Iterator[list[str]]:
            offset = 0
            while True:
                page = fetch(Page(EXPORT_PAGE, offset))
                yield from (row(item) for item in page)
                if len(page) < EXPORT_PAGE:
                    return
                offset += EXPORT_PAGE

        return CsvText(header, rows())

    def export_payments(self, staff_id: int | None, query: PaymentQuery) -> CsvText:
        local_date = self.clock.local_date

        def row(p: PaymentLine) -> list[str]:
            return [
                str(p.id),
                local_date(p.moved_at).isoformat(),
                p.payment_type,
                p.status,
                kopecks_text(p.kopecks),
                str(p.member_id),
                full_name(p.last_name, p.first_name, p.middle_name),
                p.certificate or "",
                str(p.request_id or ""),
                p.source,
                p.gateway or "",
                p.order_id or "",
                p.extended_to.isoformat() if p.extended_to else "",
                p.iban,
            ]

        self._require(staff_id)
        found = _from_where_each_ended(
            lambda after: self.lists.payment_lines_after(query, after, EXPORT_PAGE),
            lambda last: (last.moved_at, last.id),
        )
        return CsvText(PAYMENT_COLUMNS, map(row, found))

    def export_requests(self, staff_id: int | None, query: RequestQuery) -> CsvText:
        def row(r: RequestView) -> list[str]:
            return [
                str(r.id),
                r.created_at.isoformat(),
                r.status,
                r.resolution or "",
                str(r.member_id),
                r.member.full_name if r.member else "",
                r.member.certificate if r.member else "",
                str(r.approved_amount or ""),
                r.diagnosis,
                r.request_text,
            ]

        return self._export(
            staff_id, REQUEST_COLUMNS, lambda page: self.lists.requests(query, page).items, row
        )

    def export_members(self, staff_id: int | None, query: MemberQuery) -> CsvText:
        def row(m: MemberView) -> list[str]:
            paid_until = m.membership.paid_until
            return [
                str(m.id),
                m.phone,
                m.last_name,
                m.first_name,
                m.middle_name,
                m.email,
                m.status,
                m.certificate,
                m.inn,
                m.iban,
                m.birth_date.isoformat() if m.birth_date else "",
                paid_until.isoformat() if paid_until else "",
                m.created_at.isoformat(),
            ]

        return self._export(
            staff_id, MEMBER_COLUMNS, lambda page: self.lists.members(query, page), row
        )

    def export_ledger(
        self, staff_id: int | None, first: date | None = None, last: date | None = None
    ) -> CsvText:
        """Every movement of money between two days (both included, all when not given)
        as CSV, oldest first: its day, kind, member, what it is about, its signed amount
        and the fund's running balance since the fund began."""
        if first and last and first > last:
            raise InvalidInput.field("from", "must not be after the last date")
        before = self.lists.money_totals(day_start(first)) if first else {}
        balance = [Balance.of_totals(before)]  # running, from everything before the period

        def row(move: Move) -> list[str]:
            balance[0] += move.signed
            return [
                self.clock.local_date(move.at).isoformat(),
                move.kind.value,
                str(move.member_id),
                move.reference,
                str(Balance(move.signed)),
                str(balance[0]),
            ]

        self._require(staff_id)
        found = _from_where_each_ended(
            lambda after: self.lists.ledger_after(first, last, after, EXPORT_PAGE),
            lambda move: move,
        )
        return CsvText(LEDGER_COLUMNS, map(row, found))

    # -- what members were told ------------------------------------------------------------
    def notifications(
        self, staff_id: int | None, query: NotificationQuery, page: Page
    ) -> Listing[NotificationView]:
        """Notifications, newest first, with their delivery state."""
        self._require(staff_id)
        return self.lists.notifications(query, page)

    # -- audit -------------------------------------------------------------------------
    def audit_trail(
        self, staff_id: int | None, query: AuditQuery, page: Page
    ) -> Listing[AuditEvent]:
        self._require(staff_id)
        return self.lists.audit(query, page)


def _from_where_each_ended(
    fetch: Callable[[K | None], Sequence[T]], key: Callable[[T], K]
) -> Iterator[T]:
    """Every item, a page at a time, each page read from where the last one ended (the
    key of its last item): every page costs the same, wherever it starts. While a page
    is handed on, the next is read in a thread of its own (in this context), so the
    database and the interpreter work at the same time."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="kasa-pages") as reading:
        found = fetch(None)
        while True:
            coming = None
            if len(found) == EXPORT_PAGE:
                coming = _started(reading, fetch, key(found[-1]))
            yield from found
            if coming is None:
                return
            found = coming.result()


def _started(reading: ThreadPoolExecutor, fetch: Callable[[K], R], after: K) -> Future[R]:
    """``fetch(after)`` in the reading thread, returned once it has begun: the thread
    holds the interpreter until the query is sent, so the read is under way while this
    thread goes on (without the wait, a page handed on in less than the interpreter's
    switch interval left the next read to start only when it was needed)."""
    begun = threading.Event()

    def read() -> R:
        begun.set()
        return fetch(after)

    coming = reading.submit(contextvars.copy_context().run, read)
    begun.wait()
    return coming


class CsvText(Iterator[str]):
    """CSV text in pieces of about ``CSV_PIECE`` characters (whole lines), UTF-8 with a
    byte order mark so spreadsheets read Cyrillic; ``rows`` counts the rows handed on so
    far (the header not counted)."""

    def __init__(self, header: list[str], rows: Iterator[list[str]]) -> None:
        self.rows = 0
        self._pieces = self._write(header, rows)

    def __next__(self) -> str:
        return next(self._pieces)

    def _write(self, header: list[str], rows: Iterator[list[str]]) -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        buffer.write("\ufeff")
        writer.writerow(header)
        written = 0
        for row in rows:
            # one search over the whole row (its cells each start after a line break)
            # tells that no cell has a formula's start: the row goes out as it is
            if NEEDS_QUOTE.search("\n".join(row)):
                row = [_safe_cell(cell) for cell in row]
            writer.writerow(row)
            written += 1
            if buffer.tell() >= CSV_PIECE:
                self.rows = written
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        self.rows = written
        yield buffer.getvalue()


# what a spreadsheet may read as the start of a formula, and where a cell may start
# (Excel in Ukrainian splits a comma file on ";" too, even inside its quotes)
FORMULA_STARTS = frozenset("=+-@\t\r")
CELL_STARTS = frozenset(",;\t\r\n")
PLAIN_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
# a value that has a formula's start at its own start or at a cell's start inside it
NEEDS_QUOTE = re.compile(r"(?:^|[,;\t\r\n])[=+\-@\t\r]")


def _safe_cell(value: str) -> str:
    """Neutralise spreadsheet formulas (CSV injection): at the start of the value and
    after every comma, semicolon, tab or line break in it, a character that could start
    a formula is prefixed with ``'``. A plain number (the exports' own amounts, negative
    ones in the ledger) is left as it is: it cannot be a formula."""
    if not NEEDS_QUOTE.search(value) or PLAIN_NUMBER.fullmatch(value):
        return value
    out: list[str] = []
    starts = True
    for char in value:
        if starts and char in FORMULA_STARTS:
            out.append("'")
        out.append(char)
        starts = char in CELL_STARTS
    return "".join(out)
