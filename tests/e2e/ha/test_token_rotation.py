"""A rotated token in the mounted file is used without a restart, and never shows up."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.ha.conftest import Launch, Release
from tests.e2e.harness import eventually, manifest, unique
from tests.e2e.kubectl import Kubectl

# Well-formed but unknown to NetBird: what a revoked token looks like to the operator.
REVOKED = "nbp_" + "R" * 30 + "000000"


def test_a_token_fixed_in_the_file_is_picked_up_without_a_restart(
    kubectl: Kubectl, release: Release, launch: Launch, netbird_token: str, tmp_path: Path
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(REVOKED + "\n")
    replica = launch(
        NETBIRD_API_TOKEN=None,
        NETBIRD_API_TOKEN_FILE=str(token_file),
        NBACCESS_TOKEN_RELOAD_SECONDS="1",
        # A Stalled object is re-checked on the resync period (the chart says 300s).
        NBACCESS_RESYNC_SECONDS="10",
    )
    name = unique("rotated")
    kubectl.apply(release.watched, manifest("NetBirdGroup", name, {"name": name}))

    def refused() -> None:
        ready = kubectl.condition(release.watched, "netbirdgroup", name, "Ready")
        assert ready.get("reason") == "Unauthorized", ready

    eventually(refused, timeout=60)
    pid = replica.process.process.pid

    # What the kubelet does when the Secret changes: the mounted file gets the new content.
    token_file.write_text(netbird_token + "\n")
    kubectl.wait_ready(release.watched, "netbirdgroup", name, timeout=90)

    assert replica.process.process.poll() is None
    assert replica.process.process.pid == pid
    log = replica.process.log.read_text()
    assert "NetBird API token reloaded" in log
    for secret in (REVOKED, netbird_token):
        assert secret not in log
        assert secret not in kubectl.ok(
            "get", "netbirdgroup", "-n", release.watched, name, "-o", "yaml"
        )
