"""The fake's fault injection, as the client and reconciler tests rely on it.

Only the fake can fail on demand; these tests do not run against the real server.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from nbaccess.netbird.client import ClientOptions, NetBirdClient
from nbaccess.netbird.errors import Invalid, ServerError
from nbaccess.netbird.models import GroupRequest
from tests.fakes import FAKE_BASE_URL, DropKind, FakeNetBird


@pytest.fixture
def fake() -> FakeNetBird:
    return FakeNetBird()


@pytest.fixture
async def http(fake: FakeNetBird) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=FAKE_BASE_URL,
        transport=fake.transport(),
        headers={"Authorization": f"Token {fake.token}"},
    ) as client:
        yield client


def _group_names(fake: FakeNetBird) -> list[str]:
    with fake.lock:
        return [group.name for group in fake.account.groups.values()]


async def test_fail_next_answers_netbird_errors_then_recovers(
    fake: FakeNetBird, http: httpx.AsyncClient
) -> None:
    fake.fail_next(2, 429)

    first = await http.post("/api/groups", json={"name": "g"})
    second = await http.post("/api/groups", json={"name": "g"})
    third = await http.post("/api/groups", json={"name": "g"})

    assert [first.status_code, second.status_code, third.status_code] == [429, 429, 200]
    assert first.json() == {"message": "too many requests", "code": 429}
    assert "retry-after" not in first.headers
    assert _group_names(fake).count("g") == 1  # failed requests changed nothing


async def test_fail_next_can_target_a_method_and_path(
    fake: FakeNetBird, http: httpx.AsyncClient
) -> None:
    fake.fail_next(1, 503, method="POST", path="/api/policies")

    assert (await http.post("/api/groups", json={"name": "g"})).status_code == 200
    assert (await http.get("/api/policies")).status_code == 200
    assert (await http.post("/api/policies", json={})).status_code == 503
    assert fake.pending_faults() == 0


async def test_fail_next_with_a_proxy_body(fake: FakeNetBird, http: httpx.AsyncClient) -> None:
    fake.fail_next(1, 502, body=b"<html>Bad Gateway</html>")
    response = await http.get("/api/groups")
    assert response.status_code == 502
    assert response.text == "<html>Bad Gateway</html>"


async def test_dropped_connection_before_processing_writes_nothing(
    fake: FakeNetBird, http: httpx.AsyncClient
) -> None:
    fake.drop_next(1)
    with pytest.raises(httpx.RemoteProtocolError):
        await http.post("/api/groups", json={"name": "lost"})
    assert "lost" not in _group_names(fake)
    assert fake.requests[-1].status is None


async def test_dropped_answer_after_processing_keeps_the_write(
    fake: FakeNetBird, http: httpx.AsyncClient
) -> None:
    fake.drop_next(1, after_processing=True)
    with pytest.raises(httpx.RemoteProtocolError):
        await http.post("/api/groups", json={"name": "landed"})
    assert "landed" in _group_names(fake)


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        (DropKind.CONNECT, httpx.ConnectError),
        (DropKind.RESET, httpx.ReadError),
        (DropKind.DISCONNECT, httpx.RemoteProtocolError),
    ],
)
async def test_drop_kinds_raise_the_matching_httpx_error(
    http: httpx.AsyncClient, fake: FakeNetBird, kind: DropKind, error: type[Exception]
) -> None:
    fake.drop_next(1, kind=kind)
    with pytest.raises(error):
        await http.get("/api/groups")


async def test_delay_beyond_the_read_timeout_is_a_read_timeout(
    fake: FakeNetBird, http: httpx.AsyncClient
) -> None:
    fake.delay_next(1, 30.0)
    with pytest.raises(httpx.ReadTimeout):
        await http.post("/api/groups", json={"name": "slow"}, timeout=0.01)
    # The server had already handled it: the client just never heard back.
    assert "slow" in _group_names(fake)


async def test_short_delay_still_answers(fake: FakeNetBird, http: httpx.AsyncClient) -> None:
    fake.delay_next(1, 0.01)
    assert (await http.get("/api/groups")).status_code == 200


async def test_rate_limit_follows_the_given_clock(
    fake: FakeNetBird, http: httpx.AsyncClient
) -> None:
    now = [0.0]
    fake.rate_limit(per_minute=60, burst=2, clock=lambda: now[0])

    statuses = [(await http.get("/api/groups")).status_code for _ in range(3)]
    now[0] += 1.0  # one more token at 60 per minute
    statuses.append((await http.get("/api/groups")).status_code)

    assert statuses == [200, 200, 429, 200]


async def test_request_log_counts_writes(fake: FakeNetBird, http: httpx.AsyncClient) -> None:
    created = (await http.post("/api/groups", json={"name": "g"})).json()
    await http.get(f"/api/groups/{created['id']}")
    await http.put(f"/api/groups/{created['id']}", json={"name": "h"})

    assert fake.count("POST", "/api/groups") == 1
    assert [(entry.method, entry.status) for entry in fake.writes()] == [
        ("POST", 200),
        ("PUT", 200),
    ]
    assert fake.writes()[1].body == {"name": "h"}
    fake.clear_log()
    assert fake.requests == []


async def test_loopback_server_serves_the_same_api_and_faults(fake: FakeNetBird) -> None:
    with fake.serve() as base_url:
        assert base_url.startswith("http://127.0.0.1:")
        async with httpx.AsyncClient(
            base_url=base_url, headers={"Authorization": f"Token {fake.token}"}
        ) as client:
            created = await client.post("/api/groups", json={"name": "over-http"})
            assert created.status_code == 200
            assert (await client.get("/api/nothing")).text == "404 page not found\n"

            fake.fail_next(1, 500)
            failed = await client.get("/api/groups")
            assert failed.json() == {"message": "internal server error", "code": 500}

            fake.drop_next(1)
            with pytest.raises(httpx.TransportError):
                await client.get("/api/groups")

            fake.delay_next(1, 5.0)
            with pytest.raises(httpx.ReadTimeout):
                await client.get("/api/groups", timeout=0.05)

            assert (await client.get("/api/groups")).status_code == 200


async def test_client_retries_what_is_safe_to_retry(fake: FakeNetBird) -> None:
    async def no_sleep(_: float) -> None:
        return None

    options = ClientOptions(list_cache_ttl=0, max_attempts=3, backoff_base=0.01)
    async with NetBirdClient(
        FAKE_BASE_URL, fake.token, options=options, transport=fake.transport(), sleep=no_sleep
    ) as client:
        fake.fail_next(2, 429, method="POST")
        created = await client.create_group(GroupRequest(name="g", peers=[], resources=[]))
        assert fake.count("POST", "/api/groups") == 3

        # A 500 on POST may have landed: no blind retry that could duplicate the object.
        fake.clear_log()
        fake.fail_next(1, 500, method="POST")
        with pytest.raises(ServerError):
            await client.create_group(GroupRequest(name="h", peers=[], resources=[]))
        assert fake.count("POST", "/api/groups") == 1

        fake.clear_log()
        fake.fail_next(2, 500, method="PUT")
        await client.update_group(created.id, GroupRequest(name="g2", peers=[], resources=[]))
        assert fake.count("PUT") == 3

        fake.clear_log()
        with pytest.raises(Invalid):
            await client.create_group(GroupRequest.model_construct(name="", peers=[], resources=[]))
        assert fake.count("POST", "/api/groups") == 1


def test_handle_serves_without_a_transport(fake: FakeNetBird) -> None:
    headers = {"Authorization": f"Token {fake.token}"}
    payload = b'{"name":"g"}'
    status, response_headers, body = fake.handle("POST", "/api/groups", "", headers, payload)
    assert status == 200
    assert response_headers["Content-Type"].startswith("application/json")
    assert b'"name":"g"' in body
    fake.drop_next(1)
    with pytest.raises(ConnectionAbortedError):
        fake.handle("GET", "/api/groups", "", headers, b"")
