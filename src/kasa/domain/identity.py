"""Identity documents of a member and their new/current versions, by document type."""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Protocol, TypeVar

import attrs

from kasa.domain.errors import Conflict, InvalidInput


class IdentityType(enum.StrEnum):
    ID_CARD_FRONT = "id_card_front"
    ID_CARD_BACK = "id_card_back"
    PASSPORT_PAGE_1 = "passport_page_1"
    PASSPORT_PAGE_2 = "passport_page_2"
    PASSPORT_ADDRESS_PAGE = "passport_address_page"
    TAX_NUMBER_CARD = "tax_number_card"


ID_CARD = frozenset({IdentityType.ID_CARD_FRONT, IdentityType.ID_CARD_BACK})
PASSPORT_BOOK = frozenset(
    {
        IdentityType.PASSPORT_PAGE_1,
        IdentityType.PASSPORT_PAGE_2,
        IdentityType.PASSPORT_ADDRESS_PAGE,
    }
)


def check_document_set(types: Collection[IdentityType]) -> None:
    """A profile needs the tax number card plus both sides of an ID card, or the
    passport book's two pages and address page."""
    present = set(types)
    errors: dict[str, str] = {}
    if IdentityType.TAX_NUMBER_CARD not in present:
        errors[IdentityType.TAX_NUMBER_CARD] = "the tax number card is required"
    if not (present >= ID_CARD or present >= PASSPORT_BOOK):
        missing_card = sorted(ID_CARD - present)
        missing_book = sorted(PASSPORT_BOOK - present)
        errors["identity"] = (
            "give both sides of the ID card or all three passport pages"
            f" (missing: {', '.join(missing_card)} or {', '.join(missing_book)})"
        )
    if errors:
        raise InvalidInput("The identity documents are incomplete.", errors)


@attrs.define(eq=False, slots=False)
class MemberIdentity:
    """One document file of a member. ``is_new``: uploaded, not yet accepted by staff;
    ``is_active``: the current one of its type; ``refused_at``: staff refused it, for the
    ``refusal_reason`` the member is shown. Nothing is ever deleted."""

    member_id: int
    file_id: int
    identity_type: IdentityType
    created_at: datetime
    updated_at: datetime
    is_active: bool = False
    is_new: bool = True
    id: int | None = None
    refused_at: datetime | None = None
    refusal_reason: str = ""


def new_identity(
    member_id: int, file_id: int, identity_type: IdentityType, now: datetime
) -> MemberIdentity:
    return MemberIdentity(member_id, file_id, identity_type, now, now, is_active=False, is_new=True)


def supersede_pending(
    existing: Sequence[MemberIdentity], identity_type: IdentityType, now: datetime
) -> None:
    """A newer upload of a type replaces an older upload still waiting for staff."""
    for doc in existing:
        if doc.identity_type is identity_type and doc.is_new:
            doc.is_new = False
            doc.updated_at = now


def accept_new_documents(
    documents: Sequence[MemberIdentity], now: datetime
) -> list[MemberIdentity]:
    """Staff accept the new documents: per type the new file becomes current and the
    old current one inactive. Returns the accepted documents."""
    new = [doc for doc in documents if doc.is_new]
    if not new:
        raise Conflict("The member has no new documents to accept.")
    new_types = {doc.identity_type for doc in new}
    for doc in documents:
        if doc.is_active and doc.identity_type in new_types:
            doc.is_active = False
            doc.updated_at = now
    for doc in new:
        doc.is_new = False
        doc.is_active = True
        doc.updated_at = now
    return new


REFUSAL_REASON_MAX = 500


def refusal_reason(text: str, field: str = "reason") -> str:
    """What staff tell the member about refused documents: 1–500 characters."""
    value = text.strip()
    if not value:
        raise InvalidInput.field(field, "is required: tell the member what is wrong")
    if len(value) > REFUSAL_REASON_MAX:
        raise InvalidInput.field(field, f"must be at most {REFUSAL_REASON_MAX} characters")
    return value


def refuse_new_documents(
    documents: Sequence[MemberIdentity], reason: str, now: datetime
) -> list[MemberIdentity]:
    """Staff refuse the new documents (the current ones stay current). Returns them."""
    new = [doc for doc in documents if doc.is_new]
    if not new:
        raise Conflict("The member has no new documents to refuse.")
    for doc in new:
        doc.is_new = False
        doc.refused_at = now
        doc.refusal_reason = reason
        doc.updated_at = now
    return new


class Document(Protocol):
    @property
    def id(self) -> int | None: ...
    @property
    def identity_type(self) -> IdentityType: ...
    @property
    def refused_at(self) -> datetime | None: ...


D = TypeVar("D", bound=Document)


def outstanding_refusals(documents: Iterable[D]) -> list[D]:
    """The documents of staff's last refusal, while no upload has followed it. Documents
    come as whole sets (a profile or a Diia sharing), so any later upload answers it."""
    docs = sorted(documents, key=lambda d: d.id or 0)
    last = max((d.refused_at for d in docs if d.refused_at is not None), default=None)
    refused = [d for d in docs if last is not None and d.refused_at == last]
    if not refused or refused[-1] is not docs[-1]:
        return []
    return refused
