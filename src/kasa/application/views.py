"""What use cases return when one domain object is not enough: read models that the
HTTP apps and the CLI turn into their own shapes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import BinaryIO, Generic, TypeVar

import attrs

from kasa.application.repositories import MemberName
from kasa.domain.files import StoredFile
from kasa.domain.identity import MemberIdentity
from kasa.domain.members import CorrectionReport, Member
from kasa.domain.payments import Payment
from kasa.domain.programs import MemberProgram, Program
from kasa.domain.requests import Request, RequestMessage

T = TypeVar("T")


@attrs.frozen
class ProfileView:
    member: Member
    program: Program | None
    photo: StoredFile | None
    membership: str = "none"  # active, grace, expired or none, as of today


@attrs.frozen
class MessageView:
    message: RequestMessage
    author_name: str


@attrs.frozen
class RequestView:
    request: Request
    files: Sequence[StoredFile]
    messages: Sequence[MessageView] = ()
    charges: Sequence[Payment] = ()
    member: MemberName | None = None


@attrs.frozen
class ProgramLink:
    link: MemberProgram
    program: Program


@attrs.frozen
class IdentityView:
    document: MemberIdentity
    file: StoredFile


@attrs.frozen
class MemberDetail:
    member: Member
    actual_program: Program | None
    new_program: Program | None
    programs: Sequence[ProgramLink]
    current_identities: Sequence[IdentityView]
    new_identities: Sequence[IdentityView]
    identities: Sequence[IdentityView]
    requests: Sequence[Request]
    payments: Sequence[Payment]
    corrections: Sequence[CorrectionReport]
    photo: StoredFile | None


@attrs.frozen
class PaymentRow:
    payment: Payment
    member: MemberName
    request: Request | None = None


@attrs.frozen
class Listing(Generic[T]):
    """One page of results and how many there are in all."""

    items: Sequence[T]
    total: int


@attrs.frozen
class FileContent:
    """A stored file and its bytes, open for reading (whoever sends it closes it)."""

    file: StoredFile
    content: BinaryIO
