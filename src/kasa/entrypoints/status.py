"""When the scheduled jobs last finished well, for the metrics: each job writes a small
file under ``KASA_DATA_DIR/status/`` (atomically) as it ends, and ``/metrics`` reads
them. A job runs on one host; that host's apps report it."""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

import attrs

JOBS = ("snapshot", "reconcile")


@attrs.frozen
class JobStatus:
    finished_at: float  # Unix time
    changed: int  # what the run changed (payments a reconciliation settled; 0)


def record(data_dir: Path, job: str, changed: int = 0) -> None:
    """The job finished well now."""
    folder = data_dir / "status"
    folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"finished_at": time.time(), "changed": changed})
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{job}-")
    with os.fdopen(handle, "w") as out:
        out.write(text)
    os.replace(temporary, folder / f"{job}.json")


def read_all(data_dir: Path) -> dict[str, JobStatus]:
    """Each job's last good run (jobs that never ran, or whose file is unreadable, are
    left out)."""
    found = {}
    for job in JOBS:
        try:
            data = json.loads((data_dir / "status" / f"{job}.json").read_text())
            found[job] = JobStatus(float(data["finished_at"]), int(data.get("changed", 0)))
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return found
