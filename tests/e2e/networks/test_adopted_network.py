"""An adopted network against a real NetBird: what someone made in it by hand outlives the CR,
although NetBird deletes a network's resources and routers with the network."""

from __future__ import annotations

import secrets

from tests.e2e.harness import NetBirdApi, manifest, unique
from tests.e2e.kubectl import Kubectl
from tests.e2e.operator_process import OperatorProcess


def test_deleting_an_adopted_network_keeps_what_was_made_by_hand(
    kubectl: Kubectl, netbird: NetBirdApi, operator: OperatorProcess, namespace: str
) -> None:
    routing = unique("rp")
    kubectl.apply(namespace, manifest("NetBirdGroup", routing, {"name": routing}))
    group_id = kubectl.wait_ready(namespace, "netbirdgroup", routing)["id"]

    cr = unique("legacy")
    octet = secrets.randbelow(200) + 20
    network = netbird.post("/networks", {"name": cr, "description": "made by hand"})
    try:
        hand_resource = netbird.post(
            f"/networks/{network['id']}/resources",
            {"name": f"{cr}-hand", "address": f"10.{octet}.9.0/24", "enabled": True},
        )
        # Routes through the same group the CR declares: still not the operator's to take.
        hand_router = netbird.post(
            f"/networks/{network['id']}/routers",
            {"peer_groups": [group_id], "metric": 10, "masquerade": True, "enabled": True},
        )
        kubectl.apply(
            namespace,
            manifest(
                "NetBirdNetwork",
                cr,
                {
                    "adopt": True,
                    "resources": [{"name": f"{cr}-declared", "address": f"10.{octet}.1.0/24"}],
                    "routers": [{"name": "main", "peerGroups": [{"ref": routing}], "metric": 10}],
                },
            ),
        )
        status = kubectl.wait_ready(namespace, "netbirdnetwork", cr)
        assert status["id"] == network["id"]
        assert status["adopted"] is True
        routers = {r["id"] for r in netbird.get(f"/networks/{network['id']}/routers")}
        assert routers == {hand_router["id"], status["routers"][0]["id"]}

        kubectl.ok("delete", "-n", namespace, "netbirdnetwork", cr, "--timeout=60s")
        assert [n["id"] for n in netbird.by_name("networks", cr)] == [network["id"]]
        resources = netbird.get(f"/networks/{network['id']}/resources")
        assert [r["id"] for r in resources] == [hand_resource["id"]]
        routers_left = netbird.get(f"/networks/{network['id']}/routers")
        assert [r["id"] for r in routers_left] == [hand_router["id"]]
    finally:
        netbird.delete(f"/networks/{network['id']}")
