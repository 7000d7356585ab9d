"""KubeSecretStore on the real apiserver: ours only, and never clobbering what others add."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from kubernetes import client as k8s
from pydantic import SecretStr

from nbaccess.kube.secrets import KubeSecretStore
from nbaccess.reconcile.outcome import Permanent
from nbaccess.reconcile.ports import SecretRef
from tests.e2e.kubectl import Kubectl
from tests.e2e.namespaces import new_namespace


def ref(namespace: str, name: str, uid: str = "") -> SecretRef:
    return SecretRef(namespace, name, "SetupKey", "keys", uid)


def owners(kubectl: Kubectl, namespace: str, *names: str) -> list[str]:
    """Real SetupKeys to own the Secrets (in a namespace no operator watches): the garbage
    collector deletes a Secret whose owner does not exist."""
    uids = []
    for name in names:
        kubectl.apply(
            namespace,
            {
                "apiVersion": "nbaccess.dev/v1alpha1",
                "kind": "SetupKey",
                "metadata": {"name": name},
                "spec": {"type": "one-off"},
            },
        )
        uids.append(kubectl.get_json(namespace, "setupkey", name)["metadata"]["uid"])
    return uids


def take_over(core: k8s.CoreV1Api, namespace: str, name: str, uid: str) -> None:
    """Make the SetupKey "other" (of that uid) the Secret's controller owner instead."""
    theirs = {
        "apiVersion": "nbaccess.dev/v1alpha1",
        "kind": "SetupKey",
        "name": "other",
        "uid": uid,
        "controller": True,
    }
    core.patch_namespaced_secret(
        name,
        namespace,
        {"metadata": {"ownerReferences": [theirs]}},
        _content_type="application/merge-patch+json",
    )


async def test_the_store_writes_only_its_own_secrets(
    kube_api: k8s.ApiClient, kubectl: Kubectl, crds: list[dict[str, Any]]
) -> None:
    core = k8s.CoreV1Api(kube_api)
    ns = new_namespace(kube_api, "secret-store")
    uid_1, uid_2 = owners(kubectl, ns, "keys", "other")
    store = KubeSecretStore(kube_api)
    mine = ref(ns, "mine", uid_1)

    await store.write(mine, {"setupKey": SecretStr("AAAAA-first")})
    core.patch_namespaced_secret(
        "mine", ns, {"metadata": {"annotations": {"replicator/to": "other-ns"}}}
    )
    await store.write(mine, {"setupKey": SecretStr("BBBBB-second")})
    stored = core.read_namespaced_secret("mine", ns)
    assert stored.metadata.annotations["replicator/to"] == "other-ns"  # another tool's, kept
    assert [o.uid for o in stored.metadata.owner_references] == [uid_1]
    assert (await store.read(mine) or {})["setupKey"].get_secret_value() == "BBBBB-second"

    with pytest.raises(Permanent) as other_cr:
        await store.write(ref(ns, "mine", uid_2), {"setupKey": SecretStr("CCCCC")})
    assert other_cr.value.reason == "SecretNotOwned"

    core.create_namespaced_secret(
        ns, k8s.V1Secret(metadata=k8s.V1ObjectMeta(name="theirs"), string_data={"a": "b"})
    )
    with pytest.raises(Permanent):
        await store.read(ref(ns, "theirs", uid_1))
    with pytest.raises(Permanent):
        await store.write(ref(ns, "theirs", uid_1), {"setupKey": SecretStr("DDDDD")})
    await store.delete(ref(ns, "theirs", uid_1))
    assert core.read_namespaced_secret("theirs", ns).data == {"a": "Yg=="}

    # Orphan: the same data without an owner, so the Secret outlives its CR...
    await store.write(ref(ns, "mine"), {"setupKey": SecretStr("BBBBB-second")})
    assert not core.read_namespaced_secret("mine", ns).metadata.owner_references
    # ...and from then on it is nobody's of ours: our label alone proves nothing.
    await store.delete(mine)
    assert core.read_namespaced_secret("mine", ns).data


