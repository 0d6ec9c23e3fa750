"""Ports to the world outside the fund's rules: SMS, the payment gateways, Diia, the file
store, the clock, randomness, password and code hashing, and access tokens.

Each is a Protocol; adapters implement them for real systems and as in-memory fakes.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime
from typing import BinaryIO, Protocol

import attrs

from kasa.domain.errors import NotConfigured
from kasa.domain.money import Money
from kasa.domain.payments import GatewayOutcome
from kasa.domain.values import Phone


class Clock(Protocol):
    def now(self) -> datetime:
        """The current moment, timezone-aware UTC."""
        ...


class RandomSource(Protocol):
    """Everything random the use cases make: sign-in codes, order and request ids,
    passwords, session secrets."""

    def sign_in_code(self) -> str:
        """Six random digits from a cryptographic source."""
        ...

    def order_id(self) -> str:
        """A new unique order id for the gateway."""
        ...

    def request_id(self) -> str:
        """A new UUID for a Diia sharing request."""
        ...

    def password(self) -> str:
        """A strong random password for a new staff account."""
        ...

    def secret(self) -> str:
        """256 random bits as URL-safe text (a session's cookie, a form's token)."""
        ...


class SmsSender(Protocol):
    def send(self, to: Phone, body: str) -> None:
        """Send a text message; raises ``DeliveryFailed`` when it could not be sent."""
        ...


@attrs.frozen
class PushMessage:
    """One push to one device: the text, what it is about (so the app opens the right
    screen), and the key under which later pushes replace it on the phone."""

    token: str
    text: str
    event: str
    notification_id: int
    request_id: int | None = None
    payment_id: int | None = None
    collapse_key: str = ""


class PushOutcome(enum.Enum):
    SENT = "sent"
    TOKEN_GONE = "token_gone"  # the device no longer takes pushes: forget it
    BUSY = "busy"  # too many now: try again after ``retry_after``
    FAILED = "failed"  # the service failed or could not be reached: try again later
    CREDENTIALS = "credentials"  # the fund's own credentials were refused: pause push


@attrs.frozen
class PushResult:
    outcome: PushOutcome
    retry_after: int | None = None  # seconds, when the service said
    detail: str = ""  # for the log and the notification's reason


class PushSender(Protocol):
    def send(self, message: PushMessage) -> PushResult:
        """Send one push; what came of it (never raises for the service's answers)."""
        ...


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool: ...

    def needs_rehash(self, password_hash: str) -> bool: ...


class CodeHasher(Protocol):
    """Hashes one-time codes (keyed), so a stolen table does not give codes away."""

    def hash(self, code: str) -> str: ...

    def matches(self, code: str, code_hash: str) -> bool: ...


class TokenAudience(enum.StrEnum):
    MEMBER = "kasa-mobile"
    STAFF = "kasa-admin"


class TokenIssuer(Protocol):
    def issue(self, audience: TokenAudience, subject: int, version: int = 0) -> str:
        """A signed access token for the given audience and subject id, carrying the
        subject's token version (staff: see ``StaffUser.token_version``)."""
        ...


# -- the payment gateway ------------------------------------------------------------


@attrs.frozen
class Checkout:
    """What the app needs to open the gateway's payment page: the page, the fields to post
    to it (LiqPay's signed ``data`` and ``signature``; none for a page the gateway made),
    and the gateway's own id for the checkout (monobank's invoice id), if it gives one."""

    order_id: str
    page_url: str
    form: Mapping[str, str] = attrs.field(factory=dict)
    reference: str = ""


@attrs.frozen
class GatewayMessage:
    """A notification as it reached the fund: the raw body, its form fields (if it is a
    form) and its headers (names in lower case). The gateway's adapter verifies it."""

    body: bytes = b""
    form: Mapping[str, str] = attrs.field(factory=dict)
    headers: Mapping[str, str] = attrs.field(factory=dict)


@attrs.frozen
class GatewayOrder:
    """A payment as its gateway knows it: the fund's order id, and the gateway's own id
    for it once known."""

    order_id: str
    gateway: str
    reference: str = ""


@attrs.frozen
class GatewayNotice:
    """A verified, decoded gateway notification or status answer: the order, the
    gateway's payment id, what it means, the amount and currency, and when it was paid
    and changed (``changed_at``: the gateway's own time of the change, which orders
    notifications that arrive out of order; None for a gateway that gives none)."""

    order_id: str
    outcome: GatewayOutcome
    amount: Money
    raw_status: str
    paid_at: datetime | None = None
    gateway_payment_id: str = ""
    is_subscription_charge: bool = False
    currency: str = "UAH"
    changed_at: datetime | None = None


@attrs.frozen
class RefundAnswer:
    """What the gateway said to a refund: ``accepted`` (done or under way; its reversal
    follows) or refused, with the gateway's own word for it."""

    accepted: bool
    raw_status: str


class PaymentGateway(Protocol):
    @property
    def name(self) -> str:
        """The gateway's name, recorded on each payment it takes (``liqpay``)."""
        ...

    @property
    def title(self) -> str:
        """The gateway's name for people (``LiqPay``)."""
        ...

    @property
    def subscriptions(self) -> bool:
        """Whether it takes monthly subscriptions."""
        ...

    def checkout(self, order_id: str, amount: Money, description: str) -> Checkout:
        """A payment page for a one-off payment; raises ``DeliveryFailed`` if the gateway
        must be asked and cannot be."""
        ...

    def subscribe(
        self, order_id: str, amount: Money, description: str, start: datetime
    ) -> Checkout:
        """A payment page for a monthly subscription (a gateway without them raises
        ``RuleViolation``)."""
        ...

    def verify(self, message: GatewayMessage) -> GatewayNotice:
        """Verify the notification's signature first (``InvalidInput`` if it does not
        hold, nothing read), then decode it."""
        ...

    def status(self, order: GatewayOrder) -> GatewayNotice:
        """Ask the gateway about an order; raises ``DeliveryFailed`` if it cannot."""
        ...

    def refund(self, order: GatewayOrder, amount: Money) -> RefundAnswer:
        """Give a paid order's whole amount back; raises ``DeliveryFailed`` if the
        gateway cannot be asked."""
        ...


@attrs.frozen
class Gateways:
    """The gateways this fund has switched on, in the order members are offered them;
    use cases ask for a payment's own gateway by its name."""

    switched_on: tuple[PaymentGateway, ...]

    def __iter__(self) -> Iterator[PaymentGateway]:
        return iter(self.switched_on)

    def get(self, name: str) -> PaymentGateway:
        for gateway in self.switched_on:
            if gateway.name == name:
                return gateway
        raise NotConfigured(f"Payments through {name} are not switched on here.")


# -- Diia ----------------------------------------------------------------------------


@attrs.frozen
class IdentityDocument:
    """A decrypted document file from Diia."""

    identity_type: str  # an IdentityType value
    file_name: str
    content: bytes


@attrs.frozen
class SharedIdentity:
    """What Diia shared about a citizen, decrypted."""

    request_id: str
    first_name: str = ""
    middle_name: str = ""
    last_name: str = ""
    birth_date: date | None = None
    tax_number: str = ""
    passport_data: str = ""
    documents: tuple[IdentityDocument, ...] = ()
    raw: str = ""


class IdentityProvider(Protocol):
    def start_sharing(self, request_id: str) -> str:
        """Ask Diia for a sharing deep link for this request id."""
        ...

    def decode_callback(
        self, encode_data: str, files: Mapping[str, bytes], trace_id: str | None
    ) -> SharedIdentity:
        """Decrypt and read a callback; raises ``InvalidInput`` when it cannot."""
        ...


# -- files ---------------------------------------------------------------------------


@attrs.frozen
class StoredBlob:
    name: str
    size: int
    sha256: str


@attrs.frozen
class StoredEntry:
    """A file the store holds: a finished one under its stored name, or a partial write
    a crash cut short (``partial``, named as the store keeps it)."""

    name: str
    size: int
    modified_at: datetime
    partial: bool = False


class FileStore(Protocol):
    def save(
        self, chunks: Iterable[bytes], suffix: str = "", owner: int | None = None
    ) -> StoredBlob:
        """Store the bytes (given a chunk at a time) under a new random name, written
        whole or not at all, in the folder of the member who owns them when ``owner``
        is given."""
        ...

    def put(self, name: str, chunks: Iterable[bytes]) -> StoredBlob:
        """Store the bytes under a name another store gave them (moving files between
        stores, restoring a snapshot), whole or not at all; ``NotFound`` for a name no
        store would give."""
        ...

    def open(self, name: str) -> BinaryIO:
        """The stored file, open for reading (the caller closes it); raises
        ``NotFound`` if there is no such file."""
        ...

    def delete(self, name: str) -> None:
        """Remove a stored file; no error if it is already gone."""
        ...

    def inventory(self) -> Iterator[StoredEntry]:
        """Every file the store holds, finished or partial, with when it was last
        written."""
        ...

    def discard(self, entry: StoredEntry) -> None:
        """Remove a file ``inventory`` listed (a partial one too); no error if it is
        already gone."""
        ...

    def problem(self) -> str | None:
        """Why the store cannot take and give files now (None: it can)."""
        ...
