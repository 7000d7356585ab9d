"""Real NetBird peers enrolled with setup keys, and the operator to act on their groups.

The operator fixtures (and those it depends on) are the ones tests/e2e/operator defines,
re-exported here. Pytest keeps one instance per defining conftest, so running this folder
together with tests/e2e/operator starts a second operator process: until those fixtures live
in tests/e2e/conftest.py, run the folders separately.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.e2e.operator.conftest import crds, kubectl, netbird, operator, operator_kubeconfig
from tests.e2e.operator.harness import NetBirdApi
from tests.e2e.stack import Stack
from tests.e2e.stack.peer import PeerProcess, start_peer

__all__ = [
    "crds",
    "enroll",
    "kubectl",
    "netbird",
    "operator",
    "operator_kubeconfig",
    "setup_key",
]


@dataclass(frozen=True)
class SetupKey:
    id: str
    value: str = field(repr=False)


@pytest.fixture
def setup_key(netbird: NetBirdApi) -> Iterator[Callable[..., SetupKey]]:
    """`setup_key(name, auto_groups=[...])`: a reusable one-hour key, deleted at teardown.

    Made through the NetBird API directly: the SetupKey kind has no reconciler yet.
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
