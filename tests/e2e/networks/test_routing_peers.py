"""A NetBirdNetwork with a real routing peer: what NetBird holds, what status and /metrics say
while the peer is up, and after it goes down."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from tests.e2e.harness import NetBirdApi, eventually, manifest, metric_samples, unique
from tests.e2e.kubectl import Kubectl
from tests.e2e.operator_process import OperatorProcess
from tests.e2e.peers.conftest import SetupKey
from tests.e2e.stack.peer import PeerProcess

Enroll = Callable[[str, str], PeerProcess]
MakeSetupKey = Callable[..., SetupKey]
# Health is read every HEALTH_SECONDS and on each resync; a peer's state reaches the API at once.
HEALTH_TIMEOUT = 120.0


def conditions(status: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["type"]: c for c in status.get("conditions") or ()}


def gauge(url: str, metric: str, namespace: str, name: str) -> float:
    """One network's gauge (metric_sum cannot filter on a label called `name`)."""
    return sum(
        value
        for sample, labels, value in metric_samples(url)
        if sample == metric and labels.get("namespace") == namespace and labels.get("name") == name
    )


def network_writes(url: str) -> float:
    """Writes the operator has sent to any /api/networks route so far."""
    return sum(
        value
        for name, labels, value in metric_samples(url)
        if name == "nbaccess_netbird_requests_total"
        and labels.get("method") in ("POST", "PUT", "DELETE")
        and labels.get("route", "").startswith("/api/networks")
    )


