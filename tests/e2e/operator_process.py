"""The operator as users run it: `nbaccess run` as a process, as the chart's ServiceAccount."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
import yaml

from tests.e2e.kubectl import ROOT, Kubectl
from tests.e2e.stack import Stack
from tests.e2e.stack.ports import free_tcp_port

# Short enough that drift tests finish quickly; the retry tick is long on purpose, so that an
# object turning Ready within seconds of its dependency proves the wake-up, not the retry.
RESYNC_SECONDS = 15
RETRY_SECONDS = 60
# Routing-peer health is read this often (30 s in production), so a test that flaps a peer
# within a minute sees most of the transitions between reads, not only lastSeen jumps.
HEALTH_SECONDS = 5
# The operator watches only namespaces with this prefix, so objects other folders create
# (e.g. the CRD tables, whose valid examples reuse the three-tier names) are not converged.
OPERATED_PREFIX = "op-"
CHART = ROOT / "charts/netbird-access-operator"
RELEASE_NAMESPACE = "nbaccess-system"


class OperatorStartError(RuntimeError):
    pass


@dataclass
class OperatorProcess:
    process: subprocess.Popen[bytes]
    log: Path
    metrics_url: str

    def probe(self, path: str) -> tuple[int, str]:
        """GET one of the operator's endpoints (/healthz, /readyz): status code and body."""
        answer = httpx.get(self.metrics_url.removesuffix("/metrics") + path, timeout=5)
        return answer.status_code, answer.text.strip()

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        stop_process(self.process)


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, and SIGKILL if it has not gone within 20 s."""
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# kopf matches a namespace pattern (the session operator's `op-*`) by listing and watching
# namespaces. The chart never renders patterns (its schema takes exact names), so its RBAC
# does not grant that; the tests add it for the session operator alone.
PATTERN_SCANNING_RBAC = """
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: nbaccess-e2e-namespace-patterns}
rules:
  - apiGroups: [""]
    resources: [namespaces]
    verbs: [list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: nbaccess-e2e-namespace-patterns}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: nbaccess-e2e-namespace-patterns
subjects:
  - {kind: ServiceAccount, name: nbaccess-netbird-access-operator, namespace: nbaccess-system}
"""


def chart_kubeconfig(
    stack: Stack,
    kubectl: Kubectl,
    folder: Path,
    *values: str,
    namespace: str = RELEASE_NAMESPACE,
    release: str = "nbaccess",
) -> Path:
    """A kubeconfig for the chart's ServiceAccount, bound by the chart's own RBAC, so a
    permission the chart forgot fails the e2e tier, not a user's first install.

    `values` are helm flags (e.g. `--set operator.watchNamespaces={a,b}`); each call mints a
    new token, so two processes of one ServiceAccount can be told apart in the audit log.
    """
    assert stack.kube is not None
    rendered = subprocess.run(
        [
            str(stack.binaries.helm),
            "template",
            release,
            str(CHART),
            "--namespace",
            namespace,
            "--kube-version",
            stack.kube_version or stack.binaries.kubernetes_version,
            "--show-only",
            "templates/serviceaccount.yaml",
            "--show-only",
            "templates/rbac.yaml",
            *values,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    kubectl.run("create", "namespace", namespace)  # may exist: fine
    # Every rendered object names its namespace (Roles live in the watched ones).
    kubectl.ok("apply", "-f", "-", stdin=rendered)
    account = next(
        doc["metadata"]["name"]
        for doc in yaml.safe_load_all(rendered)
        if doc and doc["kind"] == "ServiceAccount"
    )
    token = kubectl.ok("create", "token", account, "-n", namespace, "--duration=6h")
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
        "users": [{"name": account, "user": {"token": token.strip()}}],
        "contexts": [{"name": "operator", "context": {"cluster": "e2e", "user": account}}],
        "current-context": "operator",
    }
    path = folder / f"kubeconfig-{secrets.token_hex(3)}"
    path.write_text(yaml.safe_dump(config))
    path.chmod(0o600)
    return path


def start_operator(
    kubeconfig: Path,
    netbird_url: str,
    netbird_token: str,
    folder: Path,
    *,
    args: Sequence[str] = ("--namespace", f"{OPERATED_PREFIX}*"),
    env: Mapping[str, str | None] | None = None,
) -> OperatorProcess:
    """`nbaccess run` (on the operated namespaces unless `args` say otherwise), returned once
    it serves /healthz. `env` adds or overrides settings (e.g. leader election); None unsets."""
    port = free_tcp_port()
    log = folder / f"operator-{port}.log"
    settings = {
        **os.environ,
        "KUBECONFIG": str(kubeconfig),
        "NETBIRD_API_URL": netbird_url,
        "NETBIRD_API_TOKEN": netbird_token,
        "NBACCESS_METRICS_PORT": str(port),
        "NBACCESS_RESYNC_SECONDS": str(RESYNC_SECONDS),
        "NBACCESS_RETRY_SECONDS": str(RETRY_SECONDS),
        "NBACCESS_HEALTH_SECONDS": str(HEALTH_SECONDS),
    }
    for name, value in (env or {}).items():
        if value is None:
            settings.pop(name, None)
        else:
            settings[name] = value
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "nbaccess.cli", "run", *args],
            env=settings,
            stdout=sink,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
    running = OperatorProcess(process, log, f"http://127.0.0.1:{port}/metrics")
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            raise OperatorStartError(
                f"nbaccess run exited with {process.returncode}:\n{running.log_tail()}"
            )
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return running
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            running.stop()
            raise OperatorStartError(f"no /healthz within 60s:\n{running.log_tail()}")
        time.sleep(0.3)
