"""Metrics see route templates, never raw paths: ids would explode label cardinality."""

from __future__ import annotations

import httpx
import pytest

from nbaccess.netbird.client import NetBirdClient, RequestRecord
from nbaccess.netbird.models import (
    NetworkResourceRequest,
    NetworkRouterRequest,
    SetupKeyUpdate,
)

from .conftest import BASE_URL, TOKEN

ROUTER = {"id": "rt1", "peer": "p1", "metric": 9999, "masquerade": True, "enabled": True}
RESOURCE = {"id": "r1", "name": "db", "address": "10.0.0.1/32", "enabled": True, "type": "host"}
KEY = {"id": "k1", "name": "ci", "type": "reusable", "key": "ABCDE****"}


def answer(request: httpx.Request) -> httpx.Response:
    path = request.url.path
    if request.method == "DELETE":
        return httpx.Response(200, json={})
    if path.endswith("accessible-peers"):
        return httpx.Response(200, json=[{"id": "p2", "name": "db-host"}])
    if "/routers" in path:
        return httpx.Response(200, json=ROUTER)
    if "/resources" in path:
        return httpx.Response(200, json=RESOURCE)
    return httpx.Response(200, json=KEY)


@pytest.mark.parametrize(
    ("call", "method", "route", "path"),
    [
        (
            lambda nb: nb.update_network_resource(
                "net/1", "r1", NetworkResourceRequest(name="db", address="10.0.0.1", groups=[])
            ),
            "PUT",
            "/api/networks/{network_id}/resources/{id}",
            "/api/networks/net%2F1/resources/r1",
        ),
        (
            lambda nb: nb.create_network_router("n1", NetworkRouterRequest(peer="p1")),
            "POST",
            "/api/networks/{network_id}/routers",
            "/api/networks/n1/routers",
        ),
        (
            lambda nb: nb.delete_network_router("n1", "rt1"),
            "DELETE",
            "/api/networks/{network_id}/routers/{id}",
            "/api/networks/n1/routers/rt1",
        ),
        (
            lambda nb: nb.update_setup_key("k1", SetupKeyUpdate(revoked=True, auto_groups=[])),
            "PUT",
            "/api/setup-keys/{id}",
            "/api/setup-keys/k1",
        ),
        (
            lambda nb: nb.list_accessible_peers("p1"),
            "GET",
            "/api/peers/{id}/accessible-peers",
            "/api/peers/p1/accessible-peers",
        ),
    ],
)
async def test_records_carry_the_route_template(harness, call, method, route, path):
    h = harness(answer)
    await call(h.client)
    assert len(h.records) == 1
    record = h.records[0]
    assert (record.method, record.route, record.code, record.attempt) == (method, route, 200, 1)
    assert record.duration_seconds >= 0
    # The raw path reached the server, ids escaped so they cannot change the route.
    assert h.requests[0].url.raw_path.decode() == path


async def test_a_failing_metrics_hook_does_not_break_the_call():
    def broken(record: RequestRecord) -> None:
        raise RuntimeError("metrics backend down")

    async with NetBirdClient(
        BASE_URL, TOKEN, transport=httpx.MockTransport(answer), on_request=broken
    ) as nb:
        assert (await nb.list_accessible_peers("p1"))[0].id == "p2"
