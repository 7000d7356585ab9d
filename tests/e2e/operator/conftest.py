"""Namespaces the session's operator watches (it ignores every other folder's objects)."""

from __future__ import annotations

import pytest
from kubernetes import client as k8s

from tests.e2e.namespaces import new_namespace
from tests.e2e.operator_process import OPERATED_PREFIX


@pytest.fixture
def namespace(kube_api: k8s.ApiClient, request: pytest.FixtureRequest) -> str:
    return new_namespace(kube_api, request.node.name, prefix=OPERATED_PREFIX)
