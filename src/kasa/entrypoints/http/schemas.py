"""Answers both APIs share."""

from __future__ import annotations

import msgspec


class Health(msgspec.Struct):
    status: str
    database: str


class ErrorOut(msgspec.Struct):
    status: str
    message: str
    errors: dict[str, str] | None = None
