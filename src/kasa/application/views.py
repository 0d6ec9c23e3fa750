"""What reads return: plain immutable views, shaped for the answers that show them and
read in as few round trips as possible (see ``kasa.application.reads``). The HTTP apps
and the command line present them; nothing here is ever written back."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import BinaryIO, Generic, Literal, NamedTuple, TypeVar

import attrs

from kasa.domain.audit import AuditEvent
from kasa.domain.events import EventKind
from kasa.domain.files import ContentType, FileKind, StoredFile
from kasa.domain.identity import IdentityType
from kasa.domain.ledger import Balance
from kasa.domain.members import Member, MemberStatus, ReviewState, Standing
from kasa.domain.membership import Membership
from kasa.domain.money import Money
from kasa.domain.notifications import DeliveryState, Notification
from kasa.domain.payments import Payment, PaymentSource, PaymentStatus, PaymentType, moved_at
from kasa.domain.programs import Program
from kasa.domain.requests import RequestStatus, Resolution
from kasa.domain.staff import Role, StaffUser

T = TypeVar("T")


@attrs.frozen
class Listing(Generic[T]):
    """One page of results and how many there are in all."""

    items: Sequence[T]
    total: int


@attrs.frozen
class ProgramView:
    id: int
    name: str
    month_price: Money
    terms_file: str  # the stored name of its terms file, or ""
    is_active: bool
    created_by: int | None
    updated_by: int | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, program: Program) -> ProgramView:
        assert program.id is not None
        return cls(
            program.id,
            program.program_name,
            program.month_price,
            program.program_file,
            program.is_active,
            program.created_by,
            program.updated_by,
            program.created_at,
            program.updated_at,
        )


@attrs.frozen
class FileView:
    id: int
    stored_name: str
    original_name: str
    content_type: ContentType
    size: int
    sha256: str
    kind: FileKind
    created_at: datetime
    member_id: int | None = None
    request_id: int | None = None
    duplicate_of_request: int | None = None

    @classmethod
    def of(cls, file: StoredFile) -> FileView:
        assert file.id is not None
        return cls(
            file.id,
            file.stored_name,
            file.original_name,
            file.content_type,
            file.size,
            file.sha256,
            file.kind,
            file.created_at,
            file.member_id,
            file.request_id,
            file.duplicate_of_request,
        )


@attrs.frozen
class FileContent:
    """A stored file and its bytes, open for reading (whoever sends it closes it)."""

    file: FileView
    content: BinaryIO


@attrs.frozen
class MemberName:
    """Who a member is, as lists show them."""

    id: int
    full_name: str
    certificate: str


@attrs.frozen
class MemberView(Standing):
    """A member as the back office's cards show them."""

    id: int
    phone: str
    first_name: str
    middle_name: str
    last_name: str
    email: str
    birth_date: date | None
    passport_data: str
    inn: str
    iban: str
    photo_file_id: int | None
    certificate: str
    membership: Membership
    status: MemberStatus
    status_before_block: MemberStatus | None
    requests_awaiting_staff: int
    has_new_program_change: bool
    has_new_passport_data: bool
    has_new_correction: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, member: Member) -> MemberView:
        assert member.id is not None
        return cls(
            id=member.id,
            phone=member.phone.e164,
            first_name=member.first_name,
            middle_name=member.middle_name,
            last_name=member.last_name,
            email=str(member.email or ""),
            birth_date=member.birth_date,
            passport_data=member.passport_data,
            inn=str(member.inn or ""),
            iban=str(member.iban or ""),
            photo_file_id=member.photo_file_id,
            certificate=member.certificate or "",
            membership=member.membership,
            status=member.status,
            status_before_block=member.status_before_block,
            requests_awaiting_staff=member.requests_awaiting_staff,
            has_new_program_change=member.has_new_program_change,
            has_new_passport_data=member.has_new_passport_data,
            has_new_correction=member.has_new_correction,
            created_at=member.created_at,
            updated_at=member.updated_at,
        )


@attrs.frozen
class ProfileView:
    """The member's own profile, read in one round trip: the member, their photo's
    stored name, their current program, and where their membership stands today."""

    member: MemberView
    photo: str | None
    program: ProgramView | None
    membership: str = "none"  # active, grace, expired or none, as of today


