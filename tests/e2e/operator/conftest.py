"""The operator as users run it: `nbaccess run` as a process, our CRDs applied for real."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml

from tests.e2e.operator.harness import ROOT, Kubectl, NetBirdApi
from tests.e2e.stack import Stack
from tests.e2e.stack.ports import free_tcp_port

# Short enough that drift tests finish quickly; the retry tick is long on purpose, so that an
# object turning Ready within seconds of its dependency proves the wake-up, not the retry.
RESYNC_SECONDS = 15
RETRY_SECONDS = 60


@dataclass
class OperatorProcess:
    process: subprocess.Popen[bytes]
    log: Path
    metrics_url: str

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


@pytest.fixture(scope="session")
def kubectl(stack: Stack, kubeconfig_path: Path) -> Kubectl:
    return Kubectl(stack.binaries.kubectl, kubeconfig_path)


@pytest.fixture(scope="session")
def crds(kubectl: Kubectl) -> None:
    kubectl.run("apply", "--server-side", "-f", str(ROOT / "crds"))
    kubectl.run("wait", "--for=condition=Established", "crd", "--all", "--timeout=60s")


@pytest.fixture(scope="session")
def netbird(netbird_url: str, netbird_token: str) -> Iterator[NetBirdApi]:
    api = NetBirdApi(netbird_url, netbird_token)
    yield api
    api.close()


CHART = ROOT / "charts/netbird-access-operator"
RELEASE_NAMESPACE = "nbaccess-system"


@pytest.fixture(scope="session")
def operator_kubeconfig(
    stack: Stack, kubectl: Kubectl, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A kubeconfig for the chart's ServiceAccount: the operator runs with the chart's RBAC,
    so a permission the chart forgot fails here, not in a user's cluster."""
    rendered = subprocess.run(
        [
            str(stack.binaries.helm),
            "template",
            "nbaccess",
            str(CHART),
            "--namespace",
            RELEASE_NAMESPACE,
            "--show-only",
            "templates/serviceaccount.yaml",
            "--show-only",
            "templates/rbac.yaml",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    kubectl.run("create", "namespace", RELEASE_NAMESPACE, check=False)
    kubectl.run("apply", "-n", RELEASE_NAMESPACE, "-f", "-", stdin=rendered)
    account = next(
        doc["metadata"]["name"]
        for doc in yaml.safe_load_all(rendered)
        if doc and doc["kind"] == "ServiceAccount"
    )
    token = kubectl.run(
        "create", "token", account, "-n", RELEASE_NAMESPACE, "--duration=6h"
    ).strip()
    assert stack.kube is not None
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "e2e",
                "cluster": {
                    "server": stack.kube.url,
                    "certificate-authority": str(stack.kube.ca_file),
                },
            }
        ],
        "users": [{"name": account, "user": {"token": token}}],
        "contexts": [{"name": "operator", "context": {"cluster": "e2e", "user": account}}],
        "current-context": "operator",
    }
    path = tmp_path_factory.mktemp("operator-rbac") / "kubeconfig"
    path.write_text(yaml.safe_dump(config))
    path.chmod(0o600)
    return path


@pytest.fixture(scope="session")
def operator(
    crds: None,
    operator_kubeconfig: Path,
    netbird_url: str,
    netbird_token: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[OperatorProcess]:
    port = free_tcp_port()
    log = tmp_path_factory.mktemp("operator") / "operator.log"
    env = {
        **os.environ,
        "KUBECONFIG": str(operator_kubeconfig),
        "NETBIRD_API_URL": netbird_url,
        "NETBIRD_API_TOKEN": netbird_token,
        "NBACCESS_METRICS_PORT": str(port),
        "NBACCESS_RESYNC_SECONDS": str(RESYNC_SECONDS),
        "NBACCESS_RETRY_SECONDS": str(RETRY_SECONDS),
    }
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "nbaccess.cli", "run", "--all-namespaces"],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
    running = OperatorProcess(process, log, f"http://127.0.0.1:{port}/metrics")
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            pytest.fail(f"nbaccess run exited with {process.returncode}:\n{running.log_tail()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"nbaccess run did not serve /healthz in 60s:\n{running.log_tail()}")
        time.sleep(0.3)
    yield running
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
    if os.environ.get("NBACCESS_E2E_SHOW_OPERATOR_LOG"):
        print(running.log_tail(200))
