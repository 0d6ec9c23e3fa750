"""Requests for aid, from the member's side and the staff's."""

from __future__ import annotations

import pytest

from kasa.application.members import MemberData
from kasa.application.reads import Page, RequestQuery
from kasa.application.requests import Assessment
from kasa.application.uploads import Upload
from kasa.domain.audit import EventType
from kasa.domain.errors import Conflict, InvalidInput, NotFound, RateLimited, RuleViolation
from kasa.domain.money import Money
from kasa.domain.requests import RequestStatus, Resolution
from tests.integration.app.helpers import JPEG, PDF, Fund


def receipt(tag: str = "a") -> Upload:
    return Upload.of("files", f"receipt-{tag}.jpg", JPEG + tag.encode())


def test_only_approved_members_file_requests(fund: Fund) -> None:
    member_id = fund.sign_up()
    with pytest.raises(RuleViolation, match="not approved"):
        fund.requests.create(member_id, "pharmacy", [receipt()])
    assert not fund.fakes.files.blobs


def test_a_new_request_with_receipts_awaits_staff(fund: Fund) -> None:
    member_id = fund.approved_member()
    view = fund.requests.create(member_id, "Ліки", [receipt("a"), receipt("b")])
    assert view.request.status is RequestStatus.OPENED and len(view.request.files) == 2
    assert all(f.request_id == view.request.id for f in view.request.files)
    member = fund.tables().members[member_id]
    assert member.requests_awaiting_staff == 1 and member.in_review_queue


def test_a_receipt_seen_on_another_request_is_flagged_not_refused(fund: Fund) -> None:
    first = fund.approved_member()
    second = fund.approved_member()
    earlier = fund.requests.create(first, "one", [receipt("same")])
    fund.requests.create(first, "again", [receipt("same")])
    view = fund.requests.create(second, "two", [receipt("same"), receipt("other")])
    assert view.request.has_duplicate_files
    flagged = [f for f in view.request.files if f.duplicate_of_request is not None]
    # the request the bytes were first attached to
    assert [f.duplicate_of_request for f in flagged] == [earlier.request.id]


def test_members_see_only_their_own_requests(fund: Fund) -> None:
    alice, bob = fund.approved_member(), fund.approved_member()
    mine = fund.requests.create(alice, "mine", [receipt()]).request
    theirs = fund.requests.create(bob, "theirs", []).request
    assert [v.id for v in fund.requests.list(alice)] == [mine.id]
    with pytest.raises(NotFound):
        fund.requests.get(alice, theirs.id or 0)
    with pytest.raises(NotFound):
        fund.requests.write(alice, theirs.id or 0, "hi")
    with pytest.raises(NotFound):
        fund.requests.add_files(alice, theirs.id or 0, [receipt("x")])
    assert fund.requests.get(alice, mine.id or 0).request.request_text == "mine"
    assert fund.requests.list(alice, frozenset({RequestStatus.CLOSED})) == []
    opened = fund.requests.list(alice, frozenset({RequestStatus.OPENED}))
    assert [v.id for v in opened] == [mine.id]


def test_conversation_moves_the_request_and_the_awaiting_count(fund: Fund) -> None:
    member_id = fund.approved_member()
    request_id = fund.requests.create(member_id, "", []).request.id or 0
    fund.staff_requests.write(fund.operator_id, request_id, "Надішліть чек")
    member = fund.tables().members[member_id]
    assert member.requests_awaiting_staff == 0
    view = fund.requests.add_files(member_id, request_id, [Upload.of("f", "чек.pdf", PDF)])
    assert view.request.status is RequestStatus.AWAITING_AGENT
    fund.requests.write(member_id, request_id, "Ось чек")
    detail = fund.requests.get(member_id, request_id)
    assert [(m.author, m.author_name) for m in detail.messages] == [
        ("staff", "Олена"),
        ("member", "Коваль Олена Петрівна"),
    ]
    assert fund.tables().members[member_id].requests_awaiting_staff == 1
    with pytest.raises(InvalidInput, match="at least one"):
        fund.requests.add_files(member_id, request_id, [])


def test_closed_request_takes_nothing_from_the_member(fund: Fund) -> None:
    member_id = fund.approved_member()
    request_id = fund.requests.create(member_id, "", []).request.id or 0
    fund.staff_requests.close(fund.operator_id, request_id, Resolution.WITHDRAWN)
    with pytest.raises(Conflict, match="closed"):
        fund.requests.write(member_id, request_id, "hello?")
    with pytest.raises(Conflict, match="closed"):
        fund.requests.add_files(member_id, request_id, [receipt()])
    assert not [f for f in fund.tables().files.values() if f.request_id]
    assert len(fund.fakes.files.blobs) == 3  # only the profile's documents
    assert fund.tables().members[member_id].requests_awaiting_staff == 0