def test_routing_peer_health_follows_a_real_peer(
    kubectl: Kubectl,
    netbird: NetBirdApi,
    operator: OperatorProcess,
    namespace: str,
    setup_key: MakeSetupKey,
    enroll: Enroll,
) -> None:
    routing, standby, db, app = (unique(p) for p in ("rp", "rp-standby", "db", "app"))
    for group in (routing, standby, db, app):
        kubectl.apply(namespace, manifest("NetBirdGroup", group, {"name": group}))
    ids = {g: kubectl.wait_ready(namespace, "netbirdgroup", g)["id"] for g in (routing, db)}

    cr = unique("orders")
    subnet, host, domain = f"{cr}-subnet", f"{cr}-host", f"{cr}-domain"
    octet = secrets.randbelow(200) + 20
    kubectl.apply(
        namespace,
        manifest(
            "NetBirdNetwork",
            cr,
            {
                "description": "orders production",
                "resources": [
                    {"name": subnet, "address": f"10.{octet}.3.0/24", "groups": [{"ref": db}]},
                    {"name": host, "address": f"10.{octet}.1.5", "groups": [{"ref": db}]},
                    {"name": domain, "address": f"{cr}.internal.example"},
                ],
                "routers": [
                    {"name": "primary", "peerGroups": [{"ref": routing}], "metric": 100},
                    {"name": "standby", "peerGroups": [{"ref": standby}], "enabled": False},
                ],
                "health": {"minConnectedRoutingPeers": 2},
            },
        ),
    )
    status = kubectl.wait_ready(namespace, "netbirdnetwork", cr)
    assert conditions(status)["RoutingPeersHealthy"]["reason"] == "NoRoutingPeers"

    # What NetBird holds: the network, three typed resources in the DB group, two routers.
    network = netbird.get(f"/networks/{status['id']}")
    assert network["name"] == cr
    stored = {r["name"]: r for r in netbird.get(f"/networks/{status['id']}/resources")}
    assert {n: (r["type"], r["address"]) for n, r in stored.items()} == {
        subnet: ("subnet", f"10.{octet}.3.0/24"),
        host: ("host", f"10.{octet}.1.5/32"),
        domain: ("domain", f"{cr}.internal.example"),
    }
    db_members = {r["id"] for r in netbird.get(f"/groups/{ids[db]}")["resources"]}
    assert db_members == {stored[subnet]["id"], stored[host]["id"]}
    assert {r["name"]: r["type"] for r in status["resources"]} == {
        subnet: "subnet",
        host: "host",
        domain: "domain",
    }
    routers = {r["id"]: r for r in netbird.get(f"/networks/{status['id']}/routers")}
    by_name = {r["name"]: routers[r["id"]] for r in status["routers"]}
    assert by_name["primary"]["peer_groups"] == [ids[routing]]
    assert by_name["primary"]["enabled"] is True
    assert by_name["standby"]["enabled"] is False  # NetBird creates it enabled; we switched it

    # A real routing peer joins the routing group through its setup key.
    key = setup_key(unique("rp-key"), auto_groups=[ids[routing]])
    peer = enroll(key.value, unique("router"))

    def healthy() -> dict[str, Any]:
        now = kubectl.status(namespace, "netbirdnetwork", cr)
        cond = conditions(now)
        assert cond["RoutingPeersHealthy"]["status"] == "True", cond["RoutingPeersHealthy"]
        return now

    status = eventually(healthy, timeout=HEALTH_TIMEOUT, interval=2)
    cond = conditions(status)
    assert cond["Ready"]["status"] == "True"
    assert cond["RoutingPeersHealthy"]["message"] == "1 of 1 routing peers connected"
    assert cond["HighlyAvailable"]["status"] == "False"
    assert cond["HighlyAvailable"]["message"] == "1 of 1 routing peers connected, at least 2 wanted"
    assert [(p["id"], p["name"], p["connected"]) for p in status["routingPeers"]] == [
        (peer.netbird_id, peer.name, True)
    ]
    assert status["routingPeers"][0]["version"]
    assert status["connectedRoutingPeers"] == 1
    url = operator.metrics_url
    assert gauge(url, "nbaccess_network_routing_peers_connected", namespace, cr) == 1
    assert gauge(url, "nbaccess_network_routing_peers", namespace, cr) == 1

    # A policy to one of the network's resources, by the CR's names.
    policy = unique("app-to-db")
    kubectl.apply(
        namespace,
        manifest(
            "NetBirdPolicy",
            policy,
            {
                "action": "accept",
                "protocol": "tcp",
                "ports": [5432],
                "sources": [{"ref": app}],
                "destinationResource": {"network": cr, "resource": subnet},
            },
        ),
    )
    policy_status = kubectl.wait_ready(namespace, "netbirdpolicy", policy)
    [rule] = netbird.get(f"/policies/{policy_status['id']}")["rules"]
    assert rule["destinationResource"] == {"id": stored[subnet]["id"], "type": "subnet"}

    # The routing peer goes down: data-plane health says so, config sync stays Ready, and
    # noticing it writes nothing to NetBird.
    writes = network_writes(url)
    peer.stop()

    def unhealthy() -> dict[str, Any]:
        now = kubectl.status(namespace, "netbirdnetwork", cr)
        cond = conditions(now)
        assert cond["RoutingPeersHealthy"]["status"] == "False", cond["RoutingPeersHealthy"]
        return now

    status = eventually(unhealthy, timeout=HEALTH_TIMEOUT, interval=2)
    cond = conditions(status)
    assert cond["RoutingPeersHealthy"]["reason"] == "NoRoutingPeerConnected"
    assert cond["Ready"]["status"] == "True"
    assert status["connectedRoutingPeers"] == 0
    assert status["routingPeers"][0]["connected"] is False
    assert gauge(url, "nbaccess_network_routing_peers_connected", namespace, cr) == 0
    assert gauge(url, "nbaccess_network_routing_peers", namespace, cr) == 1
    assert network_writes(url) == writes
    events = kubectl.ok(
        "get", "events", "-n", namespace, "--field-selector", f"involvedObject.name={cr}"
    )
    assert "RoutingPeersHealthy is False" in events
    assert "NoRoutingPeerConnected" in events

    # Deleting the CRs deletes what they made (the network takes its resources and routers).
    kubectl.ok("delete", "-n", namespace, "netbirdpolicy", policy, "--timeout=60s")
    kubectl.ok("delete", "-n", namespace, "netbirdnetwork", cr, "--timeout=60s")
    assert netbird.by_name("networks", cr) == []
    assert not [r for r in netbird.get("/networks/resources") if r["name"] in stored]
    assert not netbird.get(f"/groups/{ids[db]}").get("resources")
