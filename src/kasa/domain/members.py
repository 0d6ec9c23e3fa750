"""Members, their status machine, pending changes and correction reports."""

from __future__ import annotations

import enum
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import TYPE_CHECKING, Protocol

import attrs

from kasa.domain.errors import Conflict, InvalidInput, RuleViolation, Validation
from kasa.domain.events import EventKind, RecordsEvents
from kasa.domain.membership import Membership, MembershipState
from kasa.domain.money import Money
from kasa.domain.values import Email, Iban, Phone, TaxNumber, person_name

if TYPE_CHECKING:
    from kasa.domain.payments import Payment

CERTIFICATE_MAX = 32
PASSPORT_DATA_MAX = 512


def full_name(last_name: str, first_name: str, middle_name: str) -> str:
    """How a member's name is written out: last, first, middle."""
    return " ".join(filter(None, (last_name, first_name, middle_name)))


class MemberStatus(enum.StrEnum):
    REGISTERED = "registered"
    PENDING_REVIEW = "pending_review"
    APPROVED = "approved"
    BLOCKED = "blocked"


class ReviewState(enum.StrEnum):
    """Where a member's profile stands with staff, in the member's words."""

    NOT_SUBMITTED = "not_submitted"
    UNDER_REVIEW = "under_review"
    APPROVED = "approved"
    BLOCKED = "blocked"

    @classmethod
    def of(cls, status: MemberStatus) -> ReviewState:
        return REVIEW_STATES[status]


REVIEW_STATES = {
    MemberStatus.REGISTERED: ReviewState.NOT_SUBMITTED,
    MemberStatus.PENDING_REVIEW: ReviewState.UNDER_REVIEW,
    MemberStatus.APPROVED: ReviewState.APPROVED,
    MemberStatus.BLOCKED: ReviewState.BLOCKED,
}


class Standing:
    """What a member's status and names say, for the member and every view of one: the
    clients' two legacy flags and the name written out."""

    __slots__ = ()
    status: MemberStatus
    status_before_block: MemberStatus | None
    first_name: str
    middle_name: str
    last_name: str

    @property
    def is_active(self) -> bool:
        """Legacy flag for the clients: approved and not blocked."""
        return self.status is MemberStatus.APPROVED

    @property
    def is_submitted(self) -> bool:
        """Legacy flag for the clients: the profile was approved (blocking keeps it)."""
        return self.is_active or (
            self.status is MemberStatus.BLOCKED
            and self.status_before_block is MemberStatus.APPROVED
        )

    @property
    def full_name(self) -> str:
        return full_name(self.last_name, self.first_name, self.middle_name)


@attrs.define(eq=False)
class PersonalData:
    """What a member states about themselves when submitting the profile."""

    first_name: str
    middle_name: str
    last_name: str
    email: Email
    iban: Iban

    @classmethod
    def parse(
        cls, *, first_name: str, middle_name: str, last_name: str, email: str, iban: str
    ) -> PersonalData:
        """Validate every field and report all the bad ones at once."""
        check = Validation()
        first = check(person_name, first_name, "first_name")
        middle = check(person_name, middle_name, "middle_name", required=False)
        last = check(person_name, last_name, "last_name")
        mail = check(Email.parse, email)
        account = check(Iban.parse, iban)
        check.done("The profile has invalid fields.")
        assert first is not None and middle is not None and last is not None
        assert mail is not None and account is not None
        return cls(first, middle, last, mail, account)


class AwaitsStaff(Protocol):
    """A request, as far as the review queue cares."""

    @property
    def awaits_staff(self) -> bool: ...


