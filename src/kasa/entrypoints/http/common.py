"""What both apps share: who the client is, reading uploads, sending stored files, and
the health check."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, BinaryIO, TypeVar
from urllib.parse import quote

import sqlalchemy as sa
from litestar import Request, Response
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.response import Stream

from kasa.adapters.sql.replica import Replica
from kasa.application.ports import FileStore
from kasa.application.retrying import Aborted
from kasa.application.uploads import Upload
from kasa.application.views import FileContent
from kasa.entrypoints.http.routes import Area
from kasa.entrypoints.http.schemas import Health, Ready
from kasa.entrypoints.http.threads import run

T = TypeVar("T")
DOWNLOAD_CHUNK = 256 * 1024


def client_address(request: Request[Any, Any, Any]) -> str:
    """Who is calling, for throttling and the audit trail: the TCP peer, or behind a
    trusted proxy the address it forwarded (``middleware.forwarded_clients``)."""
    return request.client.host if request.client else ""


def read_upload(field: str, upload: UploadFile) -> Upload:
    """An uploaded file for the use cases: its bytes stay in the (spooled) temporary
    file the form was read into."""
    upload.file.seek(0, 2)
    size = upload.file.tell()
    upload.file.seek(0)
    return Upload(field, upload.filename, upload.file, size)  # type: ignore[arg-type]


async def all_uploads(request: Request[Any, Any, Any]) -> list[Upload]:
    """Every file of a multipart form, whatever its field name."""
    form = await request.form()
    return [
        read_upload(name, value)
        for name, value in form.multi_items()
        if isinstance(value, UploadFile)
    ]


OPERATIONS = Area("operations", "anyone (a load balancer, a monitor); no token is needed")


@OPERATIONS.get(
    "/health",
    meaning={
        503: "The database cannot be reached: take this process out of service until it"
        " answers 200 again."
    },
    shapes={503: Health},
)
async def health(uow: NamedDependency[Any]) -> Response[Health]:
    """Liveness and database readiness, for a load balancer: 200 when the database
    answers, 503 when it does not."""
    ready = await run(database_ready, uow)
    body = Health("ok" if ready else "unavailable", "ok" if ready else "unreachable")
    return Response(body, status_code=200 if ready else 503)


@OPERATIONS.get(
    "/health/ready",
    meaning={
        503: "Something this process needs is not ready (the database, its schema, the "
        "file store): `problems` says what; keep it out of service until it answers 200."
    },
    shapes={503: Ready},
)
async def ready(
    uow: NamedDependency[Any],
    file_store: NamedDependency[Any],
    schema_head: NamedDependency[str],
    replica: NamedDependency[Any],
) -> Response[Ready]:
    """Readiness, for a load balancer or an orchestrator: the database answers, its
    schema is at this release's newest migration, and the file store works; 503 with
    what is wrong otherwise. With a read replica, how far it trails: further behind than
    allowed (or stopped), its reads go to the database and the process stays ready."""
    return await run(readiness, uow, file_store, schema_head, replica)


def readiness(
    uow_factory: Callable[[], Any], files: FileStore, head: str, replica: Replica | None = None
) -> Response[Ready]:
    problems = []
    revision = schema_revision(uow_factory)
    database = "ok" if revision is not None else "unreachable"
    if revision is None:
        problems.append("the database does not answer")
        schema = "unknown"
    elif revision != head:
        schema = "behind"
        problems.append(f"the schema is at {revision or 'nothing'}, not {head}: kasa db upgrade")
    else:
        schema = "ok"
    trouble = files.problem()
    if trouble:
        problems.append(f"the file store: {trouble}")
    lag = replica.lag() if replica is not None else None
    following = "none"
    if replica is not None:
        following = "ok" if replica.keeping_up() else "behind" if lag is not None else "stopped"
    body = Ready(
        "unavailable" if problems else "ok",
        database,  # type: ignore[arg-type]
        schema,  # type: ignore[arg-type]
        "unavailable" if trouble else "ok",
        problems,
        following,  # type: ignore[arg-type]
        lag,
        replica.problem if replica is not None else "",
    )
    return Response(body, status_code=503 if problems else 200)


def schema_revision(uow_factory: Callable[[], Any]) -> str | None:
    """The schema revision the database is at ("" when it has none), or None when the
    database does not answer."""
    if not database_ready(uow_factory):
        return None
    try:
        with uow_factory() as uow:
            session = getattr(uow, "session", None)
            if session is None:  # a store with no schema of its own (tests' fakes)
                return ""
            found = session.execute(sa.text("SELECT version_num FROM alembic_version"))
            return str(found.scalar() or "")
    except Exception:  # no version table: the schema was never made
        return ""


@OPERATIONS.get("/health/live", sync_to_thread=False, database=False)
def live() -> dict[str, str]:
    """Liveness only: the process answers (no database involved), for a supervisor that
    restarts a process that no longer answers."""
    return {"status": "ok"}


class FileStream(Stream):
    """A streamed file whose own content type wins over the route's (Litestar's
    ``Stream`` lets the route's media type win)."""

    def to_asgi_response(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["media_type"] = self.media_type
        return super().to_asgi_response(*args, **kwargs)


CSV_PIECE = 256 * 1024  # characters of CSV sent at a time


def csv_stream(lines: Iterator[str], filename: str) -> Stream:
    """CSV text (an export's pieces of whole lines) as a download, sent in pieces of
    about ``CSV_PIECE`` characters: each is one step of the iterator in a worker thread
    and one write, where a line at a time made a thread hop and a write for each of a
    million lines."""

    def pieces() -> Iterator[str]:
        gathered: list[str] = []
        size = 0
        for line in lines:
            gathered.append(line)
            size += len(line)
            if size >= CSV_PIECE:
                yield "".join(gathered)
                gathered, size = [], 0
        if gathered:
            yield "".join(gathered)

    return Stream(
        pieces(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def file_response(found: FileContent) -> Stream:
    """A stored file with its content type (never HTML: only JPEG, PNG, PDF and plain text
    are ever stored), shown inline under its own name; browsers must not guess another.
    Sent in chunks from the file store, never read whole."""
    name = quote(found.file.original_name)
    return FileStream(
        _chunks(found.content),
        media_type=found.file.content_type.value,
        headers={
            "Content-Length": str(found.file.size),
            "Cache-Control": "private, max-age=0",
            "X-Content-Type-Options": "nosniff",
            "Content-Disposition": f"inline; filename*=UTF-8''{name}",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


def _chunks(source: BinaryIO) -> Iterator[bytes]:
    with source:
        while chunk := source.read(DOWNLOAD_CHUNK):
            yield chunk


def database_ready(uow_factory: Callable[[], Any]) -> bool:
    """The database answers; a pooled connection found gone (``Aborted``: the server
    restarted since) is replaced and asked again once."""
    for _ in range(2):
        try:
            with uow_factory() as uow:
                session = getattr(uow, "session", None)
                if session is not None:
                    session.execute(sa.text("SELECT 1"))
            return True
        except Aborted:
            continue  # the pool's stale connections are replaced now: ask once more
        except Exception:
            return False
    return False
