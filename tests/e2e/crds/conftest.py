"""Our generated CRDs on the real kube-apiserver, driven through kubectl as a user would.

These tests need only the Kubernetes half of the stack (etcd + kube-apiserver), and no
operator: what they read back is what the apiserver itself made of the objects.
"""

from __future__ import annotations

import pytest
from kubernetes import client as k8s

from tests.e2e.namespaces import new_namespace


@pytest.fixture(scope="module")
def module_namespace(kube_api: k8s.ApiClient, request: pytest.FixtureRequest) -> str:
    """One namespace for a whole module's parametrised table, instead of one per entry."""
    return new_namespace(kube_api, request.module.__name__.rsplit(".", 1)[-1])
