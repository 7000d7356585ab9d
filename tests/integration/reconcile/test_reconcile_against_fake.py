"""Reconcilers against the fake NetBird: the outcomes and the objects a user would check."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from nbaccess.conditions import Phase, kstatus_violations
from nbaccess.reconcile.status import condition
from tests.fakes import DropKind, FakeNetBird
from tests.integration.reconcile.conftest import Clock, Cluster, DeletionBlocked

EXAMPLE = Path(__file__).resolve().parents[3] / "examples/three-tier"


def example_docs() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in sorted(EXAMPLE.glob("*.yaml")):
        docs += [d for d in yaml.safe_load_all(path.read_text()) if d]
    return docs


def fake_get(fake: FakeNetBird, path: str) -> Any:
    """What a person would see through the API, read past the client and its cache."""
    outcome = fake.process("GET", f"/api/{path}", "", {"authorization": f"Token {fake.token}"}, b"")
    assert outcome.response is not None
    return json.loads(outcome.response[2])


def objects(fake: FakeNetBird, collection: str) -> list[dict[str, Any]]:
    return list(fake_get(fake, collection))


def policy_spec(source: str, destination: str, **extra: Any) -> dict[str, Any]:
    return {
        "description": "test flow",
        "action": "accept",
        "protocol": "tcp",
        "ports": [443],
        "sources": [{"ref": source}],
        "destinations": [{"ref": destination}],
        **extra,
    }


async def test_the_three_tier_example_converges_whatever_the_order(
    cluster: Cluster, fake: FakeNetBird, clock: Clock
) -> None:
    keys = [
        cluster.apply(d["kind"], d["metadata"]["name"], d["spec"])
        for d in reversed(example_docs())  # policies first: they must wait, not fail
    ]
    await cluster.converge(*keys)

    for key in keys:
        obj = cluster.objects[key]
        assert kstatus_violations(obj["status"], obj["generation"]) == [], key
    policies = {p["name"]: p for p in objects(fake, "policies")}
    assert {"users-to-orders-web-prod", "orders-app-to-db-prod"} <= set(policies)
    assert policies["orders-app-to-db-prod"]["rules"][0]["ports"] == ["5432"]
    assert len(policies["users-to-orders-web-prod"]["source_posture_checks"]) == 2

    # A resync after the cache expired reads, and writes nothing.
    writes = len(fake.writes())
    clock.advance(60)
    for key in keys:
        outcome = await cluster.reconcile(key)
        assert outcome.phase is Phase.READY
        assert outcome.changes == []
    assert len(fake.writes()) == writes


async def test_n_objects_of_a_kind_cost_one_list_call_per_interval(
    cluster: Cluster, fake: FakeNetBird, clock: Clock
) -> None:
    keys = [cluster.apply("NetBirdGroup", f"g{i}", {}) for i in range(10)]
    await cluster.converge(*keys)
    clock.advance(60)
    fake.clear_log()
    for key in keys:
        await cluster.reconcile(key)
    gets = [r for r in fake.requests if r.method == "GET"]
    assert [r.path for r in gets] == ["/api/groups"]


async def test_a_transient_failure_recovers_without_duplicates(
    cluster: Cluster, fake: FakeNetBird
) -> None:
    src = cluster.apply("NetBirdGroup", "src", {})
    dst = cluster.apply("NetBirdGroup", "dst", {})
    await cluster.converge(src, dst)
    pol = cluster.apply("NetBirdPolicy", "flow", policy_spec("src", "dst"))

    fake.fail_next(1, 500, method="POST", path="/api/policies")
    outcome = await cluster.reconcile(pol)
    assert outcome.phase is Phase.PROGRESSING
    assert kstatus_violations(cluster.objects[pol]["status"], 1) == []

    # The create lands but its answer is lost: the next pass finds it by its marker.
    fake.drop_next(1, method="POST", path="/api/policies", after_processing=True)
    outcome = await cluster.reconcile(pol)
    assert outcome.phase is Phase.PROGRESSING
    await cluster.converge(pol)
    assert len([p for p in objects(fake, "policies") if p["name"] == "flow"]) == 1


async def test_a_group_create_whose_answer_was_lost_is_recovered(
    cluster: Cluster, fake: FakeNetBird
) -> None:
    key = cluster.apply("NetBirdGroup", "lost", {})
    fake.drop_next(1, kind=DropKind.RESET, method="POST", path="/api/groups", after_processing=True)
    assert (await cluster.reconcile(key)).phase is Phase.PROGRESSING
    await cluster.converge(key)
    assert len([g for g in objects(fake, "groups") if g["name"] == "lost"]) == 1


async def test_rate_limiting_is_absorbed_by_the_client(cluster: Cluster, fake: FakeNetBird) -> None:
    key = cluster.apply("NetBirdGroup", "busy", {})
    fake.fail_next(3, 429)
    assert (await cluster.reconcile(key)).phase is Phase.READY


async def test_members_and_resources_survive_a_rename(cluster: Cluster, fake: FakeNetBird) -> None:
    key = cluster.apply("NetBirdGroup", "web", {"name": "svc-web"})
    await cluster.converge(key)
    group_id = cluster.objects[key]["status"]["id"]
    peer = fake.add_peer("web-1", groups=[group_id])  # as a setup key's auto-group does
    cluster.apply("NetBirdGroup", "web", {"name": "svc-web-prod"})
    await cluster.converge(key)
    stored = fake_get(fake, f"groups/{group_id}")
    assert stored["name"] == "svc-web-prod"
    assert [p["id"] for p in stored["peers"]] == [peer]


async def test_a_new_peer_list_is_held_against_the_membership_of_now(
    cluster: Cluster, fake: FakeNetBird
) -> None:
    """A peer a setup key put in the group seconds ago (after the cached list was read) is
    removed by the next spec that does not list it."""
    first = fake.add_peer("web-1")
    key = cluster.apply("NetBirdGroup", "web", {"peers": [{"name": "web-1"}]})
    await cluster.converge(key)
    group_id = cluster.objects[key]["status"]["id"]
    fake.add_peer("web-2", groups=[group_id])  # enrolled with an auto-group, just now
    cluster.apply("NetBirdGroup", "web", {"peers": [{"name": "web-1"}], "name": "web"})
    await cluster.converge(key)
    assert [p["id"] for p in fake_get(fake, f"groups/{group_id}")["peers"]] == [first]


async def test_netbird_rejection_stalls_with_netbirds_message(cluster: Cluster) -> None:
    key = cluster.apply(
        "PostureCheck",
        "geo",
        {"checks": {"geoLocation": {"action": "allow", "locations": [{"countryCode": "DE"}]}}},
    )
    outcome = await cluster.reconcile(key)
    assert outcome.phase is Phase.STALLED
    assert "412" in outcome.message
    status = cluster.objects[key]["status"]
    assert status["observedGeneration"] == 1
    assert kstatus_violations(status, 1) == []


async def test_an_id_netbird_does_not_know_is_reported_not_hidden(
    cluster: Cluster, fake: FakeNetBird
) -> None:
    src = cluster.apply("NetBirdGroup", "src", {})
    await cluster.converge(src)
    spec = policy_spec("src", "x")
    spec["destinations"] = [{"id": "doesnotexist0000000"}]
    key = cluster.apply("NetBirdPolicy", "dangling", spec)
    fake.clear_log()
    for _ in range(3):
        outcome = await cluster.reconcile(key)
        assert outcome.phase is Phase.PROGRESSING
        assert outcome.reason == "DependencyNotReady"
        assert "doesnotexist0000000" in outcome.message
    # NetBird would have "accepted" it and dropped the id; nothing was written instead.
    assert fake.writes() == []


async def test_a_group_deleted_between_lookup_and_write_is_reported_as_dropped(
    cluster: Cluster, fake: FakeNetBird
) -> None:
    src = cluster.apply("NetBirdGroup", "src", {})
    dst = cluster.apply("NetBirdGroup", "dst", {})
    await cluster.converge(src, dst)
    key = cluster.apply("NetBirdPolicy", "flow", policy_spec("src", "dst"))
    # Removed behind the operator's back after the (cached) lookup saw it.
    dst_id = cluster.objects[dst]["status"]["id"]
    with fake.lock:
        fake.account.groups.pop(dst_id)
    outcome = await cluster.reconcile(key)
    assert outcome.reason == "DroppedReference"
    assert dst_id in outcome.message


async def test_the_default_policy_stays_on_until_a_specific_policy_is_ready(
    cluster: Cluster, fake: FakeNetBird
) -> None:
    default = cluster.apply(
        "NetBirdPolicy",
        "default",
        {
            "name": "Default",
            "adopt": True,
            "enabled": False,
            "action": "accept",
            "protocol": "all",
            "bidirectional": True,
            "sources": [{"name": "All"}],
            "destinations": [{"name": "All"}],
        },
    )
    outcome = await cluster.reconcile(default)
    assert outcome.reason == "DefaultPolicyInterlock"
    assert outcome.phase is Phase.PROGRESSING
    assert [p["enabled"] for p in objects(fake, "policies") if p["name"] == "Default"] == [True]

    src = cluster.apply("NetBirdGroup", "src", {})
    dst = cluster.apply("NetBirdGroup", "dst", {})
    flow = cluster.apply("NetBirdPolicy", "flow", policy_spec("src", "dst"))
    await cluster.converge(src, dst, flow)
    await cluster.converge(default)
    assert [p["enabled"] for p in objects(fake, "policies") if p["name"] == "Default"] == [False]


async def test_expired_access_is_switched_off(cluster: Cluster, fake: FakeNetBird) -> None:
    src = cluster.apply("NetBirdGroup", "src", {})
    dst = cluster.apply("NetBirdGroup", "dst", {})
    until = (cluster.now + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    flow = cluster.apply("NetBirdPolicy", "temp", policy_spec("src", "dst", expiresAt=until))
    await cluster.converge(src, dst, flow)
    assert cluster.objects[flow]["status"]["recheckAfter"] == until
    assert [p["enabled"] for p in objects(fake, "policies") if p["name"] == "temp"] == [True]

    cluster.now += dt.timedelta(hours=2)
    outcome = await cluster.reconcile(flow)
    assert outcome.reason == "Expired"
    assert [p["enabled"] for p in objects(fake, "policies") if p["name"] == "temp"] == [False]


async def test_deletion_honours_the_policy_and_waits_while_in_use(
    cluster: Cluster, fake: FakeNetBird
) -> None:
    kept = cluster.apply("NetBirdGroup", "kept", {"deletionPolicy": "Orphan"})
    used = cluster.apply("NetBirdGroup", "used", {})
    flow = cluster.apply("NetBirdPolicy", "flow", policy_spec("kept", "used"))
    await cluster.converge(kept, used, flow)

    with pytest.raises(DeletionBlocked):
        await cluster.delete(used)
    # Said where people look: not Ready any more, with NetBird's own reason.
    ready = condition(cluster.objects[used]["status"], "Ready")
    assert ready is not None
    assert (ready["status"], ready["reason"]) == ("False", "DeletionBlocked")
    assert "linked to policy" in ready["message"]
    assert condition(cluster.objects[used]["status"], "Reconciling") is not None
    await cluster.delete(flow)
    await cluster.delete(used)
    await cluster.delete(kept)
    names = {g["name"] for g in objects(fake, "groups")}
    assert "kept" in names
    assert "used" not in names
    assert "flow" not in {p["name"] for p in objects(fake, "policies")}


async def test_observed_groups_are_resolved_never_written(
    cluster: Cluster, fake: FakeNetBird
) -> None:
    key = cluster.apply("NetBirdGroup", "all", {"name": "All", "managementPolicy": "Observe"})
    writes = len(fake.writes())
    assert (await cluster.reconcile(key)).phase is Phase.READY
    assert cluster.objects[key]["status"]["id"] == fake.all_group_id
    missing = cluster.apply(
        "NetBirdGroup", "idp", {"name": "from-idp", "managementPolicy": "Observe"}
    )
    outcome = await cluster.reconcile(missing)
    assert outcome.phase is Phase.STALLED
    assert len(fake.writes()) == writes


async def test_an_observed_group_is_managed_only_after_explicit_adoption(
    cluster: Cluster, fake: FakeNetBird
) -> None:
    key = cluster.apply("NetBirdGroup", "all", {"name": "All", "managementPolicy": "Observe"})
    await cluster.converge(key)
    idp = cluster.apply("NetBirdGroup", "support", {"name": "Support"})
    await cluster.converge(idp)  # a managed group, later switched to Observe and back
    cluster.apply("NetBirdGroup", "support", {"name": "Support", "managementPolicy": "Observe"})
    await cluster.converge(idp)
    writes = len(fake.writes())
    cluster.apply("NetBirdGroup", "support", {"name": "Support", "peers": []})
    outcome = await cluster.reconcile(idp)
    assert outcome.reason == "AdoptionRequired"
    assert len(fake.writes()) == writes
    await cluster.delete(idp)  # deleting the resource leaves the observed group alone
    assert "Support" in {g["name"] for g in objects(fake, "groups")}


async def test_an_id_copied_from_another_resource_is_refused(cluster: Cluster) -> None:
    src = cluster.apply("NetBirdGroup", "src", {})
    dst = cluster.apply("NetBirdGroup", "dst", {})
    first = cluster.apply("NetBirdPolicy", "first", policy_spec("src", "dst"))
    await cluster.converge(src, dst, first)
    copy = cluster.apply("NetBirdPolicy", "copy", policy_spec("src", "dst"))
    cluster.objects[copy]["status"] = {"id": cluster.objects[first]["status"]["id"]}
    outcome = await cluster.reconcile(copy)
    assert outcome.phase is Phase.STALLED
    assert outcome.reason == "AlreadyManaged"
