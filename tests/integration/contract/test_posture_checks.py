"""Posture checks: validated, names unique on create, undeletable while a policy uses them."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.integration.conftest import NetBirdHttp, unique
from tests.integration.contract.shapes import UNKNOWN_ID, XID, assert_error, policy, rule

NB_VERSION = {"nb_version_check": {"min_version": "0.25.0"}}


def _check(name: str, checks: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "description": "", "checks": checks or NB_VERSION}


async def test_posture_check_create_read_update_delete(nb: NetBirdHttp) -> None:
    name = unique("pc")
    created = await nb.create("/posture-checks", _check(name))
    assert XID.match(created["id"])
    assert created["checks"] == NB_VERSION
    assert created["description"] == ""

    checks = {
        "os_version_check": {"linux": {"min_kernel_version": "5.10"}},
        "peer_network_range_check": {"ranges": ["10.0.0.0/8"], "action": "allow"},
        "process_check": {"processes": [{"linux_path": "/usr/bin/agent"}]},
    }
    updated = await nb.put(f"/posture-checks/{created['id']}", _check(name, checks))
    assert updated.status_code == 200
    reread = (await nb.get(f"/posture-checks/{created['id']}")).json()
    assert reread["checks"]["os_version_check"] == {"linux": {"min_kernel_version": "5.10"}}
    assert reread["checks"]["peer_network_range_check"] == {
        "ranges": ["10.0.0.0/8"],
        "action": "allow",
    }
    assert reread["checks"]["process_check"]["processes"][0]["linux_path"] == "/usr/bin/agent"
    assert "nb_version_check" not in reread["checks"]

    assert (await nb.delete(f"/posture-checks/{created['id']}")).json() == {}
    assert_error(await nb.get(f"/posture-checks/{created['id']}"), 404, "not found")


async def test_duplicate_posture_check_name_is_422(nb: NetBirdHttp) -> None:
    name = unique("pc")
    await nb.create("/posture-checks", _check(name))
    assert_error(await nb.post("/posture-checks", _check(name)), 422, "already exists")


async def test_posture_check_validation_errors_are_422(nb: NetBirdHttp) -> None:
    cases = [
        (_check(""), "name shouldn't be empty"),
        ({"name": unique("pc"), "description": "", "checks": {}}, "shouldn't be empty"),
        (_check(unique("pc"), {"nb_version_check": {"min_version": "latest!"}}), "not valid"),
        (
            _check(unique("pc"), {"peer_network_range_check": {"ranges": [], "action": "deny"}}),
            "ranges shouldn't be empty",
        ),
        (
            _check(unique("pc"), {"peer_network_range_check": {"ranges": ["x"], "action": "deny"}}),
            "invalid network prefix",
        ),
    ]
    for body, fragment in cases:
        assert_error(await nb.post("/posture-checks", body), 422, fragment)


async def test_geo_check_without_geo_database_is_412(nb: NetBirdHttp) -> None:
    # Self-hosted test servers run without GeoLite (NB_DISABLE_GEOLOCATION=true).
    checks = {"geo_location_check": {"locations": [{"country_code": "DE"}], "action": "allow"}}
    assert_error(await nb.post("/posture-checks", _check(unique("pc"), checks)), 412, "geo")


async def test_posture_check_without_checks_drops_the_connection(nb: NetBirdHttp) -> None:
    # NetBird dereferences the missing `checks` and its handler panics: always send checks.
    with pytest.raises(httpx.TransportError):
        await nb.post("/posture-checks", {"name": unique("pc"), "description": ""})


async def test_deleting_a_posture_check_used_by_a_policy_is_412(nb: NetBirdHttp) -> None:
    check = await nb.create("/posture-checks", _check(unique("pc")))
    group = await nb.create("/groups", {"name": unique("grp")})
    policy_name = unique("pol")
    await nb.create(
        "/policies",
        policy(
            policy_name, rule([group["id"]], [group["id"]]), source_posture_checks=[check["id"]]
        ),
    )
    message = assert_error(await nb.delete(f"/posture-checks/{check['id']}"), 412)
    assert policy_name in message


async def test_missing_posture_check_is_404(nb: NetBirdHttp) -> None:
    assert_error(await nb.get(f"/posture-checks/{UNKNOWN_ID}"), 404, "not found")
    assert_error(
        await nb.put(f"/posture-checks/{UNKNOWN_ID}", _check(unique("pc"))), 404, "not found"
    )
