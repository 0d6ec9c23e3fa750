"""Programs, a member's program choice, identity documents and stored files."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kasa.domain.errors import Conflict, InvalidInput, RuleViolation
from kasa.domain.files import (
    ContentCheck,
    ContentType,
    clean_original_name,
    detect_content_type,
)
from kasa.domain.identity import (
    IdentityType,
    MemberIdentity,
    accept_new_documents,
    check_document_set,
    new_identity,
    outstanding_refusals,
    refusal_reason,
    refuse_new_documents,
    supersede_pending,
)
from kasa.domain.money import Money
from kasa.domain.programs import (
    MemberProgram,
    Program,
    approve_program_change,
    choose_program,
    current_program,
    pending_program,
)

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def program(pid: int, *, active: bool = True) -> Program:
    p = Program(f"Програма {pid}", Money(10000 * pid), NOW, NOW, id=pid, is_active=active)
    return p


# -- programs ---------------------------------------------------------------------


def test_program_fields_are_validated() -> None:
    with pytest.raises(InvalidInput, match="required"):
        Program(" ", Money(1), NOW, NOW)
    with pytest.raises(InvalidInput, match="at most 128"):
        Program("x" * 129, Money(1), NOW, NOW)
    with pytest.raises(InvalidInput, match="greater than zero"):
        Program("Базова", Money(0), NOW, NOW)
    p = program(1)
    p.update(
        staff_id=3,
        now=NOW,
        name=" Нова  назва ",
        price=Money(5),
        program_file="t.pdf",
        is_active=False,
    )
    assert (p.program_name, p.month_price, p.program_file, p.is_active, p.updated_by) == (
        "Нова назва",
        Money(5),
        "t.pdf",
        False,
        3,
    )
    with pytest.raises(InvalidInput):
        p.update(staff_id=3, now=NOW, price=Money(0))


@given(st.lists(st.integers(min_value=1, max_value=4), max_size=12), st.data())
def test_at_most_one_current_and_one_pending_program(
    choices: list[int], data: st.DataObject
) -> None:
    links: list[MemberProgram] = []
    for pid in choices:
        try:
            links.append(choose_program(1, links, program(pid), NOW))
        except Conflict:
            current = current_program(links)
            assert current is not None and current.program_id == pid
        if data.draw(st.booleans()) and pending_program(links) is not None:
            wanted = pending_program(links)
            approved = approve_program_change(links, NOW)
            assert approved is wanted and approved.is_active
        assert sum(link.is_active for link in links) <= 1
        assert sum(link.is_new for link in links) <= 1
        assert not any(link.is_active and link.is_new for link in links)


def test_a_new_choice_replaces_the_pending_one_and_approval_swaps_current() -> None:
    first = choose_program(1, [], program(1), NOW)
    links = [first]
    approve_program_change(links, NOW)
    second = choose_program(1, links, program(2), NOW)
    links.append(second)
    third = choose_program(1, links, program(3), NOW)
    links.append(third)
    assert pending_program(links) is third and not second.is_new
    approve_program_change(links, NOW)
    assert current_program(links) is third and not first.is_active
    with pytest.raises(Conflict, match="no pending"):
        approve_program_change(links, NOW)


def test_only_active_programs_may_be_chosen() -> None:
    with pytest.raises(RuleViolation, match="not offered"):
        choose_program(1, [], program(1, active=False), NOW)


# -- identity documents ------------------------------------------------------------

CARD = {IdentityType.TAX_NUMBER_CARD, IdentityType.ID_CARD_FRONT, IdentityType.ID_CARD_BACK}
BOOK = {
    IdentityType.TAX_NUMBER_CARD,
    IdentityType.PASSPORT_PAGE_1,
    IdentityType.PASSPORT_PAGE_2,
    IdentityType.PASSPORT_ADDRESS_PAGE,
}


@given(st.sets(st.sampled_from(IdentityType)))
def test_document_set_needs_tax_card_and_a_whole_id(types: set[IdentityType]) -> None:
    complete = types >= CARD or types >= BOOK
    if complete:
        check_document_set(types)
    else:
        with pytest.raises(InvalidInput) as caught:
            check_document_set(types)
        assert caught.value.errors


@given(st.lists(st.tuples(st.sampled_from(IdentityType), st.booleans()), max_size=20))
def test_accepting_documents_leaves_one_current_per_type_and_deletes_nothing(
    uploads: list[tuple[IdentityType, bool]],
) -> None:
    docs: list[MemberIdentity] = []
    for file_id, (kind, accept) in enumerate(uploads):
        supersede_pending(docs, kind, NOW)
        docs.append(new_identity(1, file_id, kind, NOW))
        if accept:
            accepted = accept_new_documents(docs, NOW)
            assert all(doc.is_active for doc in accepted)
        for t in IdentityType:
            assert sum(d.is_active for d in docs if d.identity_type is t) <= 1
            assert sum(d.is_new for d in docs if d.identity_type is t) <= 1
    assert len(docs) == len(uploads)


def test_accepting_without_new_documents_is_a_conflict() -> None:
    with pytest.raises(Conflict, match="no new documents"):
        accept_new_documents([], NOW)


@given(
    st.lists(
        st.tuples(
            st.sets(st.sampled_from(IdentityType), min_size=1),
            st.sampled_from(["wait", "accept", "refuse"]),
        ),
        max_size=12,
    )
)
def test_refused_documents_stay_listed_until_the_next_upload(
    uploads: list[tuple[set[IdentityType], str]],
) -> None:
    docs: list[MemberIdentity] = []
    listed_now: set[int] = set()
    for step, (kinds, decision) in enumerate(uploads):
        now = NOW + timedelta(minutes=step)
        listed_now = set()
        for kind in sorted(kinds):
            supersede_pending(docs, kind, NOW)
            docs.append(new_identity(1, len(docs) + 1, kind, NOW))
            docs[-1].id = len(docs)
        if decision == "accept":
            accept_new_documents(docs, NOW)
        elif decision == "refuse":
            waiting = {d.id for d in docs if d.is_new}
            refused = refuse_new_documents(docs, "blurred", now)
            assert {d.id for d in refused} == waiting
            assert all(not d.is_new and not d.is_active for d in refused)
            listed_now = {d.id for d in refused if d.id is not None}
        listed = outstanding_refusals(docs)
        assert {d.id for d in listed} == listed_now
        assert all(d.refusal_reason == "blurred" for d in listed)
    assert sum(len(kinds) for kinds, _ in uploads) == len(docs)


def test_refusing_needs_new_documents_and_a_reason() -> None:
    with pytest.raises(Conflict, match="no new documents to refuse"):
        refuse_new_documents([], "blurred", NOW)
    with pytest.raises(InvalidInput) as caught:
        refusal_reason("   ")
    assert "reason" in caught.value.errors
    with pytest.raises(InvalidInput) as caught:
        refusal_reason("x" * 501, "refuse_documents")
    assert "refuse_documents" in caught.value.errors
    assert refusal_reason("  Фото розмите  ") == "Фото розмите"


# -- files -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", ContentType.JPEG),
        (b"\x89PNG\r\n\x1a\n\x00\x00", ContentType.PNG),
        (b"%PDF-1.7\n", ContentType.PDF),
        ("Чек №5\r\nСума: 100\tгрн".encode(), ContentType.TEXT),
        ("обрізаний".encode()[:-1], ContentType.TEXT),  # a cut multi-byte char at the end
        (b"MZ\x90\x00\x03", None),  # a Windows program
        (b"GIF89a", ContentType.TEXT),  # printable ASCII is text; the bytes decide
        (b"\x00\x01\x02", None),
        (b"\xc3\x28 invalid utf-8 in the middle of a longer text", None),
        (b"", None),
    ],
)
def test_content_is_recognised_by_its_bytes(head: bytes, kind: ContentType | None) -> None:
    assert detect_content_type(head) is kind


def test_disallowed_content_is_refused_with_the_field_name() -> None:
    with pytest.raises(InvalidInput) as caught:
        ContentCheck("inn", "tax.jpg").feed(b"MZ\x90\x00" + b"\xff" * 5000)
    assert "JPEG, PNG, PDF" in caught.value.errors["inn"]
    check = ContentCheck("inn", "tax.pdf")
    check.feed(b"%PDF-1.7\n" + b"x" * 5000)
    assert check.kind is ContentType.PDF


@pytest.mark.parametrize(
    ("name", "clean"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\receipt.jpg", "receipt.jpg"),
        ("re\x00ce\nipt.png", "receipt.png"),
        ("", "file"),
        (None, "file"),
        ("a" * 300, "a" * 255),
    ],
)
def test_client_file_names_are_only_labels(name: str | None, clean: str) -> None:
    assert clean_original_name(name) == clean


def inspect(name: str | None, content: bytes, chunk: int = 1000) -> ContentType:
    check = ContentCheck("files", name)
    for start in range(0, len(content), chunk):
        check.feed(content[start : start + chunk])
    return check.finish()


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("scan.JPG", b"\xff\xd8\xff\xe0" + b"\x00" * 9000, ContentType.JPEG),
        ("чек.txt", "Чек №5: 300 грн, 1 < 2 > 0 <3\n".encode() * 500, ContentType.TEXT),
        ("receipt", b"%PDF-1.4\n" + b"\x00" * 10, ContentType.PDF),  # no extension: by content
        ("photo.heic", b"\x89PNG\r\n\x1a\n" + b"\x00" * 10, ContentType.PNG),  # unknown: by content
        ("notes.txt", "ї".encode() * 3000, ContentType.TEXT),  # characters cut across chunks
    ],
)
def test_uploads_are_checked_as_they_stream(name: str, content: bytes, kind: ContentType) -> None:
    assert inspect(name, content) is kind
    assert inspect(name, content, chunk=7) is kind


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("a.txt", b"<html><body>hi</body></html>", "not markup"),
        ("a.txt", b"\xef\xbb\xbf  \n\t<!DOCTYPE html>", "not markup"),
        ("a.txt", b"hello " * 2000 + b"<sCrIpT>x</script>", "not markup"),  # past the sniff
        ("a.txt", b"<svg/onload=alert(1)>", "not markup"),
        ("a.txt", b"<?xml version='1.0'?>", "not markup"),
        ("a.txt", b"text " * 1000 + b"\xff\xfe broken later", "UTF-8"),
        ("a.txt", b"ok" * 3000 + b"\x00", "UTF-8"),
        ("a.jpg", b"just words", "not what the name says"),
        ("a.png", b"\xff\xd8\xff\xe0" + b"\x00" * 10, "not what the name says"),
        ("a.pdf", b"text", "not what the name says"),
        ("a.svg", b"plain", "JPEG, PNG, PDF"),
        ("index.HTML", b"plain", "JPEG, PNG, PDF"),
        ("a.exe", b"MZ\x90\x00", "JPEG, PNG, PDF"),
        ("empty.jpg", b"", "empty"),
    ],
)
def test_markup_broken_text_and_contradicting_names_are_refused(
    name: str, content: bytes, problem: str
) -> None:
    for chunk in (1000, 5):
        with pytest.raises(InvalidInput) as caught:
            inspect(name, content, chunk)
        assert problem in caught.value.errors["files"]
        if content:
            assert caught.value.errors["files"].startswith(name)
