"""A local stand-in for Firebase Cloud Messaging, for tests: Google's OAuth 2 token
endpoint for a service account (a JWT assertion signed with the account's key, checked
here against the key pair the stand-in made), and the HTTP v1 send endpoint, which takes
only tokens it issued and answers as FCM does, or as a test tells it to for a device
token (``UNREGISTERED``, 429 with ``Retry-After``, 500, 401)."""

from __future__ import annotations

import json
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import attrs
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

PROJECT = "kasa-test"
SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
GOOGLE_TOKEN_ENDPOINT = "https://oauth2.googleapis.com/token"
ANSWERS = {
    "UNREGISTERED": (
        404,
        {
            "error": {
                "code": 404,
                "status": "NOT_FOUND",
                "details": [
                    {
                        "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                        "errorCode": "UNREGISTERED",
                    }
                ],
            }
        },
    ),
    "429": (429, {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED"}}),
    "500": (500, {"error": {"code": 500, "status": "INTERNAL"}}),
    "401": (401, {"error": {"code": 401, "status": "UNAUTHENTICATED"}}),
}


@attrs.define
class FcmStandIn:
    url: str
    credentials: Path
    public_key: Any
    # device token → what to answer (a key of ANSWERS)
    answers: dict[str, str] = attrs.field(factory=dict)
    issued: list[str] = attrs.field(factory=list)  # access tokens handed out
    received: list[dict[str, Any]] = attrs.field(factory=list)  # messages taken
    refused: list[str] = attrs.field(factory=list)  # what was refused, and why
    lock: threading.Lock = attrs.field(factory=threading.Lock)
    delay: float = 0.0  # seconds each send takes (a slow FCM)

    def to(self, device: str) -> list[dict[str, Any]]:
        with self.lock:
            return [m for m in self.received if m["token"] == device]


def _handler(stand: FcmStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # connections kept open, as FCM keeps them

        def setup(self) -> None:
            super().setup()
            # headers and body go as they are written (no wait for a delayed ACK)
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, *args: Any) -> None:
            return

        def _answer(
            self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
        ) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            if self.path == "/token":
                self._token(raw)
            elif self.path == f"/v1/projects/{PROJECT}/messages:send":
                self._send(raw)
            else:
                self._answer(404, {"error": {"code": 404, "status": "NOT_FOUND"}})

        def _token(self, raw: bytes) -> None:
            form = parse_qs(raw.decode())
            assertion = form.get("assertion", [""])[0]
            try:
                claims = jwt.decode(
                    assertion,
                    stand.public_key,
                    algorithms=["RS256"],
                    # Google's token endpoint is the assertion's audience whichever
                    # token_uri the account names (as google-auth writes it)
                    audience=GOOGLE_TOKEN_ENDPOINT,
                )
            except jwt.PyJWTError as error:
                stand.refused.append(f"assertion: {error}")
                self._answer(400, {"error": "invalid_grant"})
                return
            if SCOPE not in str(claims.get("scope", "")).split():
                stand.refused.append("scope")
                self._answer(400, {"error": "invalid_scope"})
                return
            token = secrets.token_urlsafe(24)
            with stand.lock:
                stand.issued.append(token)
            self._answer(200, {"access_token": token, "expires_in": 3600, "token_type": "Bearer"})

        def _send(self, raw: bytes) -> None:
            if stand.delay:
                time.sleep(stand.delay)
            bearer = self.headers.get("Authorization", "").removeprefix("Bearer ")
            if bearer not in stand.issued:
                stand.refused.append("bearer")
                self._answer(*ANSWERS["401"])
                return
            message = json.loads(raw)["message"]
            answer = stand.answers.get(message["token"])
            if answer == "429":
                self._answer(*ANSWERS["429"], {"Retry-After": "30"})
                return
            if answer is not None:
                self._answer(*ANSWERS[answer])
                return
            with stand.lock:
                stand.received.append(message)
            name = f"projects/{PROJECT}/messages/{len(stand.received)}"
            self._answer(200, {"name": name})

    return Handler


@contextmanager
def fcm_standin(folder: Path) -> Iterator[FcmStandIn]:
    """A running stand-in on a free loopback port, and its service account file."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    url = f"http://127.0.0.1:{server.server_address[1]}"
    credentials = folder / "service-account.json"
    credentials.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": PROJECT,
                "private_key_id": "k1",
                "private_key": pem,
                "client_email": f"kasa@{PROJECT}.iam.gserviceaccount.com",
                "client_id": "1",
                "token_uri": f"{url}/token",
            }
        )
    )
    stand = FcmStandIn(url, credentials, key.public_key())
    server.RequestHandlerClass = _handler(stand)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield stand
    finally:
        server.shutdown()
        server.server_close()
