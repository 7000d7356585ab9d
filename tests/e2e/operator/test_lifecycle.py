"""One CR's life as a platform team sees it: waiting, converging, drift, adoption, deletion."""

from __future__ import annotations

import time
from typing import Any

from nbaccess.conditions import kstatus_violations
from tests.e2e.harness import NetBirdApi, eventually, metric_sum, unique, write_requests
from tests.e2e.kubectl import Kubectl
from tests.e2e.operator_process import RESYNC_SECONDS, RETRY_SECONDS, OperatorProcess


def group(cr_name: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "nbaccess.dev/v1alpha1",
        "kind": "NetBirdGroup",
        "metadata": {"name": cr_name},
        "spec": {"name": cr_name, **spec},
    }


def policy(name: str, source: str, destination: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "nbaccess.dev/v1alpha1",
        "kind": "NetBirdPolicy",
        "metadata": {"name": name},
        "spec": {
            "name": name,
            "description": "e2e flow. Owner: e2e",
            "action": "accept",
            "protocol": "tcp",
            "ports": [443],
            "sources": [{"ref": source}],
            "destinations": [{"ref": destination}],
            **spec,
        },
    }


def test_a_policy_waits_for_its_group_and_wakes_when_it_is_ready(
    kubectl: Kubectl, netbird: NetBirdApi, operator: OperatorProcess, namespace: str
) -> None:
    src, dst, pol = unique("src"), unique("dst"), unique("pol")
    kubectl.apply(namespace, group(src))
    kubectl.wait_ready(namespace, "netbirdgroup", src)
    kubectl.apply(namespace, policy(pol, src, dst))

    def waiting() -> None:
        ready = kubectl.condition(namespace, "netbirdpolicy", pol, "Ready")
        reconciling = kubectl.condition(namespace, "netbirdpolicy", pol, "Reconciling")
        assert ready.get("status") == "False"
        assert ready.get("reason") == "DependencyNotReady"
        assert reconciling.get("status") == "True"
        assert dst in ready.get("message", "")

    eventually(waiting, timeout=30)
    status = kubectl.status(namespace, "netbirdpolicy", pol)
    assert status["observedGeneration"] == -1
    assert kstatus_violations(status, 1) == []

    created = time.monotonic()
    kubectl.apply(namespace, group(dst))
    kubectl.wait_ready(namespace, "netbirdpolicy", pol, timeout=RETRY_SECONDS - 10)
    took = time.monotonic() - created
    # The retry tick is RETRY_SECONDS; Ready well before it means the dependency woke us.
    print(f"policy Ready {took:.1f}s after its group was applied (retry tick {RETRY_SECONDS}s)")
    assert took < RETRY_SECONDS - 10
    assert netbird.one("policies", pol)["enabled"] is True


def test_drift_in_netbird_is_undone_and_a_quiet_resync_writes_nothing(
    kubectl: Kubectl, netbird: NetBirdApi, operator: OperatorProcess, namespace: str
) -> None:
    src, dst, pol = unique("src"), unique("dst"), unique("pol")
    for obj in (group(src), group(dst), policy(pol, src, dst)):
        kubectl.apply(namespace, obj)
    kubectl.wait_ready(namespace, "netbirdpolicy", pol)

    # A quiet resync: the sweep reads NetBird, finds nothing changed, and writes nothing,
    # neither to NetBird nor to the resource's status.
    writes = write_requests(operator.metrics_url)
    reads = read_requests(operator.metrics_url)
    synced = kubectl.status(namespace, "netbirdpolicy", pol)["lastSyncedTime"]
    eventually(lambda: _at_least(read_requests(operator.metrics_url), reads + 1), timeout=60)
    assert write_requests(operator.metrics_url) == writes
    assert kubectl.status(namespace, "netbirdpolicy", pol)["lastSyncedTime"] == synced

    # Someone edits the policy and renames the group in the dashboard.
    stored = netbird.one("policies", pol)
    rule = stored["rules"][0]
    edited = {
        "name": stored["name"],
        "description": "edited by hand",
        "enabled": True,
        "source_posture_checks": [],
        "rules": [
            {
                "id": rule["id"],
                "name": rule["name"],
                "enabled": True,
                "action": "accept",
                "bidirectional": True,
                "protocol": "tcp",
                "ports": ["22"],
                "sources": [g["id"] for g in rule["sources"]],
                "destinations": [g["id"] for g in rule["destinations"]],
            }
        ],
    }
    netbird.put(f"policies/{stored['id']}", edited)
    src_group = netbird.one("groups", src)
    netbird.put(
        f"groups/{src_group['id']}", {"name": f"{src}-renamed", "peers": [], "resources": []}
    )

    def undone() -> None:
        now = netbird.get(f"policies/{stored['id']}")
        assert now["rules"][0]["ports"] == ["443"]
        assert now["rules"][0]["bidirectional"] is False
        assert now["description"].startswith("e2e flow. Owner: e2e")
        assert netbird.get(f"groups/{src_group['id']}")["name"] == src

    eventually(undone, timeout=RESYNC_SECONDS * 3)