@attrs.frozen
class ReviewView:
    """Where a member's profile stands with staff, for the member: the profile as
    submitted (None before the first submission, and for a blocked member), its program
    the one chosen (waiting for staff or current), and the refused documents not yet
    uploaded again, with the reasons."""

    state: ReviewState
    profile: ProfileView | None
    refused_documents: Sequence[IdentityView]


@attrs.frozen
class PaymentView:
    id: int
    member_id: int
    payment_type: PaymentType
    amount: Money
    status: PaymentStatus
    source: PaymentSource
    created_at: datetime
    payment_date: datetime | None = None
    request_id: int | None = None
    payment_identifier: str | None = None
    iban: str = ""
    extended_to: date | None = None
    created_by: int | None = None
    approved_by: int | None = None
    needs_approval: bool = False
    gateway: str | None = None

    @classmethod
    def of(cls, payment: Payment) -> PaymentView:
        assert payment.id is not None
        return cls(
            id=payment.id,
            member_id=payment.member_id,
            payment_type=payment.payment_type,
            amount=payment.amount,
            status=payment.status,
            source=payment.source,
            created_at=payment.created_at,
            payment_date=payment.payment_date,
            request_id=payment.request_id,
            payment_identifier=payment.payment_identifier,
            iban=payment.iban,
            extended_to=payment.extended_to,
            created_by=payment.created_by,
            approved_by=payment.approved_by,
            needs_approval=payment.needs_approval,
            gateway=payment.gateway,
        )

    @property
    def moved_at(self) -> datetime:
        return moved_at(self.payment_date, self.created_at)


class PaymentLine(NamedTuple):
    """A payment as an export writes it: the values its cells are made of, as read."""

    id: int
    moved_at: datetime
    payment_type: str
    status: str
    kopecks: int
    member_id: int
    last_name: str
    first_name: str
    middle_name: str
    certificate: str | None
    request_id: int | None
    source: str
    gateway: str | None
    order_id: str | None
    extended_to: date | None
    iban: str


@attrs.frozen
class PaymentRow:
    """A payment as the registry lists it: with its member and its request's diagnosis."""

    payment: PaymentView
    member: MemberName
    diagnosis: str | None = None


@attrs.frozen
class MessageView:
    id: int
    message: str
    author: Literal["member", "staff"]
    author_name: str
    created_at: datetime


@attrs.frozen
class RequestView:
    """A request as lists show it (``files`` and ``member`` where the list shows them)."""

    id: int
    member_id: int
    status: RequestStatus
    request_text: str
    diagnosis: str
    approved_amount: Money | None
    resolution: Resolution | None
    reason: str
    has_duplicate_files: bool
    created_at: datetime
    updated_at: datetime
    files: Sequence[FileView] = ()
    member: MemberName | None = None


@attrs.frozen
class RequestDetail:
    """A request with everything about it: files, messages and the payouts made for it."""

    request: RequestView
    messages: Sequence[MessageView]
    charges: Sequence[PaymentView]


@attrs.frozen
class ChargeView:
    """A payout to a member, with the diagnosis of the request it paid."""

    payment: PaymentView
    diagnosis: str


@attrs.frozen
class ProgramLink:
    program: ProgramView
    link_id: int
    is_current: bool
    is_new: bool


@attrs.frozen
class IdentityView:
    id: int
    identity_type: IdentityType
    is_active: bool
    is_new: bool
    file: FileView
    refused_at: datetime | None = None
    refusal_reason: str = ""


@attrs.frozen
class CorrectionView:
    id: int
    first_name: str
    middle_name: str
    last_name: str
    birth_date: date | None
    created_at: datetime
    resolved_at: datetime | None
    resolved_by: int | None


