"""A small fund and the steps tests build on (sign up, submit, approve, …): the use
cases on an SQLite database (copied from one migrated for the run), with the outside
world (SMS, gateway, Diia, the file store, the clock) faked and looked into."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path
from typing import Any

import attrs
import sqlalchemy as sa
from sqlalchemy.orm import Session

from kasa.adapters.memory import Fakes, in_memory_fund
from kasa.adapters.sql import mapping as mp
from kasa.adapters.sql import models as m
from kasa.adapters.sql.database import SqlDatabase
from kasa.adapters.sql.migrate import upgrade
from kasa.application.context import Context, FundSettings, Upload
from kasa.application.identity import DiiaSharing
from kasa.application.jobs import Reminders
from kasa.application.members import BackOfficeMembers, MemberFiles
from kasa.application.payments import GatewayPayments, MemberPayments, StaffPayments
from kasa.application.profiles import Profiles
from kasa.application.programs import ProgramAdmin
from kasa.application.reports import Books
from kasa.application.requests import MemberRequests, StaffRequests
from kasa.application.signin import MemberSignIn
from kasa.application.staff import StaffAccounts
from kasa.domain.audit import AuditEvent, EventType
from kasa.domain.money import Money

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x01" * 64
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"1 0 obj\n" * 8
IBAN = "UA213223130000026007233566001"
INN = "1759013776"


def documents(kind: str = "card") -> list[Upload]:
    fields = (
        ["inn", "id_1", "id_2"] if kind == "card" else ["inn", "book_1", "book_2", "book_address"]
    )
    return [Upload.of(f, f"{f}.jpg", JPEG + f.encode()) for f in fields]


@attrs.define
class Fund:
    ctx: Context
    fakes: Fakes
    sign: MemberSignIn
    profiles: Profiles
    requests: MemberRequests
    staff_requests: StaffRequests
    payments: MemberPayments
    gateway: GatewayPayments
    staff_payments: StaffPayments
    accounts: StaffAccounts
    office: BackOfficeMembers
    member_files: MemberFiles
    programs: ProgramAdmin
    books: Books
    diia: DiiaSharing
    reminders: Reminders
    admin_id: int = 0
    operator_id: int = 0
    phones: int = 0
    database: Any = None

    @classmethod
    def build(
        cls, settings: FundSettings | None = None, database: Any = None, *, memory: bool = False
    ) -> Fund:
        """A fund on a fresh SQLite database (or the given one), or with ``memory`` on
        the in-memory fakes, which write but have no read side."""
        ctx, fakes = in_memory_fund(settings)
        if not memory:
            database = database or fresh_sqlite()
            ctx = attrs.evolve(ctx, uow=database.unit_of_work, reads=database.reads())
        fund = cls.on(ctx, fakes)
        fund.database = database
        return fund

    @classmethod
    def on(cls, ctx: Context, fakes: Fakes) -> Fund:
        """The use cases on a given context, with an admin and an operator."""
        fund = cls(
            ctx,
            fakes,
            MemberSignIn(ctx),
            Profiles(ctx),
            MemberRequests(ctx),
            StaffRequests(ctx),
            MemberPayments(ctx),
            GatewayPayments(ctx),
            StaffPayments(ctx),
            StaffAccounts(ctx),
            BackOfficeMembers(ctx),
            MemberFiles(ctx),
            ProgramAdmin(ctx),
            Books(ctx),
            DiiaSharing(ctx),
            Reminders(ctx),
        )
        admin = fund.accounts.create(None, login="admin", role="admin", name="Адміністратор")
        operator = fund.accounts.create(None, login="olena", role="operator", name="Олена")
        fund.admin_id = admin.user.id or 0
        fund.operator_id = operator.user.id or 0
        return fund

    # -- steps -----------------------------------------------------------------------
    def new_phone(self) -> str:
        self.phones += 1
        return f"+38050{self.phones:07d}"

    def sign_up(self, phone: str | None = None) -> int:
        phone = phone or self.new_phone()
        self.sign.request_code(phone, True)
        self.sign.sign_in(phone, self.fakes.sms.last_code(phone))
        with self.ctx.uow() as uow:
            member = uow.members.by_phone(phone)
        assert member is not None and member.id is not None
        return member.id

    def program(self, name: str = "Базова", price: str = "300.00") -> int:
        program = self.programs.save(self.admin_id, name=name, month_price=Money.parse(price))
        assert program.id is not None
        return program.id

    def submit(self, member_id: int, program_id: int, **overrides: object) -> None:
        fields: dict[str, object] = {
            "first_name": "Олена",
            "middle_name": "Петрівна",
            "last_name": "Коваль",
            "email": "olena@example.com",
            "iban": IBAN,
            "program_id": program_id,
            "documents": documents(),
        }
        fields.update(overrides)
        self.profiles.submit(member_id, **fields)  # type: ignore[arg-type]

    def approve(self, member_id: int) -> str:
        number = self.office.generate_certificate(self.operator_id)
        self.office.edit(self.operator_id, member_id, certificate=number, is_submitted=True)
        return number

    def approved_member(self, program_id: int | None = None) -> int:
        member_id = self.sign_up()
        self.submit(member_id, program_id or self.program())
        self.approve(member_id)
        return member_id

    def pay(self, member_id: int, amount: str, status: str = "success") -> str:
        self.payments.start_top_up(member_id, Money.parse(amount))
        order_id = self.fakes.gateway.checkouts[-1]["order_id"]
        data, signature = self.fakes.gateway.callback(order_id, amount, status)
        self.gateway.callback(data, signature)
        return str(order_id)

    def events(self, event_type: EventType | None = None) -> list[AuditEvent]:
        """The audit trail, oldest first (of one kind)."""
        events = sorted(self.tables().audit.values(), key=lambda e: e.id or 0)
        return [e for e in events if event_type is None or e.event_type is event_type]

    def tables(self) -> Any:
        """Every row of the fund as domain objects, by table and id: the fakes' own
        tables, or a snapshot read from the database."""
        if self.database is None:
            return self.fakes.store.tables
        return snapshot(self.database)


_TEMPLATE: list[Path] = []


def fresh_sqlite() -> SqlDatabase:
    """A new SQLite database at the newest schema: a copy of one migrated once a run
    (in memory-backed /dev/shm where there is one, so commits cost no disk flush)."""
    shm = Path("/dev/shm")
    folder = Path(tempfile.mkdtemp(prefix="kasa-fund-", dir=shm if shm.is_dir() else None))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    if not _TEMPLATE:
        template = folder / "template.db"
        upgrade(f"sqlite:///{template}")
        _TEMPLATE.append(template)
    target = folder / "kasa.db"
    shutil.copyfile(_TEMPLATE[0], target)
    return SqlDatabase(f"sqlite:///{target}")


@attrs.define
class Snapshot:
    members: dict[int, Any]
    challenges: dict[int, Any]
    programs: dict[int, Any]
    member_programs: dict[int, Any]
    identities: dict[int, Any]
    files: dict[int, Any]
    requests: dict[int, Any]
    payments: dict[int, Any]
    staff: dict[int, Any]
    audit: dict[int, Any]
    corrections: dict[int, Any]


def snapshot(database: SqlDatabase) -> Snapshot:
    """Every row of the tables tests look into, mapped to domain objects."""
    tables = {
        "members": (m.MemberRow, mp.member_from),
        "challenges": (m.ChallengeRow, mp.challenge_from),
        "programs": (m.ProgramRow, mp.program_from),
        "member_programs": (m.MemberProgramRow, mp.member_program_from),
        "identities": (m.MemberIdentityRow, mp.identity_from),
        "files": (m.FileRow, mp.file_from),
        "requests": (m.RequestRow, mp.request_from),
        "payments": (m.PaymentRow, mp.payment_from),
        "staff": (m.StaffRow, mp.staff_from),
        "audit": (m.AuditRow, mp.audit_from),
        "corrections": (m.CorrectionRow, mp.correction_from),
    }
    found: dict[str, dict[int, Any]] = {}
    with Session(database.engine) as session:
        for name, (row_class, load) in tables.items():
            rows = session.execute(sa.select(row_class)).scalars()
            found[name] = {row.id: load(row) for row in rows}
    return Snapshot(**found)
