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
from dependency_injector import providers
from sqlalchemy.orm import Session

from kasa.adapters.sql import schema as tables
from kasa.adapters.sql.database import SqlDatabase
from kasa.adapters.sql.migrate import upgrade
from kasa.adapters.sql.reads import audit_event
from kasa.application.books import Books
from kasa.application.callbacks import GatewayCallbacks
from kasa.application.clock import FundClock
from kasa.application.diia import DiiaSharing
from kasa.application.inbox import MemberNotifications
from kasa.application.jobs import Reminders
from kasa.application.members import BackOfficeMembers, Decision, MemberData, MemberFiles
from kasa.application.notifying import Notifier
from kasa.application.payments import MemberPayments, StaffPayments
from kasa.application.profiles import Profiles
from kasa.application.programs import ProgramAdmin
from kasa.application.reads import Reads
from kasa.application.refunds import Refunds
from kasa.application.repositories import UnitOfWorkFactory
from kasa.application.requests import MemberRequests, StaffRequests
from kasa.application.settings import FundSettings
from kasa.application.signin import MemberSignIn
from kasa.application.staff import StaffAccounts
from kasa.application.uploads import Upload
from kasa.domain.audit import AuditEvent, EventType
from kasa.domain.files import StoredFile
from kasa.domain.identity import IdentityType, MemberIdentity
from kasa.domain.members import CorrectionReport, Member, PersonalData
from kasa.domain.money import Money
from kasa.domain.payments import Payment
from kasa.domain.programs import MemberProgram, Program
from kasa.domain.requests import Request
from kasa.domain.signin import SignInChallenge
from kasa.domain.staff import Role, StaffUser
from kasa.domain.values import Phone
from kasa.entrypoints.container import Kasa
from tests.support.fakes import Fakes, fakes, liqpay_message
from tests.support.kasa import test_kasa, test_settings

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x01" * 64
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"1 0 obj\n" * 8
IBAN = "UA213223130000026007233566001"
INN = "1759013776"


DOCUMENTS = {
    "inn": IdentityType.TAX_NUMBER_CARD,
    "id_1": IdentityType.ID_CARD_FRONT,
    "id_2": IdentityType.ID_CARD_BACK,
    "book_1": IdentityType.PASSPORT_PAGE_1,
    "book_2": IdentityType.PASSPORT_PAGE_2,
    "book_address": IdentityType.PASSPORT_ADDRESS_PAGE,
}


def documents(kind: str = "card") -> dict[IdentityType, Upload]:
    fields = (
        ["inn", "id_1", "id_2"] if kind == "card" else ["inn", "book_1", "book_2", "book_address"]
    )
    return {DOCUMENTS[f]: Upload.of(f, f"{f}.jpg", JPEG + f.encode()) for f in fields}


def personal(**overrides: str) -> PersonalData:
    fields = {
        "first_name": "Олена",
        "middle_name": "Петрівна",
        "last_name": "Коваль",
        "email": "olena@example.com",
        "iban": IBAN,
    }
    fields.update(overrides)
    return PersonalData.parse(**fields)


