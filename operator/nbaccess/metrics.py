"""Prometheus collectors and the HTTP endpoint serving /metrics, /healthz and /readyz.

/healthz (liveness) says the event loop turns; /readyz (readiness) says whether this replica
does its part: leading, or standing by able to take over (see kube/leader.py for why a
standby is ready).

Label sets are pre-initialised so dashboards and alerts see zeros instead of missing series
right after start-up. The endpoint runs in a daemon thread: scraping never waits on (or
blocks) the operator's event loop.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)

from nbaccess import __version__
from nbaccess.resources import kinds as resource_kinds

log = logging.getLogger(__name__)

# A `_created` series per counter doubles the series count for nothing a dashboard reads.
disable_created_metrics()  # type: ignore[no-untyped-call]

KINDS = tuple(info.kind for info in resource_kinds.KINDS)
# Why NetBird requests fail, for alerting: a 401 (the token expired or was revoked) is not
# "an error" among others.
ERROR_REASONS = (
    "unauthorized",
    "forbidden",
    "rate_limited",
    "server_error",
    "unreachable",
    "rejected",
    "not_found",
    "conflict",
)
RESULTS = ("ready", "progressing", "stalled", "error")
# Route templates the client reports; listed so their series exist before the first request.
KNOWN_ROUTES = (
    ("GET", "/api/groups"),
    ("GET", "/api/policies"),
    ("GET", "/api/posture-checks"),
    ("GET", "/api/setup-keys"),
    ("GET", "/api/networks"),
    ("GET", "/api/peers"),
)


class Metrics:
    """All of the operator's collectors, in their own registry (tests get a fresh one each)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        # (kind, namespace, name) -> the (type, status, reason) series it has now.
        self._conditions: dict[tuple[str, str, str], set[tuple[str, str, str]]] = {}
        # process_* (CPU, memory, file descriptors) and python_* (GC, version): what any
        # Prometheus exporter is expected to show.
        for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
            with contextlib.suppress(ValueError):  # already registered (the default registry)
                r.register(collector)
        self.object_condition = Gauge(
            "nbaccess_object_condition",
            "1 for each condition an object has now, with its status and reason (one series "
            "per object and condition type).",
            ["kind", "namespace", "name", "type", "status", "reason"],
            registry=r,
        )
        self.last_sync = Gauge(
            "nbaccess_object_last_sync_timestamp_seconds",
            "When an object was last found in sync with NetBird (Unix time): a pass ending Ready, "
            "or a resync sweep finding nothing changed.",
            ["kind", "namespace", "name"],
            registry=r,
        )
        self.netbird_errors = Counter(
            "nbaccess_netbird_errors_total",
            "Failed NetBird requests (each attempt) by reason.",
            ["reason"],
            registry=r,
        )
        self.netbird_retries = Counter(
            "nbaccess_netbird_retries_total",
            "NetBird requests tried again after a failure, by reason.",
            ["reason"],
            registry=r,
        )
        self.rate_limit_wait = Counter(
            "nbaccess_netbird_rate_limit_wait_seconds_total",
            "Time requests waited for the client-side rate limiter.",
            registry=r,
        )
        for reason in ERROR_REASONS:
            self.netbird_errors.labels(reason=reason)
            self.netbird_retries.labels(reason=reason)
        self.reconcile_total = Counter(
            "nbaccess_reconcile_total",
            "Reconcile passes by kind and result.",
            ["kind", "result"],
            registry=r,
        )
        self.reconcile_duration = Histogram(
            "nbaccess_reconcile_duration_seconds",
            "Wall time of one reconcile pass.",
            ["kind"],
            registry=r,
            buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
        )
        self.netbird_requests = Counter(
            "nbaccess_netbird_requests_total",
            "NetBird API requests by method, route template and status code ('error' when no "
            "response arrived).",
            ["method", "route", "code"],
            registry=r,
        )
        self.netbird_duration = Histogram(
            "nbaccess_netbird_request_duration_seconds",
            "NetBird API request latency by method and route template.",
            ["method", "route"],
            registry=r,
        )
        self.resources = Gauge(
            "nbaccess_resources",
            "Custom resources known to the operator, by kind and Ready status.",
            ["kind", "ready"],
            registry=r,
        )
        self.routing_peers_connected = Gauge(
            "nbaccess_network_routing_peers_connected",
            "Routing peers of a NetBirdNetwork that are connected to management.",
            ["kind", "namespace", "name"],
            registry=r,
        )
        self.routing_peers_total = Gauge(
            "nbaccess_network_routing_peers",
            "Routing peers of a NetBirdNetwork.",
            ["kind", "namespace", "name"],
            registry=r,
        )
        self.routing_peers_wanted = Gauge(
            "nbaccess_network_routing_peers_wanted",
            "Connected routing peers a NetBirdNetwork asks for (spec.health."
            "minConnectedRoutingPeers); HighlyAvailable is False below it.",
            ["kind", "namespace", "name"],
            registry=r,
        )
        self.routing_peer_flaps = Gauge(
            "nbaccess_network_routing_peer_flaps",
            "Connects and disconnects of a NetBirdNetwork's routing peers seen within the flap "
            "window (NBACCESS_FLAP_WINDOW_SECONDS).",
            ["kind", "namespace", "name"],
            registry=r,
        )
        self.setup_key_expiry = Gauge(
            "nbaccess_setup_key_expiry_timestamp_seconds",
            "When the current key of a SetupKey expires (Unix time); alert well before it.",
            ["kind", "namespace", "name"],
            registry=r,
        )
        self.setup_key_rotation_window = Gauge(
            "nbaccess_setup_key_rotation_window_seconds",
            "How long before expiry a SetupKey's key is replaced (spec.rotation.before).",
            ["kind", "namespace", "name"],
            registry=r,
        )
        self.leading = Gauge(
            "nbaccess_leader",
            "1 while this replica holds the leader Lease (or leader election is off), else 0.",
            registry=r,
        )
        self.build_info = Gauge(
            "nbaccess_build_info", "Version of the running operator.", ["version"], registry=r
        )
        self.build_info.labels(version=__version__).set(1)
        for kind in KINDS:
            self.reconcile_duration.labels(kind=kind)
            for result in RESULTS:
                self.reconcile_total.labels(kind=kind, result=result)
            for ready in ("True", "False"):
                self.resources.labels(kind=kind, ready=ready).set(0)
        for method, route in KNOWN_ROUTES:
            self.netbird_duration.labels(method=method, route=route)

    def observe_request(self, method: str, route: str, code: str, seconds: float) -> None:
        self.netbird_requests.labels(method=method, route=route, code=code).inc()
        self.netbird_duration.labels(method=method, route=route).observe(seconds)

    def observe_reconcile(self, kind: str, result: str, seconds: float) -> None:
        self.reconcile_total.labels(kind=kind, result=result).inc()
        self.reconcile_duration.labels(kind=kind).observe(seconds)

    def set_resource_counts(self, kind: str, ready: int, not_ready: int) -> None:
        self.resources.labels(kind=kind, ready="True").set(ready)
        self.resources.labels(kind=kind, ready="False").set(not_ready)

    def set_object_gauge(
        self, name: str, kind: str, namespace: str, obj: str, value: float
    ) -> None:
        """A per-object gauge a reconciler measured (see Outcome.measurements)."""
        gauge = self._object_gauges().get(name)
        if gauge is not None:
            gauge.labels(kind=kind, namespace=namespace, name=obj).set(value)

    def _object_gauges(self) -> dict[str, Gauge]:
        return {
            "routing_peers_connected": self.routing_peers_connected,
            "routing_peers": self.routing_peers_total,
            "routing_peers_wanted": self.routing_peers_wanted,
            "routing_peer_flaps": self.routing_peer_flaps,
            "setup_key_expiry": self.setup_key_expiry,
            "setup_key_rotation_window": self.setup_key_rotation_window,
            "last_sync": self.last_sync,
        }

    def set_conditions(
        self, kind: str, namespace: str, obj: str, conditions: Iterable[dict[str, Any]]
    ) -> None:
        """The object's conditions now: its old series go, one per condition type comes."""
        wanted = {
            (str(c.get("type")), str(c.get("status")), str(c.get("reason") or ""))
            for c in conditions
        }
        key = (kind, namespace, obj)
        have = self._conditions.get(key, set())
        for gone in have - wanted:
            with contextlib.suppress(KeyError):
                self.object_condition.remove(kind, namespace, obj, *gone)
        for new in wanted - have:
            self.object_condition.labels(kind, namespace, obj, *new).set(1)
        self._conditions[key] = wanted

    def observe_error(self, reason: str, *, retried: bool) -> None:
        self.netbird_errors.labels(reason=reason).inc()
        if retried:
            self.netbird_retries.labels(reason=reason).inc()

    def forget_object(self, kind: str, namespace: str, obj: str) -> None:
        """Drop a deleted object's series, so dashboards do not show it forever (only its own:
        a SetupKey and a NetBirdNetwork may share a name)."""
        for gauge in self._object_gauges().values():
            with contextlib.suppress(KeyError):
                gauge.remove(kind, namespace, obj)
        self.set_conditions(kind, namespace, obj, ())
        self._conditions.pop((kind, namespace, obj), None)

    def render(self) -> bytes:
        return generate_latest(self.registry)


