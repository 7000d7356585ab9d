"""Stand-ins for other projects' CRDs: prometheus-operator's ServiceMonitor and
PrometheusRule, and the Argo CD and Flux kinds docs/gitops.md uses.

Their real CRDs cannot be fetched here (no network but the package registries), so a dry-run
of those objects checks group, version, kind, scope and metadata against schemaless CRDs of
the same names; the content is checked by the tests themselves.
"""

from __future__ import annotations

import json
from typing import Any

from tests.e2e.kubectl import Kubectl

# Tells `helm template` the monitoring APIs exist, as a cluster with prometheus-operator would.
MONITORING_APIS = (
    "--api-versions",
    "monitoring.coreos.com/v1/ServiceMonitor",
    "--api-versions",
    "monitoring.coreos.com/v1/PrometheusRule",
)


def stand_in_crd(
    kind: str, plural: str, group: str = "monitoring.coreos.com", version: str = "v1"
) -> dict[str, Any]:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{group}"},
        "spec": {
            "group": group,
            "scope": "Namespaced",
            "names": {"kind": kind, "plural": plural, "singular": kind.lower()},
            "versions": [
                {
                    "name": version,
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "x-kubernetes-preserve-unknown-fields": True,
                        }
                    },
                }
            ],
        },
    }


STAND_INS = [
    stand_in_crd("ServiceMonitor", "servicemonitors"),
    stand_in_crd("PrometheusRule", "prometheusrules"),
]


def install_stand_ins(kubectl: Kubectl, crds: list[dict[str, Any]] = STAND_INS) -> None:
    for crd in crds:
        kubectl.ok("apply", "-f", "-", stdin=json.dumps(crd))
    kubectl.ok(
        "wait", "--for=condition=Established", *(f"crd/{c['metadata']['name']}" for c in crds)
    )