def test_staff_assess_close_as_paid_and_reopen(fund: Fund) -> None:
    member_id = fund.approved_member()
    request_id = fund.requests.create(member_id, "", []).request.id or 0
    view = fund.staff_requests.assess(
        fund.operator_id,
        request_id,
        Assessment(diagnosis="J06", approved_amount=Money.parse("1500")),
    )
    assert view.request.approved_amount == Money(150000) and view.request.member is not None
    with pytest.raises(RuleViolation, match="not reached"):
        fund.staff_requests.close(fund.operator_id, request_id, Resolution.PAID)
    fund.staff_payments.record_payout(
        fund.operator_id, request_id, Money(150000), fund.clock.today()
    )
    closed = fund.staff_requests.close(fund.operator_id, request_id, Resolution.PAID)
    assert closed.request.resolution is Resolution.PAID and len(closed.charges) == 1
    reopened = fund.staff_requests.reopen(fund.operator_id, request_id)
    assert reopened.request.status is RequestStatus.OPENED
    kinds = [e.event_type for e in fund.events() if e.object_kind == "request"]
    assert kinds[-3:] == [EventType.UPDATED, EventType.CLOSED, EventType.REOPENED]


def test_staff_refusals(fund: Fund) -> None:
    member_id = fund.approved_member()
    request_id = fund.requests.create(member_id, "", []).request.id or 0
    staff = fund.operator_id
    with pytest.raises(InvalidInput, match="reason"):
        fund.staff_requests.close(staff, request_id, Resolution.REJECTED)
    with pytest.raises(NotFound):
        fund.staff_requests.assess(staff, 999, Assessment(diagnosis="x"))
    with pytest.raises(NotFound):
        fund.staff_requests.write(staff, 999, "x")
    with pytest.raises(NotFound):
        fund.staff_requests.get(staff, request_id, member_id=member_id + 1)
    fund.staff_requests.move(staff, request_id, RequestStatus.AWAITING_CLIENT)
    with pytest.raises(Conflict):
        fund.staff_requests.move(staff, request_id, RequestStatus.OPENED)
    with pytest.raises(Conflict):
        fund.staff_requests.reopen(staff, request_id)
    rejected = fund.staff_requests.close(
        staff, request_id, Resolution.REJECTED, "Не покривається програмою"
    )
    assert rejected.request.reason == "Не покривається програмою"


def test_staff_list_filters_and_pages(fund: Fund) -> None:
    alice, bob = fund.approved_member(), fund.approved_member()
    fund.office.correct(fund.operator_id, bob, MemberData(last_name="Шевченко"))
    for n in range(3):
        fund.requests.create(alice, f"alice {n}", [])
        fund.fakes.clock.advance(minutes=1)
    fund.requests.create(bob, "bob", [])
    listing = fund.staff_requests.list(fund.operator_id, RequestQuery(), Page(limit=2))
    assert listing.total == 4 and len(listing.items) == 2
    assert listing.items[0].request_text == "bob"  # newest first
    found = fund.staff_requests.list(fund.operator_id, RequestQuery(words=("шевченко",)), Page())
    assert [v.request_text for v in found.items] == ["bob"]


def test_a_member_has_at_most_so_many_open_requests(fund: Fund) -> None:
    member_id = fund.approved_member()
    opened = [fund.requests.create(member_id, "", []).request.id for _ in range(10)]
    with pytest.raises(Conflict, match="10 open requests"):
        fund.requests.create(member_id, "", [])  # an empty request counts as open too
    assert len(fund.requests.list(member_id)) == 10
    fund.staff_requests.close(fund.operator_id, opened[0] or 0, Resolution.WITHDRAWN)
    assert fund.requests.create(member_id, "Ще одна", []).request.id  # room again
    other = fund.approved_member()
    assert fund.requests.create(other, "", []).request.id  # counted per member


def test_messages_on_one_request_are_bounded_a_day(fund: Fund) -> None:
    member_id = fund.approved_member()
    first = fund.requests.create(member_id, "", []).request.id or 0
    second = fund.requests.create(member_id, "", []).request.id or 0
    for n in range(30):
        fund.requests.write(member_id, first, f"Повідомлення {n}")
    with pytest.raises(RateLimited, match="Too many messages") as refused:
        fund.requests.write(member_id, first, "ще одне")
    assert refused.value.retry_after > 0
    fund.requests.write(member_id, second, "інший запит")  # another request is not held
    fund.fakes.clock.advance(days=1)
    fund.requests.write(member_id, first, "наступного дня")
    written = fund.events(EventType.MESSAGE_WRITTEN)
    assert len(written) == 32
