"""A SetupKey as a platform team uses it: the Secret it publishes enrols real peers into the
auto-group, a rotate request publishes a new key while the old one stays valid for the grace
period, and then the old one is revoked. Peers enrolled with it stay."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException

from tests.e2e.harness import NetBirdApi, eventually, manifest, unique
from tests.e2e.kubectl import Kubectl
from tests.e2e.operator_process import RESYNC_SECONDS, RETRY_SECONDS, OperatorProcess
from tests.e2e.stack.peer import PeerProcess

Enroll = Callable[[str, str], PeerProcess]
ROTATE = "nbaccess.dev/rotate-requested-at"
# The operator's tick; a new key takes two (decide, then create and publish).
TICK = min(RESYNC_SECONDS, RETRY_SECONDS)
GRACE_SECONDS = 45


@dataclass(frozen=True)
class Published:
    """The Secret's key, compared by fingerprint so a failing assertion never prints it."""

    value: str = field(repr=False)

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.value.encode()).hexdigest()[:12]


def read_secret(kube_api: k8s.ApiClient, namespace: str, name: str) -> Published | None:
    try:
        secret = k8s.CoreV1Api(kube_api).read_namespaced_secret(name, namespace)
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise
    data = secret.data or {}
    if "setupKey" not in data:
        return None
    return Published(base64.b64decode(data["setupKey"]).decode())


def ready_status(kubectl: Kubectl, namespace: str, kind: str, name: str) -> dict[str, Any]:
    status = kubectl.status(namespace, kind, name)
    ready = {c["type"]: c for c in status.get("conditions") or ()}.get("Ready", {})
    assert ready.get("status") == "True", status
    return status


def member_ids(netbird: NetBirdApi, group_id: str) -> set[str]:
    return {p["id"] for p in netbird.get(f"/groups/{group_id}")["peers"] or ()}


def key_gone(netbird: NetBirdApi, key_id: str) -> None:
    response = netbird.http.get(f"/setup-keys/{key_id}")
    assert response.status_code == 404, f"setup key {key_id} still exists"


def test_a_published_key_enrols_peers_and_rotates_on_request_without_a_gap(
    kubectl: Kubectl,
    kube_api: k8s.ApiClient,
    netbird: NetBirdApi,
    operator: OperatorProcess,
    namespace: str,
    enroll: Enroll,
) -> None:
    group, key = unique("routing-peers"), unique("routers")
    secret_name = f"{key}-setup-key"
    kubectl.apply(namespace, manifest("NetBirdGroup", group, {"name": group}))
    kubectl.apply(
        namespace,
        manifest(
            "SetupKey",
            key,
            {
                "name": key,
                "autoGroups": [{"ref": group}],
                "expiresIn": "24h",
                "rotation": {"before": "1h", "gracePeriod": f"{GRACE_SECONDS}s"},
            },
        ),
    )

    def published() -> Published:
        found = read_secret(kube_api, namespace, secret_name)
        assert found is not None, f"no Secret {secret_name} yet"
        return found

    first = eventually(published, timeout=3 * TICK + 30)
    status = eventually(lambda: ready_status(kubectl, namespace, "setupkey", key), timeout=30)
    group_id = ready_status(kubectl, namespace, "netbirdgroup", group)["id"]
    first_id = status["id"]
    assert status["keyPrefix"] == first.value[:5]
    assert status["secretName"] == secret_name
    stored = netbird.get(f"/setup-keys/{first_id}")
    assert stored["name"] == key
    assert stored["auto_groups"] == [group_id]
    assert stored["state"] == "valid"

    early = enroll(first.value, unique("router"))
    assert member_ids(netbird, group_id) == {early.netbird_id}

    # Ask for a new key: the tick notices the annotation, kopf would not.
    kubectl.ok("annotate", "-n", namespace, f"setupkey/{key}", f"{ROTATE}=e2e-1", "--overwrite")

    def rotated() -> Published:
        now = published()
        assert now.fingerprint != first.fingerprint, "the Secret still holds the first key"
        return now

    second = eventually(rotated, timeout=3 * TICK + 30)
    status = eventually(lambda: ready_status(kubectl, namespace, "setupkey", key), timeout=30)
    assert status["rotateRequestHandled"] == "e2e-1"
    assert status["previousKey"]["id"] == first_id
    assert status["id"] != first_id
    # Within the grace period the old key still enrols: consumers move at their own pace.
    assert netbird.get(f"/setup-keys/{first_id}")["state"] == "valid"

    late = enroll(second.value, unique("router"))
    assert member_ids(netbird, group_id) == {early.netbird_id, late.netbird_id}

    eventually(lambda: key_gone(netbird, first_id), timeout=GRACE_SECONDS + 2 * TICK + 30)
    status = eventually(lambda: _without_previous(kubectl, namespace, key), timeout=30)
    assert netbird.get(f"/setup-keys/{status['id']}")["state"] == "valid"
    # Revoking a key stops new enrolments only: peers that used it stay members.
    assert member_ids(netbird, group_id) == {early.netbird_id, late.netbird_id}
    assert published().fingerprint == second.fingerprint

    # Deleting the CR (deletionPolicy Delete) removes the key and the Secret.
    kubectl.ok("delete", "-n", namespace, f"setupkey/{key}", "--timeout=60s")
    key_gone(netbird, status["id"])
    assert read_secret(kube_api, namespace, secret_name) is None


def _without_previous(kubectl: Kubectl, namespace: str, key: str) -> dict[str, Any]:
    status = ready_status(kubectl, namespace, "setupkey", key)
    assert "previousKey" not in status, status
    return status