async def test_our_label_without_our_owner_reference_is_not_ours(
    kube_api: k8s.ApiClient, kubectl: Kubectl, crds: list[dict[str, Any]]
) -> None:
    core = k8s.CoreV1Api(kube_api)
    ns = new_namespace(kube_api, "secret-label")
    (uid_1,) = owners(kubectl, ns, "keys")
    store = KubeSecretStore(kube_api)
    labelled = k8s.V1Secret(
        metadata=k8s.V1ObjectMeta(
            name="copied", labels={"app.kubernetes.io/managed-by": "nbaccess"}
        ),
        string_data={"other": "data"},
    )
    core.create_namespaced_secret(ns, labelled)
    with pytest.raises(Permanent):
        await store.write(ref(ns, "copied", uid_1), {"setupKey": SecretStr("EEEEE")})
    with pytest.raises(Permanent):
        await store.claim(ref(ns, "copied", uid_1))
    await store.delete(ref(ns, "copied", uid_1))
    assert core.read_namespaced_secret("copied", ns).data == {"other": "ZGF0YQ=="}


async def test_a_claim_makes_the_secret_ours_before_any_key_exists(
    kube_api: k8s.ApiClient, kubectl: Kubectl, crds: list[dict[str, Any]]
) -> None:
    core = k8s.CoreV1Api(kube_api)
    ns = new_namespace(kube_api, "secret-claim")
    uid_1, uid_2 = owners(kubectl, ns, "keys", "other")
    store = KubeSecretStore(kube_api)
    await store.claim(ref(ns, "shared", uid_1))
    await store.claim(ref(ns, "shared", uid_1))  # ours already: fine
    claimed = core.read_namespaced_secret("shared", ns)
    assert [o.uid for o in claimed.metadata.owner_references] == [uid_1]
    assert not claimed.data
    with pytest.raises(Permanent) as second:
        await store.claim(SecretRef(ns, "shared", "SetupKey", "other", uid_2))
    assert "SetupKey keys" in second.value.message


async def test_the_write_after_a_claim_still_sees_what_changed_in_between(
    kube_api: k8s.ApiClient, kubectl: Kubectl, crds: list[dict[str, Any]]
) -> None:
    """The write that follows our own claim skips the read, on the condition that the Secret
    is still the version the claim created: anything that moved it is read and judged."""
    core = k8s.CoreV1Api(kube_api)
    ns = new_namespace(kube_api, "secret-after-claim")
    uid_1, uid_2 = owners(kubectl, ns, "keys", "other")
    store = KubeSecretStore(kube_api)

    await store.claim(ref(ns, "annotated", uid_1))
    core.patch_namespaced_secret(
        "annotated", ns, {"metadata": {"annotations": {"backup/include": "true"}}}
    )
    await store.write(ref(ns, "annotated", uid_1), {"setupKey": SecretStr("FFFFF-1")})
    annotated = core.read_namespaced_secret("annotated", ns)
    assert annotated.metadata.annotations["backup/include"] == "true"
    assert (await store.read(ref(ns, "annotated", uid_1)) or {})["setupKey"].get_secret_value()

    await store.claim(ref(ns, "taken", uid_1))
    take_over(core, ns, "taken", uid_2)  # another SetupKey took it over meanwhile
    with pytest.raises(Permanent) as taken:
        await store.write(ref(ns, "taken", uid_1), {"setupKey": SecretStr("GGGGG-1")})
    assert taken.value.reason == "SecretNotOwned"
    assert not core.read_namespaced_secret("taken", ns).data

    await store.claim(ref(ns, "deleted", uid_1))
    core.delete_namespaced_secret("deleted", ns)
    await store.write(ref(ns, "deleted", uid_1), {"setupKey": SecretStr("HHHHH-1")})
    recreated = core.read_namespaced_secret("deleted", ns)
    assert [o.uid for o in recreated.metadata.owner_references] == [uid_1]


