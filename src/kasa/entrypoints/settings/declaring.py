"""How a setting is declared, once: its variable, what it is, the kind of value, its
default and what production requires of it. Loading, the messages for bad values, the
names Kasa knows, the production refusals and the README's table are all read from the
declarations (``sections.py``).

A section is an attrs class whose fields are :func:`setting` s. Values are converted
by msgspec (text to whole numbers, flags and choices, with their bounds); the kinds
below add only what msgspec does not know: lists, URLs, networks, money, paths."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import attrs
import msgspec
import sqlalchemy as sa

from kasa.domain.errors import InvalidInput
from kasa.domain.money import Money

SETTING = "kasa.setting"
# what a default may be computed from: the values of the settings declared before it
Loaded = Mapping[str, Any]


# -- kinds of value ------------------------------------------------------------------------
@attrs.frozen
class Kind:
    """Text to a value: ``type`` is converted by msgspec (lax: ``"5"`` is 5), then
    ``then`` (which may refuse with ``ValueError``); ``says`` completes "must be …"."""

    type: Any
    says: str
    then: Callable[[Any], Any] = lambda value: value
    # a value as the variable would say it (the opposite of ``then``)
    text: Callable[[Any], str] = str

    def parse(self, name: str, text: str) -> Any:
        try:
            return self.then(msgspec.convert(text.strip(), self.type, strict=False))
        except (msgspec.ValidationError, ValueError):
            raise InvalidInput(f"{name} must be {self.says}, not {text.strip()!r}.") from None


@attrs.frozen
class Several(Kind):
    """Comma-separated items of one kind."""

    def parse(self, name: str, text: str) -> Any:
        items = [item.strip() for item in text.split(",") if item.strip()]
        try:
            return self.then([msgspec.convert(i, self.type, strict=False) for i in items])
        except (msgspec.ValidationError, ValueError):
            raise InvalidInput(f"{name} must be {self.says}, not {text.strip()!r}.") from None


def whole(minimum: int = 0, times: int = 1) -> Kind:
    """A whole number of at least ``minimum``; the value is the number × ``times`` (a
    setting in MB kept in bytes)."""
    says = "a whole number" + (f", at least {minimum}" if minimum else ", 0 or more")
    return Kind(
        Annotated[int, msgspec.Meta(ge=minimum)],
        says,
        lambda n: n * times,
        lambda n: str(n // times),
    )


def choice(*options: str) -> Kind:
    return Kind(Literal[options], "one of " + ", ".join(options))


def _url(text: str) -> str:
    """An http(s) URL with a host, its scheme in lower case, without a trailing slash."""
    text = text.rstrip("/")
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise ValueError(text)
    return parts.scheme.lower() + text[len(parts.scheme) :]


def _database_url(text: str) -> str:
    try:
        sa.engine.make_url(text)
    except sa.exc.ArgumentError:
        raise ValueError(text) from None
    return text


def _networks(items: list[str]) -> tuple[str, ...]:
    return tuple(str(ipaddress.ip_network(item, strict=False)) for item in items)


def _calling_codes(items: list[str]) -> frozenset[int]:
    codes = [item.lstrip("+") for item in items]
    if not codes or not all(c.isdigit() and 1 <= len(c) <= 3 for c in codes):
        raise ValueError(items)
    return frozenset(int(c) for c in codes)


def _amount_or_off(text: str) -> Money | None:
    if text.lower() == "off":
        return None
    try:
        return Money.parse(text)
    except InvalidInput as error:
        raise ValueError(error.message) from None


def _listed(values: Any) -> str:
    return ",".join(str(v) for v in sorted(values))


TEXT = Kind(str, "text")
FLAG = Kind(bool, "1 or 0 (true or false)", text=lambda on: "1" if on else "0")
URL = Kind(str, "an http:// or https:// URL", _url)
DATABASE_URL = Kind(
    str,
    "a database URL (dialect+driver://…)",
    _database_url,
    lambda url: sa.engine.make_url(url).render_as_string(hide_password=True),
)
OPTIONAL_DATABASE_URL = Kind(
    str,
    "a database URL (dialect+driver://…) or nothing",
    lambda text: _database_url(text) if text else "",
    lambda url: DATABASE_URL.text(url) if url else "",
)
PATH = Kind(str, "a path", lambda text: Path(text).expanduser())
WORDS = Several(str, "comma-separated words", tuple, _listed)
NETWORKS = Several(str, "comma-separated addresses or networks (10.0.0.0/8)", _networks, _listed)
CALLING_CODES = Several(str, "comma-separated calling codes such as 380", _calling_codes, _listed)
AMOUNT_OR_OFF = Kind(
    str,
    "an amount in UAH with at most two decimal places, or off",
    _amount_or_off,
    lambda amount: "off" if amount is None else str(amount),
)


# -- what production requires -------------------------------------------------------------
@attrs.frozen
class Rule:
    """A production refusal: ``refuses(value)`` true means ``says`` (with ``{name}`` and
    ``{value}``) is a problem; ``shown`` is how the README says the requirement."""

    refuses: Callable[[Any], bool]
    says: str
    shown: str


def required(why: str = "") -> Rule:
    return Rule(lambda value: not value, "{name} must be set in production" + why, "required")


def at_least_bytes(size: int) -> Rule:
    return Rule(
        lambda value: bool(value) and len(value.encode()) < size,
        f"{{name}} must be at least {size} bytes",
        f"at least {size} bytes",
    )


def different_characters(count: int) -> Rule:
    return Rule(
        lambda value: bool(value) and len(value.encode()) >= 32 and len(set(value)) < count,
        f"{{name}} must have at least {count} different characters",
        f"at least {count} different characters",
    )


def https() -> Rule:
    return Rule(
        lambda value: urlsplit(value).scheme.lower() != "https",
        "{name} must be https in production",
        "https",
    )


# -- a setting ---------------------------------------------------------------------------
@attrs.frozen
class Setting:
    name: str
    about: str
    kind: Kind
    default: Any
    shown: str
    production: tuple[Rule, ...] = ()
    secret: bool = False

    def value(self, env: Mapping[str, str], loaded: Loaded) -> Any:
        text = env.get(self.name, "")
        if text.strip():
            return self.kind.parse(self.name, text)
        return self.default(loaded) if callable(self.default) else self.default

    def problems(self, value: Any) -> Iterator[str]:
        for rule in self.production:
            if rule.refuses(value):
                yield rule.says.format(name=self.name, value=value)


def setting(
    name: str,
    about: str,
    kind: Kind = TEXT,
    default: Any = "",
    *,
    shown: str | None = None,
    production: Sequence[Rule] = (),
    secret: bool = False,
) -> Any:
    """A field of a section: the variable ``name`` (empty or unset: ``default``, which may
    be computed from the settings loaded before it), one line ``about`` it for the
    README, and ``shown``, the default as the README says it."""
    if shown is None:
        shown = "empty" if default in ("", ()) else f"`{default}`"
    declared = Setting(name, about, kind, default, shown, tuple(production), secret)
    static = None if callable(default) else default
    return attrs.field(default=static, metadata={SETTING: declared})


def declared(section: type) -> list[tuple[str, Setting]]:
    """A section's settings, by field name, in the order declared."""
    return [
        (field.name, field.metadata[SETTING])
        for field in attrs.fields(section)
        if SETTING in field.metadata
    ]


def load_section(section: type[Any], env: Mapping[str, str], loaded: dict[str, Any]) -> Any:
    """A section from the environment; ``loaded`` (by variable name) grows with it."""
    values = {}
    for field, declaration in declared(section):
        values[field] = loaded[declaration.name] = declaration.value(env, loaded)
    return section(**values)


def section_problems(section: Any) -> Iterator[str]:
    for field, declaration in declared(type(section)):
        yield from declaration.problems(getattr(section, field))
