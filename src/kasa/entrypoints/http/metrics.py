"""What a running Kasa tells Prometheus: ``GET /metrics`` on both apps, in Prometheus's
text format, answered only to the addresses of ``KASA_METRICS_ALLOW``.

``kasa serve`` gives each app an emptied folder of its own for prometheus-client's
multiprocess mode (``PROMETHEUS_MULTIPROC_DIR``, set before any worker starts), so a
scrape that reaches one worker reports them all; a worker that starts forgets the live
gauges of workers that are gone. Without that folder (an app made in a test) the
figures are the process's own.

Series: requests and their durations by route template, method and status; gateway
callbacks applied, ignored and refused; SMS sent and failed; throttle refusals; outside
services failing (the file store among them); database connections in use and
checkouts that found the pool exhausted; and, read when Prometheus asks, notifications
waiting and the age of the oldest, the last day's notifications by channel and state,
and when the last snapshot and the last reconciliation ran (``status``)."""

from __future__ import annotations

import ipaddress
import os
import re
import time
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from pathlib import Path
from typing import Any

from litestar import Request, Response, get
from litestar.enums import MediaType
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from kasa.adapters.sql.replica import Replica
from kasa.application.ports import SmsSender
from kasa.application.watching import Watching
from kasa.domain.errors import DeliveryFailed, KasaError, RateLimited
from kasa.domain.values import Phone
from kasa.entrypoints import status
from kasa.entrypoints.http.common import client_address
from kasa.entrypoints.http.errors import error_body

FOLDER = "PROMETHEUS_MULTIPROC_DIR"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

