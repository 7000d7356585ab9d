"""The NetBirdNetwork decisions without a server: diffs, who owns what, and health."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from nbaccess.netbird.models import (
    NetworkResource,
    NetworkResourceRequest,
    NetworkRouter,
    NetworkRouterRequest,
    Peer,
)
from nbaccess.reconcile.network import Known, NetworkReconciler, carried_health
from nbaccess.reconcile.network_health import Health, health_patch, routing_peers
from nbaccess.reconcile.network_resources import canonical_address, plan_resources, resource_diff
from nbaccess.reconcile.network_routers import plan_routers, router_diff
from nbaccess.reconcile.ownership import Claim

OWNER = Claim("default", "team", "orders")
MARK = OWNER.marker()


def want_resource(name: str, address: str, groups: list[str] | None = None) -> Any:
    return NetworkResourceRequest(
        name=name, description=MARK, address=address, enabled=True, groups=groups or []
    )


def stored_resource(
    rid: str, name: str, address: str, description: str = MARK, groups: list[str] | None = None
) -> NetworkResource:
    return NetworkResource.model_validate(
        {
            "id": rid,
            "name": name,
            "address": address,
            "description": description,
            "enabled": True,
            "type": "subnet",
            "groups": [{"id": g, "name": g} for g in groups or []] or None,
        }
    )


def router(rid: str, *, peer: str = "", groups: list[str] | None = None, **extra: Any) -> Any:
    return NetworkRouter.model_validate(
        {
            "id": rid,
            "peer": peer,
            "peer_groups": groups,
            "metric": extra.get("metric", 9999),
            "masquerade": extra.get("masquerade", True),
            "enabled": extra.get("enabled", True),
        }
    )


def want_router(*, peer: str | None = None, groups: list[str] | None = None, **extra: Any) -> Any:
    return NetworkRouterRequest(peer=peer, peer_groups=groups, **extra)


def peer(pid: str, groups: list[str], connected: bool = True) -> Peer:
    return Peer.model_validate(
        {
            "id": pid,
            "name": f"peer-{pid}",
            "connected": connected,
            "groups": [{"id": g, "name": g} for g in groups],
            "last_seen": "2026-11-25T12:00:00Z",
            "version": "0.77.1",
        }
    )


# ---------------------------------------------------------------- resources


@pytest.mark.parametrize(
    ("declared", "stored"),
    [
        ("10.20.1.7", "10.20.1.7/32"),
        ("2001:DB8::1", "2001:db8::1/128"),
        ("2001:db8:0:0::/64", "2001:db8::/64"),
        ("db.example.com", "db.example.com"),
    ],
)
def test_an_address_as_netbird_prints_it_is_no_change(declared: str, stored: str) -> None:
    assert canonical_address(declared) == canonical_address(stored)
    assert resource_diff(want_resource("db", declared), stored_resource("r", "db", stored)) == []


def test_resource_fields_that_differ_are_named() -> None:
    have = stored_resource("r", "db", "10.0.0.0/24", description="by hand", groups=["g2", "g1"])
    assert resource_diff(want_resource("db", "10.0.1.0/24", ["g1", "g2"]), have) == [
        "description",
        "address",
    ]
    assert resource_diff(want_resource("db", "10.0.0.0/24", ["g1"]), have)[-1] == "groups"


def test_resources_are_matched_by_name_and_only_ours_are_deleted() -> None:
    observed = [
        stored_resource("r1", "same", "10.0.0.0/24"),
        stored_resource("r2", "moved", "10.0.0.0/24"),
        stored_resource("r3", "ours-by-marker", "10.0.3.0/24"),
        stored_resource("r4", "ours-by-status", "10.0.4.0/24", description="by hand"),
        stored_resource("r5", "someone-elses", "10.0.5.0/24", description="by hand"),
        stored_resource("r6", "other-crs", "10.0.6.0/24", description="managed by nbaccess: x/y"),
        stored_resource(
            "r7", "other-cluster", "10.0.7.0/24", description="managed by nbaccess: eu/team/orders"
        ),
    ]
    desired = [
        want_resource("same", "10.0.0.0/24"),
        want_resource("moved", "10.9.0.0/24"),
        want_resource("new", "new.example.com"),
    ]
    plan = plan_resources(desired, observed, {"r4"}, OWNER)
    assert [r.id for r in plan.unchanged] == ["r1"]
    assert [(u.resource_id, u.fields) for u in plan.update] == [("r2", ["address"])]
    assert [c.name for c in plan.create] == ["new"]
    assert sorted(r.id for r in plan.delete) == ["r3", "r4"]


# ---------------------------------------------------------------- routers


def test_an_unused_peer_or_group_list_is_no_change() -> None:
    assert router_diff(want_router(groups=["g"]), router("x", groups=["g"])) == []
    assert router_diff(want_router(peer="p"), router("x", peer="p", groups=[])) == []
    assert router_diff(
        want_router(groups=["g"], metric=100, enabled=False), router("x", groups=["g"])
    ) == ["metric", "enabled"]


def test_a_recorded_router_is_updated_in_place() -> None:
    plan = plan_routers(
        {"primary": want_router(groups=["g"], metric=100)},
        [router("x", groups=["g"]), router("y", groups=["g"])],
        {"primary": "y"},
        take_unrecorded=True,
    )
    [step] = plan.steps
    assert (step.observed.id if step.observed else None, step.fields) == ("y", ["metric"])
    # x routes exactly like ours in a network we created: a twin from a lost create answer.
    assert [r.id for _, r in plan.delete] == ["x"]


def test_in_an_adopted_network_a_same_target_router_is_not_a_twin() -> None:
    plan = plan_routers(
        {"primary": want_router(groups=["g"])},
        [router("x", groups=["g"]), router("y", groups=["g"])],
        {"primary": "y"},
        take_unrecorded=False,
    )
    assert plan.delete == []


def test_an_unrecorded_router_with_the_same_target_is_taken_not_duplicated() -> None:
    observed = [router("hand", peer="p9"), router("lost", groups=["g"])]
    plan = plan_routers({"primary": want_router(groups=["g"])}, observed, {}, take_unrecorded=True)
    [step] = plan.steps
    assert step.observed is not None
    assert step.observed.id == "lost"
    assert plan.delete == []  # "hand" was never ours


def test_in_an_adopted_network_a_router_made_by_hand_is_never_claimed() -> None:
    observed = [router("hand", groups=["g"]), router("renamed", peer="p")]
    plan = plan_routers(
        {"primary": want_router(groups=["g"]), "edge": want_router(peer="p")},
        observed,
        {"old-edge": "renamed"},
        take_unrecorded=False,
    )
    # Same target as the hand-made router, yet a router of its own; a recorded router
    # renamed locally is still ours to keep.
    assert [(s.name, s.observed.id if s.observed else None) for s in plan.steps] == [
        ("primary", None),
        ("edge", "renamed"),
    ]
    assert plan.delete == []


def test_a_local_rename_keeps_the_router() -> None:
    plan = plan_routers(
        {"main": want_router(groups=["g"])},
        [router("x", groups=["g"])],
        {"old": "x"},
        take_unrecorded=False,
    )
    [step] = plan.steps
    assert step.observed is not None
    assert step.observed.id == "x"
    assert plan.delete == []


def test_routers_no_longer_declared_are_deleted_and_new_ones_created() -> None:
    observed = [router("x", groups=["g"]), router("y", peer="p")]
    plan = plan_routers(
        {"a": want_router(groups=["g"]), "b": want_router(groups=["g"])},
        observed,
        {"a": "x", "gone": "y", "vanished": "z"},
        take_unrecorded=True,
    )
    assert [(s.name, s.observed.id if s.observed else None) for s in plan.steps] == [
        ("a", "x"),
        ("b", None),
    ]
    assert [(name, r.id) for name, r in plan.delete] == [("gone", "y")]


def test_a_router_keeps_one_local_name() -> None:
    known = Known(routers={"old": "x", "other": "y"})
    known.record_router("new", "x")
    assert known.routers == {"other": "y", "new": "x"}
    known.record_router("other", None)
    assert known.routers == {"new": "x"}


# ---------------------------------------------------------------- adoption


def test_adoption_survives_in_status() -> None:
    assert Known.from_status({"adopted": True}).status()["adopted"] is True
    assert Known.from_status({}).status()["adopted"] is None


# ---------------------------------------------------------------- health


def test_routing_peers_are_the_peers_of_enabled_routers_only() -> None:
    routers = [
        router("r1", groups=["rp"]),
        router("r2", peer="single"),
        router("r3", groups=["spare"], enabled=False),
    ]
    peers = [
        peer("a", ["rp", "all"]),
        peer("single", ["all"]),
        peer("b", ["spare", "all"]),
        peer("c", ["all"]),
    ]
    assert [p.id for p in routing_peers(routers, peers)] == ["a", "single"]


def conds(health: Health, minimum: int | None) -> list[tuple[str, str, str]]:
    return [(c.type, c.status, c.reason) for c in health.conditions(minimum)]


def test_health_without_routing_peers() -> None:
    health = Health([])
    assert conds(health, None) == [("RoutingPeersHealthy", "False", "NoRoutingPeers")]
    assert health.measurements() == {"routing_peers_connected": 0, "routing_peers": 0}


def test_health_with_every_routing_peer_down() -> None:
    health = Health([peer("a", [], False), peer("b", [], False)])
    assert conds(health, 1) == [
        ("RoutingPeersHealthy", "False", "NoRoutingPeerConnected"),
        ("HighlyAvailable", "False", "TooFewRoutingPeersConnected"),
    ]
    assert health.conditions(1)[0].message.startswith("0 of 2 routing peers connected: peer-a")


def test_one_peer_up_is_healthy_but_not_highly_available() -> None:
    health = Health([peer("a", [], True), peer("b", [], False)])
    assert conds(health, 2) == [
        ("RoutingPeersHealthy", "True", "RoutingPeersConnected"),
        ("HighlyAvailable", "False", "TooFewRoutingPeersConnected"),
    ]
    assert health.conditions(2)[1].message == "1 of 2 routing peers connected, at least 2 wanted"
    assert conds(health, 1)[1] == ("HighlyAvailable", "True", "EnoughRoutingPeersConnected")
    assert health.status()["connectedRoutingPeers"] == 1
    assert health.status()["routingPeers"][0] == {
        "id": "a",
        "name": "peer-a",
        "connected": True,
        "lastSeen": "2026-11-25T12:00:00Z",
        "version": "0.77.1",
    }


NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
SYNCED = {"type": "Ready", "status": "True", "reason": "Synced", "message": "in sync"}


def _after(previous: dict[str, Any], health: Health) -> dict[str, Any]:
    patch = health_patch(previous, health, 2, generation=1, now=NOW)
    assert patch is not None
    return {**previous, **patch}


def test_a_health_read_writes_only_when_it_says_something_new() -> None:
    up = [peer("a", ["g"]), peer("b", ["g"])]
    first = _after({"conditions": [SYNCED]}, Health(up))
    assert [c["type"] for c in first["conditions"]] == [
        "Ready",
        "RoutingPeersHealthy",
        "HighlyAvailable",
    ]
    assert health_patch(first, Health(up), 2, generation=1, now=NOW) is None
    # A connected peer seen again a second later is not news...
    seen_again = [p.model_copy(update={"last_seen": NOW}) for p in up]
    assert health_patch(first, Health(seen_again), 2, generation=1, now=NOW) is None
    # ...one going away is, and Ready is left as it was.
    down = [up[0], peer("b", ["g"], connected=False)]
    second = _after(first, Health(down))
    by_type = {c["type"]: c for c in second["conditions"]}
    assert by_type["HighlyAvailable"]["status"] == "False"
    assert by_type["Ready"] == SYNCED
    assert second["connectedRoutingPeers"] == 1


def test_a_pass_that_cannot_read_health_keeps_the_last_report() -> None:
    previous = {
        "conditions": [
            {"type": "Ready", "status": "True", "reason": "Synced", "message": ""},
            {"type": "RoutingPeersHealthy", "status": "True", "reason": "R", "message": "1 of 1"},
        ],
        "connectedRoutingPeers": 1,
    }
    carried, fields = carried_health(previous)
    assert [(c.type, c.status, c.message) for c in carried] == [
        ("RoutingPeersHealthy", "True", "1 of 1")
    ]
    assert fields == {"connectedRoutingPeers": 1}


# ---------------------------------------------------------------- facts for referrers


def test_facts_name_each_resource_id_and_type() -> None:
    status = {
        "resources": [
            {"name": "db", "id": "r1", "type": "subnet"},
            {"name": "web", "id": "r2", "type": "domain"},
        ]
    }
    assert NetworkReconciler().facts(status) == {
        "resource/db": "r1",
        "resourceType/db": "subnet",
        "resource/web": "r2",
        "resourceType/web": "domain",
    }
    assert NetworkReconciler().facts({}) is None


def test_a_peer_netbird_knows_little_about_is_listed_without_nulls() -> None:
    quiet = Peer.model_validate({"id": "q", "name": "new", "last_seen": "0001-01-01T00:00:00Z"})
    assert Health([quiet]).status()["routingPeers"] == [
        {"id": "q", "name": "new", "connected": False}
    ]


def test_flaps_count_state_changes_and_reconnects_between_reads() -> None:
    from nbaccess.reconcile.network_health import FlapWatch

    watch = FlapWatch(dt.timedelta(minutes=10))
    up = peer("a", ["g"])
    watch.observe([up], NOW)
    assert watch.condition().status == "False"
    watch.observe([peer("a", ["g"], connected=False)], NOW + dt.timedelta(seconds=10))
    watch.observe([up], NOW + dt.timedelta(seconds=20))
    assert watch.count == 2
    # Connected at both reads, but NetBird stamped a new lastSeen: it dropped and came back.
    back = up.model_copy(update={"last_seen": NOW + dt.timedelta(seconds=25)})
    watch.observe([back], NOW + dt.timedelta(seconds=30))
    assert watch.count == 4
    flapping = watch.condition()
    assert (flapping.status, flapping.reason) == ("True", "RoutingPeersFlapping")
    assert "peer-a (4)" in flapping.message
    # Ten quiet minutes later it has calmed down.
    watch.observe([back], NOW + dt.timedelta(minutes=11))
    assert watch.count == 0
    assert watch.condition().status == "False"
