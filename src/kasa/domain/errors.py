"""One error hierarchy for the whole system.

Every refusal the domain or a use case makes is a ``KasaError`` subclass carrying a
human message. The delivery layers (HTTP, CLI) map the kind to a status code or an exit
status in one place; nothing below them knows about HTTP.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

T = TypeVar("T")


class KasaError(Exception):
    """Base of every refusal Kasa makes on purpose; ``message`` is shown to people."""

    kind = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InvalidInput(KasaError):
    """The input is malformed or invalid; ``errors`` names each bad field."""

    kind = "invalid_input"

    def __init__(self, message: str, errors: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.errors: dict[str, str] = dict(errors or {})

    @classmethod
    def field(cls, name: str, problem: str) -> InvalidInput:
        """An error about one field: ``InvalidInput.field("iban", "bad checksum")``."""
        return cls(f"{name}: {problem}", {name: problem})


class TooLarge(InvalidInput):
    """An upload is larger than the limit allows."""

    kind = "too_large"


class AuthenticationFailed(KasaError):
    """The caller could not prove who they are (wrong code, wrong password)."""

    kind = "authentication_failed"


class PermissionDenied(KasaError):
    """The caller is known but not allowed to do this."""

    kind = "permission_denied"


class NotFound(KasaError):
    """The thing does not exist, or is not the caller's to see."""

    kind = "not_found"


class Conflict(KasaError):
    """Not allowed in the thing's current state (a forbidden transition, a duplicate)."""

    kind = "conflict"


class RuleViolation(KasaError):
    """A business rule refuses the action (not approved yet, payout over the cap, …)."""

    kind = "rule_violated"


class RateLimited(KasaError):
    """Too many attempts; ``retry_after`` says in how many seconds to try again."""

    kind = "rate_limited"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = max(1, retry_after)


class Validation:
    """Collects the errors of several fields so a caller hears about all of them at once.

    ``value = check(Email.parse, text)`` returns the parsed value, or None after
    noting the field's error; ``done(message)`` raises one ``InvalidInput`` with every
    field's problem if there was any.
    """

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def __call__(self, parse: Callable[..., T], *args: object, **kwargs: object) -> T | None:
        try:
            return parse(*args, **kwargs)
        except InvalidInput as error:
            self.errors.update(error.errors or {"input": error.message})
            return None

    def done(self, message: str) -> None:
        if self.errors:
            raise InvalidInput(message, self.errors)


class DeliveryFailed(KasaError):
    """An outside service (SMS, gateway, Diia, the file store) could not be reached or
    refused the call.

    ``message`` names only the service, so it is safe to show anyone; ``detail`` says
    what went wrong (hosts, answers, library text) and is for the log alone.
    """

    kind = "delivery_failed"

    def __init__(self, service: str, detail: str = "") -> None:
        super().__init__(f"The {service} service failed; please try again later.")
        self.service = service
        self.detail = detail


class NotConfigured(KasaError):
    """A feature this server was not set up for (Diia sharing without its settings)."""

    kind = "not_configured"


class Busy(KasaError):
    """The database kept giving up on the change (two changes waiting on each other, a
    lock held too long) even after it was run again a few times; nothing was changed
    and the same call may be sent again a moment later."""

    kind = "busy"
