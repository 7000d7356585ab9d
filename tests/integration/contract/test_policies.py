"""Policies: one rule kept, unknown ids dropped silently, groups shown as objects."""

from __future__ import annotations

from typing import Any

from tests.integration.conftest import NetBirdHttp, unique
from tests.integration.contract.shapes import (
    UNKNOWN_ID,
    XID,
    assert_error,
    ids,
    policy,
    rule,
)


async def _groups(nb: NetBirdHttp, count: int) -> list[dict[str, Any]]:
    return [await nb.create("/groups", {"name": unique("grp")}) for _ in range(count)]


async def test_policy_create_read_update_delete(nb: NetBirdHttp) -> None:
    source, destination = await _groups(nb, 2)
    body = policy(
        unique("pol"),
        rule([source["id"]], [destination["id"]], protocol="tcp", ports=["22", "443"]),
    )
    created = await nb.create("/policies", body)
    assert XID.match(created["id"])
    (created_rule,) = created["rules"]
    assert created_rule["id"]
    assert created_rule["ports"] == ["22", "443"]

    fetched = (await nb.get(f"/policies/{created['id']}")).json()
    (stored_rule,) = fetched["rules"]
    # Groups come back as objects, not ids.
    assert stored_rule["sources"][0]["id"] == source["id"]
    assert stored_rule["sources"][0]["name"] == source["name"]
    assert ids(stored_rule["destinations"]) == [destination["id"]]

    body["enabled"] = False
    body["rules"][0]["id"] = created_rule["id"]  # echo the rule id on update
    body["rules"][0]["protocol"] = "udp"
    updated = await nb.put(f"/policies/{created['id']}", body)
    assert updated.status_code == 200
    reread = (await nb.get(f"/policies/{created['id']}")).json()
    assert reread["enabled"] is False
    assert [r["protocol"] for r in reread["rules"]] == ["udp"]
    assert [r["id"] for r in reread["rules"]] == [created_rule["id"]]

    assert (await nb.delete(f"/policies/{created['id']}")).json() == {}
    assert_error(await nb.get(f"/policies/{created['id']}"), 404, "not found")


async def test_empty_ports_are_omitted_from_responses(nb: NetBirdHttp) -> None:
    (group,) = await _groups(nb, 1)
    body = policy(unique("pol"), rule([group["id"]], [group["id"]]))
    created = await nb.create("/policies", body)
    fetched = (await nb.get(f"/policies/{created['id']}")).json()
    (stored_rule,) = fetched["rules"]
    assert "ports" not in stored_rule
    assert "port_ranges" not in stored_rule
    assert stored_rule["description"] == ""


async def test_unknown_group_ids_are_dropped_silently(nb: NetBirdHttp) -> None:
    (group,) = await _groups(nb, 1)
    body = policy(unique("pol"), rule([group["id"], UNKNOWN_ID], [UNKNOWN_ID, group["id"]]))
    created = await nb.create("/policies", body)
    fetched = (await nb.get(f"/policies/{created['id']}")).json()
    (stored_rule,) = fetched["rules"]
    assert ids(stored_rule["sources"]) == [group["id"]]
    assert ids(stored_rule["destinations"]) == [group["id"]]


async def test_a_rule_whose_groups_are_all_unknown_keeps_no_groups(nb: NetBirdHttp) -> None:
    created = await nb.create("/policies", policy(unique("pol"), rule([UNKNOWN_ID], [UNKNOWN_ID])))
    (stored_rule,) = (await nb.get(f"/policies/{created['id']}")).json()["rules"]
    assert not stored_rule["sources"]
    assert not stored_rule["destinations"]


async def test_unknown_posture_check_ids_are_dropped_silently(nb: NetBirdHttp) -> None:
    (group,) = await _groups(nb, 1)
    check = await nb.create(
        "/posture-checks",
        {
            "name": unique("pc"),
            "description": "",
            "checks": {"nb_version_check": {"min_version": "0.25.0"}},
        },
    )
    body = policy(
        unique("pol"),
        rule([group["id"]], [group["id"]]),
        source_posture_checks=[UNKNOWN_ID, check["id"]],
    )
    created = await nb.create("/policies", body)
    fetched = (await nb.get(f"/policies/{created['id']}")).json()
    assert fetched["source_posture_checks"] == [check["id"]]


async def test_only_the_first_rule_is_stored(nb: NetBirdHttp) -> None:
    first, second = await _groups(nb, 2)
    body = policy(
        unique("pol"),
        rule([first["id"]], [first["id"]], name="first"),
        rule([second["id"]], [second["id"]], name="second", protocol="tcp", ports=["80"]),
    )
    created = await nb.create("/policies", body)
    fetched = (await nb.get(f"/policies/{created['id']}")).json()
    assert [r["name"] for r in fetched["rules"]] == ["first"]


async def test_policy_names_are_not_unique(nb: NetBirdHttp) -> None:
    (group,) = await _groups(nb, 1)
    name = unique("pol")
    first = await nb.create("/policies", policy(name, rule([group["id"]], [group["id"]])))
    second = await nb.create("/policies", policy(name, rule([group["id"]], [group["id"]])))
    assert first["id"] != second["id"]


async def test_policy_validation_errors_are_422(nb: NetBirdHttp) -> None:
    (group,) = await _groups(nb, 1)
    gid = [group["id"]]
    cases = [
        (policy("", rule(gid, gid)), "name shouldn't be empty"),
        (policy(unique("pol")), "rules shouldn't be empty"),
        (policy(unique("pol"), rule(None, gid)), "specify either sources"),
        (policy(unique("pol"), rule(gid, gid, ports=["22"])), "ports is not allowed"),
        (policy(unique("pol"), rule(gid, gid, protocol="tcp", ports=["0"])), "1..65535"),
        (policy(unique("pol"), rule(gid, gid, protocol="sctp")), "unknown protocol"),
        (policy(unique("pol"), rule(gid, gid, action="allow")), "unknown action"),
    ]
    for body, fragment in cases:
        assert_error(await nb.post("/policies", body), 422, fragment)


async def test_update_with_a_foreign_rule_id_is_422(nb: NetBirdHttp) -> None:
    (group,) = await _groups(nb, 1)
    body = policy(unique("pol"), rule([group["id"]], [group["id"]]))
    created = await nb.create("/policies", body)
    body["rules"][0]["id"] = UNKNOWN_ID
    assert_error(await nb.put(f"/policies/{created['id']}", body), 422, "invalid rule id")


async def test_updating_a_missing_policy_is_404(nb: NetBirdHttp) -> None:
    (group,) = await _groups(nb, 1)
    body = policy(unique("pol"), rule([group["id"]], [group["id"]]))
    assert_error(await nb.put(f"/policies/{UNKNOWN_ID}", body), 404, "not found")
    assert_error(await nb.delete(f"/policies/{UNKNOWN_ID}"), 404, "not found")
