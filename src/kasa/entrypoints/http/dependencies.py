"""Litestar's dependencies resolved one after another.

Litestar resolves the dependencies a handler needs at one level concurrently, in an anyio
task group with a task each (litestar-org/litestar issue 4563). Kasa's dependencies are
the signed-in subject and constants (use cases, presenters, settings), none of which
waits for anything, so the task group is pure cost: 170 µs of a member's profile read
(about a fifth of it) went to starting and joining three tasks. Resolved in order, each
still gets its sub-dependencies first and generator dependencies are still cleaned up.

The override replaces one method of Litestar's internal ``KwargsModel``; the Litestar
version is pinned in ``requirements/constraints.txt`` and the HTTP tests exercise every
handler through it, so a Litestar that changes this method fails them rather than
running without it.
"""

from __future__ import annotations

from typing import Any

from litestar._kwargs import kwargs_model
from litestar._kwargs.cleanup import DependencyCleanupGroup
from litestar._kwargs.dependencies import resolve_dependency


async def resolve_in_order(
    self: kwargs_model.KwargsModel, connection: Any, kwargs: dict[str, Any]
) -> DependencyCleanupGroup:
    cleanup_group = DependencyCleanupGroup()
    for batch in self.dependency_batches:
        for dependency in batch:
            await resolve_dependency(dependency, connection, kwargs, cleanup_group)
    return cleanup_group


def resolve_dependencies_in_order() -> None:
    """Install the override (idempotent); the app factories call it."""
    kwargs_model.KwargsModel.resolve_dependencies = resolve_in_order  # type: ignore[method-assign]


def installed() -> bool:
    return kwargs_model.KwargsModel.resolve_dependencies is resolve_in_order
