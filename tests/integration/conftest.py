"""Backends for the integration tier: the in-repo fake NetBird, and the real server when built.

`netbird_backend` runs each test that uses it twice: against a fresh FakeNetBird (through
httpx.MockTransport, no sockets) and against the real netbird-server of the e2e stack. The real
run is marked e2e and skips loudly when the stack cannot run (a failure with
NBACCESS_E2E_REQUIRED=1), so the contract tests prove the fake still behaves like NetBird.

`nb` wraps the backend in a small HTTP helper that deletes whatever a test created, because the
real server is shared by every test of the session.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.fakes import FAKE_BASE_URL, FakeNetBird


@dataclass
class NetBirdBackend:
    """Where the NetBird API under test lives.

    `base_url` is the server URL without /api. `transport` is set for the fake (pass it to
    httpx or to NetBirdClient); it is None for a real server reached over the network.
    """

    name: str
    base_url: str
    token: str = field(repr=False)
    can_inject_faults: bool
    fake: FakeNetBird | None = None
    transport: httpx.AsyncBaseTransport | None = None

    def http(self) -> httpx.AsyncClient:
        """A plain authenticated httpx client for this backend (the caller closes it)."""
        return httpx.AsyncClient(
            base_url=self.base_url,
            headers={"Authorization": f"Token {self.token}"},
            transport=self.transport,
            timeout=30.0,
        )


@dataclass(frozen=True)
class RealNetBird:
    url: str
    token: str = field(repr=False)


@pytest.fixture(scope="session")
def real_netbird() -> Iterator[RealNetBird]:
    """The e2e stack's real netbird-server, shared by the session; skips when unavailable."""
    try:
        from tests.e2e.stack.pytest_support import real_netbird as start_real_netbird
        from tests.e2e.stack.stack import stop_session_stack
    except ImportError as exc:  # the e2e tooling is not in this tree
        pytest.skip(f"REAL NETBIRD NOT AVAILABLE, contract test skipped: {exc}")
    endpoint = start_real_netbird()  # skips loudly, or fails under NBACCESS_E2E_REQUIRED=1
    yield RealNetBird(url=endpoint.url, token=endpoint.token)
    stop_session_stack()


@pytest.fixture(params=["fake", pytest.param("real", marks=pytest.mark.e2e)])
def netbird_backend(request: pytest.FixtureRequest) -> NetBirdBackend:
    if request.param == "fake":
        fake = FakeNetBird()
        return NetBirdBackend(
            name="fake",
            base_url=FAKE_BASE_URL,
            token=fake.token,
            can_inject_faults=True,
            fake=fake,
            transport=fake.transport(),
        )
    real: RealNetBird = request.getfixturevalue("real_netbird")
    return NetBirdBackend(name="real", base_url=real.url, token=real.token, can_inject_faults=False)


@pytest.fixture
def fake_only(netbird_backend: NetBirdBackend) -> FakeNetBird:
    """For tests of fake-only abilities (faults, enrolling peers): skips on the real server."""
    if netbird_backend.fake is None:
        pytest.skip("needs fault injection or peer enrolment, which only the fake offers")
    return netbird_backend.fake


def unique(prefix: str) -> str:
    """A name no other test (or earlier run against a shared server) uses."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


class NetBirdHttp:
    """Thin JSON helper over httpx for contract tests; remembers what to delete afterwards."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self._created: list[str] = []

    async def request(self, method: str, path: str, body: Any = None) -> httpx.Response:
        return await self.client.request(method, f"/api{path}", json=body)

    async def get(self, path: str) -> httpx.Response:
        return await self.request("GET", path)

    async def put(self, path: str, body: Any) -> httpx.Response:
        return await self.request("PUT", path, body)

    async def delete(self, path: str) -> httpx.Response:
        return await self.request("DELETE", path)

    async def post(self, path: str, body: Any) -> httpx.Response:
        return await self.request("POST", path, body)

    async def create(self, path: str, body: Any) -> dict[str, Any]:
        """POST that must succeed; the object is deleted at teardown (newest first)."""
        response = await self.post(path, body)
        assert response.status_code == 200, (path, response.status_code, response.text)
        created: dict[str, Any] = response.json()
        self.forget_later(f"{path}/{created['id']}")
        return created

    def forget_later(self, object_path: str) -> None:
        self._created.append(object_path)

    async def cleanup(self) -> list[str]:
        """Delete what was created; returns what could not be deleted (for the assertion)."""
        leftovers = []
        for object_path in reversed(self._created):
            response = await self.delete(object_path)
            gone = response.status_code in (200, 404) or (
                response.status_code == 400 and "not found" in response.text
            )
            if not gone:
                leftovers.append(f"{object_path}: {response.status_code} {response.text.strip()}")
        self._created.clear()
        return leftovers


@pytest.fixture
async def nb(netbird_backend: NetBirdBackend) -> AsyncIterator[NetBirdHttp]:
    async with netbird_backend.http() as client:
        helper = NetBirdHttp(client)
        yield helper
        leftovers = await helper.cleanup()
    assert not leftovers, f"test objects left behind on the {netbird_backend.name} backend"
