"""An apiserver of this folder's own, so the cluster-wide rendering's operator sees only the
objects these tests make (the session's cluster holds every other folder's objects, which a
second cluster-wide operator would converge too)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.kubectl import Kubectl
from tests.e2e.stack import Stack, StackUnavailable
from tests.e2e.stack.pytest_support import skip_or_fail


@pytest.fixture(scope="module")
def own_cluster(shared_stack: Stack) -> Iterator[Stack]:
    cluster = Stack.in_temp_dir()
    try:
        cluster.ensure_kube()
    except StackUnavailable as exc:
        skip_or_fail(str(exc))
    yield cluster
    print(cluster.describe())
    cluster.stop()


@pytest.fixture(scope="module")
def own_kubectl(own_cluster: Stack) -> Kubectl:
    assert own_cluster.kube is not None
    return Kubectl(own_cluster.binaries.kubectl, own_cluster.kube.kubeconfig)


@pytest.fixture(scope="module")
def own_crds(own_kubectl: Kubectl) -> list[dict[str, Any]]:
    return own_kubectl.apply_crds()
