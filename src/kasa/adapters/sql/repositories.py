"""The repositories of the application's ports, on SQLAlchemy. They add and find;
they never commit."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.mysql import insert as mysql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from kasa.adapters.sql import mapping as mp
from kasa.adapters.sql import models as m
from kasa.adapters.sql.tracker import Tracker
from kasa.application.repositories import ReminderSent
from kasa.domain.audit import AuditEvent
from kasa.domain.errors import Conflict
from kasa.domain.files import StoredFile
from kasa.domain.identity import MemberIdentity
from kasa.domain.members import CorrectionReport, Member
from kasa.domain.payments import Payment
from kasa.domain.programs import MemberProgram, Program
from kasa.domain.requests import Request, RequestMessage
from kasa.domain.signin import SignInChallenge
from kasa.domain.staff import StaffUser
from kasa.domain.throttle import Counter


class _Repo:
    def __init__(self, session: Session, tracker: Tracker) -> None:
        self.session = session
        self.tracker = tracker

    def _rows(self, stmt: Any) -> Any:
        self.tracker.write_back()  # queries see what this unit of work changed
        return self.session.execute(stmt).scalars().all()


class Members(_Repo):
    def _load(self, row: m.MemberRow | None) -> Member | None:
        return self.tracker.load(row, mp.member_from, mp.member_to)

    def add(self, member: Member) -> Member:
        return self.tracker.add(member, m.MemberRow(), mp.member_to)

    def get(self, member_id: int) -> Member | None:
        return self._load(self.session.get(m.MemberRow, member_id))

    def get_for_update(self, member_id: int) -> Member | None:
        stmt = sa.select(m.MemberRow).where(m.MemberRow.id == member_id).with_for_update()
        return self._load(self.session.execute(stmt).scalar_one_or_none())

    def _by(self, column: Any, value: str) -> Member | None:
        stmt = sa.select(m.MemberRow).where(column == value)
        return self._load(self.session.execute(stmt).scalar_one_or_none())

    def by_phone(self, phone: str) -> Member | None:
        return self._by(m.MemberRow.phone, phone)

    def by_certificate(self, certificate: str) -> Member | None:
        return self._by(m.MemberRow.certificate, certificate)

    def by_diia_request(self, request_id: str) -> Member | None:
        return self._by(m.MemberRow.diia_request_id, request_id)


class Challenges(_Repo):
    def add(self, challenge: SignInChallenge) -> SignInChallenge:
        return self.tracker.add(challenge, m.ChallengeRow(), mp.challenge_to)

    def for_phone_for_update(self, phone: str) -> SignInChallenge | None:
        stmt = sa.select(m.ChallengeRow).where(m.ChallengeRow.phone == phone).with_for_update()
        row = self.session.execute(stmt).scalar_one_or_none()
        return self.tracker.load(row, mp.challenge_from, mp.challenge_to)


class Programs(_Repo):
    def add(self, program: Program) -> Program:
        return self.tracker.add(program, m.ProgramRow(), mp.program_to)

    def get(self, program_id: int) -> Program | None:
        row = self.session.get(m.ProgramRow, program_id)
        return self.tracker.load(row, mp.program_from, mp.program_to)


class MemberPrograms(_Repo):
    def add(self, link: MemberProgram) -> MemberProgram:
        return self.tracker.add(link, m.MemberProgramRow(), mp.member_program_to)

    def for_member(self, member_id: int) -> Sequence[MemberProgram]:
        stmt = (
            sa.select(m.MemberProgramRow)
            .where(m.MemberProgramRow.member_id == member_id)
            .order_by(m.MemberProgramRow.id)
        )
        return self.tracker.load_all(self._rows(stmt), mp.member_program_from, mp.member_program_to)


class Identities(_Repo):
    def add(self, document: MemberIdentity) -> MemberIdentity:
        return self.tracker.add(document, m.MemberIdentityRow(), mp.identity_to)

    def for_member(self, member_id: int) -> Sequence[MemberIdentity]:
        stmt = (
            sa.select(m.MemberIdentityRow)
            .where(m.MemberIdentityRow.member_id == member_id)
            .order_by(m.MemberIdentityRow.id)
        )
        return self.tracker.load_all(self._rows(stmt), mp.identity_from, mp.identity_to)


class Files(_Repo):
    def add(self, file: StoredFile) -> StoredFile:
        return self.tracker.add(file, m.FileRow(), mp.file_to)

    def get(self, file_id: int) -> StoredFile | None:
        return self.tracker.load(self.session.get(m.FileRow, file_id), mp.file_from, mp.file_to)

    def by_stored_name(self, stored_name: str) -> StoredFile | None:
        stmt = sa.select(m.FileRow).where(m.FileRow.stored_name == stored_name)
        row = self.session.execute(stmt).scalar_one_or_none()
        return self.tracker.load(row, mp.file_from, mp.file_to)

    def with_sha256(self, sha256: str) -> Sequence[StoredFile]:
        stmt = sa.select(m.FileRow).where(m.FileRow.sha256 == sha256).order_by(m.FileRow.id)
        return self.tracker.load_all(self._rows(stmt), mp.file_from, mp.file_to)

    def stored_bytes(self, member_id: int) -> int:
        self.tracker.write_back()
        stmt = sa.select(sa.func.coalesce(sa.func.sum(m.FileRow.size), 0)).where(
            m.FileRow.member_id == member_id
        )
        return int(self.session.execute(stmt).scalar_one())


class Requests(_Repo):
    def _load(self, row: m.RequestRow | None) -> Request | None:
        return self.tracker.load(row, mp.request_from, mp.request_to)

    def add(self, request: Request) -> Request:
        return self.tracker.add(request, m.RequestRow(), mp.request_to)

    def get(self, request_id: int) -> Request | None:
        return self._load(self.session.get(m.RequestRow, request_id))

    def get_for_update(self, request_id: int) -> Request | None:
        stmt = sa.select(m.RequestRow).where(m.RequestRow.id == request_id).with_for_update()
        return self._load(self.session.execute(stmt).scalar_one_or_none())


class Messages(_Repo):
    def add(self, message: RequestMessage) -> RequestMessage:
        return self.tracker.add(message, m.MessageRow(), mp.message_to)


class Payments(_Repo):
    def _load(self, row: m.PaymentRow | None) -> Payment | None:
        return self.tracker.load(row, mp.payment_from, mp.payment_to)

    def add(self, payment: Payment) -> Payment:
        return self.tracker.add(payment, m.PaymentRow(), mp.payment_to)

    def get(self, payment_id: int) -> Payment | None:
        return self._load(self.session.get(m.PaymentRow, payment_id))

    def get_for_update(self, payment_id: int) -> Payment | None:
        stmt = sa.select(m.PaymentRow).where(m.PaymentRow.id == payment_id).with_for_update()
        return self._load(self.session.execute(stmt).scalar_one_or_none())

    def by_identifier_for_update(self, identifier: str) -> Payment | None:
        stmt = (
            sa.select(m.PaymentRow)
            .where(m.PaymentRow.payment_identifier == identifier)
            .with_for_update()
        )
        return self._load(self.session.execute(stmt).scalar_one_or_none())

    def for_request(self, request_id: int) -> Sequence[Payment]:
        stmt = sa.select(m.PaymentRow).where(m.PaymentRow.request_id == request_id)
        return self.tracker.load_all(
            self._rows(stmt.order_by(m.PaymentRow.id)), mp.payment_from, mp.payment_to
        )


class Staff(_Repo):
    def add(self, user: StaffUser) -> StaffUser:
        return self.tracker.add(user, m.StaffRow(), mp.staff_to)

    def get(self, staff_id: int) -> StaffUser | None:
        return self.tracker.load(self.session.get(m.StaffRow, staff_id), mp.staff_from, mp.staff_to)

    def by_login(self, login: str) -> StaffUser | None:
        stmt = sa.select(m.StaffRow).where(m.StaffRow.login == login)
        row = self.session.execute(stmt).scalar_one_or_none()
        return self.tracker.load(row, mp.staff_from, mp.staff_to)


class Counters(_Repo):
    def locked(self, keys: Collection[str]) -> dict[str, Counter]:
        c = m.CounterRow
        found: dict[str, Counter] = {}
        for key in sorted(set(keys)):
            # Make the row if it is missing; on MariaDB the upsert takes the row's
            # exclusive lock at once (a plain insert's shared lock would let two
            # waiting transactions deadlock on the upgrade).
            self.session.execute(_insert_missing(self.session, key))
            row = self.session.execute(
                sa.select(c).where(c.key == key).with_for_update()
            ).scalar_one()
            counter = mp.counter_from(row)
            self.tracker.pairs[(c, key)] = (counter, row, mp.counter_to)
            found[key] = counter
        return found


def _insert_missing(session: Session, key: str) -> Any:
    values = {"key": key, "count": 0, "total": 0}
    if session.get_bind().dialect.name == "mysql":
        upsert = mysql_insert(m.CounterRow).values(**values)
        return upsert.on_duplicate_key_update(key=upsert.inserted.key)
    return sqlite_insert(m.CounterRow).values(**values).on_conflict_do_nothing()


class Audit(_Repo):
    def add(self, event: AuditEvent) -> AuditEvent:
        row = m.AuditRow()
        mp.audit_to(event, row)
        self.session.add(row)
        self.session.flush()
        return mp.audit_from(row)


class Reminders(_Repo):
    def add(self, reminder: ReminderSent) -> ReminderSent:
        if self.exists(reminder.member_id, reminder.kind, reminder.period):
            raise Conflict("This reminder was already sent.")
        return self.tracker.add(reminder, m.ReminderRow(), mp.reminder_to)

    def exists(self, member_id: int, kind: str, period: date) -> bool:
        r = m.ReminderRow
        stmt = sa.select(r.id).where(r.member_id == member_id, r.kind == kind, r.period == period)
        return self.session.execute(stmt).first() is not None


class Corrections(_Repo):
    def add(self, report: CorrectionReport) -> CorrectionReport:
        return self.tracker.add(report, m.CorrectionRow(), mp.correction_to)

    def for_member(self, member_id: int) -> Sequence[CorrectionReport]:
        stmt = (
            sa.select(m.CorrectionRow)
            .where(m.CorrectionRow.member_id == member_id)
            .order_by(m.CorrectionRow.id)
        )
        return self.tracker.load_all(self._rows(stmt), mp.correction_from, mp.correction_to)


class Certificates(_Repo):
    def next_number(self) -> int:
        """A row per number handed out; the auto-increment never goes back."""
        row = m.CertificateNumberRow(issued_at=datetime.now(UTC))
        self.session.add(row)
        self.session.flush()
        return row.id