@attrs.define
class Fund:
    """The use cases of one fund, from its container, with an admin and an operator."""

    kasa: Kasa
    fakes: Fakes
    database: SqlDatabase
    admin_id: int = 0
    operator_id: int = 0
    phones: int = 0

    @classmethod
    def build(cls, settings: FundSettings | None = None, database: Any = None) -> Fund:
        """A fund on a fresh SQLite database (or the given one)."""
        database = database or fresh_sqlite()
        folder = Path(tempfile.mkdtemp(prefix="kasa-fund-data-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        found = fakes()
        kasa = test_kasa(test_settings(folder, settings or FundSettings()), database, found)
        kasa.adapters.tokens.override(providers.Object(found.tokens))
        return cls.on(kasa, found, database)

    @classmethod
    def on(cls, kasa: Kasa, fakes: Fakes, database: SqlDatabase) -> Fund:
        fund = cls(kasa, fakes, database)
        admin = fund.accounts.create(None, login="admin", role=Role.ADMIN, name="Адміністратор")
        operator = fund.accounts.create(None, login="olena", role=Role.OPERATOR, name="Олена")
        fund.admin_id = admin.user.id or 0
        fund.operator_id = operator.user.id or 0
        return fund

    # -- what the use cases run on -------------------------------------------------------
    @property
    def uow(self) -> UnitOfWorkFactory:
        factory: UnitOfWorkFactory = self.kasa.adapters.uow()
        return factory

    @property
    def reads(self) -> Reads:
        found: Reads = self.kasa.adapters.reads()
        return found

    @property
    def clock(self) -> FundClock:
        found: FundClock = self.kasa.services.clock()
        return found

    @property
    def settings(self) -> FundSettings:
        return self.kasa.settings().fund

    # -- the use cases -------------------------------------------------------------------
    @property
    def sign(self) -> MemberSignIn:
        return self.kasa.members.sign_in()  # type: ignore[no-any-return]

    @property
    def profiles(self) -> Profiles:
        return self.kasa.members.profiles()  # type: ignore[no-any-return]

    @property
    def requests(self) -> MemberRequests:
        return self.kasa.members.requests()  # type: ignore[no-any-return]

    @property
    def payments(self) -> MemberPayments:
        return self.kasa.members.payments()  # type: ignore[no-any-return]

    @property
    def member_files(self) -> MemberFiles:
        return self.kasa.members.files()  # type: ignore[no-any-return]

    @property
    def diia(self) -> DiiaSharing:
        return self.kasa.members.diia()  # type: ignore[no-any-return]

    @property
    def accounts(self) -> StaffAccounts:
        return self.kasa.staff.accounts()  # type: ignore[no-any-return]

    @property
    def office(self) -> BackOfficeMembers:
        return self.kasa.staff.members()  # type: ignore[no-any-return]

    @property
    def staff_requests(self) -> StaffRequests:
        return self.kasa.staff.requests()  # type: ignore[no-any-return]

    @property
    def staff_payments(self) -> StaffPayments:
        return self.kasa.staff.payments()  # type: ignore[no-any-return]

    @property
    def refunds(self) -> Refunds:
        return self.kasa.staff.refunds()  # type: ignore[no-any-return]

    @property
    def programs(self) -> ProgramAdmin:
        return self.kasa.staff.programs()  # type: ignore[no-any-return]

    @property
    def books(self) -> Books:
        return self.kasa.staff.books()  # type: ignore[no-any-return]

    @property
    def gateway(self) -> GatewayCallbacks:
        return self.kasa.system.callbacks()  # type: ignore[no-any-return]

    @property
    def notifier(self) -> Notifier:
        return self.kasa.system.notifier()  # type: ignore[no-any-return]

    @property
    def inbox(self) -> MemberNotifications:
        return self.kasa.members.notifications()  # type: ignore[no-any-return]

    @property
    def reminders(self) -> Reminders:
        return self.kasa.system.reminders()  # type: ignore[no-any-return]

    # -- steps -----------------------------------------------------------------------
    def new_phone(self) -> str:
        self.phones += 1
        return f"+38050{self.phones:07d}"

    def sign_up(self, phone: str | None = None) -> int:
        phone = phone or self.new_phone()
        self.sign.request_code(Phone.parse(phone), True)
        self.sign.sign_in(Phone.parse(phone), self.fakes.sms.last_code(phone))
        with self.uow() as uow:
            member = uow.members.by_phone(phone)
        assert member is not None and member.id is not None
        return member.id

    def program(self, name: str = "Базова", price: str = "300.00") -> int:
        program = self.programs.create(self.admin_id, name, Money.parse(price))
        assert program.id is not None
        return program.id

    def submit(
        self,
        member_id: int,
        program_id: int,
        data: PersonalData | None = None,
        docs: dict[IdentityType, Upload] | None = None,
    ) -> None:
        self.profiles.submit(
            member_id, data or personal(), program_id, documents() if docs is None else docs
        )

    def approve(self, member_id: int) -> str:
        number = self.office.generate_certificate(self.operator_id)
        self.office.apply(
            self.operator_id,
            member_id,
            data=MemberData(certificate=number),
            decisions=[Decision.APPROVE],
        )
        return number

    def approved_member(self, program_id: int | None = None) -> int:
        member_id = self.sign_up()
        self.submit(member_id, program_id or self.program())
        self.approve(member_id)
        return member_id

    def pay(self, member_id: int, amount: str, status: str = "success") -> str:
        self.payments.start_top_up(member_id, Money.parse(amount), "liqpay")
        order_id = self.fakes.gateway.checkouts[-1]["order_id"]
        data, signature = self.fakes.gateway.callback(order_id, amount, status)
        self.gateway.callback("liqpay", liqpay_message(data, signature))
        return str(order_id)

    def events(self, event_type: EventType | None = None) -> list[AuditEvent]:
        """The audit trail, oldest first (of one kind)."""
        events = sorted(self.tables().audit.values(), key=lambda e: e.id or 0)
        return [e for e in events if event_type is None or e.event_type is event_type]

    def tables(self) -> Any:
        """Every row of the fund as domain objects, by table and id, read from the
        database."""
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
    """Every row of the tables tests look into, as the domain's objects (audit events as
    the read side builds them)."""
    kinds = {
        "members": Member,
        "challenges": SignInChallenge,
        "programs": Program,
        "member_programs": MemberProgram,
        "identities": MemberIdentity,
        "files": StoredFile,
        "requests": Request,
        "payments": Payment,
        "staff": StaffUser,
        "corrections": CorrectionReport,
    }
    found: dict[str, dict[int, Any]] = {}
    with Session(database.engine) as session:
        for name, kind in kinds.items():
            entities: list[Any] = list(session.execute(sa.select(kind)).scalars())
            found[name] = {e.id: e for e in entities}
        rows = session.execute(sa.select(tables.audit_events)).all()
        found["audit"] = {row.id: audit_event(row) for row in rows}
    return Snapshot(**found)
