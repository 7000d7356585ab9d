"""Real NetBird peers enrolled with setup keys (the operator fixture is tests/e2e's)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from kubernetes import client as k8s

from tests.e2e.harness import NetBirdApi
from tests.e2e.namespaces import new_namespace
from tests.e2e.operator_process import OPERATED_PREFIX
from tests.e2e.stack import Stack
from tests.e2e.stack.peer import PeerProcess, start_peer


@dataclass(frozen=True)
class SetupKey:
    id: str
    value: str = field(repr=False)


@pytest.fixture
def setup_key(netbird: NetBirdApi) -> Iterator[Callable[..., SetupKey]]:
    """`setup_key(name, auto_groups=[...])`: a reusable one-hour key, deleted at teardown.

    Made through the NetBird API directly, so these tests do not depend on the SetupKey kind.
    """
    made: list[str] = []

    def create(name: str, auto_groups: list[str] | None = None) -> SetupKey:
        body = {
            "name": name,
            "type": "reusable",
            "expires_in": 3600,
            "auto_groups": auto_groups or [],
            "usage_limit": 0,
        }
        created = netbird.post("/setup-keys", body)
        made.append(created["id"])
        return SetupKey(id=created["id"], value=created["key"])

    yield create
    for key_id in made:
        netbird.delete(f"/setup-keys/{key_id}")


@pytest.fixture
def enroll(
    stack: Stack, netbird_url: str, netbird_token: str, netbird: NetBirdApi, tmp_path: Path
) -> Iterator[Callable[[str, str], PeerProcess]]:
    """`enroll(setup_key_value, name)`: a connected real peer, stopped and deleted at teardown.

    Deleting it keeps the session's shared NetBird free of dead peers other tests would see.
    """
    peers: list[PeerProcess] = []

    def start(key: str, name: str) -> PeerProcess:
        peer = start_peer(
            stack.binaries, netbird_url, key, name, tmp_path / "peers", admin_token=netbird_token
        )
        peers.append(peer)
        print(f"peer {name} enrolled and connected in {peer.enrolled_seconds:.2f}s")
        return peer

    yield start
    for peer in peers:
        peer.stop()
    for peer in peers:
        try:
            netbird.delete(f"/peers/{peer.netbird_id}")
        except httpx.HTTPError as exc:
            print(f"could not delete peer {peer.name} from NetBird: {exc}")


@pytest.fixture
def namespace(kube_api: k8s.ApiClient, request: pytest.FixtureRequest) -> str:
    """A namespace the session's operator watches."""
    return new_namespace(kube_api, request.node.name, prefix=OPERATED_PREFIX)