REQUESTS = Counter(
    "kasa_http_requests",
    "HTTP requests answered, by app, route template, method and status.",
    ["app", "route", "method", "status"],
)
DURATION = Histogram(
    "kasa_http_request_duration_seconds",
    "Time from a request's arrival to the end of its answer, by app, route and method.",
    ["app", "route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
CALLBACKS = Counter(
    "kasa_callbacks",
    "Payment gateways' callbacks: applied (money moved), ignored (nothing to change) or"
    " refused (unsigned, unreadable, unknown).",
    ["gateway", "outcome"],
)
MESSAGES = Counter(
    "kasa_messages",
    "SMS the app sent (sign-in codes): sent or failed.",
    ["channel", "outcome"],
)
THROTTLED = Counter(
    "kasa_throttle_refusals",
    "Requests refused by a throttle (429), by the route they asked for.",
    ["route"],
)
OUTSIDE_FAILURES = Counter(
    "kasa_outside_failures",
    "Outside services that failed a request (502): the file store, SMS, a gateway, Diia.",
    ["service"],
)
POOL_IN_USE = Gauge(
    "kasa_db_pool_in_use",
    "Database connections checked out of the pool now, all workers together.",
    multiprocess_mode="livesum",
)
POOL_EXHAUSTED = Counter(
    "kasa_db_pool_exhausted_checkouts",
    "Checkouts that found every pooled connection taken (an overflow connection was"
    " opened, or the request waited).",
)


# the children of each labelled count that are known ahead, shown at 0 from the start (a
# series that appears only with its first count has no rate before it)
OUTCOMES = ("applied", "ignored", "refused")
KNOWN = (
    (
        CALLBACKS,
        [(g, o) for g in ("liqpay", "monobank") for o in ("applied", "ignored", "refused")],
    ),
    (MESSAGES, [("sms", "sent"), ("sms", "failed")]),
    (OUTSIDE_FAILURES, [(s,) for s in ("file store", "SMS", "LiqPay", "monobank", "Diia")]),
)


def known_at_zero() -> None:
    for metric, children in KNOWN:
        for labels in children:
            metric.labels(*labels)


# -- each request ---------------------------------------------------------------------------
def measured(app: str, inner: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
    """The app's ASGI handler, counting and timing every HTTP request (by the route
    template the router found; ``unmatched`` when none)."""

    async def handle(scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await inner(scope, receive, send)
            return
        started = time.perf_counter()
        answered = [500]

        async def sending(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                answered[0] = message["status"]
            await send(message)

        try:
            await inner(scope, receive, sending)
        finally:
            route = scope.get("path_template") or "unmatched"
            method = scope["method"] if scope["method"] in METHODS else "other"
            key = (route, method, answered[0])
            found = children.get(key)
            if found is None:  # each route's series, looked up once
                found = children[key] = (
                    REQUESTS.labels(app, route, method, str(answered[0])),
                    DURATION.labels(app, route, method),
                )
            found[0].inc()
            found[1].observe(time.perf_counter() - started)

    children: dict[tuple[str, str, int], tuple[Any, Any]] = {}
    return handle


def noticed(request: Request[Any, Any, Any], error: KasaError) -> None:
    """An error a handler raised, as the series count it."""
    if isinstance(error, RateLimited):
        THROTTLED.labels(request.scope.get("path_template") or "unmatched").inc()
    elif isinstance(error, DeliveryFailed):
        OUTSIDE_FAILURES.labels(error.service).inc()


def callback_heard(gateway: str, changed: bool | None) -> None:
    """A gateway's callback: money moved (True), nothing to change (False), refused
    (None)."""
    outcome = "refused" if changed is None else "applied" if changed else "ignored"
    CALLBACKS.labels(gateway, outcome).inc()


class CountedSms:
    """An SMS sender whose sends are counted."""

    def __init__(self, inner: SmsSender) -> None:
        self.inner = inner

    def send(self, to: Phone, body: str) -> None:
        try:
            self.inner.send(to, body)
        except Exception:
            MESSAGES.labels("sms", "failed").inc()
            raise
        MESSAGES.labels("sms", "sent").inc()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def watch_pool(engine: Any) -> None:
    """Connections in use, and checkouts that found the pool exhausted."""
    import sqlalchemy as sa

    pool = engine.pool

    def checked_out(*_: Any) -> None:
        POOL_IN_USE.inc()
        size = getattr(pool, "size", None)
        if callable(size) and pool.checkedout() > size():
            POOL_EXHAUSTED.inc()

    def checked_in(*_: Any) -> None:
        POOL_IN_USE.dec()

    sa.event.listen(engine, "checkout", checked_out)
    sa.event.listen(engine, "checkin", checked_in)


# -- when Prometheus asks -----------------------------------------------------------------
class Asked(Collector):
    """What is read when Prometheus asks: notifications from the database, when the
    scheduled jobs last ran, and how far the read replica trails."""

    def __init__(self, watching: Watching, data_dir: Path, replica: Replica | None = None) -> None:
        self.watching = watching
        self.data_dir = data_dir
        self.replica = replica

    def collect(self) -> Iterable[GaugeMetricFamily]:
        figures = self.watching.figures()
        yield GaugeMetricFamily(
            "kasa_notifications_waiting",
            "Notifications due and not yet delivered.",
            value=figures.waiting,
        )
        yield GaugeMetricFamily(
            "kasa_notifications_oldest_waiting_seconds",
            "How long the longest-waiting notification has been due (0: none waits).",
            value=figures.oldest_waiting_seconds,
        )
        recent = GaugeMetricFamily(
            "kasa_notifications_last_day",
            "Notifications made in the last 24 hours, by delivery state and channel.",
            labels=["state", "channel"],
        )
        for (state, channel), count in sorted(figures.recent.items()):
            recent.add_metric([state, channel or "none"], count)
        yield recent
        ran = GaugeMetricFamily(
            "kasa_job_last_success_timestamp_seconds",
            "When a scheduled job last finished well (Unix time): snapshot, reconcile.",
            labels=["job"],
        )
        changed = GaugeMetricFamily(
            "kasa_job_last_changed",
            "What the job's last run changed (payments a reconciliation settled).",
            labels=["job"],
        )
        for job, found in status.read_all(self.data_dir).items():
            ran.add_metric([job], found.finished_at)
            changed.add_metric([job], found.changed)
        yield ran
        yield changed
        if self.replica is not None:
            lag = self.replica.lag()
            yield GaugeMetricFamily(
                "kasa_replica_lag_seconds",
                "How far the read replica trails the database (-1: not replicating or not"
                " reachable; its reads then go to the database).",
                value=-1 if lag is None else lag,
            )


def forget_dead_workers() -> None:
    """At a worker's start: the live gauges of workers no longer running are dropped."""
    folder = os.environ.get(FOLDER)
    if not folder or not Path(folder).is_dir():
        return
    pids = {
        int(found.group(1))
        for path in Path(folder).glob("*.db")
        if (found := re.search(r"_(\d+)\.db$", path.name))
    }
    for pid in pids:
        if pid != os.getpid() and not _running(pid):
            multiprocess.mark_process_dead(pid, folder)  # type: ignore[no-untyped-call]


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _allowed(address: str, networks: Iterable[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(net, strict=False) for net in networks)


def metrics_route(allow: Iterable[str], asked: Collector) -> Any:
    allowed_networks = tuple(allow)

    @get("/metrics", include_in_schema=False, sync_to_thread=True)
    def metrics(request: Request[Any, Any, Any]) -> Response[Any]:
        """Every series in Prometheus's text format, for the allowed addresses only."""
        if not _allowed(client_address(request), allowed_networks):
            return Response(
                error_body("Metrics are not served to this address."),
                status_code=403,
                media_type=MediaType.JSON,
            )
        folder = os.environ.get(FOLDER)
        counted: Any = REGISTRY  # the process's own, without a multiprocess folder
        if folder:
            counted = CollectorRegistry()
            multiprocess.MultiProcessCollector(counted, folder)  # type: ignore[no-untyped-call]
        read_now = CollectorRegistry()
        read_now.register(asked)
        text = generate_latest(counted) + generate_latest(read_now)
        return Response(text, media_type=CONTENT_TYPE_LATEST)

    return metrics
