"""A member's requests for aid: filing them with receipts, reading them, writing to the
fund about them and adding files."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request
from litestar.di import NamedDependency
from litestar.params import JSONBody, MultipartBody, PathParameter

from kasa.application.requests import MemberRequests
from kasa.domain.requests import RequestStatus
from kasa.entrypoints.http.common import all_uploads
from kasa.entrypoints.http.fields import MAX_ID
from kasa.entrypoints.http.mobile import schemas as s
from kasa.entrypoints.http.mobile.present import Shapes
from kasa.entrypoints.http.routes import (
    CLOSED_TO_MESSAGES,
    EMPTY_MESSAGE,
    FILE_CONTENT,
    MEMBER,
    Area,
)
from kasa.entrypoints.http.threads import read, run

REQUESTS = Area("requests", MEMBER, signed_in=True, answers=(400,))
RequestId = Annotated[int, PathParameter(ge=1, le=MAX_ID)]


@REQUESTS.post("/user/request/list")
async def request_list(
    member_id: NamedDependency[int],
    member_requests: NamedDependency[MemberRequests],
    shapes: NamedDependency[Shapes],
    data: JSONBody[s.StatusFilter | None] = None,
) -> list[s.RequestSummary]:
    """The member's requests, optionally by status."""
    statuses = frozenset(data.status or ()) if data else frozenset[RequestStatus]()
    return [shapes.summary(v) for v in await read(member_requests.list, member_id, statuses)]


@REQUESTS.get(
    "/user/request/{request_id:int}", 404, meaning={404: "The member has no request with this id."}
)
async def request_get(
    request_id: RequestId,
    member_id: NamedDependency[int],
    member_requests: NamedDependency[MemberRequests],
    shapes: NamedDependency[Shapes],
) -> s.RequestDetail:
    """One of the member's requests with files, messages and payouts."""
    return shapes.detail(await read(member_requests.get, member_id, request_id))


@REQUESTS.post(
    "/user/request/{request_id:int}/message",
    404,
    409,
    429,
    meaning={
        400: EMPTY_MESSAGE,
        404: "The member has no request with this id.",
        409: CLOSED_TO_MESSAGES,
        429: "The member has posted as many messages on this request today as a day takes "
        "(`KASA_REQUEST_MESSAGES_DAILY`): wait the seconds `Retry-After` gives.",
    },
)
async def request_message(
    request_id: RequestId,
    data: JSONBody[s.MessageIn],
    member_id: NamedDependency[int],
    member_requests: NamedDependency[MemberRequests],
) -> s.StatusMessage:
    """Write to the fund about a request (not once it is closed)."""
    await run(member_requests.write, member_id, request_id, data.message)
    return s.StatusMessage("success", "Message sent")


@REQUESTS.post(
    "/user/request/create",
    409,
    413,
    422,
    502,
    opt={"files": "many"},
    meaning={
        400: f"Invalid input, named in `errors`: each file must be {FILE_CONTENT}.",
        409: "The member already has as many open requests as one may have "
        "(`KASA_OPEN_REQUESTS_MAX`): add to one of them, or wait until one is closed.",
        422: "Only approved members can file a request: the profile is not approved yet.",
    },
)
async def request_create(
    request: Request[Any, Any, Any],
    member_id: NamedDependency[int],
    member_requests: NamedDependency[MemberRequests],
    shapes: NamedDependency[Shapes],
    data: MultipartBody[s.RequestForm] = s.NO_REQUEST_FORM,
) -> s.RequestDetail:
    """File a request for aid with any number of receipt files. The form may be left
    out or empty: files can follow with ``/user/request/update`` and words with the
    request's messages."""
    files = await all_uploads(request)
    return shapes.detail(await run(member_requests.create, member_id, data.comment, files))


@REQUESTS.post(
    "/user/request/update",
    404,
    409,
    413,
    502,
    opt={"files": "many"},
    meaning={
        400: f"No file was given, or a file is not {FILE_CONTENT}.",
        404: "The member has no request with this id.",
        409: "The request is closed and takes no files.",
    },
)
async def request_update(
    data: MultipartBody[s.RequestFilesForm],
    request: Request[Any, Any, Any],
    member_id: NamedDependency[int],
    member_requests: NamedDependency[MemberRequests],
    shapes: NamedDependency[Shapes],
) -> s.RequestDetail:
    """Add files to a request (not once it is closed)."""
    files = await all_uploads(request)
    return shapes.detail(await run(member_requests.add_files, member_id, data.id, files))
