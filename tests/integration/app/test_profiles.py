"""Profile submission, contact edits, correction reports, reading, program changes."""

from __future__ import annotations

from datetime import date

import pytest

from kasa.application.members import Decision, MemberData
from kasa.application.reads import Page
from kasa.application.settings import FundSettings
from kasa.application.uploads import Upload
from kasa.domain.audit import EventType
from kasa.domain.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RuleViolation,
    TooLarge,
)
from kasa.domain.identity import IdentityType
from kasa.domain.members import MemberStatus
from kasa.domain.values import Email, Phone
from tests.integration.app.helpers import JPEG, PDF, Fund, documents, personal


def test_submission_moves_to_review_with_new_documents_and_pending_program(fund: Fund) -> None:
    program_id = fund.program()
    member_id = fund.sign_up()
    fund.submit(member_id, program_id, docs=documents("book"))
    tables = fund.tables()
    member = tables.members[member_id]
    assert member.status is MemberStatus.PENDING_REVIEW and member.in_review_queue
    assert str(member.iban).startswith("UA21") and member.first_name == "Олена"
    docs = [d for d in tables.identities.values() if d.member_id == member_id]
    assert {d.identity_type for d in docs} == {
        IdentityType.TAX_NUMBER_CARD,
        IdentityType.PASSPORT_PAGE_1,
        IdentityType.PASSPORT_PAGE_2,
        IdentityType.PASSPORT_ADDRESS_PAGE,
    }
    assert all(d.is_new and not d.is_active for d in docs)
    assert len(fund.fakes.files.blobs) == 4
    links = [x for x in tables.member_programs.values() if x.member_id == member_id]
    assert [(x.program_id, x.is_new, x.is_active) for x in links] == [(program_id, True, False)]
    assert len(fund.events(EventType.SUBMITTED)) == 1


def test_every_bad_field_is_reported_and_nothing_is_stored(fund: Fund) -> None:
    member_id = fund.sign_up()
    with pytest.raises(InvalidInput) as caught:
        personal(first_name="", email="x", iban="UA00")
    assert set(caught.value.errors) == {"first_name", "email", "iban"}
    only_tax_card = {IdentityType.TAX_NUMBER_CARD: Upload.of("inn", "a.jpg", JPEG)}
    with pytest.raises(InvalidInput, match="incomplete"):
        fund.submit(member_id, fund.program(), docs=only_tax_card)
    with pytest.raises(InvalidInput, match="no such program"):
        fund.submit(member_id, 999)
    assert not fund.fakes.files.blobs
    assert fund.tables().members[member_id].status is MemberStatus.REGISTERED


def test_files_are_checked_by_content_and_size(fund: Fund) -> None:
    member_id = fund.sign_up()
    program_id = fund.program()
    exe = documents() | {
        IdentityType.TAX_NUMBER_CARD: Upload.of("inn", "inn.jpg", b"MZ\x90\x00" * 10)
    }
    with pytest.raises(InvalidInput) as caught:
        fund.submit(member_id, program_id, docs=exe)
    assert "inn" in caught.value.errors
    small = Fund.build(FundSettings(max_upload_bytes=50))
    with pytest.raises(TooLarge, match="larger than"):
        small.submit(small.sign_up(), small.program())
    with pytest.raises(InvalidInput, match="empty"):
        empty = {IdentityType.TAX_NUMBER_CARD: Upload.of("inn", "", b"")}
        fund.submit(member_id, program_id, docs=documents() | empty)


def test_a_failure_midway_leaves_no_file_behind(fund: Fund) -> None:
    member_id = fund.sign_up()
    program_id = fund.program()
    fund.fakes.files.fail_after = 2  # the third document cannot be written
    with pytest.raises(OSError, match="disk full"):
        fund.submit(member_id, program_id)
    assert not fund.fakes.files.blobs
    assert not fund.tables().files and not fund.tables().identities
    assert fund.tables().members[member_id].status is MemberStatus.REGISTERED


def test_inactive_program_cannot_be_chosen(fund: Fund) -> None:
    program_id = fund.program()
    fund.programs.update(fund.admin_id, program_id, is_active=False)
    with pytest.raises(RuleViolation, match="not offered"):
        fund.submit(fund.sign_up(), program_id)
    assert fund.profiles.list_programs() == []


