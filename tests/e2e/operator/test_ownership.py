"""Ownership on the real stack: copied ids change nothing, namespaces and owners clean up.

What the operator did not create is compared byte for byte, as NetBird serves it.
"""

from __future__ import annotations

from typing import Any

from kubernetes import client as k8s

from tests.e2e.harness import NetBirdApi, eventually, unique, write_requests
from tests.e2e.kubectl import Kubectl
from tests.e2e.namespaces import new_namespace
from tests.e2e.operator.test_lifecycle import group, policy
from tests.e2e.operator_process import OPERATED_PREFIX, OperatorProcess

ID = "nbaccess.dev/netbird-id"


def annotated(manifest: dict[str, Any], netbird_id: str) -> dict[str, Any]:
    manifest["metadata"]["annotations"] = {ID: netbird_id}
    return manifest


def hand_made_policy(netbird: NetBirdApi) -> tuple[dict[str, Any], dict[str, Any]]:
    made = netbird.post("groups", {"name": unique("hand-made"), "peers": []})
    body = {
        "name": unique("hand-made"),
        "description": "made in the dashboard",
        "enabled": True,
        "rules": [
            {
                "name": "hand",
                "enabled": True,
                "action": "accept",
                "bidirectional": False,
                "protocol": "tcp",
                "ports": ["22"],
                "sources": [made["id"]],
                "destinations": [made["id"]],
            }
        ],
    }
    return made, netbird.post("policies", body)


def test_copied_ids_change_nothing_in_netbird_and_say_why(
    kubectl: Kubectl, netbird: NetBirdApi, operator: OperatorProcess, namespace: str
) -> None:
    made_group, made_policy = hand_made_policy(netbird)
    src, dst, pol = unique("src"), unique("dst"), unique("pol")
    kubectl.apply(namespace, group(src))
    kubectl.apply(namespace, group(dst))
    kubectl.apply(namespace, policy(pol, src, dst))
    kubectl.wait_ready(namespace, "netbirdpolicy", pol)
    theirs = kubectl.status(namespace, "netbirdpolicy", pol)["id"]
    their_group = kubectl.status(namespace, "netbirdgroup", src)["id"]
    watched = {
        f"policies/{made_policy['id']}": None,
        f"groups/{made_group['id']}": None,
        f"policies/{theirs}": None,
        f"groups/{their_group}": None,
    }
    for path in watched:
        watched[path] = netbird.raw(path)
    writes = write_requests(operator.metrics_url)

    copies = {
        "netbirdpolicy": [
            ("from-hand", annotated(policy("from-hand", src, dst), made_policy["id"]), "NotOurs"),
            ("from-cr", annotated(policy("from-cr", src, dst), theirs), "AlreadyManaged"),
        ],
        "netbirdgroup": [
            ("group-copy", annotated(group("group-copy", name=src), their_group), "AlreadyManaged"),
        ],
    }
    for resource, entries in copies.items():
        for name, manifest, reason in entries:
            kubectl.apply(namespace, manifest)

            def says_why(resource: str = resource, name: str = name, reason: str = reason) -> None:
                stalled = kubectl.condition(namespace, resource, name, "Stalled")
                assert stalled.get("status") == "True", stalled
                assert stalled.get("reason") == reason, stalled

            eventually(says_why, timeout=30)
    assert write_requests(operator.metrics_url) == writes  # not a single write for a copy

    for resource, entries in copies.items():
        for name, _, _ in entries:
            kubectl.ok("delete", "-n", namespace, resource, name, "--timeout=60s")
    for path, body in watched.items():
        assert netbird.raw(path) == body, f"{path} was changed"


def test_deleting_a_namespace_deletes_its_netbird_objects_and_lets_the_namespace_go(
    kubectl: Kubectl, netbird: NetBirdApi, operator: OperatorProcess, kube_api: k8s.ApiClient
) -> None:
    namespace = new_namespace(kube_api, "ns-delete", prefix=OPERATED_PREFIX)
    src, dst, pol, key = unique("src"), unique("dst"), unique("pol"), unique("key")
    kubectl.apply(namespace, group(src))
    kubectl.apply(namespace, group(dst))
    kubectl.apply(namespace, policy(pol, src, dst))
    kubectl.apply(
        namespace,
        {
            "apiVersion": "nbaccess.dev/v1alpha1",
            "kind": "SetupKey",
            "metadata": {"name": key},
            "spec": {"type": "reusable", "usageLimit": 5, "autoGroups": [{"ref": src}]},
        },
    )
    for resource, name in (("netbirdpolicy", pol), ("setupkey", key)):
        kubectl.wait_ready(namespace, resource, name)
    key_id = kubectl.status(namespace, "setupkey", key)["id"]

    kubectl.ok("delete", "namespace", namespace, "--wait=false")
    core = k8s.CoreV1Api(kube_api)

    def gone() -> None:
        names = {n.metadata.name for n in core.list_namespace().items}
        assert namespace not in names, f"namespace {namespace} is still there"

    # The namespace controller deletes the CRs in whatever order; dependants first or not,
    # everything ends deleted in NetBird and nothing is left holding the namespace.
    eventually(gone, timeout=120, interval=1)
    assert netbird.by_name("groups", src) == []
    assert netbird.by_name("groups", dst) == []
    assert netbird.by_name("policies", pol) == []
    assert key_id not in {k["id"] for k in netbird.get("setup-keys")}


def test_an_orphaned_setup_keys_secret_survives_the_garbage_collector(
    kubectl: Kubectl, netbird: NetBirdApi, operator: OperatorProcess, namespace: str
) -> None:
    kept, dropped = unique("kept"), unique("dropped")
    for name, policy_name in ((kept, "Orphan"), (dropped, "Delete")):
        kubectl.apply(
            namespace,
            {
                "apiVersion": "nbaccess.dev/v1alpha1",
                "kind": "SetupKey",
                "metadata": {"name": name},
                "spec": {"type": "one-off", "deletionPolicy": policy_name},
            },
        )
        kubectl.wait_ready(namespace, "setupkey", name)
    # Something else the kept key owns, which only the garbage collector removes.
    owner = kubectl.get_json(namespace, "setupkey", kept)["metadata"]
    kubectl.apply(
        namespace,
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": f"{kept}-notes",
                "ownerReferences": [
                    {
                        "apiVersion": "nbaccess.dev/v1alpha1",
                        "kind": "SetupKey",
                        "name": kept,
                        "uid": owner["uid"],
                    }
                ],
            },
            "data": {"note": "collected with its owner"},
        },
    )
    for name in (kept, dropped):
        kubectl.ok("delete", "-n", namespace, "setupkey", name, "--timeout=60s")

    def collected() -> None:
        for name in (f"secret/{dropped}-setup-key", f"configmap/{kept}-notes"):
            assert kubectl.run("get", "-n", namespace, name).returncode != 0, name

    eventually(collected, timeout=60)
    # The garbage collector has had its turn: the released Secret is still there.
    secret = kubectl.get_json(namespace, "secret", f"{kept}-setup-key")
    assert not secret["metadata"].get("ownerReferences")
    assert secret["data"]["setupKey"]
