"""Group membership with real peers: what a platform team sees in NetBird after each change."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.e2e.harness import NetBirdApi, eventually, unique
from tests.e2e.kubectl import Kubectl
from tests.e2e.operator_process import RETRY_SECONDS, OperatorProcess
from tests.e2e.peers.conftest import SetupKey
from tests.e2e.stack.peer import PeerProcess

Enroll = Callable[[str, str], PeerProcess]
MakeSetupKey = Callable[..., SetupKey]


def group(cr_name: str, netbird_name: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "nbaccess.dev/v1alpha1",
        "kind": "NetBirdGroup",
        "metadata": {"name": cr_name},
        "spec": {"name": netbird_name, **spec},
    }


def wait_ready(kubectl: Kubectl, namespace: str, name: str, generation: int) -> dict[str, Any]:
    """The group's status once Ready for `generation` (a rename is a new generation)."""

    def ready() -> dict[str, Any]:
        status = kubectl.status(namespace, "netbirdgroup", name)
        assert status.get("observedGeneration") == generation, status
        conditions = {c["type"]: c for c in status.get("conditions") or ()}
        assert conditions.get("Ready", {}).get("status") == "True", status
        return status

    # A peer the operator has not listed yet makes it wait for the retry tick.
    return eventually(ready, timeout=RETRY_SECONDS + 30)


def member_ids(netbird: NetBirdApi, group_id: str) -> set[str]:
    return {p["id"] for p in netbird.get(f"/groups/{group_id}")["peers"] or ()}


def test_peers_enrolled_by_setup_key_stay_members_when_the_group_is_renamed(
    kubectl: Kubectl,
    netbird: NetBirdApi,
    operator: OperatorProcess,
    namespace: str,
    setup_key: MakeSetupKey,
    enroll: Enroll,
) -> None:
    cr, before, after = unique("team"), unique("team-before"), unique("team-after")
    kubectl.apply(namespace, group(cr, before))
    group_id = wait_ready(kubectl, namespace, cr, 1)["id"]

    key = setup_key(unique("key"), auto_groups=[group_id])
    peer = enroll(key.value, unique("peer"))
    assert member_ids(netbird, group_id) == {peer.netbird_id}

    kubectl.apply(namespace, group(cr, after))
    status = wait_ready(kubectl, namespace, cr, 2)

    assert status["id"] == group_id  # renamed in place, not replaced
    assert netbird.get(f"/groups/{group_id}")["name"] == after
    assert netbird.by_name("groups", before) == []
    assert member_ids(netbird, group_id) == {peer.netbird_id}
    # The peer's own view, as the dashboard shows it.
    groups = {g["id"]: g["name"] for g in netbird.get(f"/peers/{peer.netbird_id}")["groups"]}
    assert groups.get(group_id) == after


def test_listed_peers_make_the_group_exactly_that_list(
    kubectl: Kubectl,
    netbird: NetBirdApi,
    operator: OperatorProcess,
    namespace: str,
    setup_key: MakeSetupKey,
    enroll: Enroll,
) -> None:
    cr = unique("listed")
    # The key puts every peer in the group; the CR's list must win over that.
    kubectl.apply(namespace, group(cr, cr))
    group_id = wait_ready(kubectl, namespace, cr, 1)["id"]
    key = setup_key(unique("key"), auto_groups=[group_id])
    a, b, c = (enroll(key.value, unique(f"peer-{tag}")) for tag in "abc")
    assert member_ids(netbird, group_id) == {a.netbird_id, b.netbird_id, c.netbird_id}

    kubectl.apply(namespace, group(cr, cr, peers=[{"name": a.name}, {"name": b.name}]))
    wait_ready(kubectl, namespace, cr, 2)
    assert member_ids(netbird, group_id) == {a.netbird_id, b.netbird_id}

    kubectl.apply(namespace, group(cr, cr, peers=[{"name": b.name}, {"id": c.netbird_id}]))
    status = wait_ready(kubectl, namespace, cr, 3)
    assert member_ids(netbird, group_id) == {b.netbird_id, c.netbird_id}
    assert status["peersCount"] == 2