def test_profile_is_shown_only_once_approved(fund: Fund) -> None:
    program_id = fund.program()
    member_id = fund.sign_up()
    fund.submit(member_id, program_id)
    with pytest.raises(PermissionDenied, match="not approved yet"):
        fund.profiles.get(member_id)
    fund.approve(member_id)
    view = fund.profiles.get(member_id)
    assert view.member.is_active and view.program is not None
    assert view.program.id == program_id and view.photo is None


def test_resubmission_by_an_approved_member_waits_for_staff(fund: Fund) -> None:
    program_id = fund.program()
    member_id = fund.approved_member(program_id)
    fund.submit(member_id, program_id, personal(iban="UA213223130000026007233566001"))
    member = fund.tables().members[member_id]
    assert member.status is MemberStatus.APPROVED and member.has_new_passport_data
    assert not member.has_new_program_change  # same program: nothing to approve
    fund.office.accept_documents(fund.operator_id, member_id)
    member = fund.tables().members[member_id]
    assert not member.has_new_passport_data
    docs = [d for d in fund.tables().identities.values() if d.member_id == member_id]
    assert len(docs) == 6 and sum(d.is_active for d in docs) == 3


def test_contacts_and_photo_can_be_edited_but_not_to_a_taken_phone(fund: Fund) -> None:
    other = fund.sign_up()
    member_id = fund.sign_up()
    taken = fund.tables().members[other].phone.e164
    with pytest.raises(RuleViolation, match="Can not assign this phone number"):
        fund.profiles.edit(member_id, phone=Phone.parse(taken))
    before = fund.tables().members[member_id].phone
    code_sent = fund.profiles.edit(
        member_id,
        email=Email.parse("new@example.com"),
        phone=Phone.parse("+380671234567"),
        photo=Upload.of("photo", "me.jpg", JPEG),
    )
    member = fund.tables().members[member_id]
    # e-mail and photo are saved; the phone waits for its confirmation
    assert code_sent and str(member.email) == "new@example.com" and member.phone == before
    assert member.photo_file_id is not None
    assert fund.events(EventType.UPDATED)[-1].details["fields"] == ["email", "photo"]
    assert not fund.profiles.edit(
        member_id, phone=Phone.parse(before.e164)
    )  # the same phone: no code


def test_correction_report_reaches_the_review_queue(fund: Fund) -> None:
    member_id = fund.approved_member()
    fund.profiles.report_wrong_data(
        member_id,
        first_name="Олена",
        middle_name="",
        last_name="Ковальчук",
        birth_date=date(1990, 1, 2),
    )
    queue = fund.office.search(fund.operator_id, (), frozenset(), Page())
    assert [m.id for m in queue] == [member_id]
    fund.office.correct(fund.operator_id, member_id, MemberData(last_name="Ковальчук"))
    assert not fund.office.search(fund.operator_id, (), frozenset(), Page())
    report = next(iter(fund.tables().corrections.values()))
    assert not report.is_open and report.resolved_by == fund.operator_id


def test_program_change_waits_for_staff_and_only_active_ones(fund: Fund) -> None:
    first, second = fund.program(), fund.program("Розширена", "500")
    member_id = fund.approved_member(first)
    with pytest.raises(Conflict, match="already your program"):
        fund.profiles.change_program(member_id, first)
    with pytest.raises(NotFound):
        fund.profiles.change_program(member_id, 999)
    link, program = fund.profiles.change_program(member_id, second)
    assert link.is_new and program.id == second
    assert fund.tables().members[member_id].has_new_program_change
    fund.office.accept_program_change(fund.operator_id, member_id)
    assert fund.profiles.get(member_id).program.id == second  # type: ignore[union-attr]
    with pytest.raises(Conflict, match="no pending"):
        fund.office.accept_program_change(fund.operator_id, member_id)


def test_unknown_or_blocked_members_are_refused(fund: Fund) -> None:
    with pytest.raises(NotFound):
        fund.profiles.get(999)
    member_id = fund.approved_member()
    fund.office.block(fund.operator_id, member_id)
    with pytest.raises(PermissionDenied, match="blocked"):
        fund.profiles.edit(member_id, email=Email.parse("a@b.cd"))


