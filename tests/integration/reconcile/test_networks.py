"""NetBirdNetwork against the fake NetBird: what a platform team would see in NetBird and in
the CR's status after each change, and how routing-peer health follows the peers."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from nbaccess.conditions import Phase, kstatus_violations
from nbaccess.reconcile import drift
from nbaccess.reconcile.network import NetworkReconciler
from nbaccess.reconcile.refs import CrKey
from tests.fakes import DropKind, FakeNetBird
from tests.integration.reconcile.conftest import Clock, Cluster

NETWORK = "NetBirdNetwork"


def api(fake: FakeNetBird, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """NetBird as a person sees it through the API, past the client and its cache."""
    raw = json.dumps(body).encode() if body is not None else b""
    outcome = fake.process(
        method, f"/api/{path}", "", {"authorization": f"Token {fake.token}"}, raw
    )
    assert outcome.response is not None
    code, _, payload = outcome.response
    assert code == 200, payload
    return json.loads(payload) if payload else None


def resources_of(fake: FakeNetBird, network_id: str) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in api(fake, "GET", f"networks/{network_id}/resources") or []}


def routers_of(fake: FakeNetBird, network_id: str) -> list[dict[str, Any]]:
    return list(api(fake, "GET", f"networks/{network_id}/routers") or [])


def conditions(cluster: Cluster, key: CrKey) -> dict[str, dict[str, Any]]:
    return {c["type"]: c for c in cluster.objects[key]["status"]["conditions"]}


def status(cluster: Cluster, key: CrKey) -> dict[str, Any]:
    return cluster.objects[key]["status"]  # type: ignore[no-any-return]


def network_spec(**extra: Any) -> dict[str, Any]:
    return {
        "name": "orders-prod",
        "description": "orders production",
        "resources": [
            {"name": "orders-db", "address": "10.20.3.0/24", "groups": [{"ref": "db"}]},
            {"name": "orders-api", "address": "10.20.1.7", "groups": [{"ref": "db"}]},
            {"name": "orders-web", "address": "orders.example.com"},
        ],
        "routers": [
            {"name": "primary", "peerGroups": [{"ref": "routers"}], "metric": 100},
            {"name": "spare", "peerGroups": [{"ref": "spare"}], "enabled": False},
        ],
        **extra,
    }


async def groups(cluster: Cluster, *names: str) -> dict[str, str]:
    keys = [cluster.apply("NetBirdGroup", name, {}) for name in names]
    await cluster.converge(*keys)
    return {key.name: status(cluster, key)["id"] for key in keys}


async def test_resources_of_each_type_and_routers_as_declared(
    cluster: Cluster, fake: FakeNetBird
) -> None:
    ids = await groups(cluster, "db", "routers", "spare")
    key = cluster.apply(NETWORK, "orders", network_spec())
    outcome = await cluster.reconcile(key)
    assert outcome.phase is Phase.READY, outcome.message
    st = status(cluster, key)
    assert kstatus_violations(st, 1) == []

    network = api(fake, "GET", f"networks/{st['id']}")
    assert network["name"] == "orders-prod"
    assert network["description"] == "orders production\nmanaged by nbaccess: team/orders"
    stored = resources_of(fake, st["id"])
    assert {n: (r["type"], r["address"]) for n, r in stored.items()} == {
        "orders-db": ("subnet", "10.20.3.0/24"),
        "orders-api": ("host", "10.20.1.7/32"),
        "orders-web": ("domain", "orders.example.com"),
    }
    # Membership lives on the group, which is where NetBird's policies look for it.
    db_group = api(fake, "GET", f"groups/{ids['db']}")
    assert {r["id"] for r in db_group["resources"]} == {
        stored["orders-db"]["id"],
        stored["orders-api"]["id"],
    }
    assert st["resources"] == [
        {"name": "orders-db", "id": stored["orders-db"]["id"], "type": "subnet"},
        {"name": "orders-api", "id": stored["orders-api"]["id"], "type": "host"},
        {"name": "orders-web", "id": stored["orders-web"]["id"], "type": "domain"},
    ]

    routers = {r["id"]: r for r in routers_of(fake, st["id"])}
    by_name = {entry["name"]: routers[entry["id"]] for entry in st["routers"]}
    assert by_name["primary"]["peer_groups"] == [ids["routers"]]
    assert by_name["primary"]["metric"] == 100
    assert by_name["primary"]["enabled"] is True
    # NetBird creates every router enabled: the operator must have switched this one off.
    assert by_name["spare"]["enabled"] is False
    assert len(routers) == 2

    assert cluster.kinds[NETWORK].facts(st) == {
        "resource/orders-db": stored["orders-db"]["id"],
        "resourceType/orders-db": "subnet",
        "resource/orders-api": stored["orders-api"]["id"],
        "resourceType/orders-api": "host",
        "resource/orders-web": stored["orders-web"]["id"],
        "resourceType/orders-web": "domain",
    }


async def test_a_network_waits_for_its_groups_and_creates_nothing_meanwhile(
    cluster: Cluster, fake: FakeNetBird
) -> None:
    key = cluster.apply(NETWORK, "orders", network_spec())
    outcome = await cluster.reconcile(key)
    assert outcome.phase is Phase.PROGRESSING
    assert outcome.reason == "DependencyNotReady"
    assert api(fake, "GET", "networks") == []
    assert kstatus_violations(status(cluster, key), 1) == []
    await groups(cluster, "db", "routers", "spare")
    await cluster.converge(key)


async def test_changes_are_made_in_place_and_what_is_dropped_is_deleted(
    cluster: Cluster, fake: FakeNetBird, clock: Clock
) -> None:
    await groups(cluster, "db", "routers", "spare")
    key = cluster.apply(NETWORK, "orders", network_spec())
    await cluster.converge(key)
    network_id = status(cluster, key)["id"]
    before = resources_of(fake, network_id)
    primary = status(cluster, key)["routers"][0]["id"]

    spec = network_spec()
    spec["resources"][0]["address"] = "10.20.4.0/24"
    del spec["resources"][2]
    spec["routers"] = [{"name": "primary", "peerGroups": [{"ref": "routers"}], "metric": 50}]
    cluster.apply(NETWORK, "orders", spec)
    fake.clear_log()
    outcome = await cluster.reconcile(key)
    assert outcome.phase is Phase.READY
    assert sorted(outcome.changes) == [
        "deleted resource orders-web",
        "deleted router spare",
        "updated resource orders-db: address",
        "updated router primary: metric",
    ]
    assert not [w for w in fake.writes() if w.method == "POST"]

    after = resources_of(fake, network_id)
    assert set(after) == {"orders-db", "orders-api"}
    assert after["orders-db"]["id"] == before["orders-db"]["id"]
    assert after["orders-db"]["address"] == "10.20.4.0/24"
    [router] = routers_of(fake, network_id)
    assert (router["id"], router["metric"]) == (primary, 50)
    assert [r["name"] for r in status(cluster, key)["resources"]] == ["orders-db", "orders-api"]
    assert status(cluster, key)["routers"] == [{"name": "primary", "id": primary}]


async def test_an_unchanged_resync_writes_nothing(
    cluster: Cluster, fake: FakeNetBird, clock: Clock
) -> None:
    ids = await groups(cluster, "db", "routers", "spare")
    fake.add_peer("router-1", groups=[ids["routers"]])
    key = cluster.apply(NETWORK, "orders", network_spec(health={"minConnectedRoutingPeers": 1}))
    await cluster.converge(key)
    writes = len(fake.writes())
    for _ in range(3):
        clock.advance(60)  # past the list cache: every pass really reads NetBird
        outcome = await cluster.reconcile(key)
        assert outcome.phase is Phase.READY
        assert outcome.changes == []
    assert len(fake.writes()) == writes


async def test_routing_peer_health_follows_the_peers_without_touching_ready(
    cluster: Cluster, fake: FakeNetBird, clock: Clock
) -> None:
    ids = await groups(cluster, "db", "routers", "spare")
    key = cluster.apply(NETWORK, "orders", network_spec(health={"minConnectedRoutingPeers": 2}))
    await cluster.converge(key)
    cond = conditions(cluster, key)
    assert (cond["RoutingPeersHealthy"]["status"], cond["RoutingPeersHealthy"]["reason"]) == (
        "False",
        "NoRoutingPeers",
    )

    first = fake.add_peer("router-1", groups=[ids["routers"]], version="0.77.1")
    second = fake.add_peer("router-2", groups=[ids["routers"]])
    fake.add_peer("laptop", groups=[ids["db"]])  # in a group, but not a routing one
    fake.add_peer("idle-spare", groups=[ids["spare"]])  # its router is disabled
    clock.advance(60)
    outcome = await cluster.reconcile(key)
    cond = conditions(cluster, key)
    assert cond["Ready"]["status"] == "True"
    assert cond["RoutingPeersHealthy"]["status"] == "True"
    assert cond["RoutingPeersHealthy"]["message"] == "2 of 2 routing peers connected"
    assert cond["HighlyAvailable"]["status"] == "True"
    assert outcome.measurements == {
        "routing_peers_connected": 2,
        "routing_peers": 2,
        "routing_peers_wanted": 2,
        "routing_peer_flaps": 0,
    }
    peers = status(cluster, key)["routingPeers"]
    assert [(p["name"], p["connected"], p["version"]) for p in peers] == [
        ("router-1", True, "0.77.1"),
        ("router-2", True, "0.77.1"),
    ]
    assert status(cluster, key)["connectedRoutingPeers"] == 2

    writes = len(fake.writes())
    fake.set_peer_connected(first, False)
    clock.advance(60)
    outcome = await cluster.reconcile(key)
    cond = conditions(cluster, key)
    assert cond["Ready"]["status"] == "True"
    assert cond["RoutingPeersHealthy"]["status"] == "True"
    assert (cond["HighlyAvailable"]["status"], cond["HighlyAvailable"]["reason"]) == (
        "False",
        "TooFewRoutingPeersConnected",
    )
    assert cond["HighlyAvailable"]["message"] == (
        "1 of 2 routing peers connected, at least 2 wanted"
    )

    fake.set_peer_connected(second, False)
    clock.advance(60)
    outcome = await cluster.reconcile(key)
    cond = conditions(cluster, key)
    assert cond["Ready"]["status"] == "True"
    assert (cond["RoutingPeersHealthy"]["status"], cond["RoutingPeersHealthy"]["reason"]) == (
        "False",
        "NoRoutingPeerConnected",
    )
    assert outcome.measurements["routing_peers_connected"] == 0
    assert outcome.measurements["routing_peers"] == 2
    assert status(cluster, key)["connectedRoutingPeers"] == 0
    assert kstatus_violations(status(cluster, key), 1) == []
    # Health is read, never written.
    assert len(fake.writes()) == writes


async def test_a_single_routing_peer_by_name(cluster: Cluster, fake: FakeNetBird) -> None:
    peer = fake.add_peer("gateway-1", connected=False)
    key = cluster.apply(
        NETWORK,
        "edge",
        {"routers": [{"name": "gw", "peer": {"name": "gateway-1"}, "masquerade": False}]},
    )
    await cluster.converge(key)
    [router] = routers_of(fake, status(cluster, key)["id"])
    assert (router["peer"], router["peer_groups"], router["masquerade"]) == (peer, None, False)
    assert conditions(cluster, key)["RoutingPeersHealthy"]["reason"] == "NoRoutingPeerConnected"
    assert "HighlyAvailable" not in conditions(cluster, key)


async def test_a_group_rename_keeps_the_resources_in_it(
    cluster: Cluster, fake: FakeNetBird, clock: Clock
) -> None:
    ids = await groups(cluster, "db", "routers", "spare")
    key = cluster.apply(NETWORK, "orders", network_spec())
    await cluster.converge(key)
    db = cluster.apply("NetBirdGroup", "db", {"name": "svc-orders-db-prod"})
    await cluster.converge(db)
    stored = api(fake, "GET", f"groups/{ids['db']}")
    assert stored["name"] == "svc-orders-db-prod"
    assert len(stored["resources"]) == 2

    clock.advance(60)
    writes = len(fake.writes())
    assert (await cluster.reconcile(key)).changes == []
    assert len(fake.writes()) == writes


async def test_a_lost_answer_or_a_failure_leaves_no_duplicate(
    cluster: Cluster, fake: FakeNetBird
) -> None:
    await groups(cluster, "db", "routers", "spare")
    key = cluster.apply(NETWORK, "orders", network_spec())

    # The network's create lands but its answer is lost: found again by its marker.
    fake.drop_next(1, method="POST", path="/api/networks", after_processing=True)
    assert (await cluster.reconcile(key)).phase is Phase.PROGRESSING
    assert kstatus_violations(status(cluster, key), 1) == []
    # Likewise the first resource's: found again by its name.
    fake.drop_next(1, method="POST", path="/api/networks/", after_processing=True)
    assert (await cluster.reconcile(key)).phase is Phase.PROGRESSING
    # The routers are created but NetBird keeps failing the PUT that disables one: status
    # still records both, so the next pass only retries the PUT.
    fake.fail_next(5, 500, method="PUT", path="/api/networks/")
    outcome = await cluster.reconcile(key)
    assert outcome.phase is Phase.PROGRESSING
    assert "created router spare" in outcome.changes
    assert [r["name"] for r in status(cluster, key)["routers"]] == ["primary", "spare"]
    fake.clear_log()
    await cluster.converge(key)

    network_id = status(cluster, key)["id"]
    assert len(api(fake, "GET", "networks")) == 1
    assert len(resources_of(fake, network_id)) == 3
    routers = routers_of(fake, network_id)
    assert len(routers) == 2
    assert sorted(r["enabled"] for r in routers) == [False, True]
    assert [w.method for w in fake.writes()] == ["PUT"]


async def test_a_router_whose_create_answer_was_lost_is_not_created_twice(
    cluster: Cluster, fake: FakeNetBird
) -> None:
    await groups(cluster, "db", "routers", "spare")
    key = cluster.apply(NETWORK, "orders", network_spec(routers=None))
    await cluster.converge(key)
    network_id = status(cluster, key)["id"]

    cluster.apply(NETWORK, "orders", network_spec())
    fake.drop_next(
        1, kind=DropKind.RESET, method="POST", path="/api/networks/", after_processing=True
    )
    outcome = await cluster.reconcile(key)
    assert outcome.phase is Phase.PROGRESSING
    [lost] = routers_of(fake, network_id)
    await cluster.converge(key)
    routers = routers_of(fake, network_id)
    assert len(routers) == 2
    assert status(cluster, key)["routers"][0] == {"name": "primary", "id": lost["id"]}


async def test_a_router_create_that_lands_after_the_pass_is_removed_after_the_next_sweep(
    cluster: Cluster, fake: FakeNetBird
) -> None:
    await groups(cluster, "db", "routers", "spare")
    key = cluster.apply(NETWORK, "orders", network_spec())
    await cluster.converge(key)
    network_id = status(cluster, key)["id"]
    declared = {r["id"] for r in routers_of(fake, network_id)}
    primary = next(r for r in routers_of(fake, network_id) if r["metric"] == 100)
    # What a lost create's request does when NetBird applies it late: a second router just
    # like ours, which no pass has seen (the client's lists were read before it).
    fields = ("peer_groups", "metric", "masquerade", "enabled")
    late = api(fake, "POST", f"networks/{network_id}/routers", {f: primary[f] for f in fields})

    seen = (await cluster.reconcile(key)).observed
    found = await drift.survey(cluster.nb, NetworkReconciler.surveyed)
    assert drift.drifted(seen, found), "the sweep does not notice the late router"
    await cluster.converge(key)

    assert {r["id"] for r in routers_of(fake, network_id)} == declared
    assert late["id"] not in {r["id"] for r in status(cluster, key)["routers"]}


async def test_a_resource_name_taken_elsewhere_stalls_with_netbirds_words(
    cluster: Cluster, fake: FakeNetBird
) -> None:
    other = api(fake, "POST", "networks", {"name": "someone-else", "description": ""})
    api(
        fake,
        "POST",
        f"networks/{other['id']}/resources",
        {"name": "orders-web", "address": "1.2.3.4", "enabled": True, "groups": []},
    )
    await groups(cluster, "db", "routers", "spare")
    key = cluster.apply(NETWORK, "orders", network_spec())
    outcome = await cluster.reconcile(key)
    assert outcome.phase is Phase.STALLED
    assert outcome.reason == "AlreadyExists"
    assert "resource with name orders-web already exists" in outcome.message
    st = status(cluster, key)
    assert kstatus_violations(st, 1) == []
    # What was made before the clash is still known, so fixing the name finishes the job.
    assert {r["name"] for r in st["resources"]} == {"orders-db", "orders-api"}
    spec = network_spec()
    spec["resources"][2]["name"] = "orders-web-prod"
    cluster.apply(NETWORK, "orders", spec)
    await cluster.converge(key)
    assert len(resources_of(fake, st["id"])) == 3
    # The other network's resource was never touched.
    assert set(resources_of(fake, other["id"])) == {"orders-web"}


def hand_made_network(
    fake: FakeNetBird, *, router_group: str
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """A network made in the dashboard, with one resource and one router of its own."""
    network = api(fake, "POST", "networks", {"name": "legacy", "description": "by hand"})
    resource = api(
        fake,
        "POST",
        f"networks/{network['id']}/resources",
        {"name": "hand-made", "address": "10.9.0.0/16", "enabled": True, "groups": []},
    )
    router = api(
        fake,
        "POST",
        f"networks/{network['id']}/routers",
        {"peer_groups": [router_group], "metric": 10, "masquerade": True, "enabled": True},
    )
    return network, resource, router


async def test_an_adopted_network_keeps_what_is_not_declared(
    cluster: Cluster, fake: FakeNetBird
) -> None:
    ids = await groups(cluster, "db", "routers", "spare")
    existing, hand, hand_router = hand_made_network(fake, router_group=ids["spare"])
    key = cluster.apply(
        NETWORK,
        "legacy",
        {
            "adopt": True,
            "description": "by hand",
            "resources": [{"name": "declared", "address": "10.10.0.0/16"}],
            "routers": [{"name": "main", "peerGroups": [{"ref": "routers"}]}],
        },
    )
    await cluster.converge(key)
    assert status(cluster, key)["id"] == existing["id"]
    stored = resources_of(fake, existing["id"])
    assert set(stored) == {"hand-made", "declared"}
    assert stored["hand-made"] == {**hand, "groups": None}
    routers = {r["id"]: r for r in routers_of(fake, existing["id"])}
    assert routers[hand_router["id"]] == hand_router
    assert len(routers) == 2

    # Dropping everything from the spec removes only what the operator made.
    cluster.apply(NETWORK, "legacy", {"adopt": True, "description": "by hand"})
    await cluster.converge(key)
    assert set(resources_of(fake, existing["id"])) == {"hand-made"}
    assert [r["id"] for r in routers_of(fake, existing["id"])] == [hand_router["id"]]


async def test_a_network_made_by_hand_just_now_is_adopted_not_created_beside(
    cluster: Cluster, fake: FakeNetBird
) -> None:
    # The operator has just listed networks (it converged another one): the client's cached
    # list predates the network made by hand below.
    ids = await groups(cluster, "db", "routers", "spare")
    await cluster.converge(cluster.apply(NETWORK, "orders", network_spec()))
    existing, _, _ = hand_made_network(fake, router_group=ids["spare"])

    key = cluster.apply(NETWORK, "legacy", {"adopt": True, "description": "by hand"})
    await cluster.converge(key)

    assert status(cluster, key)["id"] == existing["id"]
    assert status(cluster, key)["adopted"] is True
    assert [n["id"] for n in api(fake, "GET", "networks") if n["name"] == "legacy"] == [
        existing["id"]
    ]


async def test_a_policy_reaches_a_resource_once_the_network_is_ready(
    cluster: Cluster, fake: FakeNetBird
) -> None:
    await groups(cluster, "db", "routers", "spare", "app")
    policy = cluster.apply(
        "NetBirdPolicy",
        "app-to-db",
        {
            "action": "accept",
            "protocol": "tcp",
            "ports": [5432],
            "sources": [{"ref": "app"}],
            "destinationResource": {"network": "orders", "resource": "orders-db"},
        },
    )
    outcome = await cluster.reconcile(policy)
    assert outcome.reason == "DependencyNotReady"

    network = cluster.apply(NETWORK, "orders", network_spec())
    await cluster.converge(network, policy)
    resource = resources_of(fake, status(cluster, network)["id"])["orders-db"]
    [stored] = [p for p in api(fake, "GET", "policies") if p["name"] == "app-to-db"]
    assert stored["rules"][0]["destinationResource"] == {"id": resource["id"], "type": "subnet"}
    assert status(cluster, policy)["destinationResourceId"] == resource["id"]


async def test_deletion_honours_the_deletion_policy(cluster: Cluster, fake: FakeNetBird) -> None:
    await groups(cluster, "db", "routers", "spare")
    gone = cluster.apply(NETWORK, "gone", network_spec(name="gone"))
    kept = cluster.apply(
        NETWORK,
        "kept",
        {
            "name": "kept",
            "deletionPolicy": "Orphan",
            "resources": [{"name": "k", "address": "k.io"}],
        },
    )
    await cluster.converge(gone, kept)
    kept_id = status(cluster, kept)["id"]

    await cluster.delete(gone)
    await cluster.delete(kept)
    assert [n["id"] for n in api(fake, "GET", "networks")] == [kept_id]
    assert set(resources_of(fake, kept_id)) == {"k"}
    # The deleted network's resources left its groups with it.
    assert not api(
        fake, "GET", f"groups/{status(cluster, CrKey('NetBirdGroup', 'team', 'db'))['id']}"
    )["resources"]


async def test_deleting_an_adopted_network_leaves_what_was_made_by_hand(
    cluster: Cluster, fake: FakeNetBird
) -> None:
    ids = await groups(cluster, "db", "routers", "spare")
    # Its router routes through the very group the CR declares: still not the operator's.
    existing, hand, hand_router = hand_made_network(fake, router_group=ids["routers"])
    key = cluster.apply(
        NETWORK,
        "legacy",
        {
            "adopt": True,
            "resources": [{"name": "declared", "address": "10.10.0.0/16"}],
            "routers": [{"name": "main", "peerGroups": [{"ref": "routers"}], "metric": 10}],
        },
    )
    await cluster.converge(key)
    st = status(cluster, key)
    assert st["adopted"] is True
    assert st["routers"][0]["id"] != hand_router["id"]
    assert len(routers_of(fake, existing["id"])) == 2

    await cluster.delete(key)
    assert [n["id"] for n in api(fake, "GET", "networks")] == [existing["id"]]
    assert resources_of(fake, existing["id"]) == {"hand-made": {**hand, "groups": None}}
    assert routers_of(fake, existing["id"]) == [hand_router]


async def test_deleting_a_network_someone_added_to_removes_only_the_operators_parts(
    cluster: Cluster, fake: FakeNetBird
) -> None:
    await groups(cluster, "db", "routers", "spare")
    key = cluster.apply(NETWORK, "orders", network_spec())
    await cluster.converge(key)
    network_id = status(cluster, key)["id"]
    assert "adopted" not in status(cluster, key)
    api(
        fake,
        "POST",
        f"networks/{network_id}/resources",
        {"name": "added-by-hand", "address": "10.9.0.1", "enabled": True, "groups": []},
    )

    await cluster.delete(key)
    assert [n["id"] for n in api(fake, "GET", "networks")] == [network_id]
    assert set(resources_of(fake, network_id)) == {"added-by-hand"}
    assert routers_of(fake, network_id) == []


async def test_adoption_is_remembered_even_when_the_pass_fails_after_it(
    cluster: Cluster, fake: FakeNetBird, clock: Clock
) -> None:
    ids = await groups(cluster, "db", "routers", "spare")
    existing = api(fake, "POST", "networks", {"name": "legacy", "description": ""})
    api(
        fake,
        "POST",
        f"networks/{existing['id']}/routers",
        {"peer_groups": [ids["routers"]], "metric": 9999, "masquerade": True, "enabled": True},
    )
    key = cluster.apply(
        NETWORK,
        "legacy",
        {"adopt": True, "routers": [{"name": "main", "peerGroups": [{"ref": "routers"}]}]},
    )
    fake.fail_next(5, 500, method="POST", path=f"/api/networks/{existing['id']}/routers")
    outcome = await cluster.reconcile(key)
    assert outcome.phase is Phase.PROGRESSING
    assert status(cluster, key)["adopted"] is True

    clock.advance(60)
    await cluster.converge(key)
    assert status(cluster, key)["adopted"] is True
    # The hand-made router with the same groups was not taken over: the CR has its own.
    assert len(routers_of(fake, existing["id"])) == 2


async def test_a_resource_or_router_still_in_use_waits_instead_of_stalling(
    cluster: Cluster, fake: FakeNetBird
) -> None:
    await groups(cluster, "db", "routers", "spare")
    key = cluster.apply(NETWORK, "orders", network_spec())
    await cluster.converge(key)
    network_id = status(cluster, key)["id"]
    spec = network_spec()
    del spec["resources"][2]
    del spec["routers"][1]
    cluster.apply(NETWORK, "orders", spec)

    # NetBird refuses to delete a resource a reverse-proxy service still targets (412).
    fake.fail_next(
        1,
        412,
        message="resource r1 is in use by proxy p1",
        method="DELETE",
        path=f"/api/networks/{network_id}/resources/",
    )
    outcome = await cluster.reconcile(key)
    assert (outcome.phase, outcome.reason) == (Phase.PROGRESSING, "InUse")
    assert "orders-web" in outcome.message
    assert kstatus_violations(status(cluster, key), 1) == []
    assert "orders-web" in {r["name"] for r in status(cluster, key)["resources"]}

    fake.fail_next(
        1,
        412,
        message="router is in use",
        method="DELETE",
        path=f"/api/networks/{network_id}/routers/",
    )
    outcome = await cluster.reconcile(key)
    assert (outcome.phase, outcome.reason) == (Phase.PROGRESSING, "InUse")
    assert "spare" in outcome.message

    await cluster.converge(key)
    assert set(resources_of(fake, network_id)) == {"orders-db", "orders-api"}
    assert len(routers_of(fake, network_id)) == 1


async def test_a_network_whose_pass_died_before_recording_anything_is_deleted_whole(
    cluster: Cluster, fake: FakeNetBird
) -> None:
    await groups(cluster, "db", "routers", "spare")
    key = cluster.apply(NETWORK, "orders", network_spec())
    await cluster.reconcile(key, crash=True)  # network, resources and routers made, none recorded
    [network] = api(fake, "GET", "networks")
    assert len(routers_of(fake, network["id"])) == 2
    assert "routers" not in status(cluster, key)

    cluster.now += dt.timedelta(seconds=61)  # past the time an unanswered create may land
    await cluster.delete(key)
    # Left behind, the routers would hold their peer groups for ever ("linked to network").
    assert api(fake, "GET", "networks") == []
