"""Ownership under the races users meet: late writes, crashes, copied manifests, two clusters.

Each test counts NetBird objects by our claim (the marker in their description), as a person
auditing the account would, and checks that what we never created stays byte-for-byte as it was.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest

from nbaccess.conditions import Phase
from nbaccess.netbird.client import ClientOptions, NetBirdClient
from nbaccess.netbird.models import PolicyRequest, PolicyRuleRequest
from nbaccess.reconcile.refs import CrKey
from nbaccess.reconcile.registry import all_kinds
from nbaccess.reconcile.status import condition
from tests.fakes import FAKE_BASE_URL, DropKind, FakeNetBird
from tests.integration.reconcile.conftest import Clock, Cluster, DeletionBlocked
from tests.integration.reconcile.test_reconcile_against_fake import objects, policy_spec

GRACE = dt.timedelta(seconds=61)  # past the default create_grace (60 s)


async def _no_sleep(_: float) -> None:
    return None


def claimed(fake: FakeNetBird, collection: str, claimant: str) -> list[dict[str, Any]]:
    marker = f"managed by nbaccess: {claimant}"
    return [o for o in objects(fake, collection) if marker in (o.get("description") or "")]


def advance(cluster: Cluster, clock: Clock, seconds: float) -> None:
    cluster.now += dt.timedelta(seconds=seconds)
    clock.advance(seconds)


async def flow(cluster: Cluster) -> CrKey:
    src = cluster.apply("NetBirdGroup", "src", {})
    dst = cluster.apply("NetBirdGroup", "dst", {})
    await cluster.converge(src, dst)
    return cluster.apply("NetBirdPolicy", "flow", policy_spec("src", "dst"))


# ---------------------------------------------------------------- late writes and crashes


async def test_a_create_that_lands_after_the_timeout_is_found_not_made_twice(
    cluster: Cluster, fake: FakeNetBird, clock: Clock
) -> None:
    pol = await flow(cluster)
    fake.drop_next(1, kind=DropKind.LATE, method="POST", path="/api/policies")

    assert (await cluster.reconcile(pol)).phase is Phase.PROGRESSING
    advance(cluster, clock, 10)
    waiting = await cluster.reconcile(pol)
    assert waiting.reason == "CreatePending"
    assert claimed(fake, "policies", "team/flow") == []  # nothing was made again meanwhile

    fake.land_late()
    advance(cluster, clock, 10)
    assert (await cluster.reconcile(pol)).phase is Phase.READY
    [policy] = claimed(fake, "policies", "team/flow")
    assert cluster.objects[pol]["status"]["id"] == policy["id"]
    assert fake.count("POST", "/api/policies") == 1


async def test_a_twin_from_a_write_that_landed_very_late_is_deleted(
    cluster: Cluster, fake: FakeNetBird, clock: Clock
) -> None:
    pol = await flow(cluster)
    fake.drop_next(1, kind=DropKind.LATE, method="POST", path="/api/policies")
    await cluster.reconcile(pol)
    advance(cluster, clock, GRACE.total_seconds())
    assert (await cluster.reconcile(pol)).phase is Phase.READY  # made again after the grace
    fake.land_late()  # ...and then the first one lands after all
    assert len(claimed(fake, "policies", "team/flow")) == 2

    advance(cluster, clock, 60)  # the next resync reads a list that shows it
    outcome = await cluster.reconcile(pol)
    assert outcome.phase is Phase.READY
    assert any(change.startswith("deleted duplicate policy") for change in outcome.changes)
    [policy] = claimed(fake, "policies", "team/flow")
    assert policy["id"] == cluster.objects[pol]["status"]["id"]

    # And nothing blocks the groups' deletion any more.
    await cluster.delete(pol)
    await cluster.delete(CrKey("NetBirdGroup", "team", "src"))
    await cluster.delete(CrKey("NetBirdGroup", "team", "dst"))
    assert claimed(fake, "policies", "team/flow") == []
    assert {g["name"] for g in objects(fake, "groups")} == {"All"}


async def test_a_deletion_right_after_a_lost_create_waits_for_it_and_deletes_it(
    cluster: Cluster, fake: FakeNetBird, clock: Clock
) -> None:
    pol = await flow(cluster)
    fake.drop_next(1, kind=DropKind.LATE, method="POST", path="/api/policies")
    await cluster.reconcile(pol)

    with pytest.raises(DeletionBlocked, match="unconfirmed create"):
        await cluster.delete(pol)
    ready = condition(cluster.objects[pol]["status"], "Ready")
    assert ready is not None
    assert ready["reason"] == "DeletionBlocked"
    fake.land_late()
    advance(cluster, clock, GRACE.total_seconds())
    await cluster.delete(pol)
    assert claimed(fake, "policies", "team/flow") == []


async def test_a_crash_between_the_create_and_the_status_write_leaves_no_orphan(
    cluster: Cluster, fake: FakeNetBird, clock: Clock
) -> None:
    pol = await flow(cluster)
    await cluster.reconcile(pol, crash=True)
    assert len(claimed(fake, "policies", "team/flow")) == 1
    assert "id" not in cluster.objects[pol]["status"]  # the id never reached status

    with pytest.raises(DeletionBlocked):
        await cluster.delete(pol)  # the create may have been in flight when we died
    advance(cluster, clock, GRACE.total_seconds())
    await cluster.delete(pol)
    assert claimed(fake, "policies", "team/flow") == []


async def test_a_crash_after_a_group_create_is_recovered_not_stalled(
    cluster: Cluster, fake: FakeNetBird, clock: Clock
) -> None:
    web = cluster.apply("NetBirdGroup", "web", {})
    await cluster.reconcile(web, crash=True)
    [made] = [g for g in objects(fake, "groups") if g["name"] == "web"]

    advance(cluster, clock, 5)
    outcome = await cluster.reconcile(web)
    assert outcome.phase is Phase.READY, outcome
    assert cluster.objects[web]["status"]["id"] == made["id"]
    assert fake.count("POST", "/api/groups") == 1
    await cluster.delete(web)
    assert [g for g in objects(fake, "groups") if g["name"] == "web"] == []


async def test_a_group_made_by_hand_before_our_create_is_not_taken_for_ours(
    cluster: Cluster, fake: FakeNetBird, clock: Clock
) -> None:
    # A person made "web" ten minutes before our create, whose answer was then lost.
    cluster.now -= dt.timedelta(minutes=10)
    fake.process(
        "POST",
        "/api/groups",
        "",
        {"authorization": f"Token {fake.token}"},
        b'{"name": "web", "peers": []}',
    )
    cluster.now += dt.timedelta(minutes=10)
    web = cluster.apply("NetBirdGroup", "web", {})
    fake.drop_next(1, method="POST", path="/api/groups")
    cluster.objects[web]["status"] = {"createRequestedAt": "2026-11-25T12:00:00Z"}

    outcome = await cluster.reconcile(web)
    assert outcome.phase is Phase.STALLED
    assert outcome.reason == "AlreadyExists"
    assert "interrupted" in outcome.message


# ---------------------------------------------------------------- copied ids


async def _hand_made_policy(cluster: Cluster, fake: FakeNetBird) -> dict[str, Any]:
    src = cluster.apply("NetBirdGroup", "src", {})
    dst = cluster.apply("NetBirdGroup", "dst", {})
    await cluster.converge(src, dst)
    ids = [cluster.objects[k]["status"]["id"] for k in (src, dst)]
    made = await cluster.nb.create_policy(
        PolicyRequest(
            name="legacy",
            description="made in the dashboard",
            rules=[
                PolicyRuleRequest(
                    name="legacy",
                    protocol="tcp",
                    ports=["22"],
                    sources=[ids[0]],
                    destinations=[ids[1]],
                )
            ],
        )
    )
    return {p["id"]: p for p in objects(fake, "policies")}[made.id]


async def test_a_copied_id_of_a_hand_made_object_changes_nothing_and_says_why(
    cluster: Cluster, fake: FakeNetBird
) -> None:
    legacy = await _hand_made_policy(cluster, fake)
    before = copy.deepcopy(legacy)
    writes = len(fake.writes())

    copy_of = cluster.apply(
        "NetBirdPolicy",
        "copied",
        policy_spec("src", "dst"),
        annotations={"nbaccess.dev/netbird-id": legacy["id"]},
    )
    outcome = await cluster.reconcile(copy_of)
    assert outcome.phase is Phase.STALLED
    assert outcome.reason == "NotOurs"
    assert legacy["id"] in outcome.message
    await cluster.delete(copy_of)

    assert len(fake.writes()) == writes
    assert {p["id"]: p for p in objects(fake, "policies")}[legacy["id"]] == before


async def test_a_copied_id_of_another_resources_object_changes_nothing(
    cluster: Cluster, fake: FakeNetBird
) -> None:
    pol = await flow(cluster)
    await cluster.converge(pol)
    theirs = cluster.objects[pol]["status"]["id"]
    before = {p["id"]: p for p in objects(fake, "policies")}[theirs]
    group_before = [g for g in objects(fake, "groups") if g["name"] == "src"]

    copies = [
        cluster.apply(
            "NetBirdPolicy",
            "copy",
            policy_spec("src", "dst"),
            annotations={"nbaccess.dev/netbird-id": theirs},
        ),
        cluster.apply(
            "NetBirdGroup",
            "src-copy",
            {"name": "src"},
            annotations={
                "nbaccess.dev/netbird-id": cluster.objects[CrKey("NetBirdGroup", "team", "src")][
                    "status"
                ]["id"]
            },
        ),
    ]
    for _ in range(3):  # both sides keep passing: nothing flips back and forth
        for key in (*copies, pol):
            await cluster.reconcile(key)
    for key in copies:
        status = cluster.objects[key]["status"]
        stalled = condition(status, "Stalled")
        assert stalled is not None
        assert stalled["reason"] == "AlreadyManaged", stalled
        await cluster.delete(key)

    assert {p["id"]: p for p in objects(fake, "policies")}[theirs] == before
    assert [g for g in objects(fake, "groups") if g["name"] == "src"] == group_before


# ---------------------------------------------------------------- orphaning and namesakes


async def test_orphan_releases_the_object_so_another_resource_can_adopt_it(
    cluster: Cluster, fake: FakeNetBird
) -> None:
    src = cluster.apply("NetBirdGroup", "src", {})
    dst = cluster.apply("NetBirdGroup", "dst", {})
    await cluster.converge(src, dst)
    old = cluster.apply("NetBirdPolicy", "old", policy_spec("src", "dst", deletionPolicy="Orphan"))
    await cluster.converge(old)
    kept = cluster.objects[old]["status"]["id"]
    await cluster.delete(old)

    stored = {p["id"]: p for p in objects(fake, "policies")}[kept]
    assert "managed by nbaccess" not in stored["description"]
    assert stored["description"] == "test flow"

    new = cluster.apply("NetBirdPolicy", "new", policy_spec("src", "dst", name="old", adopt=True))
    await cluster.converge(new)
    assert cluster.objects[new]["status"]["id"] == kept


async def test_a_namesake_made_by_hand_is_pointed_out(cluster: Cluster, fake: FakeNetBird) -> None:
    legacy = await _hand_made_policy(cluster, fake)
    pol = cluster.apply("NetBirdPolicy", "mine", policy_spec("src", "dst", name="legacy"))
    await cluster.converge(pol)
    warnings = cluster.objects[pol]["status"]["warnings"]
    assert any(legacy["id"] in w and "spec.adopt" in w for w in warnings)


# ---------------------------------------------------------------- two clusters, one account


@pytest.fixture
async def second(fake: FakeNetBird) -> AsyncIterator[Cluster]:
    async with NetBirdClient(
        FAKE_BASE_URL,
        fake.token,
        options=ClientOptions(list_cache_ttl=0),
        transport=fake.transport(),
        sleep=_no_sleep,
    ) as nb:
        yield Cluster(nb, {k.kind: k for k in all_kinds()}, cluster_name="staging")


async def test_two_clusters_declaring_the_same_names_never_touch_each_other(
    cluster: Cluster, second: Cluster, fake: FakeNetBird
) -> None:
    cluster.cluster_name = "prod"
    for side, suffix in ((cluster, "prod"), (second, "staging")):
        side.apply("NetBirdGroup", "src", {"name": f"src-{suffix}"})
        side.apply("NetBirdGroup", "dst", {"name": f"dst-{suffix}"})
        side.apply("NetBirdPolicy", "flow", policy_spec("src", "dst"))
        side.apply("PostureCheck", "version", {"checks": {"nbVersion": {"minVersion": "0.50.0"}}})
    await cluster.converge(*cluster.objects)
    prod_objects = {p["id"]: p for p in objects(fake, "policies")}

    outcomes = {key: await second.reconcile(key) for key in list(second.objects)}
    for _ in range(3):
        outcomes = {key: await second.reconcile(key) for key in list(second.objects)}
    shared = outcomes[CrKey("PostureCheck", "team", "version")]
    assert shared.phase is Phase.STALLED
    assert "cluster 'prod'" in shared.message
    assert "suffix" in shared.message
    assert outcomes[CrKey("NetBirdPolicy", "team", "flow")].phase is Phase.READY
    assert len(claimed(fake, "policies", "prod/team/flow")) == 1
    assert len(claimed(fake, "policies", "staging/team/flow")) == 1

    for key in list(second.objects):
        if key.kind == "NetBirdPolicy":
            await second.delete(key)
    for key in list(second.objects):
        await second.delete(key)
    still = {p["id"]: p for p in objects(fake, "policies")}
    assert {k: v for k, v in still.items() if k in prod_objects} == prod_objects
    assert claimed(fake, "posture-checks", "prod/team/version")
