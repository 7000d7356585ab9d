"""The list cache: N lookups of a kind cost one list call per TTL, and our writes are seen."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from nbaccess.netbird import errors
from nbaccess.netbird.models import GroupRequest, NetworkResourceRequest


class GroupsServer:
    """Just enough of NetBird's groups endpoints to observe what the client asks for."""

    def __init__(self, count: int) -> None:
        self.groups = {
            f"g{i}": {"id": f"g{i}", "name": f"group-{i}", "peers": [], "resources": []}
            for i in range(count)
        }

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/api/groups" and request.method == "GET":
            return httpx.Response(200, json=list(self.groups.values()))
        if path == "/api/groups" and request.method == "POST":
            body = json.loads(request.content)
            new = {"id": f"g{len(self.groups)}", **body}
            self.groups[new["id"]] = new
            return httpx.Response(200, json=new)
        group_id = path.rsplit("/", 1)[-1]
        if request.method == "GET":
            if group_id in self.groups:
                return httpx.Response(200, json=self.groups[group_id])
            return httpx.Response(404, json={"message": "group not found", "code": 404})
        if request.method == "PUT":
            self.groups[group_id] = {"id": group_id, **json.loads(request.content)}
            return httpx.Response(200, json=self.groups[group_id])
        if request.method == "DELETE":
            self.groups.pop(group_id, None)
            return httpx.Response(200, json={})
        return httpx.Response(405)


async def test_n_gets_cost_one_list_call(harness):
    h = harness(GroupsServer(20), list_cache_ttl=30)
    found = [await h.client.get_group(f"g{i}") for i in range(20)]
    assert [g.name for g in found] == [f"group-{i}" for i in range(20)]
    assert h.seen() == [("GET", "/api/groups")]


async def test_concurrent_gets_share_one_list_call(harness):
    h = harness(GroupsServer(10), list_cache_ttl=30)
    found = await asyncio.gather(*(h.client.get_group(f"g{i}") for i in range(10)))
    assert len(found) == 10
    assert h.seen() == [("GET", "/api/groups")]


async def test_list_is_reloaded_after_the_ttl(harness):
    h = harness(GroupsServer(3), list_cache_ttl=10)
    await h.client.get_group("g1")
    h.clock.now += 9.9
    await h.client.get_group("g2")
    h.clock.now += 0.2
    await h.client.get_group("g2")
    assert h.seen() == [("GET", "/api/groups"), ("GET", "/api/groups")]


async def test_our_writes_update_the_cached_list_in_place(harness):
    server = GroupsServer(2)
    h = harness(server, list_cache_ttl=30)
    assert (await h.client.get_group("g1")).peers == []
    await h.client.update_group("g1", GroupRequest(name="group-1", peers=["p9"], resources=[]))
    assert (await h.client.get_group("g1")).peers == ["p9"]
    created = [
        await h.client.create_group(GroupRequest(name=f"new-{i}", peers=[], resources=[]))
        for i in range(5)
    ]
    await h.client.delete_group("g0")
    names = {g.name for g in await h.client.list_groups()}
    assert names == {"group-1", *(g.name for g in created)}
    # One list read, however many writes: N creates are N POSTs, not N POSTs and N lists.
    assert h.seen().count(("GET", "/api/groups")) == 1


async def test_a_failed_write_is_read_again_since_it_may_have_landed(harness):
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json=[])
        return httpx.Response(500, json={"message": "internal error", "code": 500})

    h = harness(handler, list_cache_ttl=30)
    await h.client.list_groups()
    with pytest.raises(errors.ServerError):
        await h.client.create_group(GroupRequest(name="x", peers=[], resources=[]))
    await h.client.list_groups()
    assert h.seen().count(("GET", "/api/groups")) == 2


async def test_a_just_created_object_is_never_reported_missing(harness):
    server = GroupsServer(2)
    h = harness(server, list_cache_ttl=30)
    await h.client.list_groups()
    created = await h.client.create_group(GroupRequest(name="new", peers=[], resources=[]))
    assert (await h.client.get_group(created.id)).name == "new"


async def test_object_created_elsewhere_within_the_ttl_falls_back_to_a_get(harness):
    server = GroupsServer(2)
    h = harness(server, list_cache_ttl=30)
    await h.client.list_groups()
    server.groups["gx"] = {"id": "gx", "name": "by-dashboard", "peers": [], "resources": []}
    assert (await h.client.get_group("gx")).name == "by-dashboard"
    assert h.seen()[-1] == ("GET", "/api/groups/gx")


