"""Requests for aid: members file them with receipts and talk to staff; staff assess
them, move them, close and reopen them, and answer."""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from kasa.application.access import acting_staff, require_member, require_staff, signed_in_member
from kasa.application.auditing import audit
from kasa.application.clock import FundClock
from kasa.application.reads import MemberReads, OfficeReads, Page, RequestQuery
from kasa.application.repositories import UnitOfWork, UnitOfWorkFactory
from kasa.application.retrying import use_cases
from kasa.application.settings import FundSettings
from kasa.application.uploads import FileStaging, StagedFiles, Upload
from kasa.application.views import Listing, RequestDetail, RequestView
from kasa.domain.audit import Actor, EventType, ObjectKind
from kasa.domain.errors import Conflict, InvalidInput, NotFound
from kasa.domain.files import FileKind
from kasa.domain.members import Member
from kasa.domain.money import Money
from kasa.domain.payouts import committed_payouts, paid_out
from kasa.domain.requests import Request, RequestMessage, RequestStatus, Resolution
from kasa.domain.throttle import DAY, counter_key


def payouts_of(uow: UnitOfWork, request_id: int) -> tuple[Money, Money]:
    """What is paid out on a request (confirmed), and what is committed (confirmed plus
    payouts waiting for a second approval)."""
    payouts = uow.payments.for_request(request_id)
    return paid_out(payouts), committed_payouts(payouts)


def request_detail(reads: MemberReads | OfficeReads, request_id: int) -> RequestDetail:
    detail = reads.request(request_id)
    if detail is None:
        raise NotFound(f"There is no request {request_id}.")
    return detail


def locked_request(uow: UnitOfWork, request_id: int) -> tuple[Request, Member]:
    """A request and its member, both locked for a staff change: the member first, as
    every write locks them, so staff and the member acting at once wait in turn."""
    member_id = uow.requests.member_of(request_id)
    member = uow.members.get_for_update(member_id) if member_id is not None else None
    request = uow.requests.get_for_update(request_id)
    if request is None or member is None:
        raise NotFound(f"There is no request {request_id}.")
    return request, member


def own_request(uow: UnitOfWork, member_id: int, request_id: int) -> Request:
    """A member's own request, locked; another member's is simply not found."""
    request = uow.requests.get_for_update(request_id)
    if request is None or request.member_id != member_id:
        raise NotFound("Request not found.")
    return request


def attach_files(
    uow: UnitOfWork, staged: StagedFiles, request: Request, uploads: Sequence[Upload]
) -> None:
    """Store receipts on a request; a receipt already attached to another request is
    flagged for staff (not refused)."""
    assert request.id is not None
    for upload in uploads:
        stored = staged.save(
            upload, member_id=request.member_id, kind=FileKind.RECEIPT, request_id=request.id
        )
        twin = uow.files.request_with_twin(stored.sha256, request.id)
        if twin is not None:
            stored.duplicate_of_request = twin
            request.has_duplicate_files = True
        uow.files.add(stored)


TOO_MANY_MESSAGES = "Too many messages on this request today. Try again tomorrow."


@use_cases
@attrs.frozen
class MemberRequests:
    uow: UnitOfWorkFactory
    reads: MemberReads
    clock: FundClock
    staging: FileStaging
    settings: FundSettings

    def create(self, member_id: int, comment: str, files: Sequence[Upload]) -> RequestDetail:
        """File a request for aid (it may be empty: files and words can follow). A
        member has at most so many requests open at once."""
        now = self.clock.now()
        with self.staging.of(files) as staged, self.uow() as uow:
            member = signed_in_member(uow, member_id)
            limit = self.settings.open_requests_max
            if uow.requests.open_count(member_id) >= limit:
                raise Conflict(
                    f"You have {limit} open requests, the most one member may have; "
                    "add to one of them, or wait until one is closed."
                )
            staged.require_room(uow, member_id)
            request = uow.requests.add(
                Request.file(member_id, comment, member_approved=member.is_approved, now=now)
            )
            attach_files(uow, staged, request, files)
            member.request_filed(request)
            audit(
                uow,
                EventType.CREATED,
                Actor.member(member_id),
                ObjectKind.REQUEST,
                request.id,
                now,
                files=len(files),
            )
            uow.commit()
        assert request.id is not None
        return request_detail(self.reads, request.id)

    def list(
        self, member_id: int, statuses: frozenset[RequestStatus] = frozenset()
    ) -> Sequence[RequestView]:
        """The member's own requests, with their files."""
        require_member(self.reads, member_id)
        return self.reads.requests_of_member(member_id, statuses)

    def get(self, member_id: int, request_id: int) -> RequestDetail:
        """One of the member's own requests (another member's is not found)."""
        require_member(self.reads, member_id)
        detail = self.reads.request(request_id)
        if detail is None or detail.request.member_id != member_id:
            raise NotFound("Request not found.")
        return detail

    def write(self, member_id: int, request_id: int, text: str) -> RequestMessage:
        """A message on one of the member's own requests; at most so many a day on one
        request."""
        now = self.clock.now()
        with self.uow() as uow:
            member = signed_in_member(uow, member_id)
            request = own_request(uow, member_id, request_id)
            key = counter_key("request-messages", f"{request_id}|{member_id}")
            counter = uow.counters.locked([key])[key]
            counter.take(self.settings.request_messages_daily, now, DAY, TOO_MANY_MESSAGES)
            with member.following(request):
                request.member_wrote(now)
            message = uow.messages.add(RequestMessage(request_id, text, now, member_id=member_id))
            audit(
                uow,
                EventType.MESSAGE_WRITTEN,
                Actor.member(member_id),
                ObjectKind.REQUEST,
                request_id,
                now,
                message_id=message.id,
            )
            uow.commit()
            return message

    def add_files(self, member_id: int, request_id: int, files: Sequence[Upload]) -> RequestDetail:
        if not files:
            raise InvalidInput.field("files", "add at least one file")
        now = self.clock.now()
        with self.staging.of(files) as staged, self.uow() as uow:
            member = signed_in_member(uow, member_id)
            request = own_request(uow, member_id, request_id)
            staged.require_room(uow, member_id)
            with member.following(request):
                request.member_wrote(now)
            attach_files(uow, staged, request, files)
            audit(
                uow,
                EventType.FILES_ADDED,
                Actor.member(member_id),
                ObjectKind.REQUEST,
                request_id,
                now,
                files=len(files),
            )
            uow.commit()
        return request_detail(self.reads, request_id)


