"""Requests in the back office: the list, one request, staff's messages, and the edited
request the admin site sends whole (``PUT /request``): an assessment (``diagnos``,
``suma``, ``request_text``) and the status it should have, read as one step — move,
close with a resolution, or reopen."""

from __future__ import annotations

from litestar.di import NamedDependency
from litestar.params import JSONBody

from kasa.application.books import Books
from kasa.application.reads import Page
from kasa.application.requests import Assessment, Close, MoveTo, StaffRequests, Step
from kasa.application.views import NotificationQuery
from kasa.domain.errors import InvalidInput
from kasa.domain.requests import RequestStatus, Resolution
from kasa.entrypoints.http.admin import cards as c
from kasa.entrypoints.http.admin import inputs as i
from kasa.entrypoints.http.admin import present as p
from kasa.entrypoints.http.admin.queries import page, request_query
from kasa.entrypoints.http.errors import FIELD_NAMES
from kasa.entrypoints.http.routes import ANY_STAFF, CLOSED_TO_MESSAGES, EMPTY_MESSAGE, Area
from kasa.entrypoints.http.threads import read, run
from kasa.entrypoints.parsing import amount_or_none, parse_enum

REQUESTS = Area("requests", ANY_STAFF, signed_in=True, answers=(400,))
# what the use cases call the fields the admin site names otherwise
SITE_NAMES = {"approved_amount": "suma", "diagnosis": "diagnos"}


@REQUESTS.post("/requests")
async def requests_list(
    data: JSONBody[i.RequestFilter],
    staff_id: NamedDependency[int],
    staff_requests: NamedDependency[StaffRequests],
) -> c.RequestPage:
    """Requests with member name and certificate, newest first, with the total. Without
    `status`, only `opened` requests are listed."""
    listing = await read(
        staff_requests.list, staff_id, request_query(data), page(data.limit, data.offset)
    )
    return c.RequestPage(data=[p.request_listed(v) for v in listing.items], total=listing.total)


@REQUESTS.put(
    "/request",
    404,
    409,
    422,
    opt={FIELD_NAMES: SITE_NAMES},
    meaning={
        400: "Invalid input, named in `errors` by the site's fields: `suma` more than zero "
        "with at most two decimals; `resolution` only when closing, and closing needs one; "
        "`reason` when rejecting.",
        404: "There is no request with this id.",
        409: "The status machine does not allow this move, or the request is closed: send "
        "`status: opened` to reopen it before changing it. Nothing was saved.",
        422: "`suma` is less than what is already paid, or closing as `paid` before the "
        "payouts reach the approved amount.",
    },
)
async def request_update(
    data: JSONBody[i.RequestChanges],
    staff_id: NamedDependency[int],
    staff_requests: NamedDependency[StaffRequests],
) -> c.RequestSaved:
    """Assess a request and move it through its status machine."""
    assessment = Assessment(
        diagnosis=data.diagnos,
        approved_amount=amount_or_none(data.suma, "suma"),
        request_text=data.request_text,
    )
    view = await run(
        staff_requests.apply, staff_id, data.id, assessment=assessment, step=step(data)
    )
    return c.RequestSaved(status="success", data=p.request_full(view))


def step(form: i.RequestChanges) -> Step | None:
    """The status the form asks for: closing takes a resolution, nothing else does;
    ``opened`` for a closed request reopens it."""
    status = form.status
    resolution = parse_enum(Resolution, form.resolution or None, "resolution")
    if resolution is not None and status not in (None, RequestStatus.CLOSED):
        raise InvalidInput.field("resolution", "is given only when closing the request")
    if status is RequestStatus.CLOSED:
        if resolution is None:
            raise InvalidInput.field("resolution", "closing needs paid, rejected or withdrawn")
        return Close(resolution, form.reason)
    if resolution is not None:
        return Close(resolution, form.reason)
    return None if status is None else MoveTo(status)


@REQUESTS.post(
    "/request/message",
    404,
    409,
    meaning={
        400: EMPTY_MESSAGE,
        404: "There is no request with this id.",
        409: CLOSED_TO_MESSAGES,
    },
)
async def request_message(
    data: JSONBody[i.StaffMessage],
    staff_id: NamedDependency[int],
    staff_requests: NamedDependency[StaffRequests],
) -> c.Done:
    """Write to the member; the request then waits for them."""
    await run(staff_requests.write, staff_id, data.request_id, data.message)
    return c.Done(status="success", message="Message sent")


@REQUESTS.post(
    "/request",
    404,
    meaning={404: "There is no such request (of this member, when `member` is given)."},
)
async def request_read(
    data: JSONBody[i.RequestRead],
    staff_id: NamedDependency[int],
    staff_requests: NamedDependency[StaffRequests],
    books: NamedDependency[Books],
) -> c.RequestOpened:
    """A request with files, messages, payouts, the payout types and what the member was
    told about it."""
    view = await read(staff_requests.get, staff_id, data.request, data.member)
    told = await read(
        books.notifications, staff_id, NotificationQuery(request_id=data.request), Page(50, 0)
    )
    return c.RequestOpened(data=p.request_with_payout_types(view, told.items))
