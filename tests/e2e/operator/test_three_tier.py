"""The guide's worked example, applied in one go, converges NetBird to exactly what it declares."""

from __future__ import annotations

import json
import time
from typing import Any

import yaml

from nbaccess.conditions import kstatus_violations
from tests.e2e.harness import NetBirdApi, eventually, metric_sum
from tests.e2e.kubectl import ROOT, Kubectl
from tests.e2e.operator_process import OperatorProcess

EXAMPLE = ROOT / "examples/three-tier"


def declared() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in sorted(EXAMPLE.glob("*.yaml")):
        docs += [d for d in yaml.safe_load_all(path.read_text()) if d]
    return docs


def snapshot(netbird: NetBirdApi) -> dict[str, dict[str, Any]]:
    state: dict[str, dict[str, Any]] = {}
    for collection in ("groups", "policies", "posture-checks", "setup-keys", "networks"):
        for obj in netbird.get(collection):
            state[f"{collection}/{obj['id']}"] = obj
    return state


def test_three_tier_example_converges_in_one_apply(
    kubectl: Kubectl, netbird: NetBirdApi, operator: OperatorProcess, namespace: str
) -> None:
    before = snapshot(netbird)

    applied = time.monotonic()
    kubectl.ok("apply", "-n", namespace, "-f", str(EXAMPLE))
    kubectl.ok(
        "wait", "-n", namespace, "--for=condition=Ready", "netbird", "--all", "--timeout=120s"
    )
    print(f"three-tier example: every CR Ready {time.monotonic() - applied:.1f}s after apply")

    objects = json.loads(kubectl.ok("get", "netbird", "-n", namespace, "-o", "json"))["items"]
    docs = declared()
    assert len(objects) == len(docs)
    for obj in objects:
        generation = obj["metadata"]["generation"]
        assert kstatus_violations(obj["status"], generation) == [], obj["metadata"]["name"]
        assert obj["status"]["observedGeneration"] == generation
        assert obj["status"]["id"], obj["metadata"]["name"]

    groups = {g["name"]: g["id"] for g in netbird.get("groups")}
    names = {gid: name for name, gid in groups.items()}
    checks = {c["name"]: c for c in netbird.get("posture-checks")}
    policies = {p["name"]: p for p in netbird.get("policies")}
    for doc in docs:
        spec = doc["spec"]
        if doc["kind"] == "NetBirdGroup":
            assert spec["name"] in groups
        elif doc["kind"] == "PostureCheck":
            stored = checks[spec["name"]]
            assert stored["description"].startswith(spec["description"])
            assert stored["description"].endswith(
                f"managed by nbaccess: {namespace}/{doc['metadata']['name']}"
            )
        elif doc["kind"] == "NetBirdNetwork":
            [network] = netbird.by_name("networks", spec["name"])
            stored = {r["name"]: r for r in netbird.get(f"/networks/{network['id']}/resources")}
            assert set(stored) == {r["name"] for r in spec["resources"]}
            for want in spec["resources"]:
                assert stored[want["name"]]["address"] == want["address"]
                assert sorted(names[g["id"]] for g in stored[want["name"]]["groups"]) == sorted(
                    g["ref"] for g in want["groups"]
                )
            routers = netbird.get(f"/networks/{network['id']}/routers")
            assert sorted((r["metric"], names[r["peer_groups"][0]]) for r in routers) == sorted(
                (r["metric"], r["peerGroups"][0]["ref"]) for r in spec["routers"]
            )
        else:
            policy = policies[spec["name"]]
            [rule] = policy["rules"]
            assert rule["protocol"] == spec["protocol"]
            assert sorted(int(p) for p in rule["ports"]) == sorted(spec["ports"])
            assert rule["bidirectional"] is False
            assert rule["action"] == "accept"
            assert policy["enabled"] is True
            assert sorted(names[g["id"]] for g in rule["sources"]) == sorted(
                s["ref"] for s in spec["sources"]
            )
            assert sorted(names[g["id"]] for g in rule["destinations"]) == sorted(
                d["ref"] for d in spec["destinations"]
            )
            linked = sorted(
                next(n for n, c in checks.items() if c["id"] == pc)
                for pc in policy.get("source_posture_checks") or []
            )
            assert linked == sorted(p["ref"] for p in spec.get("postureChecks", []))

    # Zero trust as the guide states it: nothing reaches the DB but the app tier and
    # monitoring, and the DB starts nothing.
    db = groups["svc-orders-db-prod"]
    ours = [policies[d["spec"]["name"]] for d in docs if d["kind"] == "NetBirdPolicy"]
    for policy in ours:
        rule = policy["rules"][0]
        sources = {names[g["id"]] for g in rule["sources"]}
        destinations = {g["id"] for g in rule["destinations"]}
        assert db not in {g["id"] for g in rule["sources"]}, policy["name"]
        if db in destinations:
            assert sources <= {"svc-orders-app-prod", "svc-monitoring-prod"}, policy["name"]

    # Nothing else changed: every object that existed before is byte-for-byte the same, and
    # the only new objects are the declared ones.
    after = snapshot(netbird)
    for key, obj in before.items():
        assert after.get(key) == obj, f"{key} was changed"
    added = {f"{k.split('/')[0]}:{v['name']}" for k, v in after.items() if k not in before}
    expected = {
        {
            "NetBirdGroup": "groups",
            "PostureCheck": "posture-checks",
            "NetBirdPolicy": "policies",
            "NetBirdNetwork": "networks",
        }[d["kind"]]
        + ":"
        + d["spec"]["name"]
        for d in docs
    }
    assert added == expected

    # The numbers a dashboard would show.
    url = operator.metrics_url
    assert metric_sum(url, "nbaccess_reconcile_total", kind="NetBirdPolicy", result="ready") >= 6
    eventually(
        lambda: _at_least(
            metric_sum(url, "nbaccess_resources", kind="NetBirdGroup", ready="True"), 7
        ),
        timeout=10,
    )
    assert (
        metric_sum(
            url, "nbaccess_netbird_requests_total", method="POST", route="/api/policies", code="200"
        )
        >= 6
    )
    assert metric_sum(url, "nbaccess_reconcile_duration_seconds_count", kind="PostureCheck") >= 2


def _at_least(value: float, floor: float) -> None:
    assert value >= floor, f"{value} < {floor}"
