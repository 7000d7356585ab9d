"""What the runner does around each pass: finalizer first, wake-ups from the store, no pass
for our own status writes, and deletions that wait for their dependants instead of looping
on NetBird's refusals."""

from __future__ import annotations

from typing import Any

from nbaccess.reconcile.refs import CrKey
from nbaccess.reconcile.schedule import FINALIZER
from nbaccess.reconcile.status import condition, is_ready
from tests.integration.kube.conftest import Harness
from tests.integration.reconcile.test_reconcile_against_fake import objects


def policy(source: str, destination: str) -> dict[str, Any]:
    return {
        "description": "flow",
        "action": "accept",
        "protocol": "tcp",
        "ports": [443],
        "sources": [{"ref": source}],
        "destinations": [{"ref": destination}],
    }


def key_spec(group: str) -> dict[str, Any]:
    return {"type": "reusable", "usageLimit": 5, "autoGroups": [{"ref": group}]}


def ready(harness: Harness, key: CrKey) -> bool:
    return is_ready(harness.api.objects[key]["status"])


async def test_the_finalizer_comes_before_anything_is_created_in_netbird(harness: Harness) -> None:
    web = harness.api.apply("NetBirdGroup", "web", {})
    harness.watch()
    assert await harness.settle() >= 1
    assert harness.api.objects[web]["metadata"]["finalizers"] == [FINALIZER]
    assert ready(harness, web)
    first_write = next(r for r in harness.fake.requests if r.is_write)
    assert (first_write.method, first_write.path) == ("POST", "/api/groups")


async def test_a_dependency_turning_ready_wakes_its_referrer_at_once(harness: Harness) -> None:
    flow = harness.api.apply("NetBirdPolicy", "flow", policy("src", "dst"))
    await harness.settle()
    assert condition(harness.api.objects[flow]["status"], "Ready")["reason"] == "DependencyNotReady"
    harness.api.apply("NetBirdGroup", "src", {})
    harness.api.apply("NetBirdGroup", "dst", {})
    await harness.settle()  # no time passes: the wake-up, not a retry, does it
    assert ready(harness, flow)


async def test_our_own_status_writes_start_no_pass(harness: Harness) -> None:
    harness.api.apply("NetBirdGroup", "src", {})
    harness.api.apply("NetBirdGroup", "dst", {})
    harness.api.apply("NetBirdPolicy", "flow", policy("src", "dst"))
    await harness.settle()
    writes = harness.api.status_writes
    assert await harness.settle() == 0
    assert harness.api.status_writes == writes


async def test_deleting_a_group_with_its_dependants_never_asks_netbird_in_vain(
    harness: Harness,
) -> None:
    src = harness.api.apply("NetBirdGroup", "src", {})
    dst = harness.api.apply("NetBirdGroup", "dst", {})
    flow = harness.api.apply("NetBirdPolicy", "flow", policy("src", "dst"))
    key = harness.api.apply("SetupKey", "runners", key_spec("src"))
    await harness.settle()
    assert all(ready(harness, k) for k in (src, dst, flow, key))

    for k in (src, dst, flow, key):  # the groups first, as a namespace deletion may
        harness.api.delete(k)
    await harness.settle(advance=1)

    assert harness.api.objects == {}
    refused = [r for r in harness.fake.requests if r.method == "DELETE" and r.status != 200]
    assert refused == []
    assert {g["name"] for g in objects(harness.fake, "groups")} == {"All"}


async def test_a_deletion_netbird_refuses_is_said_in_status_and_tried_again(
    harness: Harness,
) -> None:
    harness.api.apply("NetBirdGroup", "src", {})
    dst = harness.api.apply("NetBirdGroup", "dst", {})
    harness.api.apply("NetBirdPolicy", "flow", policy("src", "dst"))
    await harness.settle()

    harness.api.delete(dst)  # the policy stays: NetBird refuses, the group waits
    await harness.settle()
    ready_cond = condition(harness.api.objects[dst]["status"], "Ready")
    assert (ready_cond["status"], ready_cond["reason"]) == ("False", "DeletionBlocked")
    assert "linked to policy" in ready_cond["message"]
    assert harness.controller.queue.due_at(dst) is not None  # retried with backoff, not dropped
    assert any(e.reason == "InUse" for e in harness.api.events if e.key == dst)