async def test_a_sweep_reads_many_secrets_in_one_call_with_the_same_verdicts(
    kube_api: k8s.ApiClient, kubectl: Kubectl, crds: list[dict[str, Any]]
) -> None:
    core = k8s.CoreV1Api(kube_api)
    ns = new_namespace(kube_api, "secret-each")
    uid_1, uid_2 = owners(kubectl, ns, "keys", "other")
    store = KubeSecretStore(kube_api)
    await store.write(ref(ns, "mine", uid_1), {"setupKey": SecretStr("IIIII-1")})
    await store.write(
        SecretRef(ns, "other", "SetupKey", "other", uid_2), {"setupKey": SecretStr("JJJJJ-1")}
    )
    core.create_namespaced_secret(
        ns, k8s.V1Secret(metadata=k8s.V1ObjectMeta(name="theirs"), string_data={"a": "b"})
    )
    refs = [ref(ns, n, uid_1) for n in ("mine", "other", "theirs", "missing")]

    mine, other, theirs, missing = await store.read_each(refs)

    assert isinstance(mine, Mapping)
    assert mine["setupKey"].get_secret_value() == "IIIII-1"
    assert isinstance(other, Permanent)
    assert other.reason == "SecretNotOwned"
    assert "(it belongs to SetupKey other)" in other.message
    assert isinstance(theirs, Permanent)
    assert missing is None
    for one in refs:  # what `read` says of each, one by one
        try:
            alone: object = await store.read(one)
        except Permanent as exc:
            alone = exc.reason
        each = (await store.read_each([one]))[0]
        assert alone == (each.reason if isinstance(each, Permanent) else each)


async def test_discard_deletes_only_the_secret_as_last_seen_ours(
    kube_api: k8s.ApiClient, kubectl: Kubectl, crds: list[dict[str, Any]]
) -> None:
    """A SetupKey's deletion deletes its Secret in one request conditional on the version the
    store last saw as ours; anything else is left for the garbage collector to judge."""
    core = k8s.CoreV1Api(kube_api)
    ns = new_namespace(kube_api, "secret-discard")
    uid_1, uid_2 = owners(kubectl, ns, "keys", "other")
    store = KubeSecretStore(kube_api)
    value = {"setupKey": SecretStr("KKKKK-1")}

    def names() -> set[str]:
        return {s.metadata.name for s in core.list_namespaced_secret(ns).items}

    await store.write(ref(ns, "written", uid_1), value)
    await store.claim(ref(ns, "claimed", uid_1))
    await store.write(ref(ns, "read", uid_1), value)
    for name in ("annotated", "taken", "unseen"):
        await store.write(ref(ns, name, uid_1), value)
    core.patch_namespaced_secret(
        "annotated", ns, {"metadata": {"annotations": {"backup/include": "true"}}}
    )
    take_over(core, ns, "taken", uid_2)
    restarted = KubeSecretStore(kube_api)  # as after a restart: has seen nothing
    read_later = KubeSecretStore(kube_api)  # as after a restart and a sweep's read
    await read_later.read(ref(ns, "read", uid_1))

    await store.discard(ref(ns, "written", uid_1))
    await store.discard(ref(ns, "claimed", uid_1))
    await read_later.discard(ref(ns, "read", uid_1))
    await store.discard(ref(ns, "annotated", uid_1))  # moved since: not judged here
    await store.discard(ref(ns, "taken", uid_1))  # another SetupKey's now
    await store.discard(ref(ns, "unseen", uid_2))  # not the owner we saw
    await restarted.discard(ref(ns, "unseen", uid_1))  # never seen by this store

    assert names() == {"annotated", "taken", "unseen"}
    taken = core.read_namespaced_secret("taken", ns)
    assert [o.uid for o in taken.metadata.owner_references] == [uid_2]
