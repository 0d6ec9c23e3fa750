"""``kasa`` with every pooled connection pinged before use (SQLAlchemy's
``pool_pre_ping``): the other way of finding a connection the server dropped, which
``python -m bench.money ping`` measures against Kasa's own (the work run again on a fresh
connection when its first statement finds the connection gone). Never for serving a
fund."""

from __future__ import annotations

from typing import Any

from kasa.adapters.sql import database


def _pinged(url: str, *, reading: bool = False, **kwargs: Any) -> Any:
    kwargs["pool_pre_ping"] = True
    return _make_engine(url, reading=reading, **kwargs)


_make_engine = database.make_engine
database.make_engine = _pinged

if __name__ == "__main__":
    from kasa.entrypoints.cli import main

    main()
