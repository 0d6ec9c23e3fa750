"""What a handler takes from the app — its use cases, presenters, settings and the
signed-in subject's id — given to it straight, not through Litestar's dependency
injection.

A handler names them as Litestar's ``NamedDependency[...]`` parameters, and
:func:`given_straight` wraps it: Litestar sees a handler that takes the request (and
its own inputs) and no dependencies, and the wrapper fills the named ones from the
app's state (``app.state.given``, made once with the app) and the subject the token
check found. Kasa's dependencies are constants, none waits for anything, and Litestar
resolves several of a handler's dependencies concurrently in an anyio task group
(litestar-org/litestar issue 4563): a task each, 170 µs of a member's profile read,
about a fifth of it. Only public mechanisms are used (a function's signature and
annotations, ``app.state``, the request's scope).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, get_args, get_type_hints

from litestar import Request
from litestar.di import NamedDependency

from kasa.entrypoints.http.auth import SUBJECT

F = TypeVar("F", bound=Callable[..., Any])
MARKER = get_args(NamedDependency[int])[1]


def named(function: Callable[..., Any]) -> list[str]:
    """The parameters of ``function`` annotated ``NamedDependency[...]``."""
    hints = get_type_hints(function, include_extras=True)
    return [name for name, hint in hints.items() if MARKER in get_args(hint)[1:]]


def given_straight(function: F) -> F:
    """``function`` with its named dependencies filled from the app (see the module)."""
    names = named(function)
    if not names:
        return function
    signature = inspect.signature(function)
    takes_request = "request" in signature.parameters
    hints = get_type_hints(function, include_extras=True)
    kept = [p for p in signature.parameters.values() if p.name not in names]
    if not takes_request:
        kept.append(
            inspect.Parameter(
                "request", inspect.Parameter.KEYWORD_ONLY, annotation=Request[Any, Any, Any]
            )
        )

    def fill(kwargs: dict[str, Any]) -> None:
        request: Request[Any, Any, Any] = (
            kwargs["request"] if takes_request else kwargs.pop("request")
        )
        state = request.app.state
        given: Mapping[str, Any] = state.given
        for name in names:
            kwargs[name] = request.scope["state"][SUBJECT] if name == state.subject else given[name]

    if inspect.iscoroutinefunction(function):

        @functools.wraps(function)
        async def handler(**kwargs: Any) -> Any:
            fill(kwargs)
            return await function(**kwargs)

    else:

        @functools.wraps(function)
        def handler(**kwargs: Any) -> Any:
            fill(kwargs)
            return function(**kwargs)

    del handler.__wrapped__  # Litestar reads the signature below, not the original's
    handler.__signature__ = signature.replace(parameters=kept)  # type: ignore[attr-defined]
    handler.__annotations__ = {
        **{name: hint for name, hint in hints.items() if name not in names},
        **({} if takes_request else {"request": Request[Any, Any, Any]}),
    }
    return handler  # type: ignore[return-value]