async def test_a_missing_object_is_a_real_not_found(harness):
    h = harness(GroupsServer(2), list_cache_ttl=30)
    with pytest.raises(errors.NotFound):
        await h.client.get_group("nope")


async def test_fresh_read_bypasses_the_cache(harness):
    h = harness(GroupsServer(2), list_cache_ttl=30)
    await h.client.list_groups()
    await h.client.get_group("g1", fresh=True)
    assert h.seen() == [("GET", "/api/groups"), ("GET", "/api/groups/g1")]


async def test_ttl_zero_turns_the_cache_off(harness):
    h = harness(GroupsServer(2), list_cache_ttl=0)
    await h.client.get_group("g1")
    await h.client.get_group("g1")
    assert h.seen() == [("GET", "/api/groups/g1"), ("GET", "/api/groups/g1")]


async def test_find_groups_uses_a_fresh_list_else_asks_by_name(harness):
    h = harness(GroupsServer(3), list_cache_ttl=30)
    assert [g.id for g in await h.client.find_groups("group-2")] == ["g2"]  # ?name= query
    assert h.requests[0].url.params["name"] == "group-2"
    await h.client.list_groups()
    assert [g.id for g in await h.client.find_groups("group-1")] == ["g1"]  # from the list
    assert len(h.requests) == 2


async def test_find_groups_of_unknown_name_is_empty(harness):
    h = harness(
        lambda request: httpx.Response(404, json={"message": "group: x not found", "code": 404})
    )
    assert await h.client.find_groups("x") == []


async def test_writing_a_resource_invalidates_groups_because_membership_lives_there(harness):
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/groups":
            return httpx.Response(200, json=[])
        return httpx.Response(
            200,
            json={
                "id": "r1",
                "name": "db",
                "address": "10.0.0.1/32",
                "enabled": True,
                "type": "host",
                "groups": [],
            },
        )

    h = harness(handler, list_cache_ttl=30)
    await h.client.list_groups()
    await h.client.create_network_resource(
        "n1", NetworkResourceRequest(name="db", address="10.0.0.1", groups=[])
    )
    await h.client.list_groups()
    assert h.seen() == [
        ("GET", "/api/groups"),
        ("POST", "/api/networks/n1/resources"),
        ("GET", "/api/groups"),
    ]


async def test_resources_are_cached_per_network(harness):
    def handler(request: httpx.Request) -> httpx.Response:
        network = request.url.path.split("/")[3]
        return httpx.Response(
            200,
            json=[
                {
                    "id": f"{network}-r",
                    "name": "x",
                    "address": "h.example",
                    "enabled": True,
                    "type": "domain",
                    "groups": [],
                }
            ],
        )

    h = harness(handler, list_cache_ttl=30)
    assert (await h.client.get_network_resource("n1", "n1-r")).id == "n1-r"
    assert (await h.client.get_network_resource("n2", "n2-r")).id == "n2-r"
    assert (await h.client.get_network_resource("n1", "n1-r")).id == "n1-r"
    assert h.seen() == [
        ("GET", "/api/networks/n1/resources"),
        ("GET", "/api/networks/n2/resources"),
    ]


async def test_a_list_loaded_across_a_write_is_not_kept():
    from nbaccess.netbird.cache import ListCache

    from .conftest import FakeClock

    clock = FakeClock()
    cache = ListCache(ttl_seconds=30, clock=clock)
    release = asyncio.Event()

    async def slow_load() -> list[str]:
        await release.wait()
        return ["before-the-write"]

    loading = asyncio.create_task(cache.get_or_load("groups", slow_load))
    await asyncio.sleep(0)
    cache.invalidate(["groups"])  # our write lands while the list is in flight
    release.set()
    assert await loading == ["before-the-write"]
    assert cache.fresh("groups") is None


async def test_cached_lists_keep_netbirds_order_through_our_writes():
    from dataclasses import dataclass

    from nbaccess.netbird.cache import ListCache

    from .conftest import FakeClock

    @dataclass(frozen=True)
    class Item:
        id: str
        name: str

    cache = ListCache(ttl_seconds=30, clock=FakeClock())

    async def load() -> list[Item]:
        # A list repeating an id (NetBird never should): the first is the one a scan finds.
        return [Item("a", "first"), Item("b", "b"), Item("a", "again"), Item("c", "c")]

    await cache.get_or_load("groups", load)
    cache.upsert("groups", Item("b", "renamed"), ["*"])  # in its place
    cache.upsert("groups", Item("d", "new"), ["*"])  # at the end
    cache.discard("groups", "c")
    assert cache.fresh("groups") == [
        Item("a", "first"),
        Item("b", "renamed"),
        Item("d", "new"),
    ]
