"""The books: the fund report, CSV exports for the accountant, and the audit trail."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import date

import attrs

from kasa.application.context import Context, load_staff
from kasa.application.repositories import (
    AuditQuery,
    MemberQuery,
    Page,
    PaymentQuery,
    RequestQuery,
)
from kasa.application.views import Listing
from kasa.domain.audit import AuditEvent
from kasa.domain.errors import InvalidInput
from kasa.domain.members import MemberStatus
from kasa.domain.money import Money
from kasa.domain.payments import PaymentStatus, PaymentType
from kasa.domain.programs import current_program

EXPORT_PAGE = 500


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
        with self.ctx.uow() as uow:
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
    def export_payments(self, staff_id: int | None, query: PaymentQuery) -> Iterator[str]:
        header = [
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
        rows = self._paged_payments(staff_id, query)
        return _csv(header, rows)

    def _paged_payments(self, staff_id: int | None, query: PaymentQuery) -> Iterator[list[str]]:
        offset = 0
        while True:
            with self.ctx.uow() as uow:
                if staff_id is not None:
                    load_staff(uow, staff_id)
                page, _ = uow.payments.search(query, Page(EXPORT_PAGE, offset))
                for p in page:
                    member = uow.members.get(p.member_id)
                    when = p.payment_date or p.created_at
                    yield [
                        str(p.id),
                        self.ctx.local_date(when).isoformat(),
                        p.payment_type,
                        p.status,
                        str(p.amount),
                        str(p.member_id),
                        member.full_name if member else "",
                        (member.certificate or "") if member else "",
                        str(p.request_id or ""),
                        p.source,
                        p.payment_identifier or "",
                        p.extended_to.isoformat() if p.extended_to else "",
                        p.iban,
                    ]
            if len(page) < EXPORT_PAGE:
                return
            offset += EXPORT_PAGE

    def export_requests(self, staff_id: int | None, query: RequestQuery) -> Iterator[str]:
        header = [
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

        def rows() -> Iterator[list[str]]:
            offset = 0
            while True:
                with self.ctx.uow() as uow:
                    if staff_id is not None:
                        load_staff(uow, staff_id)
                    page, _ = uow.requests.search(query, Page(EXPORT_PAGE, offset))
                    for r in page:
                        member = uow.members.get(r.member_id)
                        yield [
                            str(r.id),
                            r.created_at.isoformat(),
                            r.status,
                            r.resolution or "",
                            str(r.member_id),
                            member.full_name if member else "",
                            (member.certificate or "") if member else "",
                            str(r.approved_amount or ""),
                            r.diagnosis,
                            r.request_text,
                        ]
                if len(page) < EXPORT_PAGE:
                    return
                offset += EXPORT_PAGE

        return _csv(header, rows())

    def export_members(self, staff_id: int | None, query: MemberQuery) -> Iterator[str]:
        header = [
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

        def rows() -> Iterator[list[str]]:
            offset = 0
            while True:
                with self.ctx.uow() as uow:
                    if staff_id is not None:
                        load_staff(uow, staff_id)
                    page = uow.members.search(query, Page(EXPORT_PAGE, offset))
                    for m in page:
                        yield [
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
                if len(page) < EXPORT_PAGE:
                    return
                offset += EXPORT_PAGE

        return _csv(header, rows())

    # -- audit -------------------------------------------------------------------------
    def audit_trail(
        self, staff_id: int | None, query: AuditQuery, page: Page
    ) -> Listing[AuditEvent]:
        with self.ctx.uow() as uow:
            if staff_id is not None:
                load_staff(uow, staff_id)
            found, total = uow.audit.search(query, page)
            return Listing(found, total)


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