@attrs.define(eq=False, slots=False)
class Member(Standing, RecordsEvents):
    """A participant of the fund, identified by a mobile phone number."""

    phone: Phone
    created_at: datetime
    updated_at: datetime
    id: int | None = None
    first_name: str = ""
    middle_name: str = ""
    last_name: str = ""
    email: Email | None = None
    birth_date: date | None = None
    passport_data: str = ""
    inn: TaxNumber | None = None
    iban: Iban | None = None
    photo_file_id: int | None = None
    certificate: str | None = None
    paid_until: date | None = None
    credit_units: int = 0
    status: MemberStatus = MemberStatus.REGISTERED
    status_before_block: MemberStatus | None = None
    requests_awaiting_staff: int = 0
    has_new_program_change: bool = False
    has_new_passport_data: bool = False
    has_new_correction: bool = False
    diia_request_id: str | None = None
    diia_answer: str | None = None

    def event_ids(self) -> tuple[int, int | None, int | None]:
        assert self.id is not None
        return self.id, None, None

    # -- derived views -------------------------------------------------------------
    @property
    def is_blocked(self) -> bool:
        return self.status is MemberStatus.BLOCKED

    @property
    def is_approved(self) -> bool:
        return self.status is MemberStatus.APPROVED

    @property
    def membership(self) -> Membership:
        return Membership(self.paid_until, self.credit_units)

    @membership.setter
    def membership(self, value: Membership) -> None:
        self.paid_until = value.paid_until
        self.credit_units = value.credit_units

    def top_up(
        self, payment: Payment, month_price: Money | None, paid_on: date, now: datetime
    ) -> None:
        """A confirmed top-up, paid on ``paid_on``, buys days at the current program's
        price (without a program it waits as credit); the payment keeps what it granted."""
        self.membership, extension = self.membership.top_up(payment.amount, month_price, paid_on)
        payment.record_extension(extension)
        self.updated_at = now

    def take_back(self, payment: Payment, month_price: Money | None, now: datetime) -> None:
        """A reversed top-up gives back the days it bought (none: nothing to give, and
        nothing the member was told of)."""
        if payment.extension is None:
            return
        self.membership = self.membership.reverse(payment.extension, month_price)
        self.updated_at = now
        paid_until = self.paid_until.isoformat() if self.paid_until else None
        payment.record(
            EventKind.PAYMENT_REVERSED, amount=str(payment.amount), paid_until=paid_until
        )

    def remind(self, paid_until: date, *, lapsed: bool) -> None:
        """The membership ends soon (``lapsed``: it has just ended): the member is told."""
        self.record(EventKind.MEMBERSHIP_EXPIRING, paid_until=paid_until.isoformat(), lapsed=lapsed)

    def membership_state(self, today: date, grace_days: int) -> MembershipState:
        return self.membership.state(today, grace_days)

    @property
    def in_review_queue(self) -> bool:
        """Staff have something to look at: a profile awaiting review, a pending program
        change, new documents, a correction report or requests awaiting staff."""
        return (
            self.status is MemberStatus.PENDING_REVIEW
            or self.has_new_program_change
            or self.has_new_passport_data
            or self.has_new_correction
            or self.requests_awaiting_staff > 0
        )

    # -- the status machine ------------------------------------------------------------
    def require_can_sign_in(self) -> None:
        if self.is_blocked:
            raise RuleViolation("Your account is blocked. Please contact the fund.")

    def submit_profile(self, data: PersonalData, now: datetime) -> None:
        """The member submits (or resubmits) personal data with documents.

        registered → pending_review. An approved member stays approved, with the new
        documents waiting for staff as a pending change.
        """
        if self.is_blocked:
            raise Conflict("A blocked member cannot submit a profile.")
        self.first_name = data.first_name
        self.middle_name = data.middle_name
        self.last_name = data.last_name
        self.email = data.email
        self.iban = data.iban
        if self.status is MemberStatus.REGISTERED:
            self.status = MemberStatus.PENDING_REVIEW
        self.has_new_passport_data = self.status is MemberStatus.APPROVED
        self.updated_at = now

    def require_review(self) -> None:
        """Only a member awaiting review can be approved."""
        if self.status is not MemberStatus.PENDING_REVIEW:
            raise Conflict(
                f"Only a member awaiting review can be approved; this one is {self.status}."
            )

    def approve(self, now: datetime) -> None:
        """Staff confirm the profile: pending_review → approved (needs a certificate)."""
        self.require_review()
        if not self.certificate:
            raise RuleViolation("Assign a certificate number before approving the member.")
        self.status = MemberStatus.APPROVED
        self.has_new_passport_data = False
        self.updated_at = now
        self.record(EventKind.PROFILE_REVIEWED, outcome="approved")

    def block(self, now: datetime) -> None:
        """Any status → blocked; the status before is kept for unblocking."""
        if self.is_blocked:
            raise Conflict("The member is already blocked.")
        self.status_before_block = self.status
        self.status = MemberStatus.BLOCKED
        self.updated_at = now
        self.record(EventKind.BLOCKED)

    def unblock(self, now: datetime) -> None:
        """blocked → the status the member had before blocking."""
        if not self.is_blocked:
            raise Conflict("The member is not blocked.")
        self.status = self.status_before_block or MemberStatus.REGISTERED
        self.status_before_block = None
        self.updated_at = now
        self.record(EventKind.UNBLOCKED)

    def assign_certificate(self, number: str, now: datetime) -> None:
        value = number.strip()
        if not value:
            raise InvalidInput.field("certificate", "is required")
        if len(value) > CERTIFICATE_MAX:
            raise InvalidInput.field("certificate", f"must be at most {CERTIFICATE_MAX} characters")
        self.certificate = value
        self.updated_at = now

    def program_change_requested(self, now: datetime) -> None:
        """The member chose another program; it waits for staff."""
        self.has_new_program_change = True
        self.updated_at = now

    def program_change_accepted(self, now: datetime, *, told: bool = True) -> None:
        """Staff accepted the program the member chose (``told``: the member hears of
        it; not when it is accepted as part of approving the profile)."""
        self.has_new_program_change = False
        self.updated_at = now
        if told:
            self.record(EventKind.PROFILE_REVIEWED, outcome="program_changed")

    def correction_reported(self, now: datetime) -> None:
        """The member reported wrong names or birth date; staff will look."""
        self.has_new_correction = True
        self.updated_at = now

    def corrections_resolved(self, now: datetime) -> None:
        self.has_new_correction = False
        self.updated_at = now

    def documents_accepted(self, now: datetime) -> None:
        self.has_new_passport_data = False
        self.updated_at = now

    def documents_refused(self, now: datetime) -> None:
        """Staff refused the new documents. A profile awaiting review goes back to the
        member (registered) to submit again (a blocked one on unblocking), the program
        chosen with it waiting for that submission; an approved member stays approved."""
        if MemberStatus.PENDING_REVIEW in (self.status, self.status_before_block):
            self.has_new_program_change = False
        if self.status is MemberStatus.PENDING_REVIEW:
            self.status = MemberStatus.REGISTERED
        if self.status_before_block is MemberStatus.PENDING_REVIEW:
            self.status_before_block = MemberStatus.REGISTERED
        self.has_new_passport_data = False
        self.updated_at = now
        self.record(EventKind.PROFILE_REVIEWED, outcome="documents_refused")

    def documents_uploaded(self, now: datetime) -> None:
        """New identity documents arrived (profile or Diia) and wait for staff."""
        if self.status is MemberStatus.APPROVED:
            self.has_new_passport_data = True
        self.updated_at = now

    # -- the member's requests awaiting staff (they put the member in the review queue) --
    def request_filed(self, request: AwaitsStaff) -> None:
        """A new request of the member's, counted while it awaits staff."""
        self._count_awaiting(int(request.awaits_staff))

    @contextmanager
    def following(self, request: AwaitsStaff) -> Iterator[None]:
        """Whatever happens to one of the member's requests inside the block, the count of
        requests awaiting staff follows it."""
        before = request.awaits_staff
        yield
        self._count_awaiting(int(request.awaits_staff) - int(before))

    def _count_awaiting(self, delta: int) -> None:
        self.requests_awaiting_staff = max(0, self.requests_awaiting_staff + delta)

    # -- data the member or staff may change -------------------------------------------
    def change_contacts(self, *, email: Email | None, phone: Phone | None, now: datetime) -> None:
        if email is not None:
            self.email = email
        if phone is not None:
            self.phone = phone
        self.updated_at = now

    def set_identity_data(
        self,
        *,
        first_name: str | None = None,
        middle_name: str | None = None,
        last_name: str | None = None,
        birth_date: date | None = None,
        inn: TaxNumber | None = None,
        passport_data: str | None = None,
        now: datetime,
    ) -> None:
        """Names, birth date, tax number and passport data: staff or Diia only."""
        if first_name is not None:
            self.first_name = person_name(first_name, "first_name")
        if middle_name is not None:
            self.middle_name = person_name(middle_name, "middle_name", required=False)
        if last_name is not None:
            self.last_name = person_name(last_name, "last_name")
        if birth_date is not None:
            self.birth_date = check_birth_date(birth_date, now.date())
        if inn is not None:
            self.inn = inn
        if passport_data is not None:
            text = passport_data.strip()
            if len(text) > PASSPORT_DATA_MAX:
                raise InvalidInput.field(
                    "passport_data", f"must be at most {PASSPORT_DATA_MAX} characters"
                )
            self.passport_data = text
        self.updated_at = now


