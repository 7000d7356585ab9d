"""Peers (read-only here: they appear only by enrolment) and DNS nameserver groups."""

from __future__ import annotations

from typing import Any

from tests.integration.conftest import NetBirdHttp, unique
from tests.integration.contract.shapes import UNKNOWN_ID, XID, assert_error


async def test_peers_list_is_a_list_and_a_missing_peer_is_404(nb: NetBirdHttp) -> None:
    response = await nb.get("/peers")
    assert response.status_code == 200
    assert isinstance(response.json(), list)
    assert_error(await nb.get(f"/peers/{UNKNOWN_ID}"), 404, "not found")


def _nameservers(name: str, group_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "description": "",
        "nameservers": [{"ip": "9.9.9.9", "ns_type": "udp", "port": 53}],
        "enabled": True,
        "groups": [group_id],
        "primary": False,
        "domains": ["corp.example.com"],
        "search_domains_enabled": False,
        **extra,
    }


async def test_nameserver_group_create_read_update_delete(nb: NetBirdHttp) -> None:
    group = await nb.create("/groups", {"name": unique("grp")})
    name = unique("ns")
    created = await nb.create("/dns/nameservers", _nameservers(name, group["id"]))
    assert XID.match(created["id"])
    assert created["nameservers"] == [{"ip": "9.9.9.9", "ns_type": "udp", "port": 53}]

    body = _nameservers(name, group["id"], enabled=False, domains=["other.example.com"])
    assert (await nb.put(f"/dns/nameservers/{created['id']}", body)).status_code == 200
    fetched = (await nb.get(f"/dns/nameservers/{created['id']}")).json()
    assert fetched["enabled"] is False
    assert fetched["domains"] == ["other.example.com"]

    message = assert_error(await nb.delete(f"/groups/{group['id']}"), 400)
    assert message == f"group has been linked to name server groups: {name}"

    assert (await nb.delete(f"/dns/nameservers/{created['id']}")).json() == {}
    assert_error(await nb.get(f"/dns/nameservers/{created['id']}"), 404, "not found")


async def test_nameserver_group_validation_errors_are_422(nb: NetBirdHttp) -> None:
    group = await nb.create("/groups", {"name": unique("grp")})
    taken = unique("ns")
    await nb.create("/dns/nameservers", _nameservers(taken, group["id"]))
    cases = [
        (_nameservers("n" * 41, group["id"]), "between 1 and 40"),
        (_nameservers(taken, group["id"]), "already exist"),
        (_nameservers(unique("ns"), group["id"], groups=[]), "should not be empty"),
        (_nameservers(unique("ns"), UNKNOWN_ID), "not found"),
        (_nameservers(unique("ns"), group["id"], domains=[]), "primary status is false"),
        (_nameservers(unique("ns"), group["id"], nameservers=[]), "should be 1 or 3"),
    ]
    for body, fragment in cases:
        assert_error(await nb.post("/dns/nameservers", body), 422, fragment)
