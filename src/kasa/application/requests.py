"""Requests for aid: members file them with receipts and talk to staff; staff assess,
answer, close and reopen them."""

from __future__ import annotations

from collections.abc import Sequence

from kasa.application.context import (
    Context,
    StagedFiles,
    Upload,
    audit,
    load_member,
    load_staff,
    require_member,
    require_staff,
    staged_files,
)
from kasa.application.reads import MemberReads, Page, RequestQuery
from kasa.application.repositories import UnitOfWork
from kasa.application.views import Listing, RequestDetail, RequestView
from kasa.domain.audit import Actor, EventType, ObjectKind
from kasa.domain.errors import InvalidInput, NotFound
from kasa.domain.files import FileKind
from kasa.domain.money import Money
from kasa.domain.payments import committed_payouts, paid_out
from kasa.domain.requests import Request, RequestMessage, RequestStatus, Resolution


def payouts_of(uow: UnitOfWork, request_id: int) -> tuple[Money, Money]:
    """What is paid out on a request (confirmed), and what is committed (confirmed plus
    payouts waiting for a second approval)."""
    payouts = uow.payments.for_request(request_id)
    return paid_out(payouts), committed_payouts(payouts)


def request_detail(reads: MemberReads, request_id: int) -> RequestDetail:
    detail = reads.request(request_id)
    if detail is None:
        raise NotFound(f"There is no request {request_id}.")
    return detail


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
        twins = [
            f
            for f in uow.files.with_sha256(stored.sha256)
            if f.request_id not in (None, request.id)
        ]
        if twins:
            stored.duplicate_of_request = twins[0].request_id
            request.has_duplicate_files = True
        uow.files.add(stored)


class MemberRequests:
    def __init__(self, context: Context) -> None:
        self.ctx = context

    def create(self, member_id: int, comment: str, files: Sequence[Upload]) -> RequestDetail:
        now = self.ctx.now()
        with staged_files(self.ctx, files) as staged, self.ctx.uow() as uow:
            member = load_member(uow, member_id, for_update=True)
            staged.require_room(uow, member_id)
            request = uow.requests.add(
                Request.file(member_id, comment, member_approved=member.is_approved, now=now)
            )
            attach_files(uow, staged, request, files)
            member.requests_awaiting_staff_changed(+1)
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
        return request_detail(self.ctx.reads, request.id)

    def list(self, member_id: int, statuses: Sequence[str] = ()) -> Sequence[RequestView]:
        """The member's own requests, with their files."""
        wanted = frozenset(parse_statuses(statuses))
        require_member(self.ctx.reads, member_id)
        return self.ctx.reads.requests_of_member(member_id, wanted)

    def get(self, member_id: int, request_id: int) -> RequestDetail:
        """One of the member's own requests (another member's is not found)."""
        require_member(self.ctx.reads, member_id)
        detail = self.ctx.reads.request(request_id)
        if detail is None or detail.request.member_id != member_id:
            raise NotFound("Request not found.")
        return detail

    def write(self, member_id: int, request_id: int, text: str) -> RequestMessage:
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            member = load_member(uow, member_id, for_update=True)
            request = own_request(uow, member_id, request_id)
            before = request.awaits_staff
            request.member_wrote(now)
            message = uow.messages.add(RequestMessage(request_id, text, now, member_id=member_id))
            member.requests_awaiting_staff_changed(int(request.awaits_staff) - int(before))
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
        now = self.ctx.now()
        with staged_files(self.ctx, files) as staged, self.ctx.uow() as uow:
            member = load_member(uow, member_id, for_update=True)
            request = own_request(uow, member_id, request_id)
            staged.require_room(uow, member_id)
            before = request.awaits_staff
            request.member_wrote(now)
            attach_files(uow, staged, request, files)
            member.requests_awaiting_staff_changed(int(request.awaits_staff) - int(before))
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
        return request_detail(self.ctx.reads, request_id)


