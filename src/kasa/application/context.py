"""What every use case works with: the ports, the fund's settings, and small helpers
shared by all areas (loading the actor, writing the audit event, staging uploads)."""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any, BinaryIO, cast
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
from kasa.application.reads import MemberReads, OfficeReads, Reads
from kasa.application.repositories import UnitOfWork, UnitOfWorkFactory
from kasa.domain.audit import Actor, AuditEvent, EventType, ObjectKind
from kasa.domain.errors import InvalidInput, NotFound, PermissionDenied, TooLarge
from kasa.domain.files import (
    EXTENSIONS,
    ContentCheck,
    ContentType,
    FileKind,
    StoredFile,
    clean_original_name,
)
from kasa.domain.members import Member, MemberStatus
from kasa.domain.money import Money
from kasa.domain.signin import SignInPolicy
from kasa.domain.staff import Role, StaffUser

MIB = 1024 * 1024
BLOCKED = "Your account is blocked. Please contact the fund."


@attrs.frozen
class FundSettings:
    """The fund's tunable rules (from the environment; the README lists them)."""

    sign_in: SignInPolicy = attrs.field(factory=SignInPolicy)
    grace_days: int = 30
    reminder_days: int = 7
    four_eyes_threshold: Money | None = None
    max_upload_bytes: int = 10 * MIB
    max_files_per_upload: int = 20
    # everything one member uploaded, together (nothing a member uploads is deleted)
    member_storage_bytes: int = 100 * MIB
    # calling codes of the countries sign-in codes may be sent to
    sms_countries: frozenset[int] = frozenset({380})
    # code requests (sign-in and phone change, any phones) from one address in an hour
    code_requests_per_address_hourly: int = 10
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


CHUNK = 64 * 1024


@attrs.frozen(eq=False)
class Upload:
    """A file as the client sent it: the form field, the client's name, and its bytes
    in a readable, seekable file (spooled to disk by the HTTP layer; never held whole
    in memory), ``size`` bytes long."""

    field: str
    filename: str | None
    content: BinaryIO
    size: int

    @classmethod
    def of(cls, field: str, filename: str | None, data: bytes) -> Upload:
        return cls(field, filename, io.BytesIO(data), len(data))

    def chunks(self) -> Iterator[bytes]:
        """The bytes from the start, a chunk at a time."""
        self.content.seek(0)
        while chunk := self.content.read(CHUNK):
            yield chunk


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
    # the read side; the in-memory fakes have none (reads need a database)
    reads: Reads = attrs.field(factory=lambda: cast(Reads, NoReads()))

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
        raise PermissionDenied(BLOCKED)
    return member


class NoReads:
    """The read side of a fund without a database: every read says so."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"reads need a database ({name}); the in-memory fakes have none")


def require_staff(reads: OfficeReads, staff_id: int, *, admin: bool = False) -> Role:
    """A read by staff: the user must be active (and an admin when ``admin``)."""
    role = reads.staff_role(staff_id)
    if role is None:
        raise PermissionDenied("This staff account is deactivated or does not exist.")
    if admin and role is not Role.ADMIN:
        raise PermissionDenied("Only an admin may manage staff accounts.")
    return role


def require_member(reads: MemberReads, member_id: int) -> None:
    """A read by a member: the member exists and is not blocked."""
    status = reads.standing(member_id)
    if status is None:
        raise NotFound("Member not found.")
    if status is MemberStatus.BLOCKED:
        raise PermissionDenied(BLOCKED)


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

    Each upload is checked first (count, size, allowed kind by its bytes, text that is
    really text, a name that does not contradict the content) and then written under a
    random name. If the use case fails before its unit of work commits, every file
    written is removed again, so nothing is left orphaned.
    """

    def __init__(self, context: Context) -> None:
        self._context = context
        self.saved: list[StoredFile] = []
        self._kinds: dict[int, ContentType] = {}
        self._uploads: list[Upload] = []

    def check(self, uploads: Sequence[Upload]) -> None:
        settings = self._context.settings
        limit = settings.max_upload_bytes
        if len(uploads) > settings.max_files_per_upload:
            raise InvalidInput.field(
                "files", f"at most {settings.max_files_per_upload} files at once"
            )
        for upload in uploads:
            if upload.size > limit:
                raise TooLarge(
                    f"{upload.field}: the file is larger than {limit // MIB} MB.",
                    {upload.field: f"must be at most {limit // MIB} MB"},
                )
            self._kinds[id(upload)] = self._inspect(upload)
        self._uploads = list(uploads)

    @staticmethod
    def _inspect(upload: Upload) -> ContentType:
        check = ContentCheck(upload.field, upload.filename)
        for chunk in upload.chunks():
            check.feed(chunk)
        return check.finish()

    def require_room(self, uow: UnitOfWork, member_id: int) -> None:
        """Refuse (413) uploads that would take the member's stored files, all of them
        together, past the fund's bound (nothing a member uploads is ever deleted)."""
        limit = self._context.settings.member_storage_bytes
        incoming = sum(upload.size for upload in self._uploads)
        if incoming and uow.files.stored_bytes(member_id) + incoming > limit:
            raise TooLarge(
                f"Your files would take more than {limit // MIB} MB in all; "
                "the fund cannot keep more of them. Please contact the fund.",
                {"files": f"at most {limit // MIB} MB per member in all"},
            )

    def save(
        self,
        upload: Upload,
        *,
        member_id: int | None,
        kind: FileKind,
        request_id: int | None = None,
    ) -> StoredFile:
        content = self._kinds.get(id(upload)) or self._inspect(upload)
        blob = self._context.files.save(upload.chunks(), EXTENSIONS[content], member_id)
        stored = StoredFile(
            stored_name=blob.name,
            original_name=clean_original_name(upload.filename),
            content_type=content,
            size=blob.size,
            sha256=blob.sha256,
            created_at=self._context.now(),
            member_id=member_id,
            request_id=request_id,
            kind=kind,
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