def test_pdf_documents_are_accepted(fund: Fund) -> None:
    member_id = fund.sign_up()
    docs = {
        k: Upload.of(u.field, "scan.pdf", PDF + u.field.encode()) for k, u in documents().items()
    }
    fund.submit(member_id, fund.program(), docs=docs)
    kinds = {f.content_type for f in fund.tables().files.values()}
    assert kinds == {"application/pdf"}


def test_the_member_sees_where_the_profile_stands_and_why_documents_were_refused(
    fund: Fund,
) -> None:
    program_id = fund.program()
    member_id = fund.sign_up()
    fresh = fund.profiles.review(member_id)
    assert (fresh.state, fresh.profile, fresh.refused_documents) == ("not_submitted", None, [])
    fund.submit(member_id, program_id, docs=documents("book"))
    waiting = fund.profiles.review(member_id)
    assert waiting.state == "under_review" and waiting.refused_documents == []
    assert waiting.profile is not None and waiting.profile.member.first_name == "Олена"
    assert waiting.profile.program is not None and waiting.profile.program.id == program_id

    fund.office.refuse_documents(fund.operator_id, member_id, "  Сторінки розмиті  ")
    member = fund.tables().members[member_id]
    assert member.status is MemberStatus.REGISTERED and not member.in_review_queue
    sent_back = fund.profiles.review(member_id)
    assert sent_back.state == "not_submitted" and sent_back.profile is not None
    assert sorted(d.identity_type for d in sent_back.refused_documents) == sorted(documents("book"))
    assert {d.refusal_reason for d in sent_back.refused_documents} == {"Сторінки розмиті"}
    (event,) = fund.events(EventType.DOCUMENTS_REFUSED)
    assert event.details["reason"] == "Сторінки розмиті"
    assert event.details["status"] == "registered"
    with pytest.raises(Conflict, match="no new documents to refuse"):
        fund.office.refuse_documents(fund.operator_id, member_id, "ще раз")

    fund.submit(member_id, program_id)  # an ID card this time
    again = fund.profiles.review(member_id)
    assert again.state == "under_review" and again.refused_documents == []
    fund.approve(member_id)
    assert fund.profiles.review(member_id).state == "approved"
    fund.office.block(fund.operator_id, member_id)
    blocked = fund.profiles.review(member_id)
    assert blocked.state == "blocked" and blocked.profile is None


def test_an_approved_member_stays_approved_when_new_documents_are_refused(fund: Fund) -> None:
    member_id = fund.approved_member()
    fund.submit(member_id, fund.program("Розширена", "450.00"))
    fund.office.refuse_documents(fund.operator_id, member_id, "Не той паспорт")
    member = fund.tables().members[member_id]
    assert member.status is MemberStatus.APPROVED and not member.has_new_passport_data
    docs = [d for d in fund.tables().identities.values() if d.member_id == member_id]
    assert sum(d.is_active for d in docs) == 3 and not any(d.is_new for d in docs)
    review = fund.profiles.review(member_id)
    assert review.state == "approved" and len(review.refused_documents) == 3
    assert review.profile is not None and review.profile.program is not None
    assert review.profile.program.name == "Розширена"  # the choice waiting for staff
    assert fund.profiles.get(member_id).member.is_active


def test_refusing_and_accepting_or_approving_at_once_is_refused_whole(fund: Fund) -> None:
    member_id = fund.sign_up()
    fund.submit(member_id, fund.program())
    for decisions in ([Decision.ACCEPT_DOCUMENTS], [Decision.APPROVE]):
        with pytest.raises(InvalidInput) as caught:
            fund.office.apply(
                fund.operator_id,
                member_id,
                decisions=[*decisions, Decision.REFUSE_DOCUMENTS],
                refusal_reason="розмито",
            )
        assert "refuse_documents" in caught.value.errors
    with pytest.raises(InvalidInput) as caught:
        fund.office.refuse_documents(fund.operator_id, member_id, " ")
    assert "refuse_documents" in caught.value.errors
    assert fund.tables().members[member_id].status is MemberStatus.PENDING_REVIEW
    assert not fund.events(EventType.DOCUMENTS_REFUSED)