def parse_statuses(codes: Sequence[str], field: str = "status") -> list[RequestStatus]:
    try:
        return [RequestStatus(code) for code in codes]
    except ValueError:
        raise InvalidInput.field(
            field, f"must be among {', '.join(s.value for s in RequestStatus)}"
        ) from None


class StaffRequests:
    def __init__(self, context: Context) -> None:
        self.ctx = context

    def list(
        self,
        staff_id: int,
        query: RequestQuery,
        page: Page,
    ) -> Listing[RequestView]:
        require_staff(self.ctx.reads, staff_id)
        return self.ctx.reads.requests(query, page)

    def get(self, staff_id: int, request_id: int, member_id: int | None = None) -> RequestDetail:
        require_staff(self.ctx.reads, staff_id)
        detail = self.ctx.reads.request(request_id)
        if detail is None or (member_id is not None and detail.request.member_id != member_id):
            raise NotFound(f"There is no request {request_id}.")
        return detail

    def update(
        self,
        staff_id: int,
        request_id: int,
        *,
        request_text: str | None = None,
        diagnosis: str | None = None,
        approved_amount: Money | None = None,
        status: str | None = None,
        resolution: str | None = None,
        reason: str | None = None,
    ) -> RequestDetail:
        """Staff assess the request and/or move it through its status machine."""
        target = parse_statuses([status])[0] if status else None
        outcome = None
        if resolution:
            try:
                outcome = Resolution(resolution)
            except ValueError:
                raise InvalidInput.field(
                    "resolution", "must be paid, rejected or withdrawn"
                ) from None
        if outcome is not None and target not in (None, RequestStatus.CLOSED):
            raise InvalidInput.field("resolution", "is given only when closing the request")
        if target is RequestStatus.CLOSED and outcome is None:
            raise InvalidInput.field("resolution", "closing needs paid, rejected or withdrawn")
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            load_staff(uow, staff_id)
            request = uow.requests.get_for_update(request_id)
            if request is None:
                raise NotFound(f"There is no request {request_id}.")
            member = uow.members.get_for_update(request.member_id)
            assert member is not None
            before_status, before_awaiting = request.status, request.awaits_staff
            paid, committed = payouts_of(uow, request_id)
            event = EventType.UPDATED
            if target is RequestStatus.OPENED and request.is_closed:
                request.reopen(now)
                event = EventType.REOPENED
            if any(v is not None for v in (request_text, diagnosis, approved_amount)):
                request.assess(
                    now,
                    paid=committed,
                    diagnosis=diagnosis,
                    approved_amount=approved_amount,
                    request_text=request_text,
                )
            if outcome is not None:
                request.close(outcome, now, paid=paid, reason=reason)
                event = EventType.CLOSED
            elif target is not None and event is not EventType.REOPENED:
                request.set_status(target, now)
                if request.status is not before_status:
                    event = EventType.STATUS_CHANGED
            member.requests_awaiting_staff_changed(int(request.awaits_staff) - int(before_awaiting))
            audit(
                uow,
                event,
                Actor.staff(staff_id),
                ObjectKind.REQUEST,
                request_id,
                now,
                status=request.status,
                previous_status=before_status,
                approved_amount=str(request.approved_amount) if request.approved_amount else None,
                resolution=request.resolution,
                reason=request.reason or None,
            )
            uow.commit()
        return request_detail(self.ctx.reads, request_id)

    def write(self, staff_id: int, request_id: int, text: str) -> RequestMessage:
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            load_staff(uow, staff_id)
            request = uow.requests.get_for_update(request_id)
            if request is None:
                raise NotFound(f"There is no request {request_id}.")
            member = uow.members.get_for_update(request.member_id)
            assert member is not None
            before = request.awaits_staff
            request.staff_wrote(now)
            message = uow.messages.add(RequestMessage(request_id, text, now, staff_id=staff_id))
            member.requests_awaiting_staff_changed(int(request.awaits_staff) - int(before))
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
