"""Two clusters, one NetBird account, as the guide's progressive rollout runs them: each
cluster's operator (its own NBACCESS_CLUSTER_NAME) converges its own copy of the three-tier
example and never changes or deletes what the other declared; a name both declare is Stalled on
the second, naming the first."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.e2e.clusters import cluster_of_its_own
from tests.e2e.harness import NetBirdApi, eventually, manifest
from tests.e2e.kubectl import Kubectl
from tests.e2e.operator_process import OperatorProcess, start_operator
from tests.e2e.rbac.workload import three_tier
from tests.e2e.stack import Stack

COLLECTIONS = {
    "NetBirdGroup": "groups",
    "NetBirdPolicy": "policies",
    "PostureCheck": "posture-checks",
    "NetBirdNetwork": "networks",
}


@dataclass
class Cluster:
    name: str
    kubectl: Kubectl
    namespace: str
    operator: OperatorProcess

    def apply(self, docs: list[dict[str, Any]], folder: Path) -> None:
        path = folder / f"{self.name}.yaml"
        path.write_text(yaml.safe_dump_all(docs))
        self.kubectl.ok("apply", "-n", self.namespace, "-f", str(path))

    def objects(self) -> list[dict[str, Any]]:
        out = self.kubectl.ok("get", "netbird", "-n", self.namespace, "-o", "json")
        return list(json.loads(out)["items"])

    def ready(self, *which: str) -> None:
        self.kubectl.ok(
            "wait", "-n", self.namespace, "--for=condition=Ready", "--timeout=180s", *which
        )


def shared_check(name: str) -> dict[str, Any]:
    return manifest(
        "PostureCheck",
        "shared-version",
        {"name": name, "description": "declared in both clusters", "checks": {
            "nbVersion": {"minVersion": "0.50.0"}}},
    )  # fmt: skip


def canonical(value: Any) -> Any:
    """NetBird's JSON with lists in a fixed order: it lists some ids (a network's policies) in
    map order, which changes from one GET to the next without anything changing."""
    if isinstance(value, dict):
        return {k: canonical(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        items = [canonical(v) for v in value]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
    return value


def snapshot(netbird: NetBirdApi, cluster: Cluster) -> dict[str, str]:
    """What NetBird holds for every object of the cluster, every field as NetBird serves it."""
    held: dict[str, str] = {}
    paths = []
    for obj in cluster.objects():
        path = f"/{COLLECTIONS[obj['kind']]}/{obj['status']['id']}"
        paths.append(path)
        if obj["kind"] == "NetBirdNetwork":
            paths += [f"{path}/resources", f"{path}/routers"]
    for path in paths:
        held[path] = json.dumps(canonical(json.loads(netbird.raw(path))), indent=1)
    return held


def _clusters(
    stack: ExitStack, netbird_url: str, netbird_token: str, folder: Path, run: str
) -> Iterator[Cluster]:
    for name in ("dev", "prod"):
        own: Stack = stack.enter_context(cluster_of_its_own())
        assert own.kube is not None
        kubectl = Kubectl(own.binaries.kubectl, own.kube.kubeconfig)
        kubectl.apply_crds()
        namespace = f"orders-{run}"
        kubectl.ok("create", "namespace", namespace)
        operator = start_operator(
            own.kube.kubeconfig,
            netbird_url,
            netbird_token,
            folder,
            args=["--namespace", namespace],
            env={"NBACCESS_CLUSTER_NAME": f"{name}-{run}"},
        )
        stack.callback(operator.stop)
        yield Cluster(name, kubectl, namespace, operator)


def test_two_clusters_share_one_account_and_never_touch_each_others_objects(
    shared_stack: Stack, netbird_url: str, netbird_token: str, netbird: NetBirdApi, tmp_path: Path
) -> None:
    run = secrets.token_hex(3)
    shared = f"shared-version-{run}"
    with ExitStack() as stack:
        dev, prod = _clusters(stack, netbird_url, netbird_token, tmp_path, run)
        try:
            dev.apply([*three_tier(f"dev-{run}"), shared_check(shared)], tmp_path)
            dev.ready("netbird", "--all")
            before = snapshot(netbird, dev)

            prod.apply([*three_tier(f"prod-{run}"), shared_check(shared)], tmp_path)
            declared = [o for o in prod.objects() if o["metadata"]["name"] != "shared-version"]
            for obj in declared:
                prod.ready(f"{obj['kind'].lower()}/{obj['metadata']['name']}")

            def stalled() -> dict[str, Any]:
                status = prod.kubectl.get_json(prod.namespace, "posturecheck", "shared-version")
                ready = {c["type"]: c for c in status["status"]["conditions"]}["Ready"]
                assert ready["reason"] == "AlreadyManaged", ready
                return dict(ready)

            ready = eventually(stalled, timeout=60)
            assert ready["status"] == "False"
            assert f"cluster 'dev-{run}'" in ready["message"]
            assert "suffix" in ready["message"]  # the guide's advice: one suffix per environment
            assert snapshot(netbird, dev) == before, "prod's operator changed dev's objects"
            assert len(netbird.by_name("posture-checks", shared)) == 1

            prod.kubectl.ok("delete", "netbird", "--all", "-n", prod.namespace, "--timeout=180s")
            assert snapshot(netbird, dev) == before, "deleting prod's objects changed dev's"
            dev.ready("netbird", "--all")
            for doc in three_tier(f"prod-{run}"):
                collection = COLLECTIONS[doc["kind"]]
                name = doc["spec"]["name"]
                assert not netbird.by_name(collection, name), f"{name} outlived prod's delete"
        finally:
            for cluster in (dev, prod):
                cluster.kubectl.run(
                    "delete", "netbird", "--all", "-n", cluster.namespace, "--timeout=180s"
                )
