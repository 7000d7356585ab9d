"""Operators run the way the chart runs them with leader election, in namespaces of their own."""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.helm import FULLNAME, operator_settings, render
from tests.e2e.kubectl import Kubectl
from tests.e2e.operator_process import OperatorProcess, chart_kubeconfig, start_operator
from tests.e2e.stack import Stack


@dataclass(frozen=True)
class Replica:
    """One running `nbaccess run` and the token credential the audit log records for it."""

    process: OperatorProcess
    credential: str


def credential_of(kubeconfig: Path) -> str:
    """`JTI=<id>` of the ServiceAccount token in a kubeconfig, as audit events name it."""
    token = yaml.safe_load(kubeconfig.read_text())["users"][0]["user"]["token"]
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return f"JTI={claims['jti']}"


@dataclass
class Release:
    """One namespaced rendering of the chart: its release namespace and watched namespace."""

    namespace: str
    watched: str
    args: list[str]
    env: dict[str, str]

    @property
    def lease(self) -> str:
        return f"{FULLNAME}-leader"

    @property
    def user(self) -> str:
        return f"system:serviceaccount:{self.namespace}:{FULLNAME}"


@pytest.fixture
def release(stack: Stack, kubectl: Kubectl, crds: list[dict[str, Any]]) -> Release:
    tag = secrets.token_hex(3)
    namespace, watched = f"nbaccess-ha-{tag}", f"ha-{tag}"
    kubectl.ok("create", "namespace", watched)
    docs = render(stack, namespace, "--set", f"operator.watchNamespaces={{{watched}}}")
    settings = operator_settings(docs, namespace)
    return Release(namespace, watched, settings["args"], settings["env"])


Launch = Callable[..., Replica]


@pytest.fixture
def launch(
    stack: Stack,
    kubectl: Kubectl,
    release: Release,
    netbird_url: str,
    netbird_token: str,
    tmp_path: Path,
) -> Iterator[Launch]:
    """Start a replica of the release, each with a token of its own (the audit log tells the
    replicas apart by it); every replica still running is stopped at the end."""
    started: list[OperatorProcess] = []

    def start(**env: str | None) -> Replica:
        kubeconfig = chart_kubeconfig(
            stack,
            kubectl,
            tmp_path,
            "--set",
            f"operator.watchNamespaces={{{release.watched}}}",
            namespace=release.namespace,
        )
        replica = start_operator(
            kubeconfig,
            netbird_url,
            netbird_token,
            tmp_path,
            args=release.args,
            env={**release.env, **env},
        )
        started.append(replica)
        return Replica(replica, credential_of(kubeconfig))

    yield start
    for replica in started:
        if replica.process.poll() is None:
            replica.stop()