# -- what staff do with a request ------------------------------------------------------
@attrs.frozen
class Assessment:
    """Staff set the diagnosis, the approved amount or correct the request's text."""

    diagnosis: str | None = None
    approved_amount: Money | None = None
    request_text: str | None = None

    def __bool__(self) -> bool:
        return any(v is not None for v in (self.diagnosis, self.approved_amount, self.request_text))


@attrs.frozen
class MoveTo:
    """Staff move an open request to another open status (to ``opened``: reopen it)."""

    status: RequestStatus


@attrs.frozen
class Close:
    resolution: Resolution
    reason: str | None = None


@attrs.frozen
class Reopen:
    pass


Step = MoveTo | Close | Reopen


@use_cases
@attrs.frozen
class StaffRequests:
    uow: UnitOfWorkFactory
    reads: OfficeReads
    clock: FundClock
    # the lists (a replica's, when there is one); by default the reads themselves
    lists: OfficeReads = attrs.field(
        default=attrs.Factory(lambda self: self.reads, takes_self=True), kw_only=True
    )

    def list(self, staff_id: int, query: RequestQuery, page: Page) -> Listing[RequestView]:
        require_staff(self.reads, staff_id)
        return self.lists.requests(query, page)

    def get(self, staff_id: int, request_id: int, member_id: int | None = None) -> RequestDetail:
        require_staff(self.reads, staff_id)
        detail = self.reads.request(request_id)
        if detail is None or (member_id is not None and detail.request.member_id != member_id):
            raise NotFound(f"There is no request {request_id}.")
        return detail

    def assess(self, staff_id: int, request_id: int, assessment: Assessment) -> RequestDetail:
        return self.apply(staff_id, request_id, assessment=assessment)

    def move(self, staff_id: int, request_id: int, status: RequestStatus) -> RequestDetail:
        return self.apply(staff_id, request_id, step=MoveTo(status))

    def close(
        self, staff_id: int, request_id: int, resolution: Resolution, reason: str | None = None
    ) -> RequestDetail:
        return self.apply(staff_id, request_id, step=Close(resolution, reason))

    def reopen(self, staff_id: int, request_id: int) -> RequestDetail:
        return self.apply(staff_id, request_id, step=Reopen())

    def apply(
        self,
        staff_id: int,
        request_id: int,
        *,
        assessment: Assessment | None = None,
        step: Step | None = None,
    ) -> RequestDetail:
        """An assessment and a step taken together, in one unit of work and one audit
        event: reopening comes first (a closed request takes no assessment), closing
        or moving after the assessment (closing as paid needs the approved amount)."""
        now = self.clock.now()
        with self.uow() as uow:
            acting_staff(uow, staff_id)
            request, member = locked_request(uow, request_id)
            before = request.status
            event = EventType.UPDATED
            with member.following(request):
                reopening = isinstance(step, Reopen) or (
                    isinstance(step, MoveTo)
                    and step.status is RequestStatus.OPENED
                    and request.is_closed
                )
                if reopening:
                    request.reopen(now)
                    event = EventType.REOPENED
                if assessment:
                    _, committed = payouts_of(uow, request_id)
                    request.assess(
                        now,
                        paid=committed,
                        diagnosis=assessment.diagnosis,
                        approved_amount=assessment.approved_amount,
                        request_text=assessment.request_text,
                    )
                if isinstance(step, Close):
                    paid, _ = payouts_of(uow, request_id)
                    request.close(step.resolution, now, paid=paid, reason=step.reason)
                    event = EventType.CLOSED
                elif isinstance(step, MoveTo) and not reopening:
                    request.set_status(step.status, now)
                    if request.status is not before:
                        event = EventType.STATUS_CHANGED
            audit(
                uow,
                event,
                Actor.staff(staff_id),
                ObjectKind.REQUEST,
                request_id,
                now,
                status=request.status,
                previous_status=before,
                approved_amount=str(request.approved_amount) if request.approved_amount else None,
                resolution=request.resolution,
                reason=request.reason or None,
            )
            uow.commit()
        return request_detail(self.reads, request_id)

    def write(self, staff_id: int, request_id: int, text: str) -> RequestMessage:
        now = self.clock.now()
        with self.uow() as uow:
            acting_staff(uow, staff_id)
            request, member = locked_request(uow, request_id)
            with member.following(request):
                request.staff_wrote(now)
            message = uow.messages.add(RequestMessage(request_id, text, now, staff_id=staff_id))
            audit(
                uow,
                EventType.MESSAGE_WRITTEN,
                Actor.staff(staff_id),
                ObjectKind.REQUEST,
                request_id,
                now,
                message_id=message.id,
            )
            uow.commit()
            return message
