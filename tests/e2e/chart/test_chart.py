"""The Helm chart, as `helm install` would hand it to a real apiserver."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import yaml
from kubernetes import client as k8s

from nbaccess.config import Settings
from tests.e2e.kubectl import ROOT, Kubectl
from tests.e2e.namespaces import new_namespace
from tests.e2e.stack import Stack

CHART = ROOT / "charts/netbird-access-operator"


def helm(stack: Stack, *args: str) -> str:
    done = subprocess.run(
        [str(stack.binaries.helm), *args], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"helm {' '.join(args)} failed:\n{done.stderr}"
    return done.stdout


def rendered(stack: Stack, namespace: str, *values: str) -> list[dict[str, Any]]:
    text = helm(stack, "template", "nbaccess", str(CHART), "--namespace", namespace, *values)
    return [doc for doc in yaml.safe_load_all(text) if doc]


def deployment(docs: list[dict[str, Any]]) -> dict[str, Any]:
    return next(d for d in docs if d["kind"] == "Deployment")


def test_helm_lint_passes(shared_stack: Stack) -> None:
    assert "0 chart(s) failed" in helm(shared_stack, "lint", str(CHART))


def test_every_variable_the_chart_sets_is_one_the_operator_reads(shared_stack: Stack) -> None:
    env = deployment(rendered(shared_stack, "nbaccess-system"))["spec"]["template"]["spec"][
        "containers"
    ][0]["env"]
    known = {name.upper() for name in Settings.model_fields}
    assert {e["name"] for e in env} <= known


def test_the_rendered_chart_is_accepted_by_the_apiserver(
    shared_stack: Stack, kubectl: Kubectl, kube_api: k8s.ApiClient, tmp_path: Path
) -> None:
    namespace = new_namespace(kube_api, "chart")
    docs = rendered(
        shared_stack,
        namespace,
        "--set",
        "operator.watchNamespaces={team-a,team-b}",
        "--set",
        "metrics.serviceMonitor.enabled=false",
    )
    args = deployment(docs)["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args == ["run", "--namespace=team-a", "--namespace=team-b"]
    # The chart ships the CRDs in crds/ (helm installs them first); the rest must apply.
    manifest = tmp_path / "chart.yaml"
    manifest.write_text(yaml.safe_dump_all(docs))
    kubectl.ok("apply", "--dry-run=server", "-n", namespace, "-f", str(manifest))


def test_the_chart_ships_the_generated_crds() -> None:
    shipped = sorted(p.name for p in (CHART / "crds").glob("*.yaml"))
    generated = sorted(p.name for p in (ROOT / "crds").glob("*.yaml"))
    assert shipped == generated
    for name in shipped:
        assert (CHART / "crds" / name).read_text() == (ROOT / "crds" / name).read_text()
