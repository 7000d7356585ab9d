"""The peer tooling other e2e tests rely on: a peer goes down when stopped, bad keys fail fast."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.harness import NetBirdApi, eventually
from tests.e2e.peers.conftest import SetupKey
from tests.e2e.stack import Stack
from tests.e2e.stack.peer import PeerProcess, PeerStartError, start_peer


def test_a_stopped_peer_shows_as_disconnected_in_netbird(
    netbird: NetBirdApi,
    setup_key: Callable[..., SetupKey],
    enroll: Callable[[str, str], PeerProcess],
) -> None:
    peer = enroll(setup_key(f"key-{secrets.token_hex(3)}").value, f"p-{secrets.token_hex(3)}")
    assert netbird.get(f"/peers/{peer.netbird_id}")["connected"] is True

    peer.stop()

    assert not peer.running()

    def disconnected() -> None:
        assert netbird.get(f"/peers/{peer.netbird_id}")["connected"] is False

    eventually(disconnected, timeout=30)


def test_a_rejected_setup_key_fails_with_the_client_log_and_without_the_key(
    stack: Stack, netbird_url: str, netbird_token: str, tmp_path: Path
) -> None:
    wrong = "A" * 8 + "-0000-4000-8000-" + secrets.token_hex(6).upper()
    with pytest.raises(PeerStartError) as failed:
        start_peer(
            stack.binaries,
            netbird_url,
            wrong,
            f"p-{secrets.token_hex(3)}",
            tmp_path,
            admin_token=netbird_token,
            timeout_seconds=30,
        )
    message = str(failed.value)
    assert "NetBird refused to register it" in message
    assert "setup key is invalid" in message  # NetBird's reason, from the client's log
    assert "--- last 30 lines of" in message
    assert wrong not in message
