"""Networks, their resources and routers (netbird-api.md rows for the three)."""

from __future__ import annotations

from typing import Any

from tests.integration.conftest import NetBirdHttp, unique
from tests.integration.contract.shapes import UNKNOWN_ID, XID, assert_error, ids


async def _network(nb: NetBirdHttp) -> dict[str, Any]:
    return await nb.create("/networks", {"name": unique("net"), "description": "test network"})


def _resource(name: str, address: str, groups: list[str] | None = None) -> dict[str, Any]:
    return {"name": name, "address": address, "enabled": True, "groups": groups or []}


async def test_network_create_read_update_delete(nb: NetBirdHttp) -> None:
    created = await _network(nb)
    assert XID.match(created["id"])
    assert created["description"] == "test network"
    assert created["routers"] == []
    assert created["resources"] == []
    assert created["routing_peers_count"] == 0

    renamed = unique("net")
    response = await nb.put(f"/networks/{created['id']}", {"name": renamed, "description": ""})
    assert response.status_code == 200
    fetched = (await nb.get(f"/networks/{created['id']}")).json()
    assert fetched["name"] == renamed
    assert fetched["description"] == ""
    listed = {network["id"] for network in (await nb.get("/networks")).json()}
    assert created["id"] in listed

    assert (await nb.delete(f"/networks/{created['id']}")).json() == {}
    assert_error(await nb.get(f"/networks/{created['id']}"), 404, "not found")


async def test_network_names_are_not_unique(nb: NetBirdHttp) -> None:
    name = unique("net")
    first = await nb.create("/networks", {"name": name})
    second = await nb.create("/networks", {"name": name})
    assert first["id"] != second["id"]


async def test_resource_addresses_are_classified_and_normalised(nb: NetBirdHttp) -> None:
    network = await _network(nb)
    base = f"/networks/{network['id']}/resources"
    expected = {
        "10.1.2.3": ("host", "10.1.2.3/32"),
        "10.1.0.0/16": ("subnet", "10.1.0.0/16"),
        "192.168.7.9/32": ("host", "192.168.7.9/32"),
        "db.internal.example.com": ("domain", "db.internal.example.com"),
        "*.svc.example.com": ("domain", "*.svc.example.com"),
    }
    for address, (kind, shown) in expected.items():
        created = await nb.create(base, _resource(unique("res"), address))
        fetched = (await nb.get(f"{base}/{created['id']}")).json()
        assert (fetched["type"], fetched["address"]) == (kind, shown), address


async def test_invalid_resource_address_is_500(nb: NetBirdHttp) -> None:
    network = await _network(nb)
    response = await nb.post(
        f"/networks/{network['id']}/resources", _resource(unique("res"), "not a host!")
    )
    assert_error(response, 500)


async def test_resource_names_are_unique_per_account(nb: NetBirdHttp) -> None:
    first_network = await _network(nb)
    second_network = await _network(nb)
    name = unique("res")
    await nb.create(f"/networks/{first_network['id']}/resources", _resource(name, "10.9.0.1"))
    response = await nb.post(
        f"/networks/{second_network['id']}/resources", _resource(name, "10.9.0.2")
    )
    assert_error(response, 422, "already exists")


async def test_resource_groups_come_back_as_objects_and_live_on_the_group(nb: NetBirdHttp) -> None:
    group = await nb.create("/groups", {"name": unique("grp")})
    network = await _network(nb)
    base = f"/networks/{network['id']}/resources"
    created = await nb.create(base, _resource(unique("res"), "10.3.0.0/24", [group["id"]]))
    assert created["groups"][0]["id"] == group["id"]
    assert created["groups"][0]["name"] == group["name"]

    held = (await nb.get(f"/groups/{group['id']}")).json()
    assert held["resources"] == [{"id": created["id"], "type": "subnet"}]

    body = _resource(created["name"], "10.3.0.0/24", [])
    response = await nb.put(f"{base}/{created['id']}", body)
    assert response.status_code == 200
    assert response.json()["groups"] is None
    assert (await nb.get(f"/groups/{group['id']}")).json()["resources"] is None


async def test_resource_lists_per_network_and_for_the_account(nb: NetBirdHttp) -> None:
    network = await _network(nb)
    base = f"/networks/{network['id']}/resources"
    assert (await nb.get(base)).json() is None  # an empty list is null here
    created = await nb.create(base, _resource(unique("res"), "10.4.0.1"))
    assert ids((await nb.get(base)).json()) == [created["id"]]
    assert created["id"] in ids((await nb.get("/networks/resources")).json())
    assert (await nb.get(f"/networks/{network['id']}")).json()["resources"] == [created["id"]]


async def test_router_post_is_always_enabled_and_put_can_disable(nb: NetBirdHttp) -> None:
    group = await nb.create("/groups", {"name": unique("grp")})
    network = await _network(nb)
    base = f"/networks/{network['id']}/routers"
    body = {"peer_groups": [group["id"]], "metric": 100, "masquerade": True, "enabled": False}
    created = await nb.create(base, body)
    assert XID.match(created["id"])
    assert created["enabled"] is True
    assert created["peer"] == ""
    assert created["peer_groups"] == [group["id"]]

    updated = await nb.put(f"{base}/{created['id']}", body)
    assert updated.status_code == 200
    fetched = (await nb.get(f"{base}/{created['id']}")).json()
    assert fetched["enabled"] is False
    assert fetched["metric"] == 100
    assert fetched["masquerade"] is True
    assert created["id"] in ids((await nb.get("/networks/routers")).json())
    assert (await nb.get(f"/networks/{network['id']}")).json()["routers"] == [created["id"]]


async def test_router_needs_exactly_one_of_peer_and_peer_groups(nb: NetBirdHttp) -> None:
    group = await nb.create("/groups", {"name": unique("grp")})
    network = await _network(nb)
    base = f"/networks/{network['id']}/routers"
    both = {"peer": UNKNOWN_ID, "peer_groups": [group["id"]], "metric": 100}
    assert_error(await nb.post(base, both), 400, "cannot be set at the same time")
    assert_error(await nb.post(base, {"metric": 100}), 400, "must be provided")


async def test_router_in_a_missing_network_is_404(nb: NetBirdHttp) -> None:
    group = await nb.create("/groups", {"name": unique("grp")})
    response = await nb.post(f"/networks/{UNKNOWN_ID}/routers", {"peer_groups": [group["id"]]})
    assert_error(response, 404, "not found")


async def test_network_delete_cascades_to_resources_and_routers(nb: NetBirdHttp) -> None:
    group = await nb.create("/groups", {"name": unique("grp")})
    network = await _network(nb)
    resource = await nb.create(
        f"/networks/{network['id']}/resources",
        _resource(unique("res"), "10.5.0.0/16", [group["id"]]),
    )
    router = await nb.create(
        f"/networks/{network['id']}/routers", {"peer_groups": [group["id"]], "metric": 10}
    )

    assert (await nb.delete(f"/networks/{network['id']}")).status_code == 200

    assert resource["id"] not in ids((await nb.get("/networks/resources")).json())
    assert router["id"] not in ids((await nb.get("/networks/routers")).json())
    assert (await nb.get(f"/groups/{group['id']}")).json()["resources"] is None
    # With the router and resource gone, nothing links the group any more.
    assert (await nb.delete(f"/groups/{group['id']}")).status_code == 200
