"""Enrolled peers in the fake (real NetBird only gets peers by client enrolment)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.fakes import FAKE_BASE_URL, FakeNetBird


@pytest.fixture
def fake() -> FakeNetBird:
    # Without the Default all-to-all policy, reachability comes only from the test's policies.
    return FakeNetBird(default_policy=False)


@pytest.fixture
async def http(fake: FakeNetBird) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=FAKE_BASE_URL,
        transport=fake.transport(),
        headers={"Authorization": f"Token {fake.token}"},
    ) as client:
        yield client


async def _group(http: httpx.AsyncClient, name: str) -> str:
    response = await http.post("/api/groups", json={"name": name})
    assert response.status_code == 200
    group_id: str = response.json()["id"]
    return group_id


async def test_enrolled_peer_shows_health_and_groups(
    fake: FakeNetBird, http: httpx.AsyncClient
) -> None:
    group_id = await _group(http, "routers")
    peer_id = fake.add_peer("router-1", groups=[group_id], connected=False)

    peer = (await http.get(f"/api/peers/{peer_id}")).json()

    assert peer["name"] == "router-1"
    assert peer["connected"] is False
    assert peer["ip"].startswith("100.")
    assert sorted(group["name"] for group in peer["groups"]) == ["All", "routers"]
    fake.set_peer_connected(peer_id, True)
    assert (await http.get(f"/api/peers/{peer_id}")).json()["connected"] is True


async def test_peer_name_filter_is_a_substring_match(
    fake: FakeNetBird, http: httpx.AsyncClient
) -> None:
    fake.add_peer("db-router-eu")
    fake.add_peer("web-1")
    names = [peer["name"] for peer in (await http.get("/api/peers?name=router")).json()]
    assert names == ["db-router-eu"]


async def test_setup_key_enrolment_applies_auto_groups_and_counts_use(
    fake: FakeNetBird, http: httpx.AsyncClient
) -> None:
    group_id = await _group(http, "enrolled")
    key = (
        await http.post(
            "/api/setup-keys",
            json={"name": "k", "type": "one-off", "expires_in": 3600, "auto_groups": [group_id]},
        )
    ).json()

    peer_id = fake.add_peer("new-peer", setup_key=key["key"])

    group = (await http.get(f"/api/groups/{group_id}")).json()
    assert group["peers"] == [{"id": peer_id, "name": "new-peer"}]
    stored = (await http.get(f"/api/setup-keys/{key['id']}")).json()
    assert stored["used_times"] == 1
    assert stored["state"] == "overused"
    with pytest.raises(ValueError, match="not valid"):
        fake.add_peer("second", setup_key=key["key"])


async def test_group_put_without_peers_removes_members(
    fake: FakeNetBird, http: httpx.AsyncClient
) -> None:
    group_id = await _group(http, "members")
    peer_id = fake.add_peer("p1", groups=[group_id])

    response = await http.put(f"/api/groups/{group_id}", json={"name": "members"})

    assert response.json()["peers"] is None
    peer = (await http.get(f"/api/peers/{peer_id}")).json()
    assert [group["name"] for group in peer["groups"]] == ["All"]


async def test_accessible_peers_follow_policies(fake: FakeNetBird, http: httpx.AsyncClient) -> None:
    clients = await _group(http, "clients")
    servers = await _group(http, "servers")
    laptop = fake.add_peer("laptop", groups=[clients])
    server = fake.add_peer("server", groups=[servers])
    assert (await http.get(f"/api/peers/{laptop}/accessible-peers")).json() == []

    rule = {
        "name": "r",
        "enabled": True,
        "action": "accept",
        "bidirectional": False,
        "protocol": "tcp",
        "ports": ["22"],
        "sources": [clients],
        "destinations": [servers],
    }
    policy = {"name": "ssh", "enabled": True, "rules": [rule]}
    assert (await http.post("/api/policies", json=policy)).status_code == 200

    reachable = (await http.get(f"/api/peers/{laptop}/accessible-peers")).json()
    assert [peer["id"] for peer in reachable] == [server]
    assert (await http.get(f"/api/peers/{server}/accessible-peers")).json() == []


async def test_router_peer_groups_count_routing_peers(
    fake: FakeNetBird, http: httpx.AsyncClient
) -> None:
    group_id = await _group(http, "routing")
    fake.add_peer("r1", groups=[group_id])
    fake.add_peer("r2", groups=[group_id])
    network = (await http.post("/api/networks", json={"name": "n"})).json()
    await http.post(f"/api/networks/{network['id']}/routers", json={"peer_groups": [group_id]})

    fetched = (await http.get(f"/api/networks/{network['id']}")).json()

    assert fetched["routing_peers_count"] == 2
