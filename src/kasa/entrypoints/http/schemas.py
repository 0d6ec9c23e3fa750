"""Answers both APIs share."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from kasa.entrypoints.http.fields import doc


class Health(msgspec.Struct):
    status: Annotated[
        Literal["ok", "unavailable"], doc("`ok` when the process can serve requests.")
    ]
    database: Annotated[Literal["ok", "unreachable"], doc("Whether the database answers.")]


class Ready(msgspec.Struct):
    status: Annotated[
        Literal["ok", "unavailable"], doc("`ok` when this process can serve every route.")
    ]
    database: Annotated[Literal["ok", "unreachable"], doc("Whether the database answers.")]
    schema: Annotated[
        Literal["ok", "behind", "unknown"],
        doc("Whether the database's schema is at this release's newest migration."),
    ]
    files: Annotated[
        Literal["ok", "unavailable"], doc("Whether the file store takes and gives files.")
    ]
    problems: Annotated[list[str], doc("What is wrong, in words (empty when ready).")]
    replica: Annotated[
        Literal["none", "ok", "behind", "stopped"],
        doc(
            "The read replica: `none` (there is none), `ok` (the lists are read from it),"
            " `behind` (further behind than allowed) or `stopped` (not replicating, or not"
            " reachable); when not `ok`, its reads go to the database and the process"
            " stays ready."
        ),
    ] = "none"
    replica_lag_seconds: Annotated[
        int | None, doc("How many seconds the replica trails the database (null: unknown).")
    ] = None
    replica_problem: Annotated[str, doc("What is wrong with the replica, in words.")] = ""


class ErrorOut(msgspec.Struct):
    """Every error answer."""

    status: Annotated[Literal["error"], doc("Always `error`.")]
    message: Annotated[
        str, doc("What went wrong and what to do, in English, for a person to read.")
    ]
    errors: Annotated[
        dict[str, str] | None,
        doc(
            "For 400: each invalid field (its name in the request, or `body` for the body"
            " as a whole) and what is wrong with it."
        ),
    ] = None
