"""Wire-level behaviour every NetBird endpoint shares (netbird-api.md, "Wire basics")."""

from __future__ import annotations

import httpx

from tests.integration.conftest import NetBirdBackend, NetBirdHttp, unique
from tests.integration.contract.shapes import XID, assert_error


async def test_missing_authorization_is_401_json(netbird_backend: NetBirdBackend) -> None:
    async with httpx.AsyncClient(
        base_url=netbird_backend.base_url, transport=netbird_backend.transport
    ) as anonymous:
        response = await anonymous.get("/api/groups")
    assert_error(response, 401)


async def test_malformed_token_is_401(netbird_backend: NetBirdBackend) -> None:
    async with httpx.AsyncClient(
        base_url=netbird_backend.base_url,
        transport=netbird_backend.transport,
        headers={"Authorization": "Token not-a-personal-access-token"},
    ) as client:
        response = await client.get("/api/groups")
    assert_error(response, 401, "token invalid")


async def test_well_formed_unknown_token_is_404(netbird_backend: NetBirdBackend) -> None:
    # nbp_ + 30 characters + the base62 CRC32 of them: passes the format check, is unknown.
    token = "nbp_" + "a" * 30 + "1yLcDB"
    async with httpx.AsyncClient(
        base_url=netbird_backend.base_url,
        transport=netbird_backend.transport,
        headers={"Authorization": f"Token {token}"},
    ) as client:
        response = await client.get("/api/groups")
    assert_error(response, 404, "invalid token")


async def test_unknown_route_is_plain_text_404(nb: NetBirdHttp) -> None:
    response = await nb.get("/no-such-thing")
    assert response.status_code == 404
    assert response.text == "404 page not found\n"
    assert response.headers["content-type"].startswith("text/plain")


async def test_wrong_method_on_a_known_path_is_a_plain_404(nb: NetBirdHttp) -> None:
    response = await nb.request("PATCH", "/groups")
    assert response.status_code == 404
    assert response.text == "404 page not found\n"


async def test_unparseable_body_is_400(nb: NetBirdHttp) -> None:
    response = await nb.client.post(
        "/api/groups", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert_error(response, 400, "couldn't parse JSON request")


async def test_wrongly_typed_field_is_400(nb: NetBirdHttp) -> None:
    response = await nb.post("/groups", {"name": 42})
    assert_error(response, 400, "couldn't parse JSON request")


async def test_unknown_fields_are_ignored_and_create_answers_200(nb: NetBirdHttp) -> None:
    name = unique("wire")
    created = await nb.create("/groups", {"name": name, "labels": {"a": "b"}, "colour": "red"})
    assert XID.match(created["id"])
    assert created["name"] == name
    assert "labels" not in created


async def test_delete_answers_200_with_empty_object(nb: NetBirdHttp) -> None:
    created = await nb.create("/groups", {"name": unique("wire")})
    response = await nb.delete(f"/groups/{created['id']}")
    assert response.status_code == 200
    assert response.json() == {}
    assert response.headers["content-type"].startswith("application/json")
