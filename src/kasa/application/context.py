"""What every use case works with: the ports, the fund's settings, and small helpers
shared by all areas (loading the actor, writing the audit event, staging uploads)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import attrs

from kasa.application.ports import (
    Clock,
    CodeGenerator,
    CodeHasher,
    FileStore,
    IdentityProvider,
    PasswordHasher,
    PaymentGateway,
    SmsSender,
    TokenIssuer,
)
from kasa.application.repositories import UnitOfWork, UnitOfWorkFactory
from kasa.domain.audit import Actor, AuditEvent, EventType, ObjectKind
from kasa.domain.errors import InvalidInput, NotFound, PermissionDenied, TooLarge
from kasa.domain.files import EXTENSIONS, StoredFile, clean_original_name, require_allowed_content
from kasa.domain.members import Member
from kasa.domain.money import Money
from kasa.domain.signin import SignInPolicy
from kasa.domain.staff import StaffUser

MIB = 1024 * 1024


@attrs.frozen
class FundSettings:
    """The fund's tunable rules (from the environment, see ``operations.md``)."""

    sign_in: SignInPolicy = attrs.field(factory=SignInPolicy)
    grace_days: int = 30
    reminder_days: int = 7
    four_eyes_threshold: Money | None = None
    max_upload_bytes: int = 10 * MIB
    max_files_per_upload: int = 20
    timezone: str = "Europe/Kyiv"
    reconcile_after_seconds: int = 30 * 60
    staff_failures_per_login: int = 5
    staff_failures_per_address: int = 20
    staff_failure_window_seconds: int = 15 * 60
    # wrong sign-in codes from one address (across all phones) within the same window
    code_failures_per_address: int = 30
    fund_name: str = "Kasa"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@attrs.frozen
class Upload:
    """A file as the client sent it: the form field, the client's name, the bytes."""

    field: str
    filename: str | None
    content: bytes


@attrs.frozen
class Context:
    """The ports a use case may use. Built once by the container."""

    uow: UnitOfWorkFactory
    clock: Clock
    codes: CodeGenerator
    sms: SmsSender
    gateway: PaymentGateway
    identity: IdentityProvider
    files: FileStore
    passwords: PasswordHasher
    code_hasher: CodeHasher
    tokens: TokenIssuer
    settings: FundSettings = attrs.field(factory=FundSettings)

    def now(self) -> datetime:
        return self.clock.now()

    def local_date(self, moment: datetime) -> date:
        """The calendar date at the fund (Kyiv), where "paid until" dates live."""
        return moment.astimezone(self.settings.zone).date()

    def today(self) -> date:
        return self.local_date(self.now())


def audit(
    uow: UnitOfWork,
    event_type: EventType,
    actor: Actor,
    object_kind: ObjectKind,
    object_id: object,
    at: datetime,
    **details: Any,
) -> None:
    """Write the audit event of a change, in the same unit of work as the change."""
    uow.audit.add(AuditEvent.of(event_type, actor, object_kind, object_id, at, **details))


def load_member(uow: UnitOfWork, member_id: int, *, for_update: bool = False) -> Member:
    """The signed-in member; a blocked member is refused like an unknown one is."""
    member = uow.members.get_for_update(member_id) if for_update else uow.members.get(member_id)
    if member is None:
        raise NotFound("Member not found.")
    if member.is_blocked:
        raise PermissionDenied("Your account is blocked. Please contact the fund.")
    return member


def load_staff(uow: UnitOfWork, staff_id: int, *, admin: bool = False) -> StaffUser:
    """The signed-in staff user, active (and an admin when ``admin``)."""
    user = uow.staff.get(staff_id)
    if user is None or not user.is_active:
        raise PermissionDenied("This staff account is deactivated or does not exist.")
    if admin:
        user.require_admin()
    return user


def member_of(uow: UnitOfWork, member_id: int) -> Member:
    """Any member, as staff see them (blocked ones included)."""
    member = uow.members.get_for_update(member_id)
    if member is None:
        raise NotFound(f"There is no member {member_id}.")
    return member


class StagedFiles:
    """Files written to the store during one use case.

    Each upload is checked (size, allowed kind by its bytes) and written under a random
    name. If the use case fails before its unit of work commits, every file written is
    removed again, so nothing is left orphaned.
    """

    def __init__(self, context: Context) -> None:
        self._context = context
        self.saved: list[StoredFile] = []

    def check(self, uploads: Sequence[Upload]) -> None:
        limit = self._context.settings.max_upload_bytes
        if len(uploads) > self._context.settings.max_files_per_upload:
            raise InvalidInput.field(
                "files", f"at most {self._context.settings.max_files_per_upload} files at once"
            )
        for upload in uploads:
            if len(upload.content) > limit:
                raise TooLarge(
                    f"{upload.field}: the file is larger than {limit // MIB} MB.",
                    {upload.field: f"must be at most {limit // MIB} MB"},
                )
            if not upload.content:
                raise InvalidInput.field(upload.field, "the file is empty")
            require_allowed_content(upload.content[:4096], upload.field)

    def save(
        self, upload: Upload, *, member_id: int | None, request_id: int | None = None
    ) -> StoredFile:
        kind = require_allowed_content(upload.content[:4096], upload.field)
        blob = self._context.files.save(upload.content, EXTENSIONS[kind], member_id)
        stored = StoredFile(
            stored_name=blob.name,
            original_name=clean_original_name(upload.filename),
            content_type=kind,
            size=blob.size,
            sha256=blob.sha256,
            created_at=self._context.now(),
            member_id=member_id,
            request_id=request_id,
        )
        self.saved.append(stored)
        return stored

    def discard(self) -> None:
        for stored in self.saved:
            self._context.files.delete(stored.stored_name)
        self.saved.clear()


@contextmanager
def staged_files(context: Context, uploads: Sequence[Upload] = ()) -> Iterator[StagedFiles]:
    """``with staged_files(ctx, uploads) as staged:`` — checks the uploads first, then
    removes whatever was saved if the block raises."""
    staged = StagedFiles(context)
    staged.check(uploads)
    try:
        yield staged
    except BaseException:
        staged.discard()
        raise
