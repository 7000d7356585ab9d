"""The guide's "connection works sometimes": a real routing peer that keeps dropping out shows
as RoutingPeersFlapping on its network, with the flap count in status and /metrics."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from tests.e2e.harness import NetBirdApi, eventually, manifest, unique
from tests.e2e.kubectl import Kubectl
from tests.e2e.networks.test_routing_peers import HEALTH_TIMEOUT, conditions, gauge
from tests.e2e.operator_process import HEALTH_SECONDS, OperatorProcess
from tests.e2e.peers.conftest import SetupKey
from tests.e2e.stack.peer import PeerProcess

Enroll = Callable[[str, str], PeerProcess]
MakeSetupKey = Callable[..., SetupKey]
CYCLES = 3


def wait_disconnected(netbird: NetBirdApi, peer: PeerProcess) -> None:
    def down() -> None:
        assert netbird.get(f"/peers/{peer.netbird_id}")["connected"] is False

    eventually(down, timeout=30, interval=0.25)


def test_a_routing_peer_stopped_and_started_three_times_in_a_minute_flaps(
    kubectl: Kubectl,
    netbird: NetBirdApi,
    operator: OperatorProcess,
    namespace: str,
    setup_key: MakeSetupKey,
    enroll: Enroll,
    netbird_url: str,
    netbird_token: str,
) -> None:
    routing = unique("rp")
    kubectl.apply(namespace, manifest("NetBirdGroup", routing, {"name": routing}))
    group_id = kubectl.wait_ready(namespace, "netbirdgroup", routing)["id"]
    cr = unique("edge")
    kubectl.apply(
        namespace,
        manifest(
            "NetBirdNetwork",
            cr,
            {
                "resources": [{"name": f"{cr}-host", "address": "10.77.0.5"}],
                "routers": [{"name": "primary", "peerGroups": [{"ref": routing}]}],
            },
        ),
    )
    kubectl.wait_ready(namespace, "netbirdnetwork", cr)
    peer = enroll(setup_key(unique("rp-key"), auto_groups=[group_id]).value, unique("router"))

    def connected_and_stable() -> dict[str, Any]:
        now = kubectl.status(namespace, "netbirdnetwork", cr)
        cond = conditions(now)
        assert cond["RoutingPeersHealthy"]["status"] == "True", cond["RoutingPeersHealthy"]
        assert cond["RoutingPeersFlapping"]["status"] == "False", cond["RoutingPeersFlapping"]
        return now

    eventually(connected_and_stable, timeout=HEALTH_TIMEOUT, interval=1)

    started = time.monotonic()
    for _ in range(CYCLES):
        peer.stop()
        wait_disconnected(netbird, peer)
        peer.restart(netbird_url, admin_token=netbird_token)
        # A stop and start takes about a second; two within one health read show as one
        # reconnect (a lastSeen jump), so the cycles are spread over the minute as a failing
        # host or link spreads them.
        time.sleep(HEALTH_SECONDS + 1)
    took = time.monotonic() - started
    print(f"{CYCLES} stop/start cycles of a real routing peer in {took:.1f}s")
    assert took < 60, "the cycles must fit in a minute for this to say anything"

    def flapping_and_back() -> dict[str, Any]:
        now = kubectl.status(namespace, "netbirdnetwork", cr)
        cond = conditions(now)
        assert cond["RoutingPeersFlapping"]["status"] == "True", cond["RoutingPeersFlapping"]
        assert cond["RoutingPeersHealthy"]["status"] == "True", cond["RoutingPeersHealthy"]
        return now

    status = eventually(flapping_and_back, timeout=HEALTH_TIMEOUT, interval=1)
    cond = conditions(status)["RoutingPeersFlapping"]
    assert cond["reason"] == "RoutingPeersFlapping"
    assert peer.name in cond["message"]
    # Three disconnects and three reconnects, whether seen between reads or as lastSeen jumps.
    assert status["routingPeerFlaps"] >= CYCLES
    assert gauge(operator.metrics_url, "nbaccess_network_routing_peer_flaps", namespace, cr) >= 3
    # Flapping is about the data plane: the configuration stays Ready; the peer is up now,
    # and the condition still says it keeps dropping out (over the flap window).
    assert conditions(status)["Ready"]["status"] == "True"
    events = kubectl.ok(
        "get", "events", "-n", namespace, "--field-selector", f"involvedObject.name={cr}"
    )
    assert "RoutingPeersFlapping" in events
