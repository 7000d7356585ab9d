"""The built kubectl, pointed at the test apiserver: what a person would type, from tests."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CRD_DIR = ROOT / "crds"


@dataclass(frozen=True)
class Kubectl:
    binary: Path
    kubeconfig: Path

    def run(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run kubectl; the caller decides whether a non-zero exit is the expected answer."""
        return subprocess.run(
            [str(self.binary), f"--kubeconfig={self.kubeconfig}", *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )

    def ok(self, *args: str, stdin: str | None = None) -> str:
        """Run kubectl and fail the test with kubectl's own error unless it succeeds; stdout."""
        done = self.run(*args, stdin=stdin)
        assert done.returncode == 0, f"kubectl {' '.join(args)} failed:\n{done.stderr}"
        return done.stdout

    def try_apply(
        self, namespace: str, manifest: dict[str, Any]
    ) -> subprocess.CompletedProcess[str]:
        """`kubectl apply` (client-side, strict field validation: kubectl's defaults)."""
        return self.run("apply", "-n", namespace, "-f", "-", stdin=json.dumps(manifest))

    def apply(self, namespace: str, manifest: dict[str, Any]) -> None:
        done = self.try_apply(namespace, manifest)
        assert done.returncode == 0, f"kubectl apply failed:\n{done.stderr}"

    def get_json(self, namespace: str, resource: str, name: str) -> dict[str, Any]:
        return dict(json.loads(self.ok("get", "-n", namespace, resource, name, "-o", "json")))

    def status(self, namespace: str, resource: str, name: str) -> dict[str, Any]:
        return dict(self.get_json(namespace, resource, name).get("status") or {})

    def condition(self, namespace: str, resource: str, name: str, ctype: str) -> dict[str, Any]:
        for cond in self.status(namespace, resource, name).get("conditions") or ():
            if cond.get("type") == ctype:
                return dict(cond)
        return {}

    def wait_ready(
        self, namespace: str, resource: str, name: str, timeout: int = 120
    ) -> dict[str, Any]:
        """`kubectl wait --for=condition=Ready`, then the object's status."""
        self.ok(
            "wait",
            "-n",
            namespace,
            "--for=condition=Ready",
            f"{resource}/{name}",
            f"--timeout={timeout}s",
        )
        return self.status(namespace, resource, name)

    def apply_crds(self) -> list[dict[str, Any]]:
        """Apply every committed CRD and return them as stored once each is Established."""
        # --force-conflicts: re-applying after a regeneration must not trip over field owners.
        self.ok("apply", "--server-side", "--force-conflicts", "-f", str(CRD_DIR))
        names = [f"crd/{p.name.removesuffix('.yaml')}" for p in sorted(CRD_DIR.glob("*.yaml"))]
        self.ok("wait", "--for=condition=Established", "--timeout=60s", *names)
        return list(json.loads(self.ok("get", "-o", "json", *names))["items"])
