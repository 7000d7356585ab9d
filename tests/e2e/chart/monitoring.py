"""Stand-ins for prometheus-operator's ServiceMonitor and PrometheusRule CRDs.

Their real CRDs cannot be fetched here (no network but the package registries), so the
dry-run of the chart's monitoring objects checks group, version, kind, scope and metadata
against schemaless CRDs of the same names; the content is checked by the tests themselves.
"""

from __future__ import annotations

from typing import Any


def stand_in_crd(kind: str, plural: str) -> dict[str, Any]:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.monitoring.coreos.com"},
        "spec": {
            "group": "monitoring.coreos.com",
            "scope": "Namespaced",
            "names": {"kind": kind, "plural": plural, "singular": kind.lower()},
            "versions": [
                {
                    "name": "v1",
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
