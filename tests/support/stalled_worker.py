"""A members' API worker that stops at one stage of storing an upload, for tests that
kill it there (SIGKILL) and look at what it left behind.

``python -m tests.support.stalled_worker STAGE PORT``, on the environment's settings.
At STAGE the worker writes the file named by ``KASA_STALL_MARKER`` and waits (the
request's thread sleeps; the test kills the process). Stages:

- ``part``: the upload's bytes are in the store's partial file, not renamed yet;
- ``renamed``: the file is in place under its stored name, its row not written;
- ``commit``: the row is written but not committed.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

import uvicorn

from kasa.adapters import private
from kasa.adapters.sql import repositories as repos
from kasa.adapters.sql.database import SqlUnitOfWork
from kasa.entrypoints.container import build_container
from kasa.entrypoints.http.mobile import create_mobile_app


def stall() -> None:
    Path(os.environ["KASA_STALL_MARKER"]).write_text("stalled")
    time.sleep(3600)


def main(stage: str, port: int) -> None:
    replace = private.os.replace
    commit = SqlUnitOfWork.commit
    add = repos.Files.add

    def replacing(source: Any, target: Any) -> None:
        if stage == "part":
            stall()
        replace(source, target)
        if stage == "renamed":
            stall()

    def adding(self: repos.Files, file: Any) -> Any:
        self.session.info["stored_a_file"] = True
        return add(self, file)

    def committing(self: SqlUnitOfWork) -> None:
        if stage == "commit" and self.session.info.get("stored_a_file"):
            self.session.flush()
            stall()
        commit(self)

    private.os.replace = replacing  # type: ignore[assignment]
    repos.Files.add = adding  # type: ignore[method-assign]
    SqlUnitOfWork.commit = committing  # type: ignore[method-assign]
    app = create_mobile_app(build_container())
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
