"""Fakes of the outside world for tests, recording what happened: ``FakeSms.sent``,
``FakeGateway.checkouts``, ``InMemoryFileStore.blobs``, issued tokens, and so on; one
fake clock shared by all of them (``fakes()``)."""

from __future__ import annotations

import hashlib
import hmac
import io
import random
import uuid
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, BinaryIO

import attrs

from kasa.adapters import diia_plain, liqpay_codec
from kasa.application.ports import (
    Checkout,
    GatewayMessage,
    GatewayNotice,
    GatewayOrder,
    PushMessage,
    PushOutcome,
    PushResult,
    RefundAnswer,
    SharedIdentity,
    StoredBlob,
    StoredEntry,
    TokenAudience,
)
from kasa.domain.errors import DeliveryFailed, NotFound
from kasa.domain.money import Money
from kasa.domain.values import Phone
from tests.support.monobank_standin import MonobankStandIn


class FakeClock:
    def __init__(self, start: datetime | None = None) -> None:
        self.moment = start or datetime(2026, 1, 15, 10, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> datetime:
        self.moment += timedelta(**delta)
        return self.moment


class FakeRandom:
    """Predictable randomness: a seeded generator, so tests can replay a run."""

    def __init__(self, seed: int = 7) -> None:
        self.random = random.Random(seed)
        self.orders = 0

    def sign_in_code(self) -> str:
        return f"{self.random.randrange(1_000_000):06d}"

    def order_id(self) -> str:
        self.orders += 1
        return f"order-{self.orders:06d}"

    def request_id(self) -> str:
        return str(uuid.UUID(int=self.random.getrandbits(128), version=4))

    def password(self) -> str:
        return "pw-" + "".join(
            self.random.choice("abcdefghjkmnpqrstuvwxyz23456789") for _ in range(16)
        )

    def secret(self) -> str:
        return f"{self.random.getrandbits(256):064x}"


@attrs.frozen
class Sms:
    to: str
    body: str
    sent_at: datetime


class FakeSms:
    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.sent: list[Sms] = []
        self.failing = False

    def send(self, to: Phone, body: str) -> None:
        if self.failing:
            raise DeliveryFailed("SMS", "The SMS service is not answering.")
        self.sent.append(Sms(to.e164, body, self.clock.now()))

    def last_code(self, phone: str) -> str:
        for sms in reversed(self.sent):
            if sms.to == phone:
                return sms.body.rsplit(" ", 1)[-1]
        raise AssertionError(f"no SMS to {phone}")


def liqpay_message(data: str, signature: str) -> GatewayMessage:
    """A LiqPay callback as it reaches the fund: the form's two fields."""
    return GatewayMessage(form={"data": data, "signature": signature})


class FakeGateway:
    """Speaks the LiqPay wire format with a test key; answers status queries from
    ``statuses`` (set by the test)."""

    name = "liqpay"
    title = "LiqPay"
    subscriptions = True

    def __init__(self, private_key: str = "sandbox-private", sandbox: bool = True) -> None:
        self.private_key = private_key
        self.sandbox = sandbox
        self.checkouts: list[dict[str, Any]] = []
        self.statuses: dict[str, dict[str, Any]] = {}
        self.unreachable = False
        self.refunds: list[tuple[str, Money]] = []
        self.refund_answer = RefundAnswer(True, "reversed")

    def _checkout(self, params: dict[str, Any]) -> Checkout:
        self.checkouts.append(params)
        data = liqpay_codec.encode(params)
        return Checkout(
            params["order_id"],
            "https://gateway.test/api/3/checkout",
            {"data": data, "signature": liqpay_codec.sign(self.private_key, data)},
        )

    def checkout(self, order_id: str, amount: Money, description: str) -> Checkout:
        return self._checkout(
            {
                "action": "pay",
                "version": 3,
                "order_id": order_id,
                "amount": str(amount),
                "currency": "UAH",
                "description": description,
            }
        )

    def subscribe(
        self, order_id: str, amount: Money, description: str, start: datetime
    ) -> Checkout:
        return self._checkout(
            {
                "action": "subscribe",
                "version": 3,
                "order_id": order_id,
                "amount": str(amount),
                "currency": "UAH",
                "description": description,
                "subscribe_periodicity": "month",
                "subscribe_date_start": start.strftime("%Y-%m-%d %H:%M:%S"),
            }
        )

    def verify(self, message: GatewayMessage) -> GatewayNotice:
        data, signature = message.form.get("data", ""), message.form.get("signature", "")
        liqpay_codec.verify(self.private_key, data, signature)
        return liqpay_codec.notice_from(liqpay_codec.decode(data), sandbox=self.sandbox)

    def status(self, order: GatewayOrder) -> GatewayNotice:
        if self.unreachable:
            raise DeliveryFailed("LiqPay", "The gateway is not answering.")
        params = self.statuses.get(order.order_id)
        if params is None:  # as LiqPay answers for a checkout nobody paid
            return liqpay_codec.unpaid(order.order_id)
        return liqpay_codec.notice_from(
            {"order_id": order.order_id, **params}, sandbox=self.sandbox
        )

    def refund(self, order: GatewayOrder, amount: Money) -> RefundAnswer:
        """Refunds are recorded; ``refund_answer`` says what the gateway answers."""
        if self.unreachable:
            raise DeliveryFailed("LiqPay", "The gateway is not answering.")
        self.refunds.append((order.order_id, amount))
        return self.refund_answer

    def callback(
        self, order_id: str, amount: object, status: str = "success", **extra: Any
    ) -> tuple[str, str]:
        """A signed callback as the gateway would send it (for tests)."""
        data = liqpay_codec.encode(
            {"order_id": order_id, "amount": str(amount), "status": status, **extra}
        )
        return data, liqpay_codec.sign(self.private_key, data)

    def message(
        self, order_id: str, amount: object, status: str = "success", **extra: Any
    ) -> GatewayMessage:
        """The same callback as it reaches the fund."""
        return liqpay_message(*self.callback(order_id, amount, status, **extra))


class FakeIdentityProvider:
    """Diia with the ``plain`` decoder: metadata is base64 JSON, files are clear."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.unreachable = False

    def start_sharing(self, request_id: str) -> str:
        if self.unreachable:
            raise DeliveryFailed("Diia", "Diia is not answering.")
        self.started.append(request_id)
        return f"https://diia.test/deeplink/{request_id}"

    def decode_callback(
        self, encode_data: str, files: Mapping[str, bytes], trace_id: str | None
    ) -> SharedIdentity:
        return diia_plain.decode_plain(encode_data, files)


class FakePush:
    """Pushes recorded (``sent``); ``answers`` gives a token what to answer instead of
    being sent (a ``PushResult``), every time until removed."""

    def __init__(self) -> None:
        self.sent: list[PushMessage] = []
        self.answers: dict[str, PushResult] = {}

    def send(self, message: PushMessage) -> PushResult:
        answer = self.answers.get(message.token)
        if answer is not None:
            return answer
        self.sent.append(message)
        return PushResult(PushOutcome.SENT)

    def to(self, token: str) -> list[str]:
        return [m.text for m in self.sent if m.token == token]


class InMemoryFileStore:
    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}
        self.written: dict[str, datetime] = {}
        # writes a crash cut short (tests put them here): name → (bytes, when)
        self.partials: dict[str, tuple[bytes, datetime]] = {}
        self.broken: str | None = None  # why the store is out, when a test says so
        self.fail_after: int | None = None  # fail the n-th save from now (tests)

    def save(
        self, chunks: Iterable[bytes], suffix: str = "", owner: int | None = None
    ) -> StoredBlob:
        content = b"".join(chunks)
        if self.fail_after is not None:
            if self.fail_after == 0:
                self.fail_after = None
                raise OSError("disk full")
            self.fail_after -= 1
        name = ("shared" if owner is None else f"m{owner}") + "-" + uuid.uuid4().hex + suffix
        self.blobs[name] = bytes(content)
        self.written[name] = datetime.now(UTC)
        return StoredBlob(name, len(content), hashlib.sha256(content).hexdigest())

    def put(self, name: str, chunks: Iterable[bytes]) -> StoredBlob:
        content = b"".join(chunks)
        self.blobs[name] = content
        self.written[name] = datetime.now(UTC)
        return StoredBlob(name, len(content), hashlib.sha256(content).hexdigest())

    def open(self, name: str) -> BinaryIO:
        try:
            return io.BytesIO(self.blobs[name])
        except KeyError:
            raise NotFound("File not found.") from None

    def delete(self, name: str) -> None:
        self.blobs.pop(name, None)
        self.written.pop(name, None)

    def inventory(self) -> Iterator[StoredEntry]:
        for name, content in sorted(self.blobs.items()):
            yield StoredEntry(name, len(content), self.written.get(name, datetime.now(UTC)))
        for name, (content, at) in sorted(self.partials.items()):
            yield StoredEntry(name, len(content), at, partial=True)

    def problem(self) -> str | None:
        return self.broken

    def discard(self, entry: StoredEntry) -> None:
        if entry.partial:
            self.partials.pop(entry.name, None)
        else:
            self.delete(entry.name)


class FakePasswordHasher:
    """Salted SHA-256: fast for tests; production uses Argon2id."""

    def hash(self, password: str) -> str:
        salt = uuid.uuid4().hex[:8]
        return f"fake${salt}${hashlib.sha256((salt + password).encode()).hexdigest()}"

    def verify(self, password_hash: str, password: str) -> bool:
        _, salt, digest = password_hash.split("$")
        expected = hashlib.sha256((salt + password).encode()).hexdigest()
        return hmac.compare_digest(expected, digest)

    def needs_rehash(self, password_hash: str) -> bool:
        return False


class FakeCodeHasher:
    def __init__(self, key: bytes = b"test-key") -> None:
        self.key = key

    def hash(self, code: str) -> str:
        return hmac.new(self.key, code.encode(), hashlib.sha256).hexdigest()

    def matches(self, code: str, code_hash: str) -> bool:
        return hmac.compare_digest(self.hash(code), code_hash)


class FakeTokens:
    def __init__(self) -> None:
        self.issued: list[tuple[TokenAudience, int]] = []

    def issue(self, audience: TokenAudience, subject: int, version: int = 0) -> str:
        self.issued.append((audience, subject))
        return f"{audience}:{subject}:{version}:{len(self.issued)}"


@attrs.define
class Fakes:
    """Every fake of one fund, for tests to look into."""

    clock: FakeClock
    random: FakeRandom
    sms: FakeSms
    gateway: FakeGateway
    identity: FakeIdentityProvider
    files: InMemoryFileStore
    passwords: FakePasswordHasher
    code_hasher: FakeCodeHasher
    tokens: FakeTokens
    push: FakePush
    monobank: MonobankStandIn


def fakes(seed: int = 7) -> Fakes:
    """Every fake of one fund, sharing one fake clock."""
    clock = FakeClock()
    return Fakes(
        clock=clock,
        random=FakeRandom(seed),
        sms=FakeSms(clock),
        gateway=FakeGateway(),
        monobank=MonobankStandIn(now=clock.now),
        identity=FakeIdentityProvider(),
        files=InMemoryFileStore(),
        passwords=FakePasswordHasher(),
        code_hasher=FakeCodeHasher(),
        tokens=FakeTokens(),
        push=FakePush(),
    )
