"""A cluster of this folder's own: the cluster-wide rendering's operator must see only the
objects these tests make (see tests/e2e/clusters.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.clusters import cluster_of_its_own
from tests.e2e.kubectl import Kubectl
from tests.e2e.stack import Stack


@pytest.fixture(scope="module")
def own_cluster(shared_stack: Stack) -> Iterator[Stack]:
    with cluster_of_its_own() as cluster:
        yield cluster


@pytest.fixture(scope="module")
def own_kubectl(own_cluster: Stack) -> Kubectl:
    assert own_cluster.kube is not None
    return Kubectl(own_cluster.binaries.kubectl, own_cluster.kube.kubeconfig)


@pytest.fixture(scope="module")
def own_crds(own_kubectl: Kubectl) -> list[dict[str, Any]]:
    return own_kubectl.apply_crds()