@attrs.frozen
class MemberDetail:
    """A member's whole file, for staff."""

    member: MemberView
    programs: Sequence[ProgramLink]
    identities: Sequence[IdentityView]
    requests: Sequence[RequestView]
    payments: Sequence[PaymentView]
    corrections: Sequence[CorrectionView]

    @property
    def actual_program(self) -> ProgramView | None:
        return next((link.program for link in self.programs if link.is_current), None)

    @property
    def new_program(self) -> ProgramView | None:
        return next((link.program for link in self.programs if link.is_new), None)

    @property
    def current_identities(self) -> list[IdentityView]:
        return [doc for doc in self.identities if doc.is_active]

    @property
    def new_identities(self) -> list[IdentityView]:
        return [doc for doc in self.identities if doc.is_new]


@attrs.frozen
class StaffView:
    id: int
    login: str
    name: str
    email: str
    phone: str
    role: Role
    is_active: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, user: StaffUser) -> StaffView:
        assert user.id is not None
        return cls(
            user.id,
            user.login,
            user.name,
            str(user.email or ""),
            str(user.phone or ""),
            user.role,
            user.is_active,
            user.created_at,
            user.updated_at,
        )


@attrs.frozen
class TodayCounts:
    """What waits for staff: members to review, requests awaiting staff, payouts
    awaiting a second approval, notifications that could not be delivered."""

    review_queue: int
    requests_awaiting: int
    payouts_awaiting: int
    notifications_failed: int


@attrs.frozen
class MonthLine:
    month: str  # YYYY-MM
    program: str
    money_in: Money  # contributions confirmed (including ones reversed later)
    money_out: Money  # payouts
    reversed: Money  # reversals of confirmed contributions, dated when the fund heard

    @property
    def balance(self) -> Balance:
        return Balance.of(self.money_in, self.reversed, self.money_out)


@attrs.frozen
class FundReport:
    first: date | None
    last: date | None
    money_in: Money
    money_out: Money
    lines: Sequence[MonthLine]
    members_by_status: dict[str, int]
    reversed: Money
    # everything since the fund began, up to the end of the report's period
    balance_total: Balance
    # notifications made in the period: "push", "sms" and "inbox" (sent that way),
    # "failed", "pending"
    notifications: dict[str, int] = attrs.field(factory=dict)
    # money in by the gateway that took it; "manual" for what staff recorded
    money_in_by_gateway: dict[str, Money] = attrs.field(factory=dict)

    @property
    def balance(self) -> Balance:
        return Balance.of(self.money_in, self.reversed, self.money_out)

    def by_month(self) -> list[MonthLine]:
        """The period's lines summed over programs: one line a month, oldest first."""
        months: dict[str, list[Money]] = {}
        for line in self.lines:
            sums = months.setdefault(line.month, [Money(0), Money(0), Money(0)])
            sums[0] += line.money_in
            sums[1] += line.money_out
            sums[2] += line.reversed
        return [MonthLine(month, "", *sums) for month, sums in sorted(months.items())]


__all__ = [
    "AuditEvent",
    "ChargeView",
    "CorrectionView",
    "FileContent",
    "FileView",
    "FundReport",
    "IdentityView",
    "Listing",
    "MemberDetail",
    "MemberName",
    "MemberView",
    "MessageView",
    "MonthLine",
    "NotificationQuery",
    "NotificationView",
    "PaymentRow",
    "PaymentView",
    "ProfileView",
    "ProgramLink",
    "ProgramView",
    "RequestDetail",
    "RequestView",
    "ReviewView",
    "StaffView",
]


@attrs.frozen
class NotificationView:
    """A notification as the member's inbox and staff show it."""

    id: int
    member_id: int
    event: EventKind
    text: str
    created_at: datetime
    read_at: datetime | None
    request_id: int | None
    payment_id: int | None
    state: DeliveryState
    channel: str
    sent_at: datetime | None
    reason: str
    attempts: int

    @classmethod
    def of(cls, n: Notification) -> NotificationView:
        assert n.id is not None
        return cls(
            n.id,
            n.member_id,
            n.event,
            n.text,
            n.created_at,
            n.read_at,
            n.request_id,
            n.payment_id,
            n.state,
            n.channel,
            n.sent_at,
            n.reason,
            n.attempts,
        )


@attrs.frozen
class NotificationQuery:
    member_id: int | None = None
    request_id: int | None = None
    state: DeliveryState | None = None
