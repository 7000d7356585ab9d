"""Networks with real routing peers: operated namespaces, setup keys and enrolled peers.

The setup-key and peer fixtures are the peers folder's own, so peers are enrolled, stopped
and removed from NetBird the same way everywhere.
"""

from __future__ import annotations

import pytest
from kubernetes import client as k8s

from tests.e2e.namespaces import new_namespace
from tests.e2e.operator_process import OPERATED_PREFIX
from tests.e2e.peers.conftest import enroll, setup_key

__all__ = ["enroll", "namespace", "setup_key"]


@pytest.fixture
def namespace(kube_api: k8s.ApiClient, request: pytest.FixtureRequest) -> str:
    """A namespace the session's operator watches."""
    return new_namespace(kube_api, request.node.name, prefix=OPERATED_PREFIX)
