"""Groups: unique names on create, PUT replaces members, All is fixed, odd delete codes."""

from __future__ import annotations

from typing import Any

from tests.integration.conftest import NetBirdHttp, unique
from tests.integration.contract.shapes import UNKNOWN_ID, XID, assert_error, policy, rule


def _resource(address: str, group_id: str) -> dict[str, object]:
    return {"name": unique("res"), "address": address, "enabled": True, "groups": [group_id]}


async def _all_group(nb: NetBirdHttp) -> dict[str, Any]:
    response = await nb.get("/groups?name=All")
    assert response.status_code == 200
    (group,) = response.json()
    assert isinstance(group, dict)
    return group


async def test_group_create_read_update_delete(nb: NetBirdHttp) -> None:
    name = unique("grp")
    created = await nb.create("/groups", {"name": name})
    assert XID.match(created["id"])
    assert created["name"] == name
    assert created["issued"] == "api"
    assert created["peers"] is None
    assert created["peers_count"] == 0
    assert created["resources"] is None
    assert created["resources_count"] == 0

    fetched = await nb.get(f"/groups/{created['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == created

    renamed = unique("grp")
    updated = await nb.put(f"/groups/{created['id']}", {"name": renamed})
    assert updated.status_code == 200
    assert updated.json()["name"] == renamed

    listed = await nb.get("/groups")
    assert renamed in [group["name"] for group in listed.json()]

    deleted = await nb.delete(f"/groups/{created['id']}")
    assert deleted.status_code == 200
    assert_error(await nb.get(f"/groups/{created['id']}"), 404, "not found")


async def test_get_groups_by_name_returns_a_one_element_list(nb: NetBirdHttp) -> None:
    name = unique("grp")
    created = await nb.create("/groups", {"name": name})
    response = await nb.get(f"/groups?name={name}")
    assert response.status_code == 200
    assert [group["id"] for group in response.json()] == [created["id"]]
    assert_error(await nb.get(f"/groups?name={unique('absent')}"), 404, "not found")


async def test_duplicate_group_name_on_create_is_409(nb: NetBirdHttp) -> None:
    name = unique("grp")
    await nb.create("/groups", {"name": name})
    assert_error(await nb.post("/groups", {"name": name}), 409, "already exists")


async def test_empty_group_name_is_422(nb: NetBirdHttp) -> None:
    assert_error(await nb.post("/groups", {"name": ""}), 422, "shouldn't be empty")


async def test_group_names_are_unique_on_create_only(nb: NetBirdHttp) -> None:
    first = await nb.create("/groups", {"name": unique("grp")})
    second = await nb.create("/groups", {"name": unique("grp")})
    response = await nb.put(f"/groups/{second['id']}", {"name": first["name"]})
    assert response.status_code == 200
    assert response.json()["name"] == first["name"]


async def test_group_put_without_resources_detaches_them(nb: NetBirdHttp) -> None:
    group = await nb.create("/groups", {"name": unique("grp")})
    network = await nb.create("/networks", {"name": unique("net")})
    resource = await nb.create(
        f"/networks/{network['id']}/resources",
        _resource("10.20.0.0/16", group["id"]),
    )
    with_resource = (await nb.get(f"/groups/{group['id']}")).json()
    assert with_resource["resources"] == [{"id": resource["id"], "type": "subnet"}]

    response = await nb.put(f"/groups/{group['id']}", {"name": group["name"]})

    assert response.status_code == 200
    assert response.json()["resources"] is None
    assert response.json()["resources_count"] == 0
    reread = (await nb.get(f"/networks/{network['id']}/resources/{resource['id']}")).json()
    assert reread["groups"] is None


async def test_all_group_cannot_be_updated_or_deleted(nb: NetBirdHttp) -> None:
    everyone = await _all_group(nb)
    assert_error(await nb.put(f"/groups/{everyone['id']}", {"name": "All"}), 422, "not allowed")
    assert_error(await nb.delete(f"/groups/{everyone['id']}"), 400, "not allowed")


async def test_deleting_a_missing_group_is_400_not_404(nb: NetBirdHttp) -> None:
    assert_error(await nb.delete(f"/groups/{UNKNOWN_ID}"), 400, "not found")


async def test_getting_or_updating_a_missing_group_is_404(nb: NetBirdHttp) -> None:
    assert_error(await nb.get(f"/groups/{UNKNOWN_ID}"), 404, "not found")
    assert_error(await nb.put(f"/groups/{UNKNOWN_ID}", {"name": "x"}), 404, "not found")


async def test_deleting_a_group_used_by_a_policy_is_400_linked(nb: NetBirdHttp) -> None:
    group = await nb.create("/groups", {"name": unique("grp")})
    policy_name = unique("pol")
    await nb.create("/policies", policy(policy_name, rule([group["id"]], [group["id"]])))
    message = assert_error(await nb.delete(f"/groups/{group['id']}"), 400)
    assert message == f"group has been linked to policy: {policy_name}"


async def test_deleting_a_group_used_by_a_setup_key_is_400_linked(nb: NetBirdHttp) -> None:
    group = await nb.create("/groups", {"name": unique("grp")})
    key_name = unique("key")
    await nb.create(
        "/setup-keys",
        {"name": key_name, "type": "reusable", "expires_in": 86400, "auto_groups": [group["id"]]},
    )
    message = assert_error(await nb.delete(f"/groups/{group['id']}"), 400)
    assert message == f"group has been linked to setup key: {key_name}"


async def test_deleting_a_group_holding_a_network_resource_is_400_linked(nb: NetBirdHttp) -> None:
    group = await nb.create("/groups", {"name": unique("grp")})
    network = await nb.create("/networks", {"name": unique("net")})
    resource = await nb.create(
        f"/networks/{network['id']}/resources",
        _resource("db.example.com", group["id"]),
    )
    message = assert_error(await nb.delete(f"/groups/{group['id']}"), 400)
    assert message == f"group has been linked to network resource: {resource['id']}"


async def test_deleting_a_group_used_by_a_router_is_400_linked(nb: NetBirdHttp) -> None:
    group = await nb.create("/groups", {"name": unique("grp")})
    network = await nb.create("/networks", {"name": unique("net")})
    router = await nb.create(
        f"/networks/{network['id']}/routers", {"peer_groups": [group["id"]], "metric": 100}
    )
    message = assert_error(await nb.delete(f"/groups/{group['id']}"), 400)
    assert message == f"group has been linked to network router: {router['id']}"
