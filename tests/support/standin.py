"""Small stand-in servers of outside HTTP APIs on 127.0.0.1, for adapter tests: each
records what it received and answers from a route table the test sets."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import attrs


@attrs.define
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}

    def json(self) -> Any:
        return json.loads(self.body)


@attrs.define
class Answer:
    status: int = 200
    body: Any = attrs.field(factory=dict)
    raw: bytes | None = None
    delay: float = 0.0


Route = Callable[[Received], Answer]


@attrs.define
class StandIn:
    url: str
    routes: dict[tuple[str, str], Route]
    received: list[Received] = attrs.field(factory=list)


@contextmanager
def standin(routes: dict[tuple[str, str], Route]) -> Iterator[StandIn]:
    """Serve ``routes`` ({(method, path): handler}) on a free loopback port."""
    state = StandIn("", routes)
    stop = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            got = Received(
                self.command,
                self.path,
                {k.lower(): v for k, v in self.headers.items()},
                self.rfile.read(length) if length else b"",
            )
            state.received.append(got)
            route = state.routes.get((self.command, self.path))
            answer = route(got) if route else Answer(404, {"error": "no such route"})
            if answer.delay:
                stop.wait(answer.delay)
            payload = answer.raw if answer.raw is not None else json.dumps(answer.body).encode()
            self.send_response(answer.status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            with suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(payload)

        do_GET = do_POST = _handle  # noqa: N815 - http.server's naming

        def log_message(self, *_args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        stop.set()
        server.shutdown()
        server.server_close()
