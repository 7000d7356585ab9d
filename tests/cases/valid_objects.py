"""Valid custom resources: one realistic example per kind, plus the variants worth trying.

Together they form one consistent namespace (the policies reference the groups, network and
posture check defined here), so an e2e test can apply the whole list at once.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

API_VERSION = "nbaccess.dev/v1alpha1"


@dataclass(frozen=True)
class ValidCase:
    """A manifest the apiserver and `validate_object` must both accept."""

    id: str
    manifest: dict[str, Any]

    def fresh(self) -> dict[str, Any]:
        """A deep copy, safe to give to code that mutates it (e.g. to set a namespace)."""
        return copy.deepcopy(self.manifest)


def manifest(kind: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": API_VERSION, "kind": kind, "metadata": {"name": name}, "spec": spec}


VALID_OBJECTS: list[ValidCase] = [
    ValidCase(
        "group-managed",
        manifest("NetBirdGroup", "orders-web", {"name": "svc-orders-web-prod"}),
    ),
    ValidCase(
        "group-observed-idp",
        manifest(
            "NetBirdGroup",
            "support-team",
            {"name": "Support", "managementPolicy": "Observe", "deletionPolicy": "Orphan"},
        ),
    ),
    ValidCase(
        "group-with-peers",
        manifest(
            "NetBirdGroup",
            "routing-peers",
            {"peers": [{"name": "router-a"}, {"id": "cs1tnh0hhcjnqoiuebeg"}], "adopt": True},
        ),
    ),
    ValidCase(
        "policy-tcp-to-groups",
        manifest(
            "NetBirdPolicy",
            "support-to-orders-web",
            {
                "description": "Support staff reach the orders web UI; owner: team-orders",
                "protocol": "tcp",
                "ports": [443, 8443],
                "sources": [{"ref": "support-team"}],
                "destinations": [{"ref": "orders-web"}],
                "postureChecks": [{"ref": "min-client-version"}],
                "expiresAt": "2030-12-01T00:00:00Z",
            },
        ),
    ),
    ValidCase(
        "policy-port-ranges-to-resource",
        manifest(
            "NetBirdPolicy",
            "orders-web-to-db",
            {
                "action": "accept",
                "protocol": "tcp",
                "portRanges": [{"start": 5432, "end": 5433}, {"start": 6379, "end": 6379}],
                "sources": [{"ref": "orders-web"}, {"name": "DBAs"}],
                "destinationResource": {"network": "orders-prod", "resource": "orders-db"},
            },
        ),
    ),
    ValidCase(
        "policy-icmp-drop-disabled",
        manifest(
            "NetBirdPolicy",
            "no-ping-from-contractors",
            {
                "enabled": False,
                "action": "drop",
                "protocol": "icmp",
                "bidirectional": True,
                "sources": [{"id": "d2h6tq0hhcjnqoiuec10"}],
                "destinations": [{"ref": "orders-web"}],
                "deletionPolicy": "Orphan",
            },
        ),
    ),
    ValidCase(
        "network-with-resources-and-routers",
        manifest(
            "NetBirdNetwork",
            "orders-prod",
            {
                "description": "Production orders VPC",
                "resources": [
                    {
                        "name": "orders-db",
                        "address": "10.20.3.0/24",
                        "groups": [{"ref": "orders-web"}],
                    },
                    {"name": "orders-api", "address": "api.orders.example.com"},
                    {"name": "orders-wild", "address": "*.orders.example.com", "enabled": False},
                    {"name": "orders-bastion", "address": "10.20.0.5"},
                    {"name": "orders-v6", "address": "2001:db8:20::/48"},
                    {"name": "orders-v6-host", "address": "2001:db8:20::10"},
                ],
                "routers": [
                    {"name": "primary", "peerGroups": [{"ref": "routing-peers"}], "metric": 100},
                    {"name": "fallback", "peer": {"name": "router-c"}, "masquerade": False},
                ],
                "health": {"minConnectedRoutingPeers": 2},
            },
        ),
    ),
    ValidCase(
        "setup-key-reusable",
        manifest(
            "SetupKey",
            "prod-routing-peers",
            {
                "type": "reusable",
                "autoGroups": [{"ref": "routing-peers"}],
                "expiresIn": "720h",
                "rotation": {"before": "168h", "gracePeriod": "1h"},
                "secretName": "prod-routing-peers-setup-key",
            },
        ),
    ),
    ValidCase(
        "setup-key-one-off-ephemeral",
        manifest(
            "SetupKey",
            "ci-runner",
            {
                "name": "ci runner (one-off)",
                "type": "one-off",
                "usageLimit": 1,
                "ephemeral": True,
                "allowExtraDnsLabels": True,
                "expiresIn": "24h",
                "rotation": {"before": "2h"},
            },
        ),
    ),
    ValidCase(
        "posture-check-min-version",
        manifest(
            "PostureCheck",
            "min-client-version",
            {"checks": {"nbVersion": {"minVersion": "0.59.0"}}},
        ),
    ),
    ValidCase(
        "posture-check-everything",
        manifest(
            "PostureCheck",
            "office-laptops",
            {
                "name": "Office laptops",
                "description": "Managed laptops in the EU offices",
                "checks": {
                    "osVersion": {
                        "linux": {"minKernelVersion": "5.15.0"},
                        "windows": {"minKernelVersion": "10.0.19045"},
                        "darwin": {"minVersion": "14.2.1"},
                    },
                    "geoLocation": {
                        "action": "allow",
                        "locations": [
                            {"countryCode": "DE", "cityName": "Berlin"},
                            {"countryCode": "NL"},
                        ],
                    },
                    "peerNetworkRange": {
                        "action": "deny",
                        "ranges": ["192.168.0.0/16", "2001:db8::/32"],
                    },
                    "process": {
                        "processes": [
                            {"linuxPath": "/usr/bin/falcon-sensor"},
                            {
                                "macPath": "/Applications/Falcon.app",
                                "windowsPath": "C:\\falcon.exe",
                            },
                        ]
                    },
                },
            },
        ),
    ),
]
