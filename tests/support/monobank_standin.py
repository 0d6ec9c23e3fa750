"""A local stand-in for monobank's acquiring API ("plata by mono"), for tests.

It speaks the merchant API as monobank documents it: every call carries the merchant's
``X-Token`` (another token is 403 ``forbidden``); ``POST /api/merchant/invoice/create``
takes the amount in kopecks, ``ccy`` 980 and ``merchantPaymInfo.reference`` and answers
``invoiceId`` and ``pageUrl``; ``GET /api/merchant/invoice/status?invoiceId=`` answers
the invoice; ``POST /api/merchant/invoice/cancel`` refunds a paid one; ``GET
/api/merchant/pubkey`` answers ``{"key": base64 of the PEM public key}``. Webhooks are the
invoice's status as JSON, signed with the stand-in's own EC key (P-256, ECDSA over
SHA-256, DER, base64 in ``X-Sign``); ``rotate()`` makes a new key, as the bank does.

It answers over real HTTP on loopback (``monobank_standin()``), or in the test's own
process through a ``requests`` transport (``session()``), so the real adapter speaks to
it either way; invoice ids are numbered and times come from the clock it is given, so a
story told twice gets the same answers."""

from __future__ import annotations

import base64
import json
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import attrs
import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

TOKEN = "mono-test-token"
# the address the stand-in answers in process (a name that never resolves)
IN_PROCESS = "https://monobank.test"
FINAL = ("success", "failure", "expired", "reversed")


def new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def sign(key: ec.EllipticCurvePrivateKey, body: bytes) -> str:
    """``X-Sign`` for a body, as monobank makes it."""
    return base64.b64encode(key.sign(body, ec.ECDSA(hashes.SHA256()))).decode()


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@attrs.define
class Invoice:
    invoice_id: str
    amount: int  # kopecks
    ccy: int
    reference: str
    destination: str
    redirect_url: str
    webhook_url: str
    created: datetime
    status: str = "created"
    modified: datetime = attrs.field()
    cancels: list[dict[str, Any]] = attrs.field(factory=list)

    @modified.default
    def _made(self) -> datetime:
        return self.created

    def state(self) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "invoiceId": self.invoice_id,
            "status": self.status,
            "amount": self.amount,
            "ccy": self.ccy,
            "createdDate": stamp(self.created),
            "modifiedDate": stamp(self.modified),
            "reference": self.reference,
            "destination": self.destination,
        }
        if self.status in ("success", "reversed"):
            answer["finalAmount"] = 0 if self.status == "reversed" else self.amount
        if self.status == "failure":
            answer["failureReason"] = "Неправильний CVV код"
            answer["errCode"] = "59"
        if self.cancels:
            answer["cancelList"] = self.cancels
        return answer


def _now() -> datetime:
    return datetime.now(UTC)


