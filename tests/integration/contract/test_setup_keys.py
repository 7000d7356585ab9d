"""Setup keys: the plain key only in the create answer, little is mutable afterwards."""

from __future__ import annotations

import re
from typing import Any

from tests.integration.conftest import NetBirdHttp, unique
from tests.integration.contract.shapes import UNKNOWN_ID, XID, assert_error

PLAIN_KEY = re.compile(r"^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$")


def _key(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": "reusable", "expires_in": 86400, "auto_groups": [], **extra}


async def test_plain_key_is_shown_only_in_the_create_answer(nb: NetBirdHttp) -> None:
    created = await nb.create("/setup-keys", _key(unique("key")))
    assert XID.match(created["id"])
    assert PLAIN_KEY.match(created["key"])
    assert created["state"] == "valid"
    assert created["valid"] is True

    hidden = created["key"][:5] + "****"
    fetched = (await nb.get(f"/setup-keys/{created['id']}")).json()
    assert fetched["key"] == hidden
    listed = {key["id"]: key for key in (await nb.get("/setup-keys")).json()}
    assert listed[created["id"]]["key"] == hidden


async def test_setup_key_fields_round_trip(nb: NetBirdHttp) -> None:
    group = await nb.create("/groups", {"name": unique("grp")})
    body = _key(unique("key"), usage_limit=3, ephemeral=True, auto_groups=[group["id"]])
    created = await nb.create("/setup-keys", body)
    fetched = (await nb.get(f"/setup-keys/{created['id']}")).json()
    assert fetched["auto_groups"] == [group["id"]]
    assert fetched["usage_limit"] == 3
    assert fetched["ephemeral"] is True
    assert fetched["type"] == "reusable"
    assert fetched["used_times"] == 0
    assert fetched["revoked"] is False


async def test_one_off_key_is_limited_to_one_use(nb: NetBirdHttp) -> None:
    created = await nb.create("/setup-keys", _key(unique("key"), type="one-off"))
    assert created["usage_limit"] == 1
    response = await nb.post("/setup-keys", _key(unique("key"), type="one-off", usage_limit=2))
    assert_error(response, 422, "usage_limit 2 is not valid for a one-off setup key")


async def test_setup_key_validation_errors_are_422(nb: NetBirdHttp) -> None:
    everyone = (await nb.get("/groups?name=All")).json()[0]
    cases = [
        (_key(""), "name shouldn't be empty"),
        (_key(unique("key"), type="forever"), "unknown setup key type"),
        (_key(unique("key"), expires_in=-1), "can not be in the past"),
        (_key(unique("key"), auto_groups=[everyone["id"]]), "'all' group"),
        (_key(unique("key"), auto_groups=[UNKNOWN_ID]), "group not found"),
    ]
    for body, fragment in cases:
        assert_error(await nb.post("/setup-keys", body), 422, fragment)


async def test_put_changes_only_revocation_and_auto_groups(nb: NetBirdHttp) -> None:
    group = await nb.create("/groups", {"name": unique("grp")})
    name = unique("key")
    created = await nb.create("/setup-keys", _key(name))

    response = await nb.put(
        f"/setup-keys/{created['id']}",
        {
            "name": unique("renamed"),
            "type": "one-off",
            "usage_limit": 7,
            "revoked": True,
            "auto_groups": [group["id"]],
        },
    )

    assert response.status_code == 200
    fetched = (await nb.get(f"/setup-keys/{created['id']}")).json()
    assert fetched["revoked"] is True
    assert fetched["state"] == "revoked"
    assert fetched["valid"] is False
    assert fetched["auto_groups"] == [group["id"]]
    assert fetched["name"] == name
    assert fetched["type"] == "reusable"
    assert fetched["usage_limit"] == 0


async def test_a_revoked_key_cannot_be_unrevoked(nb: NetBirdHttp) -> None:
    created = await nb.create("/setup-keys", _key(unique("key")))
    path = f"/setup-keys/{created['id']}"
    assert (await nb.put(path, {"revoked": True, "auto_groups": []})).status_code == 200
    assert_error(await nb.put(path, {"revoked": False, "auto_groups": []}), 422, "un-revoke")


async def test_put_without_auto_groups_is_422(nb: NetBirdHttp) -> None:
    created = await nb.create("/setup-keys", _key(unique("key")))
    response = await nb.put(f"/setup-keys/{created['id']}", {"revoked": False})
    assert_error(response, 422, "autogroups")


async def test_missing_setup_key_is_404(nb: NetBirdHttp) -> None:
    assert_error(await nb.get(f"/setup-keys/{UNKNOWN_ID}"), 404, "not found")
    assert_error(await nb.delete(f"/setup-keys/{UNKNOWN_ID}"), 404, "not found")
    response = await nb.put(f"/setup-keys/{UNKNOWN_ID}", {"revoked": True, "auto_groups": []})
    assert_error(response, 404, "not found")
