"""The official NetBird operator (netbirdio/kubernetes-operator), for a side-by-side benchmark.

Nothing of it is in this repository. `--official-src` names a checkout of its source (e.g. the
v0.8.0 tag); it is built here with the Go toolchain into the stack's build cache, its CRDs are
applied from that checkout, and it runs as a process like ours: against the same kube-apiserver
and netbird-server, watching the benchmark's namespace, webhooks off (they need a serving
certificate, and the scenario creates no pods).

Its setup keys and groups are the `netbird.io/v1alpha1` SetupKey and Group: the same scenario as
ours, N groups and N keys each auto-assigning its group.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.kubectl import Kubectl
from tests.e2e.operator_process import stop_process
from tests.e2e.stack.binaries import cache_dir
from tests.e2e.stack.ports import free_tcp_port

API_GROUP, VERSION = "netbird.io", "v1alpha1"
# v0.8.0 requires module versions the Go module proxy refuses (403). NetBird: the version our
# stack runs. kube-egress-forwarder: no version is served; only the egress controller uses it,
# and the scenario creates nothing it reconciles, so a stand-in of the three calls it makes
# is written beside the copy (ours, below; never its code).
REPLACE = {"github.com/netbirdio/netbird": "github.com/netbirdio/netbird@v0.77.1"}
EGRESS_MODULE = "github.com/netbirdio/kube-egress-forwarder"
EGRESS_STAND_IN = {
    "go.mod": f"module {EGRESS_MODULE}\n\ngo 1.24\n\nrequire k8s.io/api v0.36.2\n",
    "pkg/forwarder/forwarder.go": """// Package forwarder stands in for kube-egress-forwarder in a
// benchmark build: nothing is forwarded, and the benchmark creates no object that would ask.
package forwarder

import corev1 "k8s.io/api/core/v1"

type Rule struct{ Port int32 }

type RuleManager struct{ data map[string]string }

func NewRuleManager(data map[string]string) (*RuleManager, error) {
	return &RuleManager{data: data}, nil
}

func (m *RuleManager) Allocate(_ corev1.Protocol, _ string) Rule { return Rule{} }

func (m *RuleManager) Data() (map[string]string, error) { return m.data, nil }
""",
}
PLURALS = {"Group": "groups", "SetupKey": "setupkeys"}


def _revision(src: Path) -> str:
    git = shutil.which("git") or "git"
    done = subprocess.run(  # noqa: S603 (fixed arguments, a path the user gave)
        [git, "-C", str(src), "rev-parse", "HEAD"], capture_output=True, text=True, check=False
    )
    if done.returncode == 0:
        return done.stdout.strip()[:12]
    return hashlib.sha256(str(src.resolve()).encode()).hexdigest()[:12]


def build(src: Path) -> Path:
    """The operator's binary, built once per source revision (cached beside the stack's)."""
    out = cache_dir() / f"official-operator-{_revision(src)}" / "manager"
    if out.exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="official-operator-") as work:
        tree = Path(work) / "src"
        shutil.copytree(src, tree, ignore=shutil.ignore_patterns(".git"))
        env = {**os.environ, "CGO_ENABLED": "0", "GOFLAGS": "-mod=mod"}
        started = time.monotonic()
        go = shutil.which("go") or "go"
        stand_in = Path(work) / "egress-stand-in"
        for name, text in EGRESS_STAND_IN.items():
            (stand_in / name).parent.mkdir(parents=True, exist_ok=True)
            (stand_in / name).write_text(text)
        for module, target in {**REPLACE, EGRESS_MODULE: str(stand_in)}.items():
            subprocess.run(  # noqa: S603 (fixed arguments)
                [go, "mod", "edit", f"-replace={module}={target}"], cwd=tree, check=True
            )
        subprocess.run(  # noqa: S603 (fixed arguments)
            [go, "build", "-trimpath", "-o", str(out), "./cmd"], cwd=tree, env=env, check=True
        )
        print(f"[official] built in {time.monotonic() - started:.0f} s: {out}", flush=True)
    return out


def apply_crds(kubectl: Kubectl, src: Path) -> None:
    for crd in sorted((src / "charts/netbird-operator/crds").glob("*.yaml")):
        kubectl.ok("apply", "--server-side", "-f", str(crd))


@dataclass
class Running:
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        stop_process(self.process)

    def requests(self) -> None:
        return None  # it exports no count of its NetBird requests


def start(
    binary: Path, kubeconfig: Path, netbird_url: str, token: str, folder: Path, namespace: str
) -> Running:
    probe = free_tcp_port()
    log = folder / f"official-{probe}.log"
    args = [
        str(binary),
        f"--netbird-management-url={netbird_url}",
        f"--netbird-api-key={token}",
        "--enable-webhooks=false",
        "--leader-elect=false",
        "--metrics-bind-address=0",
        f"--health-probe-bind-address=127.0.0.1:{probe}",
        f"--runtime-namespace={namespace}",
        "--zap-log-level=error",
    ]
    with log.open("wb") as sink:
        process = subprocess.Popen(  # noqa: S603 (the binary we built, fixed flags)
            args,
            env={**os.environ, "KUBECONFIG": str(kubeconfig)},
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    running = Running(process, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the official operator exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{probe}/readyz", timeout=2).status_code == 200:
                return running
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    running.stop()
    raise RuntimeError(f"the official operator never became ready: {log.read_text()[-2000:]}")


def group_and_keys(n: int, run: str) -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for i in range(n):
        docs.append(
            {
                "apiVersion": f"{API_GROUP}/{VERSION}",
                "kind": "Group",
                "metadata": {"name": f"g{i}"},
                "spec": {"name": f"official-{run}-g{i}"},
            }
        )
        docs.append(
            {
                "apiVersion": f"{API_GROUP}/{VERSION}",
                "kind": "SetupKey",
                "metadata": {"name": f"k{i}"},
                "spec": {
                    "name": f"official-{run}-k{i}",
                    "ephemeral": False,
                    "autoGroups": [{"localRef": {"name": f"g{i}"}}],
                },
            }
        )
    return docs
