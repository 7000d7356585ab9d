"""What the runner does around each pass: finalizer first, wake-ups from the store, no pass
for our own status writes, and deletions that wait for their dependants instead of looping
on NetBird's refusals."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Mapping, Sequence
from typing import Any

from nbaccess.kube.controller import BURST
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
    harness.clock.now += 5  # the seconds a new resource waits quietly
    await harness.settle()
    assert condition(harness.api.objects[flow]["status"], "Ready")["reason"] == "DependencyNotReady"
    harness.api.apply("NetBirdGroup", "src", {})
    harness.api.apply("NetBirdGroup", "dst", {})
    await harness.settle()  # no time passes: the wake-up, not a retry, does it
    assert ready(harness, flow)


async def test_a_folder_applied_at_once_writes_no_waiting_status(harness: Harness) -> None:
    """Referrers that come before their dependencies (kubectl applies in its own order) wait
    a few seconds without a status write, an event or a warning; one that still waits after
    them says so."""
    flow = harness.api.apply("NetBirdPolicy", "flow", policy("src", "dst"))
    key = harness.api.apply("SetupKey", "runners", key_spec("src"))
    lonely = harness.api.apply("SetupKey", "lonely", key_spec("nowhere"))
    await harness.settle()
    assert [harness.api.objects[k]["status"] for k in (flow, key, lonely)] == [{}, {}, {}]
    harness.clock.now += 2
    harness.api.apply("NetBirdGroup", "src", {})
    harness.api.apply("NetBirdGroup", "dst", {})
    await harness.settle()

    assert ready(harness, flow)
    assert ready(harness, key)
    assert not [e for e in harness.api.events if e.reason == "DependencyNotReady"]
    harness.clock.now += 4  # 6 s since it arrived, 4 s since the last arrival
    await harness.settle()
    assert harness.api.objects[lonely]["status"] == {}
    harness.clock.now += 1
    await harness.settle()
    waiting = condition(harness.api.objects[lonely]["status"], "Ready")
    assert (waiting["status"], waiting["reason"]) == ("False", "DependencyNotReady")
    assert waiting["message"].endswith("NetBirdGroup team/nowhere does not exist")
    assert [e.reason for e in harness.api.events if e.key == lonely] == ["DependencyNotReady"]


async def test_a_namespace_that_never_settles_still_hears_of_the_wait_within_20_s(
    harness: Harness,
) -> None:
    lonely = harness.api.apply("SetupKey", "lonely", key_spec("nowhere"))
    for i in range(5):
        await harness.settle()
        assert harness.api.objects[lonely]["status"] == {}
        harness.clock.now += 4
        harness.api.apply("NetBirdGroup", f"churn-{i}", {})  # one more every 4 s
    await harness.settle()
    waiting = condition(harness.api.objects[lonely]["status"], "Ready")
    assert waiting is not None
    assert waiting["reason"] == "DependencyNotReady"


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


async def test_a_slow_bulk_delete_writes_no_blocked_status_while_deletions_keep_coming(
    harness: Harness,
) -> None:
    """kubectl deletes the groups first, then, seconds later, the keys that use them."""
    groups = [harness.api.apply("NetBirdGroup", f"g{i}", {}) for i in range(3)]
    keys = [harness.api.apply("SetupKey", f"k{i}", key_spec(f"g{i}")) for i in range(3)]
    await harness.settle()
    writes = harness.api.status_writes
    for group in groups:
        harness.api.delete(group)
    await harness.settle()
    for key in keys:
        harness.clock.now += 3  # 9 s in all: past 5 s, but deletions keep coming
        harness.api.delete(key)
        await harness.settle()
    await harness.settle(advance=1)  # the groups go once the keys' deletions have settled
    assert harness.api.objects == {}
    assert harness.api.status_writes == writes
    assert not [e for e in harness.api.events if e.reason == "InUse"]


def netbird_deletes(harness: Harness) -> list[str]:
    """The collections NetBird was asked to delete from, in order."""
    return [r.path.split("/")[2] for r in harness.fake.requests if r.method == "DELETE"]


async def ready_groups_and_keys(harness: Harness, n: int) -> tuple[list[CrKey], list[CrKey]]:
    groups = [harness.api.apply("NetBirdGroup", f"g{i}", {}) for i in range(n)]
    keys = [harness.api.apply("SetupKey", f"k{i}", key_spec(f"g{i}")) for i in range(n)]
    await harness.settle()
    harness.clock.now += 5  # past a new resource's quiet seconds
    await harness.settle()
    assert all(ready(harness, k) for k in groups + keys)
    return groups, keys


async def test_a_bulk_delete_waits_for_its_last_deletion_then_keys_go_before_groups(
    harness: Harness,
) -> None:
    """kubectl sends one delete at a time. From the BURST-th on, NetBird and the finalizers
    are left alone until it has sent the last (1 s of none); then the keys go, then the
    groups: NetBird checks every key left in the account on each group delete."""
    n = BURST // 2 + 5
    groups, keys = await ready_groups_and_keys(harness, n)
    for k in [*groups, *keys]:  # the groups first, as kubectl sorts them
        harness.clock.now += 0.05
        harness.api.delete(k)
        await harness.settle()
    # The keys among the first BURST - 1 deletions went as they came, each with its group.
    before_burst = BURST - 1 - n
    assert netbird_deletes(harness) == ["setup-keys", "groups"] * before_burst
    harness.clock.now += 0.9  # 0.9 s after the last deletion began: still arriving
    await harness.settle()
    assert len(netbird_deletes(harness)) == 2 * before_burst

    harness.clock.now += 0.2
    await harness.settle()  # no more time passes: the last key's end wakes the groups
    assert harness.api.objects == {}
    rest = n - before_burst
    assert netbird_deletes(harness)[2 * before_burst :] == ["setup-keys"] * rest + ["groups"] * rest


async def test_a_few_deletions_at_once_go_at_once(harness: Harness) -> None:
    groups, keys = await ready_groups_and_keys(harness, 3)
    for k in [*keys, *groups]:
        harness.api.delete(k)
    await harness.settle()  # no time passes
    assert harness.api.objects == {}
    assert netbird_deletes(harness) == ["setup-keys"] * 3 + ["groups"] * 3


async def test_a_group_nothing_references_is_deleted_at_once(harness: Harness) -> None:
    group = harness.api.apply("NetBirdGroup", "alone", {})
    await harness.settle()
    harness.api.delete(group)
    await harness.settle()  # no time passes
    assert harness.api.objects == {}
    assert netbird_deletes(harness) == ["groups"]


async def test_in_a_bulk_delete_that_never_ends_each_wait_lasts_20_s_at_most(
    harness: Harness,
) -> None:
    """Another team's cleanup in the same namespace never stops (a deletion every half
    second): a key deleted in the middle of it waits 20 s and goes, and its group waits 20 s
    more for the other keys (NetBird refuses it before its own key has gone) and goes."""
    harness.api.apply("NetBirdGroup", "other", {})
    group = harness.api.apply("NetBirdGroup", "g", {})
    key = harness.api.apply("SetupKey", "k", key_spec("g"))
    others = [harness.api.apply("SetupKey", f"o{i}", key_spec("other")) for i in range(BURST + 120)]
    await harness.settle()
    harness.clock.now += 5
    await harness.settle()
    assert ready(harness, key)
    stream = iter(others)
    for other in itertools.islice(stream, BURST):  # the burst is under way
        harness.clock.now += 0.5
        harness.api.delete(other)
        await harness.settle()
    harness.api.delete(group)
    harness.api.delete(key)
    await harness.settle()
    started = harness.clock.now
    key_gone = None
    for other in stream:
        harness.clock.now += 0.5
        harness.api.delete(other)
        await harness.settle()
        if key_gone is None and key not in harness.api.objects:
            key_gone = harness.clock.now
        if group not in harness.api.objects:
            break

    assert key_gone is not None
    assert 19.5 <= key_gone - started <= 20.5
    assert group not in harness.api.objects
    assert 19.5 <= harness.clock.now - key_gone <= 20.5
    assert netbird_deletes(harness).count("groups") == 1


async def test_a_deletion_netbird_keeps_refusing_holds_up_no_other(harness: Harness) -> None:
    """A key whose delete NetBird keeps failing retries after its backoff: it is not on its
    way out, so a group deleted meanwhile, that nothing uses, goes at once."""
    _, keys = await ready_groups_and_keys(harness, 1)
    harness.fake.fail_next(100, 503, method="DELETE", path="/api/setup-keys")
    harness.api.delete(keys[0])
    await harness.settle()
    assert keys[0] in harness.api.objects
    lone = harness.api.apply("NetBirdGroup", "lone", {})
    await harness.settle()
    harness.api.delete(lone)
    await harness.settle()  # no time passes
    assert lone not in harness.api.objects


async def test_a_key_that_vanished_without_its_deleted_event_holds_up_no_group(
    harness: Harness,
) -> None:
    """Its DELETED can be lost across a re-list: the finalizer patch's 404 says it is gone,
    and its group, deleted next, goes."""
    groups, keys = await ready_groups_and_keys(harness, 1)
    harness.api.delete(keys[0])
    # Another instance finished it meanwhile; no DELETED reaches this one.
    harness.api.objects[keys[0]]["metadata"]["finalizers"] = []
    harness.api.objects.pop(keys[0])
    await harness.settle()
    harness.api.delete(groups[0])
    await harness.settle()  # no time passes
    assert groups[0] not in harness.api.objects


async def test_a_group_its_key_held_up_for_long_still_goes_after_the_other_keys(
    harness: Harness,
) -> None:
    """The group waited (and said so) until its Ready key was deleted, with the others in
    one bulk delete: what it waits for from then on is counted afresh, so it goes after them."""
    groups, keys = await ready_groups_and_keys(harness, 1)
    harness.api.apply("NetBirdGroup", "other", {})
    others = [harness.api.apply("SetupKey", f"o{i}", key_spec("other")) for i in range(BURST + 5)]
    await harness.settle()
    harness.clock.now += 5
    await harness.settle()
    harness.api.delete(groups[0])
    await harness.settle()
    harness.clock.now += 25  # past every quiet wait: it says the key holds it up
    await harness.settle()
    assert condition(harness.api.objects[groups[0]]["status"], "Ready")["reason"] == (
        "DeletionBlocked"
    )
    for k in [*others[:BURST], keys[0], *others[BURST:]]:  # the key amid the burst
        harness.clock.now += 0.01
        harness.api.delete(k)
        await harness.settle()
    harness.clock.now += 1.1
    await harness.settle()
    assert groups[0] not in harness.api.objects
    assert netbird_deletes(harness) == ["setup-keys"] * (BURST + 6) + ["groups"]


async def test_a_group_a_ready_policy_still_uses_waits_for_it_without_asking_netbird(
    harness: Harness,
) -> None:
    harness.api.apply("NetBirdGroup", "src", {})
    dst = harness.api.apply("NetBirdGroup", "dst", {})
    harness.api.apply("NetBirdPolicy", "flow", policy("src", "dst"))
    await harness.settle()
    harness.fake.clear_log()

    harness.api.delete(dst)  # the policy stays: the group waits, and says for whom
    await harness.settle()
    assert is_ready(harness.api.objects[dst]["status"])  # a few seconds' quiet first
    harness.clock.now += 5
    await harness.settle()
    ready_cond = condition(harness.api.objects[dst]["status"], "Ready")
    assert (ready_cond["status"], ready_cond["reason"]) == ("False", "DeletionBlocked")
    assert ready_cond["message"] == (
        "deletion waits: still used by NetBirdPolicy team/flow: delete those or drop the reference"
    )
    assert any(e.reason == "InUse" for e in harness.api.events if e.key == dst)
    assert [r for r in harness.fake.requests if r.method == "DELETE"] == []
    assert harness.controller.queue.due_at(dst) is not None  # looked at again, not dropped

    # The policy stops using it: the group goes at once, no retry needed.
    harness.api.apply("NetBirdPolicy", "flow", policy("src", "src"))
    await harness.settle()
    assert dst not in harness.api.objects
    assert {g["name"] for g in objects(harness.fake, "groups")} == {"All", "src"}


async def test_a_deletion_netbird_refuses_is_said_in_status_and_tried_again(
    harness: Harness,
) -> None:
    harness.api.apply("NetBirdGroup", "src", {})
    dst = harness.api.apply("NetBirdGroup", "dst", {})
    await harness.settle()
    # A policy made in the dashboard uses the group: only NetBird knows.
    group_id = harness.api.objects[dst]["status"]["id"]
    rule = {
        "name": "by hand",
        "enabled": True,
        "action": "accept",
        "bidirectional": False,
        "protocol": "tcp",
        "ports": ["22"],
        "sources": [group_id],
        "destinations": [group_id],
    }
    hand = {"name": "by hand", "enabled": True, "rules": [rule]}
    harness.fake.process(
        "POST",
        "/api/policies",
        "",
        {"authorization": f"Token {harness.fake.token}"},
        json.dumps(hand).encode(),
    )

    harness.api.delete(dst)
    await harness.settle()
    ready_cond = condition(harness.api.objects[dst]["status"], "Ready")
    assert (ready_cond["status"], ready_cond["reason"]) == ("False", "DeletionBlocked")
    assert "linked to policy" in ready_cond["message"]
    assert harness.controller.queue.due_at(dst) is not None  # retried with backoff, not dropped
    assert any(e.reason == "InUse" for e in harness.api.events if e.key == dst)

    # The retries ask NetBird again, and write nothing while its answer stays the same.
    writes, events = harness.api.status_writes, len(harness.api.events)
    asked = len(harness.fake.requests)
    for _ in range(3):
        harness.clock.now = harness.controller.queue.due_at(dst) or harness.clock.now
        await harness.settle()
    assert len(harness.fake.requests) > asked
    assert (harness.api.status_writes, len(harness.api.events)) == (writes, events)
    assert dst in harness.api.objects


async def test_the_watch_saying_deleted_before_our_last_finalizer_write_returns_leaves_no_ghost(
    harness: Harness,
) -> None:
    src = harness.api.apply("NetBirdGroup", "src", {})
    await harness.settle()
    release = harness.api.set_finalizers

    async def watch_first(key: CrKey, finalizers: Sequence[str], version: str) -> dict[str, Any]:
        answer = await release(key, finalizers, version)
        harness.watch()  # DELETED is handled before the answer is back
        return answer

    harness.api.set_finalizers = watch_first  # type: ignore[method-assign]
    harness.api.delete(src)
    await harness.settle()

    assert src not in harness.api.objects
    assert harness.controller.store.get(src) is None
    assert harness.controller.tracker.counts("NetBirdGroup") == (0, 0)
    # A policy naming it is told it does not exist, not that it is being deleted.
    flow = harness.api.apply("NetBirdPolicy", "flow", policy("src", "src"))
    await harness.settle()
    harness.clock.now += 5  # past a new resource's quiet seconds
    await harness.settle()
    waiting = condition(harness.api.objects[flow]["status"], "Ready")
    assert waiting["message"] == "NetBirdGroup team/src does not exist"


async def test_a_deletion_first_seen_in_the_answer_to_our_status_write_is_carried_out(
    harness: Harness,
) -> None:
    """kubectl deletes the group while its first pass runs: the answer to the pass's status
    write is the first to show the deletion, and the watch events that follow are no newer."""
    web = CrKey("NetBirdGroup", "team", "web")
    patch = harness.api.patch_status

    async def deleted_meanwhile(key: CrKey, status: Mapping[str, Any]) -> dict[str, Any]:
        if key == web and "deletionTimestamp" not in harness.api.objects[key]["metadata"]:
            harness.api.delete(key)
        return await patch(key, status)

    harness.api.patch_status = deleted_meanwhile  # type: ignore[method-assign]
    harness.api.apply("NetBirdGroup", "web", {})
    await harness.settle()

    assert web not in harness.api.objects
    assert {g["name"] for g in objects(harness.fake, "groups")} == {"All"}


async def test_a_group_being_deleted_is_not_linked_anew_so_its_deletion_can_finish(
    harness: Harness,
) -> None:
    # Git deletes a tier and applies it again while its group still waits for its policy.
    src = harness.api.apply("NetBirdGroup", "src", {})
    harness.api.apply("NetBirdGroup", "dst", {})
    flow = harness.api.apply("NetBirdPolicy", "flow", policy("src", "dst"))
    await harness.settle()
    harness.fake.fail_next(100, 503, method="DELETE", path="/api/policies")
    harness.api.delete(src)
    harness.api.delete(flow)
    await harness.settle()
    assert src in harness.api.objects  # still waiting for the policy
    assert ready(harness, src)  # and still Ready: nothing was written

    network = harness.api.apply(
        "NetBirdNetwork", "db", {"routers": [{"name": "main", "peerGroups": [{"ref": "src"}]}]}
    )
    await harness.settle()
    harness.clock.now += 5
    await harness.settle()
    waiting = condition(harness.api.objects[network]["status"], "Ready")
    assert (waiting["reason"], waiting["message"]) == (
        "DependencyNotReady",
        "NetBirdGroup team/src is being deleted",
    )

    harness.fake.clear_faults()
    for _ in range(20):  # the policy's retry comes after its backoff
        harness.clock.now += 30
        await harness.settle()
    assert src not in harness.api.objects
    assert flow not in harness.api.objects
    assert {g["name"] for g in objects(harness.fake, "groups")} == {"All", "dst"}
    assert objects(harness.fake, "networks") == []

    # Git's next sync brings the group back: the network now routes through the new one.
    src = harness.api.apply("NetBirdGroup", "src", {})
    await harness.settle()
    assert ready(harness, network)
    [router] = objects(harness.fake, "networks/routers")
    assert router["peer_groups"] == [harness.api.objects[src]["status"]["id"]]


# ---------------------------------------------------------------- the sweep and the monitors


def kind(harness: Harness, name: str) -> Any:
    return harness.controller.kinds[name]


async def sweep_all(harness: Harness) -> int:
    return await harness.controller.sweep()


async def three_tier(harness: Harness) -> list[CrKey]:
    keys = [
        harness.api.apply("NetBirdGroup", "src", {}),
        harness.api.apply("NetBirdGroup", "dst", {}),
        harness.api.apply("NetBirdPolicy", "flow", policy("src", "dst")),
        harness.api.apply("SetupKey", "runners", key_spec("src")),
        harness.api.apply(
            "NetBirdNetwork",
            "db",
            {
                "resources": [
                    {"name": "db-subnet", "address": "10.1.0.0/24", "groups": [{"ref": "dst"}]}
                ],
                "routers": [{"name": "main", "peerGroups": [{"ref": "src"}]}],
            },
        ),
    ]
    await harness.settle()
    assert all(ready(harness, k) for k in keys)
    # The first sweep after a convergence may pass objects that others' writes changed (a
    # resource attached to a group shows on the group); after that, nothing moves.
    await sweep_all(harness)
    await harness.settle()
    return keys


async def test_an_unchanged_world_costs_one_list_per_collection_and_no_pass(
    harness: Harness,
) -> None:
    await three_tier(harness)
    harness.fake.clear_log()
    assert await sweep_all(harness) == 0
    # One list per collection something declared observes (no posture check is declared).
    lists = sorted(r.path for r in harness.fake.requests)
    assert lists == sorted(
        [
            "/api/groups",
            "/api/policies",
            "/api/setup-keys",
            "/api/networks",
            "/api/networks/resources",
            "/api/networks/routers",
        ]
    )
    assert await harness.settle() == 0


async def test_drift_in_the_dashboard_queues_that_object_only(harness: Harness) -> None:
    keys = await three_tier(harness)
    flow = keys[2]
    policy_id = harness.api.objects[flow]["status"]["id"]
    with harness.fake.lock:
        harness.fake.account.policies[policy_id].enabled = False  # switched off by hand
    assert await sweep_all(harness) == 1
    assert await harness.settle() == 1
    assert {p["id"]: p for p in objects(harness.fake, "policies")}[policy_id]["enabled"] is True


async def test_a_twin_with_our_claim_is_found_by_the_sweep_and_removed(harness: Harness) -> None:
    keys = await three_tier(harness)
    flow = keys[2]
    mine = {p["id"]: p for p in objects(harness.fake, "policies")}[
        harness.api.objects[flow]["status"]["id"]
    ]
    late = {k: v for k, v in mine.items() if k != "id"}  # what a create that landed late made
    late["rules"] = [
        {
            **{k: v for k, v in r.items() if k != "id"},
            "sources": [g["id"] for g in r["sources"]],
            "destinations": [g["id"] for g in r["destinations"]],
        }
        for r in mine["rules"]
    ]
    harness.fake.process(
        "POST",
        "/api/policies",
        "",
        {"authorization": f"Token {harness.fake.token}"},
        json.dumps(late).encode(),
    )
    assert len([p for p in objects(harness.fake, "policies") if p["name"] == "flow"]) == 2
    await sweep_all(harness)
    await harness.settle()
    assert [p["id"] for p in objects(harness.fake, "policies") if p["name"] == "flow"] == [
        mine["id"]
    ]


async def test_a_deleted_secret_is_noticed_by_the_sweep(harness: Harness) -> None:
    keys = await three_tier(harness)
    store = kind(harness, "SetupKey").secrets
    store.secrets.pop(("team", "runners-setup-key"))
    assert await sweep_all(harness) == 1
    await harness.settle()
    assert store.secrets[("team", "runners-setup-key")]["setupKey"].get_secret_value()
    assert ready(harness, keys[3])


async def test_routing_peer_health_is_written_only_when_it_changes(harness: Harness) -> None:
    keys = await three_tier(harness)
    network = keys[4]
    src = harness.api.objects[keys[0]]["status"]["id"]
    peer = harness.fake.add_peer("router-1", groups=[src])
    networks = kind(harness, "NetBirdNetwork")

    await harness.controller.monitor(networks)
    healthy = condition(harness.api.objects[network]["status"], "RoutingPeersHealthy")
    assert (healthy["status"], healthy["message"]) == ("True", "1 of 1 routing peers connected")
    writes = harness.api.status_writes
    await harness.controller.monitor(networks)
    assert harness.api.status_writes == writes  # nothing new, nothing written
    harness.fake.set_peer_connected(peer, False)
    await harness.controller.monitor(networks)
    await asyncio.sleep(0)
    healthy = condition(harness.api.objects[network]["status"], "RoutingPeersHealthy")
    assert healthy["status"] == "False"
    assert any(e.reason == "NoRoutingPeerConnected" for e in harness.api.events)
    assert not [r for r in harness.fake.requests if r.is_write and r.path.startswith("/api/peers")]
