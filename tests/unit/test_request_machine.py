"""The request status machine, messages and closing resolutions under random sequences."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, rule

from kasa.domain.errors import Conflict, InvalidInput, RuleViolation
from kasa.domain.money import Money
from kasa.domain.requests import (
    AuthorKind,
    Request,
    RequestMessage,
    RequestStatus,
    Resolution,
)

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
OP, AA, AC, C = (
    RequestStatus.OPENED,
    RequestStatus.AWAITING_AGENT,
    RequestStatus.AWAITING_CLIENT,
    RequestStatus.CLOSED,
)
# The request rules, written out on their own: which status each move leads to, from where.
MEMBER_WRITES = {OP: AA, AA: AA, AC: AA}
STAFF_WRITES = {OP: AC, AA: AC, AC: AC}
STAFF_SETS = {(OP, AA), (OP, AC), (AA, AC), (AC, AA)}  # plus staying put; closing: close()
AWAITING_STAFF = {OP, AA}


class RequestMachine(RuleBasedStateMachine):
    """Several requests of one member; staff and member act on them at random."""

    requests = Bundle("requests")

    @initialize()
    def start(self) -> None:
        self.now = NOW
        self.expected: dict[int, RequestStatus] = {}
        self.objects: dict[int, Request] = {}
        self.paid: dict[int, Money] = {}
        self.awaiting_count = 0  # the member's count of requests awaiting staff

    def tick(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now

    def moved(self, request: Request, before: bool) -> None:
        self.awaiting_count += int(request.awaits_staff) - int(before)

    @rule(target=requests, text=st.text(max_size=50))
    def member_files(self, text: str) -> Request:
        request = Request.file(1, text, member_approved=True, now=self.tick())
        request.id = len(self.expected) + 1
        self.expected[request.id] = OP
        self.objects[request.id] = request
        self.paid[request.id] = Money.zero()
        self.moved(request, before=False)
        return request

    @rule(request=requests)
    def member_writes(self, request: Request) -> None:
        before = request.awaits_staff
        expected = self.expected[request.id]
        if expected in MEMBER_WRITES:
            request.member_wrote(self.tick())
            self.expected[request.id] = MEMBER_WRITES[expected]
        else:
            with pytest.raises(Conflict, match="is closed and takes no messages or files"):
                request.member_wrote(self.tick())
        self.moved(request, before)

    @rule(request=requests)
    def staff_writes(self, request: Request) -> None:
        before = request.awaits_staff
        expected = self.expected[request.id]
        if expected in STAFF_WRITES:
            request.staff_wrote(self.tick())
            self.expected[request.id] = STAFF_WRITES[expected]
        else:
            with pytest.raises(Conflict, match="is closed and takes no messages"):
                request.staff_wrote(self.tick())
        self.moved(request, before)

    @rule(request=requests, to=st.sampled_from([OP, AA, AC, C]))
    def staff_sets_status(self, request: Request, to: RequestStatus) -> None:
        before = request.awaits_staff
        expected = self.expected[request.id]
        if to is C:
            with pytest.raises(RuleViolation, match="resolution"):
                request.set_status(to, self.tick())
        elif to is expected or (expected, to) in STAFF_SETS or (expected, to) == (C, OP):
            request.set_status(to, self.tick())
            self.expected[request.id] = to
        else:
            with pytest.raises(Conflict):
                request.set_status(to, self.tick())
        self.moved(request, before)

    @rule(request=requests, amount=st.integers(min_value=1, max_value=10_000))
    def staff_assess(self, request: Request, amount: int) -> None:
        paid = self.paid[request.id]
        if self.expected[request.id] is C:
            with pytest.raises(Conflict):
                request.assess(self.tick(), paid=paid, approved_amount=Money(amount))
        elif Money(amount) < paid:
            with pytest.raises(RuleViolation):
                request.assess(self.tick(), paid=paid, approved_amount=Money(amount))
        else:
            request.assess(self.tick(), paid=paid, approved_amount=Money(amount), diagnosis="J06")
            assert request.approved_amount == Money(amount)

    @rule(request=requests)
    def fund_pays_in_full(self, request: Request) -> None:
        if request.approved_amount is not None and not request.is_closed:
            self.paid[request.id] = request.approved_amount

    @rule(
        request=requests,
        resolution=st.sampled_from(Resolution),
        reason=st.sampled_from(["", "No receipt for the expense"]),
    )
    def staff_close(self, request: Request, resolution: Resolution, reason: str) -> None:
        before = request.awaits_staff
        expected = self.expected[request.id]
        paid = self.paid[request.id]
        if expected is C:
            error: type[Exception] | None = Conflict
        elif resolution is Resolution.REJECTED and not reason:
            error = InvalidInput
        elif resolution is Resolution.PAID and (
            request.approved_amount is None or paid < request.approved_amount
        ):
            error = RuleViolation
        else:
            error = None
        if error is None:
            request.close(resolution, self.tick(), paid=paid, reason=reason)
            self.expected[request.id] = C
        else:
            with pytest.raises(error):
                request.close(resolution, self.tick(), paid=paid, reason=reason)
        self.moved(request, before)

    @rule(request=requests)
    def staff_reopen(self, request: Request) -> None:
        before = request.awaits_staff
        if self.expected[request.id] is C:
            request.reopen(self.tick())
            self.expected[request.id] = OP
        else:
            with pytest.raises(Conflict):
                request.reopen(self.tick())
        self.moved(request, before)

    @invariant()
    def every_request_is_where_the_spec_says(self) -> None:
        for request_id, request in self.objects.items():
            assert request.status is self.expected[request_id]

    @invariant()
    def a_request_is_closed_exactly_when_it_has_a_resolution(self) -> None:
        for request in self.objects.values():
            assert request.is_closed == (request.resolution is not None)
            if request.resolution is Resolution.REJECTED:
                assert request.reason
            if request.resolution is Resolution.PAID:
                assert request.approved_amount is not None
                assert self.paid[request.id] >= request.approved_amount

    @invariant()
    def member_count_of_requests_awaiting_staff_is_right(self) -> None:
        assert self.awaiting_count == sum(s in AWAITING_STAFF for s in self.expected.values())
        assert self.awaiting_count == sum(r.awaits_staff for r in self.objects.values())


TestRequestMachine = RequestMachine.TestCase


def test_only_approved_members_file_requests() -> None:
    with pytest.raises(RuleViolation, match="not approved"):
        Request.file(1, "receipt", member_approved=False, now=NOW)


def test_closing_records_the_resolution_and_reopening_clears_it() -> None:
    request = Request.file(1, " pharmacy ", member_approved=True, now=NOW)
    assert request.request_text == "pharmacy"
    request.close(Resolution.REJECTED, NOW, paid=Money.zero(), reason=" duplicate ")
    assert (request.status, request.resolution, request.reason) == (
        C,
        Resolution.REJECTED,
        "duplicate",
    )
    request.reopen(NOW)
    assert (request.status, request.resolution, request.reason) == (OP, None, "")
    request.close(Resolution.WITHDRAWN, NOW, paid=Money.zero())
    assert request.resolution is Resolution.WITHDRAWN


def test_paid_needs_payouts_that_reach_the_approved_amount() -> None:
    request = Request.file(1, "", member_approved=True, now=NOW)
    with pytest.raises(RuleViolation, match="approved amount"):
        request.close(Resolution.PAID, NOW, paid=Money(100))
    request.assess(NOW, paid=Money.zero(), approved_amount=Money(500))
    with pytest.raises(RuleViolation, match="not reached"):
        request.close(Resolution.PAID, NOW, paid=Money(499))
    request.close(Resolution.PAID, NOW, paid=Money(500))
    assert request.is_closed


def test_assess_validates_its_fields() -> None:
    request = Request.file(1, "", member_approved=True, now=NOW)
    with pytest.raises(InvalidInput, match="greater than zero"):
        request.assess(NOW, paid=Money.zero(), approved_amount=Money.zero())
    with pytest.raises(InvalidInput, match="at most"):
        request.assess(NOW, paid=Money.zero(), diagnosis="x" * 513)
    request.assess(NOW, paid=Money.zero(), request_text="corrected", diagnosis=" K29 ")
    assert (request.request_text, request.diagnosis) == ("corrected", "K29")


def test_a_message_has_exactly_one_author() -> None:
    by_member = RequestMessage(1, "Hello", NOW, member_id=5)
    by_staff = RequestMessage(1, "Hi", NOW, staff_id=2)
    assert by_member.author is AuthorKind.MEMBER and by_staff.author is AuthorKind.STAFF
    with pytest.raises(InvalidInput, match="exactly one author"):
        RequestMessage(1, "both", NOW, member_id=5, staff_id=2)
    with pytest.raises(InvalidInput, match="exactly one author"):
        RequestMessage(1, "none", NOW)
    with pytest.raises(InvalidInput, match="required"):
        RequestMessage(1, "   ", NOW, member_id=5)
