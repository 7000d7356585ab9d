"""Who a policy reaches, as its status tells an on-call person: group names with peer counts,
posture checks by name, and a warning when no peer would match or every peer fails a check."""

from __future__ import annotations

import asyncio
from typing import Any

from nbaccess.reconcile.refs import CrKey
from tests.fakes import FakeNetBird
from tests.integration.reconcile.conftest import Clock, Cluster

# Past the client's list cache (10 s in these tests): a pass sees NetBird as it is now.
FRESH = 11.0


def status(cluster: Cluster, key: CrKey) -> dict[str, Any]:
    return cluster.objects[key]["status"]  # type: ignore[no-any-return]


def policy(cluster: Cluster, name: str, **extra: Any) -> CrKey:
    return cluster.apply(
        "NetBirdPolicy",
        name,
        {
            "action": "accept",
            "protocol": "tcp",
            "ports": [5432],
            "sources": [{"ref": "app"}],
            "destinations": [{"ref": "db"}],
            **extra,
        },
    )


async def groups(cluster: Cluster, *names: str) -> dict[str, str]:
    keys = [cluster.apply("NetBirdGroup", name, {}) for name in names]
    await cluster.converge(*keys)
    return {key.name: status(cluster, key)["id"] for key in keys}


async def test_an_empty_source_group_warns_until_a_peer_joins(
    cluster: Cluster, fake: FakeNetBird, clock: Clock
) -> None:
    ids = await groups(cluster, "app", "db")
    fake.add_peer("db-1", groups=[ids["db"]])
    clock.advance(FRESH)
    key = policy(cluster, "app-to-db")
    await cluster.converge(key)

    now = status(cluster, key)
    assert now["sourceGroups"] == [{"id": ids["app"], "name": "app", "peers": 0}]
    assert now["destinationGroups"] == [{"id": ids["db"], "name": "db", "peers": 1}]
    assert now["warnings"] == [
        "no peer would match this policy: source group 'app' has no peers (is the IdP group "
        "synced, did the setup key assign the group?)"
    ]
    # Ready all the same: NetBird holds what the spec says; the warning is about the peers.
    ready = {c["type"]: c for c in now["conditions"]}["Ready"]
    assert ready["status"] == "True"

    fake.add_peer("app-1", groups=[ids["app"]])
    clock.advance(FRESH)
    await cluster.converge(key)
    now = status(cluster, key)
    assert now["sourceGroups"] == [{"id": ids["app"], "name": "app", "peers": 1}]
    assert not now.get("warnings")


async def test_a_warning_is_checked_against_a_list_read_after_the_peer_joined(
    cluster: Cluster, fake: FakeNetBird, clock: Clock
) -> None:
    ids = await groups(cluster, "app", "db")
    fake.add_peer("db-1", groups=[ids["db"]])
    key = policy(cluster, "app-to-db")
    await cluster.converge(key)
    assert status(cluster, key)["warnings"]

    # Enrolled with a setup key: NetBird changed, the operator wrote nothing, and the cached
    # group list (well within its 10 s) still says 0 peers.
    fake.add_peer("app-1", groups=[ids["app"]])
    clock.advance(2)
    await cluster.converge(key)
    assert not status(cluster, key).get("warnings")


async def test_policies_applied_together_share_one_read_before_warning(
    cluster: Cluster, fake: FakeNetBird, clock: Clock
) -> None:
    await groups(cluster, "app", "db")
    keys = [policy(cluster, f"flow-{i}", ports=[5000 + i]) for i in range(20)]
    clock.advance(2)  # the cached group list is too old to warn from
    fake.clear_log()
    await asyncio.gather(*(cluster.reconcile(k) for k in keys))

    assert all(status(cluster, k)["warnings"] for k in keys)  # every group is still empty
    group_reads = [r for r in fake.requests if (r.method, r.path) == ("GET", "/api/groups")]
    assert len(group_reads) == 1


async def test_a_posture_check_every_source_peer_fails_is_named(
    cluster: Cluster, fake: FakeNetBird, clock: Clock
) -> None:
    fake.account.geolocation_enabled = True  # a server with its GeoLite database
    ids = await groups(cluster, "app", "db")
    fake.add_peer("db-1", groups=[ids["db"]])
    old = fake.add_peer("app-old", groups=[ids["app"]], version="0.50.2")
    fake.add_peer("app-gone", groups=[ids["app"]], version="0.80.0", connected=False)
    checks = {
        "min-client": {"nbVersion": {"minVersion": "0.59.0"}},
        "in-germany": {"geoLocation": {"action": "allow", "locations": [{"countryCode": "DE"}]}},
    }
    keys = [cluster.apply("PostureCheck", name, {"checks": c}) for name, c in checks.items()]
    await cluster.converge(*keys)
    clock.advance(FRESH)
    key = policy(cluster, "app-to-db", postureChecks=[{"ref": "min-client"}, {"ref": "in-germany"}])
    await cluster.converge(key)

    now = status(cluster, key)
    assert [c["name"] for c in now["postureChecks"]] == ["min-client", "in-germany"]
    # Only connected peers count: a disconnected one on a new client starts no flow.
    assert now["warnings"] == [
        "posture check 'min-client' wants NetBird 0.59.0 or newer and every connected peer of "
        "the source groups runs an older one (0.50.2): none of them can start this flow",
        "posture check 'in-germany' allows by location and NetBird knows no location for any "
        "connected peer of the source groups (their public addresses are not in its GeoLite "
        "database), and a peer without one fails: none of them can start this flow",
    ]

    # The peer upgrades and turns out to be in France: the version check passes, the
    # location one still fails, now for a known place.
    fake.account.peers[old].version = "0.77.1"
    fake.account.peers[old].country_code = "FR"
    clock.advance(FRESH)
    await cluster.converge(key)
    assert status(cluster, key)["warnings"] == [
        "posture check 'in-germany' allows by location and every connected peer of the source "
        "groups is elsewhere (FR): none of them can start this flow"
    ]

    fake.account.peers[old].country_code = "DE"
    clock.advance(FRESH)
    await cluster.converge(key)
    assert not status(cluster, key).get("warnings")
