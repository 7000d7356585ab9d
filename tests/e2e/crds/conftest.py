"""Our generated CRDs on the real kube-apiserver, driven through kubectl as a user would.

These tests need only the Kubernetes half of the stack (etcd + kube-apiserver), and no
operator: what they read back is what the apiserver itself made of the objects.
"""

from __future__ import annotations

import json
import re
import secrets
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client as k8s

from tests.e2e.stack import Stack

ROOT = Path(__file__).resolve().parents[3]
CRD_DIR = ROOT / "crds"


@dataclass(frozen=True)
class Kubectl:
    """The built kubectl, pointed at the test apiserver."""

    binary: Path
    kubeconfig: Path

    def run(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run kubectl; the caller decides whether a non-zero exit is the expected answer."""
        return subprocess.run(
            [str(self.binary), f"--kubeconfig={self.kubeconfig}", *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def ok(self, *args: str, stdin: str | None = None) -> str:
        """Run kubectl, fail the test with kubectl's own error unless it succeeds; stdout."""
        done = self.run(*args, stdin=stdin)
        assert done.returncode == 0, f"kubectl {' '.join(args)} failed:\n{done.stderr}"
        return done.stdout

    def apply(self, namespace: str, manifest: dict[str, Any]) -> subprocess.CompletedProcess[str]:
        """`kubectl apply` (client-side, strict field validation: kubectl's defaults)."""
        return self.run("apply", "-n", namespace, "-f", "-", stdin=json.dumps(manifest))

    def get_json(self, namespace: str, resource: str, name: str) -> dict[str, Any]:
        return dict(json.loads(self.ok("get", "-n", namespace, resource, name, "-o", "json")))


@pytest.fixture(scope="session")
def kubectl(shared_stack: Stack, kubeconfig_path: Path) -> Kubectl:
    return Kubectl(shared_stack.binaries.kubectl, kubeconfig_path)


@pytest.fixture(scope="session")
def crds(kubectl: Kubectl) -> list[dict[str, Any]]:
    """Apply every committed CRD (idempotent, so other folders may apply them too) and return
    them as stored by the apiserver once each is Established."""
    # --force-conflicts: another session fixture may have applied the same CRDs already.
    kubectl.ok("apply", "--server-side", "--force-conflicts", "-f", str(CRD_DIR))
    names = [f"crd/{path.name.removesuffix('.yaml')}" for path in sorted(CRD_DIR.glob("*.yaml"))]
    kubectl.ok("wait", "--for=condition=Established", "--timeout=60s", *names)
    stored = json.loads(kubectl.ok("get", "-o", "json", *names))
    return list(stored["items"])


def new_namespace(kube_api: k8s.ApiClient, purpose: str) -> str:
    """A namespace with a fresh name (namespaces never finish deleting on this stack)."""
    slug = re.sub(r"[^a-z0-9]+", "-", purpose.lower()).strip("-")[:40].strip("-")
    name = f"e2e-{slug}-{secrets.token_hex(3)}"
    k8s.CoreV1Api(kube_api).create_namespace(k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name=name)))
    return name


@pytest.fixture(scope="module")
def module_namespace(kube_api: k8s.ApiClient, request: pytest.FixtureRequest) -> str:
    """One namespace for a whole module's parametrised table, instead of one per entry."""
    return new_namespace(kube_api, request.module.__name__.rsplit(".", 1)[-1])
