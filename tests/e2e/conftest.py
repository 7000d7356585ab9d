"""Session fixtures for the e2e tier: one real kube-apiserver + etcd and one netbird-server.

Everything under tests/e2e gets the `e2e` marker. Without the built stack the tests skip
loudly (fail with NBACCESS_E2E_REQUIRED=1); see tests/e2e/stack/build.sh.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client as k8s
from kubernetes import config as k8s_config

from tests.e2e.harness import NetBirdApi
from tests.e2e.kubectl import Kubectl
from tests.e2e.namespaces import new_namespace
from tests.e2e.operator_process import (
    PATTERN_SCANNING_RBAC,
    OperatorProcess,
    OperatorStartError,
    chart_kubeconfig,
    start_operator,
)
from tests.e2e.stack import (
    KubeEndpoint,
    NetBirdEndpoint,
    Stack,
    StackUnavailable,
    session_stack,
    stop_session_stack,
)
from tests.e2e.stack.pytest_support import skip_or_fail

E2E_ROOT = Path(__file__).resolve().parent
_reports: list[str] = []


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if E2E_ROOT in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.e2e)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    # Says which apiserver and NetBird ran and how long start-up took, on every run.
    for line in _reports:
        terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def shared_stack() -> Iterator[Stack]:
    """The session's stack, nothing started yet; stopped (by pid) when the session ends."""
    shared = session_stack()
    yield shared
    _reports.append(shared.describe())
    stop_session_stack()


@pytest.fixture(scope="session")
def stack(shared_stack: Stack) -> Stack:
    """Both halves running: kube-apiserver with etcd, and netbird-server."""
    try:
        shared_stack.start()
    except StackUnavailable as exc:
        skip_or_fail(str(exc))
    return shared_stack


@pytest.fixture(scope="session")
def kube(shared_stack: Stack) -> KubeEndpoint:
    """Only the Kubernetes half, for tests that do not need NetBird."""
    try:
        return shared_stack.ensure_kube()
    except StackUnavailable as exc:
        skip_or_fail(str(exc))


@pytest.fixture(scope="session")
def kubeconfig_path(kube: KubeEndpoint) -> Path:
    return kube.kubeconfig


@pytest.fixture(scope="session")
def kube_api(kubeconfig_path: Path) -> Iterator[k8s.ApiClient]:
    api: k8s.ApiClient = k8s_config.new_client_from_config(  # type: ignore[no-untyped-call]
        config_file=str(kubeconfig_path)
    )
    yield api
    api.close()  # type: ignore[no-untyped-call]


@pytest.fixture(scope="session")
def netbird_endpoint(shared_stack: Stack) -> NetBirdEndpoint:
    """Only the NetBird half: its URL (without /api) and an admin token."""
    try:
        return shared_stack.ensure_netbird()
    except StackUnavailable as exc:
        skip_or_fail(str(exc))


@pytest.fixture(scope="session")
def netbird_url(netbird_endpoint: NetBirdEndpoint) -> str:
    return netbird_endpoint.url


@pytest.fixture(scope="session")
def netbird_token(netbird_endpoint: NetBirdEndpoint) -> str:
    return netbird_endpoint.token


@pytest.fixture
def namespace(kube_api: k8s.ApiClient, request: pytest.FixtureRequest) -> str:
    """A new namespace for this test (see namespaces.py for why it is never re-used)."""
    return new_namespace(kube_api, request.node.name)


# ---- shared by every folder: one kubectl, one CRD install, one operator per session --------
# (pytest keeps one instance of a session fixture per defining conftest, so these must live
# here rather than be re-exported from a folder's conftest).


@pytest.fixture(scope="session")
def kubectl(shared_stack: Stack, kubeconfig_path: Path) -> Kubectl:
    return Kubectl(shared_stack.binaries.kubectl, kubeconfig_path)


@pytest.fixture(scope="session")
def crds(kubectl: Kubectl) -> list[dict[str, Any]]:
    """Our CRDs, applied and Established, as the apiserver stores them."""
    return kubectl.apply_crds()


@pytest.fixture(scope="session")
def netbird(netbird_url: str, netbird_token: str) -> Iterator[NetBirdApi]:
    api = NetBirdApi(netbird_url, netbird_token)
    yield api
    api.close()


@pytest.fixture(scope="session")
def operator_kubeconfig(
    stack: Stack, kubectl: Kubectl, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    kubeconfig = chart_kubeconfig(stack, kubectl, tmp_path_factory.mktemp("operator-rbac"))
    kubectl.ok("apply", "-f", "-", stdin=PATTERN_SCANNING_RBAC)
    return kubeconfig


@pytest.fixture(scope="session")
def operator(
    crds: list[dict[str, Any]],
    operator_kubeconfig: Path,
    netbird_url: str,
    netbird_token: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[OperatorProcess]:
    try:
        running = start_operator(
            operator_kubeconfig, netbird_url, netbird_token, tmp_path_factory.mktemp("operator")
        )
    except OperatorStartError as exc:
        pytest.fail(str(exc))
    yield running
    running.stop()
    if os.environ.get("NBACCESS_E2E_SHOW_OPERATOR_LOG"):
        print(running.log_tail(200))
