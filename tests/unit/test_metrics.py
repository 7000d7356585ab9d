"""What a Prometheus scrape of the operator shows, before and after work."""

from __future__ import annotations

import threading

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from nbaccess import __version__
from nbaccess.metrics import KINDS, Liveness, Metrics, serve


def samples(metrics: Metrics) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    text = metrics.render().decode()
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_series_exist_before_the_first_reconcile() -> None:
    seen = samples(Metrics())
    for kind in KINDS:
        for result in ("ready", "progressing", "stalled", "error"):
            assert (
                seen[("nbaccess_reconcile_total", frozenset({("kind", kind), ("result", result)}))]
                == 0
            )
        assert seen[("nbaccess_resources", frozenset({("kind", kind), ("ready", "True")}))] == 0
    assert seen[("nbaccess_build_info", frozenset({("version", __version__)}))] == 1


def test_requests_are_counted_by_route_template_and_code() -> None:
    metrics = Metrics()
    metrics.observe_request("PUT", "/api/groups/{id}", "200", 0.05)
    metrics.observe_request("PUT", "/api/groups/{id}", "200", 0.07)
    metrics.observe_request("PUT", "/api/groups/{id}", "409", 0.01)
    seen = samples(metrics)
    ok = frozenset({("method", "PUT"), ("route", "/api/groups/{id}"), ("code", "200")})
    assert seen[("nbaccess_netbird_requests_total", ok)] == 2
    count = frozenset({("method", "PUT"), ("route", "/api/groups/{id}")})
    assert seen[("nbaccess_netbird_request_duration_seconds_count", count)] == 3


def test_routing_peer_gauges_come_and_go_with_the_object() -> None:
    metrics = Metrics()
    metrics.set_object_gauge("routing_peers_connected", "NetBirdNetwork", "net", "orders", 1)
    metrics.set_object_gauge("routing_peers", "NetBirdNetwork", "net", "orders", 2)
    labels = frozenset({("kind", "NetBirdNetwork"), ("namespace", "net"), ("name", "orders")})
    assert samples(metrics)[("nbaccess_network_routing_peers_connected", labels)] == 1
    metrics.forget_object("NetBirdNetwork", "net", "orders")
    metrics.forget_object("NetBirdNetwork", "net", "orders")  # twice: already gone is fine
    assert ("nbaccess_network_routing_peers", labels) not in samples(metrics)


def test_forgetting_one_kind_keeps_the_gauges_of_another_with_the_same_name() -> None:
    metrics = Metrics()
    metrics.set_object_gauge("routing_peers", "NetBirdNetwork", "net", "x", 2)
    metrics.set_object_gauge("setup_key_expiry", "SetupKey", "net", "x", 1_800_000_000)
    metrics.forget_object("SetupKey", "net", "x")
    network = frozenset({("kind", "NetBirdNetwork"), ("namespace", "net"), ("name", "x")})
    assert samples(metrics)[("nbaccess_network_routing_peers", network)] == 2


def test_the_endpoint_serves_metrics_and_says_when_the_loop_is_stuck() -> None:
    metrics, alive = Metrics(), Liveness(max_silence=60)
    server = serve(metrics, alive, 0, host="127.0.0.1")
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        scrape = httpx.get(f"{base}/metrics")
        assert scrape.status_code == 200
        assert "nbaccess_reconcile_total" in scrape.text
        assert httpx.get(f"{base}/healthz").status_code == 200
        alive.max_silence = -1  # no heartbeat can be recent enough
        assert httpx.get(f"{base}/healthz").status_code == 503
        assert httpx.get(f"{base}/nope").status_code == 404
    finally:
        server.shutdown()
        server.server_close()


def test_the_endpoint_stops_on_shutdown_without_polling_for_it() -> None:
    metrics, alive = Metrics(), Liveness(max_silence=60)
    before = set(threading.enumerate())
    server = serve(metrics, alive, 0, host="127.0.0.1")
    port = server.server_address[1]
    (serving,) = (t for t in threading.enumerate() if t not in before)
    assert httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
    server.shutdown()  # the server sleeps until a connection: shutdown makes the one it needs
    serving.join(timeout=10)
    assert not serving.is_alive()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/healthz")


def test_readiness_is_its_own_endpoint_and_says_why() -> None:
    metrics, alive = Metrics(), Liveness(max_silence=60)
    answers = iter([(True, "standby"), (False, "standby, cannot read the Lease: 403 Forbidden")])
    server = serve(metrics, alive, 0, host="127.0.0.1", readiness=lambda: next(answers))
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        ready = httpx.get(f"{base}/readyz")
        assert (ready.status_code, ready.text) == (200, "standby\n")
        not_ready = httpx.get(f"{base}/readyz")
        assert not_ready.status_code == 503
        assert "403 Forbidden" in not_ready.text
        # Liveness does not follow readiness: a standby that cannot take over is not stuck.
        assert httpx.get(f"{base}/healthz").status_code == 200
    finally:
        server.shutdown()
        server.server_close()


def test_a_setup_key_expiry_is_exported_for_alerting() -> None:
    metrics = Metrics()
    metrics.set_object_gauge("setup_key_expiry", "SetupKey", "ci", "runners", 1_800_000_000)
    labels = frozenset({("kind", "SetupKey"), ("namespace", "ci"), ("name", "runners")})
    assert samples(metrics)[("nbaccess_setup_key_expiry_timestamp_seconds", labels)] == 1.8e9
