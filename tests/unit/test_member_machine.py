"""The member status machine, driven by random sequences of member and staff actions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from kasa.domain.errors import Conflict, InvalidInput, RuleViolation
from kasa.domain.members import CorrectionReport, Member, MemberStatus, PersonalData, ReviewState
from kasa.domain.membership import Membership, MembershipState
from kasa.domain.requests import Request
from kasa.domain.values import Email, Phone, TaxNumber

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
R, P, A, B = (
    MemberStatus.REGISTERED,
    MemberStatus.PENDING_REVIEW,
    MemberStatus.APPROVED,
    MemberStatus.BLOCKED,
)

# The spec's transitions, written out independently of the implementation.
SUBMIT = {R: P, P: P, A: A}  # blocked members cannot submit
APPROVE = {P: A}
REFUSE = {R: R, P: R, A: A, B: B}  # refused documents send a profile in review back
REVIEW = {R: "not_submitted", P: "under_review", A: "approved", B: "blocked"}


def personal_data(first: str = "Олена") -> PersonalData:
    return PersonalData.parse(
        first_name=first,
        middle_name="Петрівна",
        last_name="Коваль",
        email="olena@example.com",
        iban="UA213223130000026007233566001",
    )


def new_member() -> Member:
    return Member(Phone.parse("+380501234567"), NOW, NOW)


class MemberMachine(RuleBasedStateMachine):
    @initialize()
    def start(self) -> None:
        self.member = new_member()
        self.expected = R
        self.before_block: MemberStatus | None = None
        self.now = NOW
        self.pending_documents = False

    def tick(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now

    @rule()
    def submit_profile(self) -> None:
        if self.expected in SUBMIT:
            self.member.submit_profile(personal_data(), self.tick())
            self.pending_documents = self.expected is A
            self.expected = SUBMIT[self.expected]
        else:
            with pytest.raises(Conflict):
                self.member.submit_profile(personal_data(), self.tick())

    @rule(with_certificate=st.booleans())
    def approve(self, with_certificate: bool) -> None:
        if with_certificate and not self.member.certificate:
            self.member.assign_certificate("K-0001", self.tick())
        if self.expected in APPROVE and self.member.certificate:
            self.member.approve(self.tick())
            self.expected = APPROVE[self.expected]
            self.pending_documents = False
        elif self.expected in APPROVE:
            with pytest.raises(RuleViolation):
                self.member.approve(self.tick())
        else:
            with pytest.raises(Conflict):
                self.member.approve(self.tick())

    @rule()
    def block(self) -> None:
        if self.expected is B:
            with pytest.raises(Conflict):
                self.member.block(self.tick())
        else:
            self.member.block(self.tick())
            self.before_block, self.expected = self.expected, B

    @rule()
    def unblock(self) -> None:
        if self.expected is B:
            self.member.unblock(self.tick())
            assert self.before_block is not None
            self.expected, self.before_block = self.before_block, None
        else:
            with pytest.raises(Conflict):
                self.member.unblock(self.tick())

    @rule()
    def upload_documents(self) -> None:
        self.member.documents_uploaded(self.tick())
        if self.expected is A:
            self.pending_documents = True

    @rule()
    def accept_documents(self) -> None:
        self.member.documents_accepted(self.tick())
        self.pending_documents = False

    @rule()
    def refuse_documents(self) -> None:
        self.member.documents_refused(self.tick())
        self.expected = REFUSE[self.expected]
        if self.before_block is not None:
            self.before_block = REFUSE[self.before_block]
        self.pending_documents = False

    @invariant()
    def status_is_what_the_spec_says(self) -> None:
        assert self.member.status is self.expected
        assert self.member.is_blocked == (self.expected is B)
        assert ReviewState.of(self.member.status) == REVIEW[self.expected]

    @invariant()
    def legacy_flags_are_derived(self) -> None:
        assert self.member.is_active == (self.expected is A)
        assert self.member.is_submitted == (
            self.expected is A or (self.expected is B and self.before_block is A)
        )

    @invariant()
    def status_before_block_is_kept_only_while_blocked(self) -> None:
        assert (self.member.status_before_block is not None) == (self.expected is B)

    @invariant()
    def new_documents_flag_only_for_approved_members(self) -> None:
        assert self.member.has_new_passport_data == self.pending_documents
        if self.member.has_new_passport_data:
            assert A in (self.expected, self.before_block)

    @invariant()
    def an_approved_member_has_a_certificate(self) -> None:
        if A in (self.expected, self.before_block):
            assert self.member.certificate


TestMemberMachine = MemberMachine.TestCase


def test_blocked_member_cannot_sign_in() -> None:
    member = new_member()
    member.require_can_sign_in()
    member.block(NOW)
    with pytest.raises(RuleViolation, match="blocked"):
        member.require_can_sign_in()


def test_review_queue_lists_members_with_something_to_review() -> None:
    member = new_member()
    assert not member.in_review_queue
    member.submit_profile(personal_data(), NOW)
    assert member.in_review_queue
    member.assign_certificate("A-1", NOW)
    member.approve(NOW)
    assert not member.in_review_queue
    for flag in ("has_new_program_change", "has_new_passport_data", "has_new_correction"):
        setattr(member, flag, True)
        assert member.in_review_queue
        setattr(member, flag, False)
    request = Request.file(1, "ліки", member_approved=True, now=NOW)
    member.request_filed(request)
    assert member.in_review_queue and member.requests_awaiting_staff == 1
    with member.following(request):
        request.staff_wrote(NOW)
    assert member.requests_awaiting_staff == 0
    with member.following(request):
        request.staff_wrote(NOW)  # no longer awaiting staff: nothing to take off
    assert member.requests_awaiting_staff == 0


def test_profile_lists_every_bad_field_at_once() -> None:
    with pytest.raises(InvalidInput) as caught:
        PersonalData.parse(first_name="", middle_name="", last_name="Ок", email="nope", iban="UA00")
    assert set(caught.value.errors) == {"first_name", "email", "iban"}


def test_staff_set_identity_data_and_membership_view() -> None:
    member = new_member()
    member.set_identity_data(
        first_name="Іван",
        middle_name="",
        last_name="Франко",
        birth_date=date(1990, 8, 27),
        inn=TaxNumber.parse("1759013776"),
        passport_data=" ID 000123456, issued 2020 ",
        now=NOW,
    )
    assert member.full_name == "Франко Іван"
    assert member.passport_data == "ID 000123456, issued 2020"
    with pytest.raises(InvalidInput, match="in the past"):
        member.set_identity_data(birth_date=date(2030, 1, 1), now=NOW)
    with pytest.raises(InvalidInput, match="too far"):
        member.set_identity_data(birth_date=date(1800, 1, 1), now=NOW)
    with pytest.raises(InvalidInput, match="at most 512"):
        member.set_identity_data(passport_data="x" * 513, now=NOW)
    member.change_contacts(email=Email.parse("i@f.ua"), phone=Phone.parse("+380671234567"), now=NOW)
    assert str(member.phone) == "+380671234567" and str(member.email) == "i@f.ua"
    member.change_contacts(email=None, phone=None, now=NOW)
    assert str(member.email) == "i@f.ua"
    member.membership = Membership(date(2026, 6, 1), 15)
    assert member.paid_until == date(2026, 6, 1) and member.credit_units == 15
    assert member.membership_state(date(2026, 5, 1), 30) is MembershipState.ACTIVE


def test_certificate_rules() -> None:
    member = new_member()
    with pytest.raises(InvalidInput, match="required"):
        member.assign_certificate("  ", NOW)
    with pytest.raises(InvalidInput, match="at most 32"):
        member.assign_certificate("9" * 33, NOW)


def test_unblocking_a_member_blocked_before_anything_returns_to_registered() -> None:
    member = new_member()
    member.block(NOW)
    member.status_before_block = None  # a row from before the status was remembered
    member.unblock(NOW)
    assert member.status is R


def test_correction_report() -> None:
    report = CorrectionReport.file(
        7, first_name="Олена", middle_name="", last_name="Коваль", birth_date=None, now=NOW
    )
    assert report.is_open
    report.resolve(3, NOW)
    assert not report.is_open and report.resolved_by == 3
    with pytest.raises(Conflict):
        report.resolve(3, NOW)
    with pytest.raises(InvalidInput) as caught:
        CorrectionReport.file(
            7, first_name="", middle_name="", last_name="", birth_date=date(2099, 1, 1), now=NOW
        )
    assert set(caught.value.errors) == {"first_name", "last_name", "birth_date"}
