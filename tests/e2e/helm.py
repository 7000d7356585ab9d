"""The built helm, rendering this repo's chart for the test apiserver's Kubernetes version."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import yaml

from tests.e2e.kubectl import ROOT
from tests.e2e.stack import Stack

CHART = ROOT / "charts/netbird-access-operator"


def helm_run(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(stack.binaries.helm), *args], capture_output=True, text=True, check=False, timeout=120
    )


def helm(stack: Stack, *args: str) -> str:
    done = helm_run(stack, *args)
    assert done.returncode == 0, f"helm {' '.join(args)} failed:\n{done.stderr}"
    return done.stdout


def kube_version(stack: Stack) -> str:
    # `helm template` assumes an old Kubernetes unless told; Argo CD passes the cluster's.
    return stack.kube_version or stack.binaries.kubernetes_version


def render(
    stack: Stack, namespace: str, *values: str, release: str = "nbaccess", chart: Path = CHART
) -> list[dict[str, Any]]:
    text = helm(
        stack,
        "template",
        release,
        str(chart),
        "--namespace",
        namespace,
        "--kube-version",
        kube_version(stack),
        *values,
    )
    return [doc for doc in yaml.safe_load_all(text) if doc]


def only(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] == kind]


FULLNAME = "nbaccess-netbird-access-operator"  # the fullname of release "nbaccess"


def operator_settings(docs: list[dict[str, Any]], release_namespace: str) -> dict[str, Any]:
    """The rendered Deployment's arguments and environment for `nbaccess run`, minus what only
    a pod has (the mounted token file, the downward API), which a test supplies itself."""
    container = only(docs, "Deployment")[0]["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e["value"] for e in container["env"] if "value" in e}
    for pod_only in ("NETBIRD_API_TOKEN_FILE", "NETBIRD_API_URL", "NBACCESS_METRICS_PORT"):
        env.pop(pod_only)
    if env.get("NBACCESS_LEADER_ELECTION") == "true":
        env["NBACCESS_LEADER_ELECTION_NAMESPACE"] = release_namespace
    return {"args": container["args"][1:], "env": env}