def _at_least(value: float, wanted: float) -> None:
    assert value >= wanted


def read_requests(url: str) -> float:
    return metric_sum(url, "nbaccess_netbird_requests_total", method="GET")


def test_deletion_policy_and_adoption_and_hands_off_what_is_not_ours(
    kubectl: Kubectl, netbird: NetBirdApi, operator: OperatorProcess, namespace: str
) -> None:
    # Objects the operator never owned: created by hand, compared byte for byte at the end.
    foreign_group = netbird.post("groups", {"name": unique("hand-made"), "peers": []})
    foreign_policy = netbird.post(
        "policies",
        {
            "name": unique("hand-made"),
            "description": "made in the dashboard",
            "enabled": True,
            "rules": [
                {
                    "name": "hand",
                    "enabled": True,
                    "action": "accept",
                    "bidirectional": False,
                    "protocol": "tcp",
                    "ports": ["80"],
                    "sources": [foreign_group["id"]],
                    "destinations": [foreign_group["id"]],
                }
            ],
        },
    )
    foreign_check = netbird.post(
        "posture-checks",
        {
            "name": unique("hand-made"),
            "description": "made in the dashboard",
            "checks": {"nb_version_check": {"min_version": "0.50.0"}},
        },
    )
    untouched = {
        "groups": (foreign_group["id"], netbird.raw(f"groups/{foreign_group['id']}")),
        "policies": (foreign_policy["id"], netbird.raw(f"policies/{foreign_policy['id']}")),
        "posture-checks": (
            foreign_check["id"],
            netbird.raw(f"posture-checks/{foreign_check['id']}"),
        ),
    }

    # A clash with a same-named group is Stalled until adoption is asked for.
    clash = foreign_group["name"]
    kubectl.apply(namespace, group("clash", name=clash, deletionPolicy="Orphan"))

    def stalled() -> None:
        cond = kubectl.condition(namespace, "netbirdgroup", "clash", "Stalled")
        assert cond.get("status") == "True"
        assert cond.get("reason") == "AlreadyExists"

    eventually(stalled, timeout=30)
    assert kstatus_violations(kubectl.status(namespace, "netbirdgroup", "clash"), 1) == []

    adopted_name = unique("adopt-me")
    adoptee = netbird.post("groups", {"name": adopted_name, "peers": []})
    kubectl.apply(namespace, group("adopted", name=adopted_name, adopt=True))
    kubectl.wait_ready(namespace, "netbirdgroup", "adopted")
    assert kubectl.status(namespace, "netbirdgroup", "adopted")["id"] == adoptee["id"]
    assert len(netbird.by_name("groups", adopted_name)) == 1

    deleted, orphaned = unique("deleted"), unique("orphaned")
    kubectl.apply(namespace, group(deleted))
    kubectl.apply(namespace, group(orphaned, deletionPolicy="Orphan"))
    kubectl.wait_ready(namespace, "netbirdgroup", deleted)
    kubectl.wait_ready(namespace, "netbirdgroup", orphaned)

    for name in (deleted, orphaned, "adopted", "clash"):
        kubectl.ok("delete", "-n", namespace, "netbirdgroup", name, "--timeout=60s")
    assert netbird.by_name("groups", deleted) == []
    assert len(netbird.by_name("groups", orphaned)) == 1
    assert netbird.by_name("groups", adopted_name) == []  # adopted, then deleted: ours now

    for collection, (object_id, body) in untouched.items():
        assert netbird.raw(f"{collection}/{object_id}") == body, f"{collection} was modified"


def test_netbird_rejecting_a_spec_stalls_with_its_message(
    kubectl: Kubectl, operator: OperatorProcess, namespace: str
) -> None:
    # The CRD accepts a geolocation check; this NetBird has no GeoLite database and says so.
    name = unique("geo")
    kubectl.apply(
        namespace,
        {
            "apiVersion": "nbaccess.dev/v1alpha1",
            "kind": "PostureCheck",
            "metadata": {"name": name},
            "spec": {
                "checks": {"geoLocation": {"action": "allow", "locations": [{"countryCode": "DE"}]}}
            },
        },
    )

    def stalled() -> None:
        cond = kubectl.condition(namespace, "posturecheck", name, "Stalled")
        assert cond.get("status") == "True", cond
        assert "NetBird answered 412" in cond.get("message", "")

    eventually(stalled, timeout=30)
    status = kubectl.status(namespace, "posturecheck", name)
    assert status["observedGeneration"] == 1
    assert kstatus_violations(status, 1) == []
