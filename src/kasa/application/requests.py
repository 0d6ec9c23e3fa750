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
    staged_files,
)
from kasa.application.repositories import (
    Page,
    PaymentQuery,
    RequestQuery,
    UnitOfWork,
)
from kasa.application.views import Listing, MessageView, RequestView
from kasa.domain.audit import Actor, EventType, ObjectKind
from kasa.domain.errors import InvalidInput, NotFound
from kasa.domain.files import FileKind
from kasa.domain.money import Money
from kasa.domain.payments import PAYOUT_TYPES, committed_payouts, paid_out
from kasa.domain.requests import Request, RequestMessage, RequestStatus, Resolution


def request_view(uow: UnitOfWork, request: Request, *, with_member: bool = False) -> RequestView:
    """A request with its files, messages (each author looked up once) and payouts."""
    assert request.id is not None
    files = list(uow.files.for_request(request.id))
    member = uow.members.names([request.member_id]).get(request.member_id) if with_member else None
    names: dict[tuple[str, int], str] = {}

    def author_name(message: RequestMessage) -> str:
        key = (
            ("member", message.member_id) if message.member_id else ("staff", message.staff_id or 0)
        )
        if key not in names:
            if key[0] == "member":
                author = uow.members.get(key[1])
                names[key] = author.full_name if author else ""
            else:
                staff = uow.staff.get(key[1])
                names[key] = staff.name if staff else ""
        return names[key]

    messages = [MessageView(m, author_name(m)) for m in uow.messages.for_request(request.id)]
    charges, _ = uow.payments.search(
        PaymentQuery(request_id=request.id, types=PAYOUT_TYPES), Page(limit=10_000)
    )
    return RequestView(request, files, messages, charges, member)


def request_summaries(
    uow: UnitOfWork, requests: Sequence[Request], *, with_member: bool = False
) -> list[RequestView]:
    """Requests as lists show them: with their files (and members), each kind of row
    read in one query for the whole page."""
    ids = [r.id for r in requests if r.id is not None]
    files = uow.files.for_requests(ids)
    members = uow.members.names({r.member_id for r in requests}) if with_member else {}
    return [
        RequestView(r, files.get(r.id or 0, []), member=members.get(r.member_id)) for r in requests
    ]


def payouts_of(uow: UnitOfWork, request_id: int) -> tuple[Money, Money]:
    """What is paid out on a request (confirmed), and what is committed (confirmed plus
    payouts waiting for a second approval)."""
    payouts, _ = uow.payments.search(PaymentQuery(request_id=request_id), Page(limit=10_000))
    return paid_out(payouts), committed_payouts(payouts)


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

    def create(self, member_id: int, comment: str, files: Sequence[Upload]) -> RequestView:
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
            return request_view(uow, request)

    def list(self, member_id: int, statuses: Sequence[str] = ()) -> Sequence[RequestView]:
        wanted = frozenset(parse_statuses(statuses))
        with self.ctx.uow(read_only=True) as uow:
            load_member(uow, member_id)
            found, _ = uow.requests.search(
                RequestQuery(member_id=member_id, statuses=wanted), Page(limit=10_000)
            )
            return request_summaries(uow, found)

    def get(self, member_id: int, request_id: int) -> RequestView:
        with self.ctx.uow(read_only=True) as uow:
            load_member(uow, member_id)
            request = uow.requests.get(request_id)
            if request is None or request.member_id != member_id:
                raise NotFound("Request not found.")
            return request_view(uow, request)

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

    def add_files(self, member_id: int, request_id: int, files: Sequence[Upload]) -> RequestView:
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
            return request_view(uow, request)


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
        with self.ctx.uow(read_only=True) as uow:
            load_staff(uow, staff_id)
            found, total = uow.requests.search(query, page)
            return Listing(request_summaries(uow, found, with_member=True), total)

    def get(self, staff_id: int, request_id: int, member_id: int | None = None) -> RequestView:
        with self.ctx.uow(read_only=True) as uow:
            load_staff(uow, staff_id)
            request = uow.requests.get(request_id)
            if request is None or (member_id is not None and request.member_id != member_id):
                raise NotFound(f"There is no request {request_id}.")
            return request_view(uow, request, with_member=True)

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
    ) -> RequestView:
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
            return request_view(uow, request, with_member=True)

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