@attrs.define
class MonobankStandIn:
    url: str = IN_PROCESS
    now: Callable[[], datetime] = _now
    token: str = TOKEN
    key: ec.EllipticCurvePrivateKey = attrs.field(factory=new_key)
    invoices: dict[str, Invoice] = attrs.field(factory=dict)
    calls: list[tuple[str, str, dict[str, Any]]] = attrs.field(factory=list)
    pubkey_asked: int = 0
    # the next answers to invoice/cancel: "success" (default), "processing", "failure"
    cancel_answer: str = "success"
    # answer every call with this (status, errCode, errText) instead, when set
    failing: tuple[int, str, str] | None = None
    # answer the public key with something that is not a key
    garbled_key: bool = False
    lock: threading.Lock = attrs.field(factory=threading.Lock)

    def public_pem(self) -> bytes:
        return self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def session(self) -> requests.Session:
        """A ``requests`` session whose calls to ``url`` this stand-in answers in process."""
        session = requests.Session()
        session.mount(self.url, InProcess(self))
        return session

    def rotate(self) -> None:
        """A new signing key, as the bank rotates its keys."""
        self.key = new_key()

    def by_reference(self, reference: str) -> Invoice:
        return next(i for i in self.invoices.values() if i.reference == reference)

    def make(self, reference: str, amount: int) -> str:
        """An invoice made as if by a merchant call, for a test's own reference."""
        status, answer = self.answer(
            "POST",
            "/api/merchant/invoice/create",
            self.token,
            json.dumps(
                {"amount": amount, "ccy": 980, "merchantPaymInfo": {"reference": reference}}
            ).encode(),
        )
        assert status == 200, answer
        return str(answer["invoiceId"])

    def pay(self, invoice_id: str, status: str = "success", *, after: int = 1) -> None:
        """The payer acts on the page: the invoice takes ``status``, ``after`` seconds
        after its last change (what ``modifiedDate`` says)."""
        invoice = self.invoices[invoice_id]
        invoice.status = status
        invoice.modified = invoice.modified + timedelta(seconds=after)

    def webhook(
        self, invoice_id: str, *, key: ec.EllipticCurvePrivateKey | None = None
    ) -> tuple[bytes, str]:
        """The webhook for the invoice as it stands: the body and its ``X-Sign``."""
        body = json.dumps(self.invoices[invoice_id].state()).encode()
        return body, sign(key or self.key, body)

    # -- the API -------------------------------------------------------------------------
    def answer(self, method: str, path: str, token: str, body: bytes) -> tuple[int, Any]:
        split = urlsplit(path)
        data: dict[str, Any] = {}
        if body:
            try:
                data = json.loads(body)
            except ValueError:
                return 400, {"errCode": "BAD_REQUEST", "errText": "body is not JSON"}
        with self.lock:
            self.calls.append((method, split.path, data))
            if token != self.token:
                return 403, {"errCode": "forbidden", "errText": "forbidden"}
            if self.failing is not None:
                status, code, text = self.failing
                return status, {"errCode": code, "errText": text}
            if (method, split.path) == ("GET", "/api/merchant/pubkey"):
                self.pubkey_asked += 1
                pem = b"not a key" if self.garbled_key else self.public_pem()
                return 200, {"key": base64.b64encode(pem).decode()}
            if (method, split.path) == ("POST", "/api/merchant/invoice/create"):
                return self._create(data)
            if (method, split.path) == ("GET", "/api/merchant/invoice/status"):
                invoice_id = parse_qs(split.query).get("invoiceId", [""])[0]
                invoice = self.invoices.get(invoice_id)
                if invoice is None:
                    return 404, {"errCode": "NOT_FOUND", "errText": "invoice not found"}
                return 200, invoice.state()
            if (method, split.path) == ("POST", "/api/merchant/invoice/cancel"):
                return self._cancel(data)
        return 404, {"errCode": "NOT_FOUND", "errText": "not found"}

    def _create(self, data: dict[str, Any]) -> tuple[int, Any]:
        amount, info = data.get("amount"), data.get("merchantPaymInfo") or {}
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
            return 400, {"errCode": "BAD_REQUEST", "errText": "amount is invalid"}
        if data.get("ccy", 980) != 980:
            return 400, {"errCode": "BAD_REQUEST", "errText": "ccy is invalid"}
        invoice_id = f"p2_{len(self.invoices) + 1:09d}"
        self.invoices[invoice_id] = Invoice(
            invoice_id,
            amount,
            data.get("ccy", 980),
            str(info.get("reference", "")),
            str(info.get("destination", "")),
            str(data.get("redirectUrl", "")),
            str(data.get("webHookUrl", "")),
            self.now().replace(microsecond=0),
        )
        return 200, {"invoiceId": invoice_id, "pageUrl": f"{self.url}/pay/{invoice_id}"}

    def _cancel(self, data: dict[str, Any]) -> tuple[int, Any]:
        invoice = self.invoices.get(str(data.get("invoiceId", "")))
        if invoice is None:
            return 404, {"errCode": "NOT_FOUND", "errText": "invoice not found"}
        if invoice.status != "success":
            return 400, {"errCode": "BAD_REQUEST", "errText": "invoice is not paid"}
        now = invoice.modified + timedelta(seconds=1)
        status = self.cancel_answer
        invoice.cancels.append(
            {
                "status": status,
                "amount": data.get("amount", invoice.amount),
                "ccy": invoice.ccy,
                "createdDate": stamp(now),
                "modifiedDate": stamp(now),
                "extRef": data.get("extRef", ""),
            }
        )
        if status == "success":
            invoice.status = "reversed"
            invoice.modified = now
        return 200, {"status": status, "createdDate": stamp(now), "modifiedDate": stamp(now)}


class InProcess(requests.adapters.BaseAdapter):
    """A transport that hands each request to the stand-in, without a socket."""

    def __init__(self, stand: MonobankStandIn) -> None:
        super().__init__()
        self.stand = stand

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, **_kwargs: Any
    ) -> requests.Response:
        body = request.body or b""
        status, answer = self.stand.answer(
            str(request.method),
            str(request.path_url),
            str(request.headers.get("X-Token", "")),
            body.encode() if isinstance(body, str) else body if isinstance(body, bytes) else b"",
        )
        response = requests.Response()
        response.status_code = status
        response._content = json.dumps(answer).encode()
        response.headers["Content-Type"] = "application/json"
        response.headers["X-Request-Id"] = "standin"
        response.url = str(request.url)
        response.request = request
        return response

    def close(self) -> None:
        return


@contextmanager
def monobank_standin() -> Iterator[MonobankStandIn]:
    """The stand-in on a free loopback port, for as long as the block runs."""
    stand = MonobankStandIn()

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            status, answer = stand.answer(
                self.command, self.path, self.headers.get("X-Token", ""), body
            )
            payload = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("X-Request-Id", secrets.token_hex(8))
            self.end_headers()
            with suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(payload)

        do_GET = do_POST = _handle  # noqa: N815 - http.server's naming

        def log_message(self, *_args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    stand.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield stand
    finally:
        server.shutdown()
        server.server_close()