def check_birth_date(value: date, today: date, field: str = "birth_date") -> date:
    if value >= today:
        raise InvalidInput.field(field, "must be in the past")
    if value.year < today.year - 130:
        raise InvalidInput.field(field, "is too far in the past")
    return value


@attrs.define(eq=False, slots=False)
class CorrectionReport:
    """A member's report that staff-only data (names, birth date) is wrong."""

    member_id: int
    first_name: str
    middle_name: str
    last_name: str
    birth_date: date | None
    created_at: datetime
    id: int | None = None
    resolved_at: datetime | None = None
    resolved_by: int | None = None

    @classmethod
    def file(
        cls,
        member_id: int,
        *,
        first_name: str,
        middle_name: str,
        last_name: str,
        birth_date: date | None,
        now: datetime,
    ) -> CorrectionReport:
        check = Validation()
        first = check(person_name, first_name, "first_name")
        middle = check(person_name, middle_name, "middle_name", required=False)
        last = check(person_name, last_name, "last_name")
        if birth_date is not None:
            check(check_birth_date, birth_date, now.date())
        check.done("The correction report has invalid fields.")
        assert first is not None and middle is not None and last is not None
        return cls(member_id, first, middle, last, birth_date, now)

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None

    def resolve(self, staff_id: int, now: datetime) -> None:
        if not self.is_open:
            raise Conflict("The correction report is already resolved.")
        self.resolved_at = now
        self.resolved_by = staff_id
