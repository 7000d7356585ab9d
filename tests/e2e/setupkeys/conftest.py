"""Setup keys made by the operator, used by real NetBird peers."""

from __future__ import annotations

import pytest
from kubernetes import client as k8s

from tests.e2e.namespaces import new_namespace
from tests.e2e.operator_process import OPERATED_PREFIX

# Real peers, stopped and removed from NetBird at teardown (function scope: safe to share).
from tests.e2e.peers.conftest import enroll  # noqa: F401


@pytest.fixture
def namespace(kube_api: k8s.ApiClient, request: pytest.FixtureRequest) -> str:
    """A namespace the session's operator watches."""
    return new_namespace(kube_api, request.node.name, prefix=OPERATED_PREFIX)
