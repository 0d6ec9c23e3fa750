"""``kasa`` with pooled connections that are not pinged before use: the comparison
``python -m bench.money ping`` measures against (never for serving a fund)."""

from __future__ import annotations

from typing import Any

from kasa.adapters.sql import database


def _unpinged(url: str, *, reading: bool = False, **kwargs: Any) -> Any:
    kwargs["pool_pre_ping"] = False
    return _make_engine(url, reading=reading, **kwargs)


_make_engine = database.make_engine
database.make_engine = _unpinged

if __name__ == "__main__":
    from kasa.entrypoints.cli import main

    main()
