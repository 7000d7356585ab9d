"""Two replicas with leader election: only the leader writes, and a killed leader is replaced.

The replicas run with the chart's settings (Lease 15s, renew deadline 10s, retry 2s) and a
tight client-side rate limit, so that the convergence is still under way when the leader is
killed.
"""

from __future__ import annotations

import json
import signal
import time
from collections import Counter

from tests.e2e.ha.conftest import Launch, Release, Replica
from tests.e2e.harness import NetBirdApi, eventually, manifest, unique, write_requests
from tests.e2e.kubectl import Kubectl
from tests.e2e.rbac.audit import calls
from tests.e2e.stack import Stack

GROUPS = 24
SLOW = {"NETBIRD_RATE_LIMIT_PER_MINUTE": "60", "NETBIRD_RATE_LIMIT_BURST": "4"}


def role(replica: Replica) -> str:
    code, body = replica.process.probe("/readyz")
    assert code == 200, f"/readyz {code}: {body}"
    return body


def wait_role(replica: Replica, want: str, timeout: float) -> float:
    started = time.monotonic()
    eventually(lambda: _is(role(replica), want), timeout=timeout, interval=0.1)
    return time.monotonic() - started


def _is(actual: str, want: str) -> None:
    assert actual == want, f"{actual!r}, not {want!r}"


def holder(kubectl: Kubectl, release: Release) -> str:
    lease = json.loads(
        kubectl.ok("get", "lease", "-n", release.namespace, release.lease, "-o", "json")
    )
    return str(lease["spec"].get("holderIdentity") or "")


def ready_count(kubectl: Kubectl, namespace: str) -> int:
    items = json.loads(kubectl.ok("get", "netbirdgroups", "-n", namespace, "-o", "json"))["items"]
    return sum(
        any(
            c["type"] == "Ready" and c["status"] == "True"
            for c in (i.get("status") or {}).get("conditions", [])
        )
        for i in items
    )


def test_a_killed_leader_is_replaced_and_the_standby_never_wrote(
    stack: Stack, kubectl: Kubectl, netbird: NetBirdApi, release: Release, launch: Launch
) -> None:
    leader = launch(**SLOW)
    wait_role(leader, "leading", timeout=30)
    standby = launch(**SLOW)
    wait_role(standby, "standby", timeout=30)
    first_holder = holder(kubectl, release)

    prefix = unique("ha")
    names = [f"{prefix}-{i:02d}" for i in range(GROUPS)]
    for name in names:
        kubectl.apply(release.watched, manifest("NetBirdGroup", name, {"name": name}))
    eventually(lambda: _at_least(ready_count(kubectl, release.watched), 3), timeout=120)

    # Mid-convergence: some groups exist in NetBird, most do not yet.
    done_before_kill = ready_count(kubectl, release.watched)
    assert done_before_kill < GROUPS, "converged before the kill: slow the client down further"
    standby_writes = write_requests(standby.process.metrics_url)
    assert stack.kube is not None
    assert stack.kube.audit_log is not None
    standby_asked = Counter(
        (c.verb, c.resource)
        for c in calls(stack.kube.audit_log, release.user)
        if c.credential == standby.credential
    )
    leader.process.process.send_signal(signal.SIGKILL)
    killed = time.monotonic()
    leader.process.process.wait()
    # What the old leader made (some perhaps never recorded in status): the rest is the new
    # leader's to create, and it must neither make those twice nor leave any behind.
    made_by_old = len([g for g in netbird.get("groups") if g["name"].startswith(prefix)])

    takeover = wait_role(standby, "leading", timeout=60)
    new_holder = holder(kubectl, release)
    print(
        f"\nHA: leader SIGKILLed with {done_before_kill}/{GROUPS} groups Ready; standby leads "
        f"{takeover:.1f}s later (Lease 15s, retry 2s); holder {first_holder} -> {new_holder}"
    )
    print(f"HA: the standby's calls while standing by: {dict(standby_asked)}; NetBird writes 0")
    assert new_holder != first_holder
    # While standing by: no NetBird write, and nothing asked of Kubernetes but the Lease.
    assert standby_writes == 0
    assert set(standby_asked) == {("get", "leases")}

    kubectl.ok(
        "wait",
        "-n",
        release.watched,
        "--for=condition=Ready",
        "netbirdgroups",
        "--all",
        "--timeout=180s",
    )
    print(f"HA: all {GROUPS} groups Ready {time.monotonic() - killed:.1f}s after the kill")
    stored = Counter(g["name"] for g in netbird.get("groups") if g["name"].startswith(prefix))
    assert stored == Counter(names), "a group is missing or exists twice in NetBird"
    assert write_requests(standby.process.metrics_url) >= GROUPS - made_by_old


def test_a_leader_that_stops_cleanly_hands_over_at_once(
    kubectl: Kubectl, release: Release, launch: Launch
) -> None:
    leader = launch()
    wait_role(leader, "leading", timeout=30)
    standby = launch()
    wait_role(standby, "standby", timeout=30)

    stopped = time.monotonic()
    leader.process.stop()  # SIGTERM, as the kubelet sends it
    assert leader.process.process.returncode == 0, leader.process.log_tail()
    handover = time.monotonic() - stopped
    wait_role(standby, "leading", timeout=30)
    print(
        f"\nHA: clean stop: the standby leads {time.monotonic() - stopped:.1f}s after SIGTERM "
        f"(the old leader took {handover:.1f}s to exit and released the Lease)"
    )
    assert "released the Lease" in leader.process.log.read_text()


def _at_least(value: int, floor: int) -> None:
    assert value >= floor, f"{value} < {floor}"
