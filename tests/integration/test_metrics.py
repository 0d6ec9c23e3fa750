"""`/metrics`: a real `kasa serve mobile --workers 2` counts every request across its
workers (prometheus-client's multiprocess mode, in a folder of its own emptied at start),
answers only the allowed addresses (the client as the trusted proxies make it out), and
reports what is read when asked: notifications waiting and the jobs' last runs."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from kasa.entrypoints import status
from tests.integration.test_cli_serve import free_port, wait_for

KASA = [sys.executable, "-m", "kasa.entrypoints.cli"]
NAME = r"\bkasa_[a-z_]+"
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count")}


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def series(text: str) -> Samples:
    """Every sample of a scrape, by name and labels."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def total(
    found: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str
) -> float:
    wanted = set(labels.items())
    return sum(v for (n, ls), v in found.items() if n == name and wanted <= set(ls))


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path, subprocess.Popen[bytes]]]:
    data = tmp_path / "var"
    env = {
        **os.environ,
        "KASA_DATA_DIR": str(data),
        # the proxy in front: its X-Forwarded-For names the client
        "KASA_TRUSTED_PROXIES": "127.0.0.1/32",
        "KASA_OTP_ADDRESS_HOURLY_LIMIT": "1",
    }
    env.pop("KASA_DATABASE_URL", None)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    subprocess.run([*KASA, "db", "upgrade"], env=env, check=True, capture_output=True, cwd=tmp_path)
    # what an earlier server counted is forgotten when this one starts
    stale = data / "metrics" / "mobile"
    stale.mkdir(parents=True)
    (stale / "counter_99999999.db").write_bytes(b"left over")
    port = free_port()
    server = subprocess.Popen(
        [*KASA, "serve", "mobile", "--port", str(port), "--workers", "2"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        assert wait_for(f"{base}/health/live", server).status_code == 200
        yield base, data, server
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


def test_every_request_is_counted_across_the_workers(
    served: tuple[str, Path, subprocess.Popen[bytes]],
) -> None:
    base, data, _ = served
    assert not (data / "metrics" / "mobile" / "counter_99999999.db").exists()
    before = series(requests.get(f"{base}/metrics", timeout=10).text)
    asked = 60
    with requests.Session() as one, requests.Session() as other:
        for n in range(asked):  # two connections: each worker takes some
            (one if n % 2 else other).get(f"{base}/health/live", timeout=10)
    assert requests.get(f"{base}/program/nowhere/else", timeout=10).status_code == 404
    found = series(requests.get(f"{base}/metrics", timeout=10).text)
    route = {"app": "mobile", "route": "/health/live", "method": "GET", "status": "200"}
    counted = total(found, "kasa_http_requests_total", **route)
    assert counted - total(before, "kasa_http_requests_total", **route) == asked
    timed = total(
        found, "kasa_http_request_duration_seconds_count", app="mobile", route="/health/live"
    )
    assert timed >= asked
    assert total(found, "kasa_http_requests_total", route="unmatched", status="404") >= 1
    # the workers wrote files of their own in the app's folder
    pids = {p.name.rsplit("_", 1)[1] for p in (data / "metrics" / "mobile").glob("*.db")}
    assert len(pids) >= 2
    # read when asked: nothing waits, no job has run yet
    assert found[("kasa_notifications_waiting", ())] == 0
    assert total(found, "kasa_job_last_success_timestamp_seconds") == 0
    status.record(data, "snapshot")
    status.record(data, "reconcile", changed=3)
    again = series(requests.get(f"{base}/metrics", timeout=10).text)
    ran = again[("kasa_job_last_success_timestamp_seconds", (("job", "snapshot"),))]
    assert time.time() - 60 < ran <= time.time()
    assert again[("kasa_job_last_changed", (("job", "reconcile"),))] == 3


def test_only_the_allowed_addresses_are_answered(
    served: tuple[str, Path, subprocess.Popen[bytes]],
) -> None:
    base, _, _ = served
    mine = requests.get(f"{base}/metrics", timeout=10)
    assert mine.status_code == 200 and mine.headers["content-type"].startswith("text/plain")
    # through the proxy, for a client outside: refused
    outside = requests.get(
        f"{base}/metrics", headers={"X-Forwarded-For": "203.0.113.9"}, timeout=10
    )
    assert outside.status_code == 403 and "kasa_http" not in outside.text
    inside = requests.get(f"{base}/metrics", headers={"X-Forwarded-For": "127.0.0.1"}, timeout=10)
    assert inside.status_code == 200


# exported only by an app given a read replica (test_replica_reads.py scrapes one)
WITH_A_REPLICA = {"kasa_replica_lag_seconds"}


def shipped_series() -> dict[str, set[str]]:
    """The series each shipped Prometheus file uses (the rules and the dashboard)."""
    folder = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"
    dashboard = json.loads((folder / "grafana-dashboard.json").read_text())
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    return {
        "kasa-rules.yml": set(
            re.findall(r"\bkasa_[a-z_]+", (folder / "kasa-rules.yml").read_text())
        ),
        "grafana-dashboard.json": {
            name for e in exprs for name in re.findall(r"\bkasa_[a-z_]+", e)
        },
    }


def test_the_rules_and_the_dashboard_use_only_series_kasa_exports(
    served: tuple[str, Path, subprocess.Popen[bytes]],
) -> None:
    base, data, _ = served
    status.record(data, "snapshot")
    requests.get(f"{base}/health/live", timeout=10)
    for phone in ("+380501112233", "+380501112234"):  # the second: one address's limit
        asked = requests.post(f"{base}/user/signrequest", json={"phone": phone, "create": True})
    assert asked.status_code == 429
    exported = set()
    scraped = requests.get(f"{base}/metrics", timeout=10).text
    for family in text_string_to_metric_families(scraped):  # declared, with samples or not
        exported |= {family.name, *(sample.name for sample in family.samples)}
        exported |= {family.name + end for end in SUFFIXES.get(family.type, ())}
    for name, used in shipped_series().items():
        missing = used - exported - WITH_A_REPLICA
        assert used and not missing, (name, sorted(missing))
