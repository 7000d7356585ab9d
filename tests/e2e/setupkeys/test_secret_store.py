"""KubeSecretStore on the real apiserver: ours only, and never clobbering what others add."""

from __future__ import annotations

import pytest
from kubernetes import client as k8s
from pydantic import SecretStr

from nbaccess.kube.secrets import KubeSecretStore
from nbaccess.reconcile.outcome import Permanent
from nbaccess.reconcile.ports import SecretRef
from tests.e2e.namespaces import new_namespace


def ref(namespace: str, name: str, uid: str = "") -> SecretRef:
    return SecretRef(namespace, name, "SetupKey", "keys", uid)


async def test_the_store_writes_only_its_own_secrets(kube_api: k8s.ApiClient) -> None:
    core = k8s.CoreV1Api(kube_api)
    ns = new_namespace(kube_api, "secret-store")
    store = KubeSecretStore(kube_api)
    mine = ref(ns, "mine", "uid-1")

    await store.write(mine, {"setupKey": SecretStr("AAAAA-first")})
    core.patch_namespaced_secret(
        "mine", ns, {"metadata": {"annotations": {"replicator/to": "other-ns"}}}
    )
    await store.write(mine, {"setupKey": SecretStr("BBBBB-second")})
    stored = core.read_namespaced_secret("mine", ns)
    assert stored.metadata.annotations["replicator/to"] == "other-ns"  # another tool's, kept
    assert [o.uid for o in stored.metadata.owner_references] == ["uid-1"]
    assert (await store.read(mine) or {})["setupKey"].get_secret_value() == "BBBBB-second"

    with pytest.raises(Permanent) as other_cr:
        await store.write(ref(ns, "mine", "uid-2"), {"setupKey": SecretStr("CCCCC")})
    assert other_cr.value.reason == "SecretNotOwned"

    core.create_namespaced_secret(
        ns, k8s.V1Secret(metadata=k8s.V1ObjectMeta(name="theirs"), string_data={"a": "b"})
    )
    with pytest.raises(Permanent):
        await store.read(ref(ns, "theirs", "uid-1"))
    with pytest.raises(Permanent):
        await store.write(ref(ns, "theirs", "uid-1"), {"setupKey": SecretStr("DDDDD")})
    await store.delete(ref(ns, "theirs", "uid-1"))
    assert core.read_namespaced_secret("theirs", ns).data == {"a": "Yg=="}

    # Orphan: the same data without an owner, so the Secret outlives its CR.
    await store.write(ref(ns, "mine"), {"setupKey": SecretStr("BBBBB-second")})
    assert not core.read_namespaced_secret("mine", ns).metadata.owner_references
    await store.delete(mine)
    with pytest.raises(k8s.ApiException):
        core.read_namespaced_secret("mine", ns)
