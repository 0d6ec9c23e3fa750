"""The books: the fund report, CSV exports for the accountant, and the audit trail."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from typing import TypeVar

import attrs

from kasa.application.context import Context, load_staff
from kasa.application.repositories import (
    AuditQuery,
    MemberQuery,
    Page,
    PaymentQuery,
    RequestQuery,
    UnitOfWork,
)
from kasa.application.views import Listing
from kasa.domain.audit import AuditEvent
from kasa.domain.errors import InvalidInput
from kasa.domain.members import Member, MemberStatus
from kasa.domain.money import Money
from kasa.domain.payments import Payment, PaymentStatus, PaymentType
from kasa.domain.programs import current_program
from kasa.domain.requests import Request

EXPORT_PAGE = 500
T = TypeVar("T")

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
class MonthLine:
    month: str  # YYYY-MM
    program: str
    money_in: Money
    money_out: Money


@attrs.frozen
class FundReport:
    first: date | None
    last: date | None
    lines: Sequence[MonthLine]
    money_in: Money
    money_out: Money
    members_by_status: dict[str, int]


class Books:
    def __init__(self, context: Context) -> None:
        self.ctx = context

    def fund_report(
        self, staff_id: int | None, first: date | None = None, last: date | None = None
    ) -> FundReport:
        """Confirmed money in (top-ups) and out (payouts) by month and by the member's
        current program, and members by status."""
        if first and last and first > last:
            raise InvalidInput.field("from", "must not be after the last date")
        with self.ctx.uow(read_only=True) as uow:
            if staff_id is not None:
                load_staff(uow, staff_id)
            sums: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
            program_of: dict[int, str] = {}
            offset = 0
            while True:
                page, _ = uow.payments.search(
                    PaymentQuery(
                        statuses=frozenset({PaymentStatus.CONFIRMED}),
                        date_start=first,
                        date_end=last,
                    ),
                    Page(EXPORT_PAGE, offset),
                )
                for payment in page:
                    if payment.member_id not in program_of:
                        link = current_program(uow.member_programs.for_member(payment.member_id))
                        program = uow.programs.get(link.program_id) if link else None
                        program_of[payment.member_id] = program.program_name if program else "—"
                    when = payment.payment_date or payment.created_at
                    key = (
                        self.ctx.local_date(when).strftime("%Y-%m"),
                        program_of[payment.member_id],
                    )
                    slot = 0 if payment.payment_type is PaymentType.TOP_UP else 1
                    sums[key][slot] += payment.amount.kopecks
                if len(page) < EXPORT_PAGE:
                    break
                offset += EXPORT_PAGE
            lines = [
                MonthLine(month, program, Money(values[0]), Money(values[1]))
                for (month, program), values in sorted(sums.items())
            ]
            counts = uow.members.count_by_status()
            return FundReport(
                first,
                last,
                lines,
                Money(sum(line.money_in.kopecks for line in lines)),
                Money(sum(line.money_out.kopecks for line in lines)),
                {status.value: counts.get(status, 0) for status in MemberStatus},
            )

    # -- exports ---------------------------------------------------------------------
    def _export(
        self,
        staff_id: int | None,
        header: list[str],
        fetch: Callable[[UnitOfWork, Page], Sequence[T]],
        row: Callable[[UnitOfWork, T], list[str]],
    ) -> Iterator[str]:
        """CSV lines, read page by page in short transactions. Who asks is checked before
        the first line, so a refusal comes before anything is sent."""
        if staff_id is not None:
            with self.ctx.uow(read_only=True) as uow:
                load_staff(uow, staff_id)

        def rows() -> Iterator[list[str]]:
            offset = 0
            while True:
                with self.ctx.uow(read_only=True) as uow:
                    page = fetch(uow, Page(EXPORT_PAGE, offset))
                    lines = [row(uow, item) for item in page]
                yield from lines
                if len(page) < EXPORT_PAGE:
                    return
                offset += EXPORT_PAGE

        return _csv(header, rows())

    def export_payments(self, staff_id: int | None, query: PaymentQuery) -> Iterator[str]:
        def row(uow: UnitOfWork, p: Payment) -> list[str]:
            member = uow.members.get(p.member_id)
            return [
                str(p.id),
                self.ctx.local_date(p.payment_date or p.created_at).isoformat(),
                p.payment_type,
                p.status,
                str(p.amount),
                str(p.member_id),
                member.full_name if member else "",
                _certificate(member),
                str(p.request_id or ""),
                p.source,
                p.payment_identifier or "",
                p.extended_to.isoformat() if p.extended_to else "",
                p.iban,
            ]

        return self._export(
            staff_id, PAYMENT_COLUMNS, lambda uow, page: uow.payments.search(query, page)[0], row
        )

    def export_requests(self, staff_id: int | None, query: RequestQuery) -> Iterator[str]:
        def row(uow: UnitOfWork, r: Request) -> list[str]:
            member = uow.members.get(r.member_id)
            return [
                str(r.id),
                r.created_at.isoformat(),
                r.status,
                r.resolution or "",
                str(r.member_id),
                member.full_name if member else "",
                _certificate(member),
                str(r.approved_amount or ""),
                r.diagnosis,
                r.request_text,
            ]

        return self._export(
            staff_id, REQUEST_COLUMNS, lambda uow, page: uow.requests.search(query, page)[0], row
        )

    def export_members(self, staff_id: int | None, query: MemberQuery) -> Iterator[str]:
        def row(_uow: UnitOfWork, m: Member) -> list[str]:
            return [
                str(m.id),
                str(m.phone),
                m.last_name,
                m.first_name,
                m.middle_name,
                str(m.email or ""),
                m.status,
                m.certificate or "",
                str(m.inn or ""),
                str(m.iban or ""),
                m.birth_date.isoformat() if m.birth_date else "",
                m.expiration_date.isoformat() if m.expiration_date else "",
                m.created_at.isoformat(),
            ]

        return self._export(
            staff_id, MEMBER_COLUMNS, lambda uow, page: uow.members.search(query, page), row
        )

    # -- audit -------------------------------------------------------------------------
    def audit_trail(
        self, staff_id: int | None, query: AuditQuery, page: Page
    ) -> Listing[AuditEvent]:
        with self.ctx.uow(read_only=True) as uow:
            if staff_id is not None:
                load_staff(uow, staff_id)
            found, total = uow.audit.search(query, page)
            return Listing(found, total)


def _certificate(member: Member | None) -> str:
    return (member.certificate or "") if member else ""


def _csv(header: list[str], rows: Iterator[list[str]]) -> Iterator[str]:
    """CSV text line by line, UTF-8 with a byte order mark so spreadsheets read Cyrillic."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(header)
    yield buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([_safe_cell(cell) for cell in row])
        yield buffer.getvalue()


def _safe_cell(value: str) -> str:
    """Neutralise spreadsheet formulas in user-typed text (CSV injection)."""
    if value and value[0] in "=+-@\t\r" and not _is_number(value):
        return "'" + value
    return value


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True