class Liveness:
    """A heartbeat the operator's event loop beats; stale means the loop is stuck."""

    def __init__(self, max_silence: float = 60.0) -> None:
        self.max_silence = max_silence
        self._last = time.monotonic()

    def beat(self) -> None:
        self._last = time.monotonic()

    def alive(self) -> bool:
        return time.monotonic() - self._last <= self.max_silence


Readiness = Callable[[], tuple[bool, str]]


def _always_ready() -> tuple[bool, str]:
    return True, "ready"


class QuietServer(ThreadingHTTPServer):
    """Answers until `shutdown()`, asleep between requests.

    `serve_forever` wakes every `poll_interval` to look for a shutdown request: at its 0.5 s
    that was 1.2 ms of CPU a second, more than half of what an idle operator used. This one
    waits for the next connection however long it takes, and `shutdown()` makes one."""

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(address, handler)
        self._stopping = threading.Event()
        self._stopped = threading.Event()

    def serve_until_shutdown(self) -> None:
        try:
            while not self._stopping.is_set():
                self.handle_request()
        finally:
            self._stopped.set()

    def shutdown(self) -> None:
        self._stopping.set()
        host, port = self.server_address[:2]
        with contextlib.suppress(OSError):
            wake = ("127.0.0.1" if host in ("", "0.0.0.0") else str(host), int(port))  # noqa: S104
            socket.create_connection(wake, timeout=1.0).close()
        if not self._stopped.wait(5.0):
            # Its thread still waits for a connection (a daemon: it ends with the process).
            log.warning("the metrics endpoint did not stop within 5 s; closing it anyway")
        self.server_close()


def serve(
    metrics: Metrics,
    liveness: Liveness,
    port: int,
    host: str = "0.0.0.0",  # noqa: S104 - a pod's metrics must be reachable by Prometheus
    readiness: Readiness = _always_ready,
) -> QuietServer:
    """Start /metrics, /healthz and /readyz on a daemon thread; returns the server (port 0
    picks one)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.split("?")[0] == "/metrics":
                self._answer(200, metrics.render(), CONTENT_TYPE_LATEST)
            elif self.path.split("?")[0] in ("/healthz", "/livez"):
                ok = liveness.alive()
                self._answer(200 if ok else 503, b"ok\n" if ok else b"stuck\n", "text/plain")
            elif self.path.split("?")[0] == "/readyz":
                ready, why = readiness()
                self._answer(200 if ready else 503, f"{why}\n".encode(), "text/plain")
            else:
                self._answer(404, b"not found\n", "text/plain")

        def _answer(self, code: int, body: bytes, content_type: str) -> None:
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            # Scrapes every few seconds would drown the operator's own log.
            return

    server = QuietServer((host, port), Handler)
    thread = threading.Thread(
        target=server.serve_until_shutdown, name="nbaccess-metrics", daemon=True
    )
    thread.start()
    return server
