"""Invalid custom resources, each with the field its rejection must name.

Every entry must be refused twice over: by the apiserver (schema or CEL rule of the generated
CRD) and by `validate_object`. Unit tests check the second; the e2e tests apply each entry to a
real kube-apiserver for the first. An entry with `before` is a change: apply `before`, then
`manifest` as an update of the same object. An entry with `strict_only` is an unknown field,
which the apiserver refuses only under strict field validation (kubectl's default; with the
Python client pass `field_validation="Strict"`), and otherwise silently prunes.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from tests.cases.valid_objects import manifest

DROP = object()  # a spec value that removes the key


@dataclass(frozen=True)
class InvalidCase:
    """A manifest to be rejected, and the field path the rejection must name."""

    id: str
    manifest: dict[str, Any]
    field: str
    before: dict[str, Any] | None = None
    strict_only: bool = False

    def fresh(self) -> dict[str, Any]:
        return copy.deepcopy(self.manifest)


def _spec(kind: str, base: dict[str, Any], name: str, changes: dict[str, Any]) -> dict[str, Any]:
    spec = copy.deepcopy(base)
    for key, value in changes.items():
        if value is DROP:
            spec.pop(key, None)
        else:
            spec[key] = value
    return manifest(kind, name, spec)


_GROUP: dict[str, Any] = {"name": "svc-orders-web-prod"}
_POLICY: dict[str, Any] = {
    "protocol": "tcp",
    "ports": [443],
    "sources": [{"ref": "support-team"}],
    "destinations": [{"ref": "orders-web"}],
}
_NETWORK: dict[str, Any] = {
    "resources": [{"name": "orders-db", "address": "10.20.3.0/24"}],
    "routers": [{"name": "primary", "peerGroups": [{"ref": "routing-peers"}]}],
}
_SETUP_KEY: dict[str, Any] = {"type": "reusable", "expiresIn": "720h"}
_POSTURE: dict[str, Any] = {"checks": {"nbVersion": {"minVersion": "0.59.0"}}}


def group(case: str, field: str, **changes: Any) -> InvalidCase:
    return InvalidCase(case, _spec("NetBirdGroup", _GROUP, case, changes), field)


def policy(case: str, field: str, **changes: Any) -> InvalidCase:
    return InvalidCase(case, _spec("NetBirdPolicy", _POLICY, case, changes), field)


def network(case: str, field: str, **changes: Any) -> InvalidCase:
    return InvalidCase(case, _spec("NetBirdNetwork", _NETWORK, case, changes), field)


def setup_key(case: str, field: str, **changes: Any) -> InvalidCase:
    return InvalidCase(case, _spec("SetupKey", _SETUP_KEY, case, changes), field)


def setup_key_change(
    case: str, field: str, before: dict[str, Any], after: dict[str, Any]
) -> InvalidCase:
    return InvalidCase(
        case,
        _spec("SetupKey", _SETUP_KEY, case, after),
        field,
        before=_spec("SetupKey", _SETUP_KEY, case, before),
    )


def posture(case: str, field: str, checks: Any) -> InvalidCase:
    return InvalidCase(case, _spec("PostureCheck", _POSTURE, case, {"checks": checks}), field)


def _range_check(ranges: list[str]) -> dict[str, Any]:
    return {"peerNetworkRange": {"action": "allow", "ranges": ranges}}


def _router(**fields: Any) -> list[dict[str, Any]]:
    return [{"name": "primary", **fields}]


INVALID_OBJECTS: list[InvalidCase] = [
    # NetBirdGroup
    group("group-bad-management-policy", "spec.managementPolicy", managementPolicy="Own"),
    group("group-bad-deletion-policy", "spec.deletionPolicy", deletionPolicy="Keep"),
    group("group-peer-name-and-id", "spec.peers[0]", peers=[{"name": "a", "id": "b1"}]),
    group("group-peer-empty-ref", "spec.peers[0]", peers=[{}]),
    group(
        "group-observe-with-peers",
        "spec.peers",
        managementPolicy="Observe",
        peers=[{"name": "router-a"}],
    ),
    group("group-manage-all", "spec.name", name="All"),
    group("group-name-with-newline", "spec.name", name="web\nprod"),
    group("group-name-with-tab", "spec.name", name="web\tprod"),
    group("group-name-leading-space", "spec.name", name=" web"),
    group("group-adopt-not-bool", "spec.adopt", adopt="yes"),
    InvalidCase(
        "group-unknown-field",
        manifest("NetBirdGroup", "group-unknown-field", {"members": ["router-a"]}),
        "spec.members",
        strict_only=True,
    ),
    # NetBirdPolicy
    policy("policy-bad-action", "spec.action", action="allow"),
    policy("policy-bad-protocol", "spec.protocol", protocol="http"),
    policy("policy-missing-protocol", "spec.protocol", protocol=DROP),
    policy("policy-port-70000", "spec.ports[0]", ports=[70000]),
    policy("policy-port-zero", "spec.ports[0]", ports=[0]),
    policy("policy-port-as-string", "spec.ports[0]", ports=["443"]),
    policy("policy-duplicate-port", "spec.ports[1]", ports=[443, 443]),
    policy("policy-empty-ports", "spec.ports", ports=[]),
    policy(
        "policy-ports-and-ranges",
        "spec.portRanges",
        portRanges=[{"start": 8000, "end": 8080}],
    ),
    policy("policy-ports-with-icmp", "spec.ports", protocol="icmp"),
    policy(
        "policy-ranges-with-all",
        "spec.portRanges",
        protocol="all",
        ports=DROP,
        portRanges=[{"start": 1, "end": 1024}],
    ),
    policy(
        "policy-range-start-after-end",
        "spec.portRanges[0]",
        ports=DROP,
        portRanges=[{"start": 9000, "end": 8000}],
    ),
    policy(
        "policy-range-end-70000",
        "spec.portRanges[0].end",
        ports=DROP,
        portRanges=[{"start": 8000, "end": 70000}],
    ),
    policy("policy-empty-sources", "spec.sources", sources=[]),
    policy("policy-missing-sources", "spec.sources", sources=DROP),
    policy(
        "policy-source-ref-and-name",
        "spec.sources[0]",
        sources=[{"ref": "support-team", "name": "Support"}],
    ),
    policy("policy-source-empty-ref", "spec.sources[0]", sources=[{}]),
    policy("policy-source-bad-cr-name", "spec.sources[0].ref", sources=[{"ref": "Support_Team"}]),
    policy("policy-no-destination", "spec.destinations", destinations=DROP),
    policy(
        "policy-both-destinations",
        "spec.destinations",
        destinationResource={"network": "orders-prod", "resource": "orders-db"},
    ),
    policy(
        "policy-destination-resource-incomplete",
        "spec.destinationResource.resource",
        destinations=DROP,
        destinationResource={"network": "orders-prod"},
    ),
    policy(
        "policy-posture-check-ref-and-id",
        "spec.postureChecks[0]",
        postureChecks=[{"ref": "min-client-version", "id": "d2h6tq0hhcjnqoiuec10"}],
    ),
    policy("policy-bad-expires-at", "spec.expiresAt", expiresAt="next tuesday"),
    InvalidCase(
        "policy-typo-field",
        manifest("NetBirdPolicy", "policy-typo-field", {**_POLICY, "protocl": "udp"}),
        "spec.protocl",
        strict_only=True,
    ),
    # NetBirdNetwork
    network(
        "network-bad-cidr-prefix",
        "spec.resources[0].address",
        resources=[{"name": "orders-db", "address": "10.20.3.0/33"}],
    ),
    network(
        "network-bad-address",
        "spec.resources[0].address",
        resources=[{"name": "orders-db", "address": "db server!"}],
    ),
    # Shaped like IPv6 but not an address: NetBird answers these with a 500, for ever.
    network(
        "network-colons-only",
        "spec.resources[0].address",
        resources=[{"name": "orders-db", "address": ":::::"}],
    ),
    network(
        "network-two-double-colons",
        "spec.resources[0].address",
        resources=[{"name": "orders-db", "address": "fd00::1::2/64"}],
    ),
    network(
        "network-resource-name-control-character",
        "spec.resources[0].name",
        resources=[{"name": "orders\u0007db", "address": "10.20.3.0/24"}],
    ),
    network(
        "network-duplicate-resource-name",
        "spec.resources[1]",
        resources=[
            {"name": "orders-db", "address": "10.20.3.0/24"},
            {"name": "orders-db", "address": "10.20.4.0/24"},
        ],
    ),
    network(
        "network-router-peer-and-groups",
        "spec.routers[0].peerGroups",
        routers=_router(peer={"name": "router-a"}, peerGroups=[{"ref": "routing-peers"}]),
    ),
    network("network-router-no-peer", "spec.routers[0].peerGroups", routers=_router()),
    network(
        "network-router-metric-10000",
        "spec.routers[0].metric",
        routers=_router(peer={"name": "router-a"}, metric=10000),
    ),
    network(
        "network-router-bad-name",
        "spec.routers[0].name",
        routers=[{"name": "Primary Router", "peer": {"id": "cs1tnh0hhcjnqoiuebeg"}}],
    ),
    network(
        "network-health-zero",
        "spec.health.minConnectedRoutingPeers",
        health={"minConnectedRoutingPeers": 0},
    ),
    # SetupKey
    setup_key("setup-key-bad-type", "spec.type", type="multi-use"),
    setup_key("setup-key-one-off-usage-limit", "spec.usageLimit", type="one-off", usageLimit=5),
    setup_key("setup-key-negative-usage-limit", "spec.usageLimit", usageLimit=-1),
    setup_key("setup-key-expires-too-long", "spec.expiresIn", expiresIn="9000h"),
    setup_key("setup-key-expires-too-short", "spec.expiresIn", expiresIn="1h"),
    setup_key("setup-key-expires-in-days", "spec.expiresIn", expiresIn="30d"),
    setup_key(
        "setup-key-rotation-after-expiry",
        "spec.rotation.before",
        expiresIn="168h",
        rotation={"before": "200h"},
    ),
    setup_key("setup-key-auto-group-all", "spec.autoGroups", autoGroups=[{"name": "All"}]),
    setup_key("setup-key-bad-secret-name", "spec.secretName", secretName="Prod_Key"),
    setup_key_change(
        "setup-key-change-type", "spec.type", {"type": "reusable"}, {"type": "one-off"}
    ),
    setup_key_change(
        "setup-key-change-expires-in",
        "spec.expiresIn",
        {"expiresIn": "720h"},
        {"expiresIn": "2160h"},
    ),
    setup_key_change(
        "setup-key-change-usage-limit", "spec.usageLimit", {"usageLimit": 0}, {"usageLimit": 10}
    ),
    setup_key_change("setup-key-change-ephemeral", "spec.ephemeral", {}, {"ephemeral": True}),
    setup_key_change(
        "setup-key-change-extra-dns-labels",
        "spec.allowExtraDnsLabels",
        {"allowExtraDnsLabels": True},
        {"allowExtraDnsLabels": False},
    ),
    setup_key_change("setup-key-add-name", "spec.name", {}, {"name": "renamed"}),
    # PostureCheck
    posture("posture-no-checks", "spec.checks", {}),
    InvalidCase(
        "posture-missing-checks",
        manifest("PostureCheck", "posture-missing-checks", {"description": "nothing"}),
        "spec.checks",
    ),
    posture(
        "posture-bad-cidr-prefix",
        "spec.checks.peerNetworkRange.ranges[0]",
        _range_check(["10.0.0.0/40"]),
    ),
    posture(
        "posture-bad-cidr-octet",
        "spec.checks.peerNetworkRange.ranges[0]",
        _range_check(["10.0.0.300/8"]),
    ),
    posture(
        "posture-bad-ipv6-range",
        "spec.checks.peerNetworkRange.ranges[0]",
        _range_check([":::/64"]),
    ),
    posture(
        "posture-host-not-cidr",
        "spec.checks.peerNetworkRange.ranges[0]",
        _range_check(["10.0.0.1"]),
    ),
    posture(
        "posture-bad-country",
        "spec.checks.geoLocation.locations[0].countryCode",
        {"geoLocation": {"action": "allow", "locations": [{"countryCode": "DEU"}]}},
    ),
    posture(
        "posture-bad-geo-action",
        "spec.checks.geoLocation.action",
        {"geoLocation": {"action": "permit", "locations": [{"countryCode": "DE"}]}},
    ),
    posture(
        "posture-no-locations",
        "spec.checks.geoLocation.locations",
        {"geoLocation": {"action": "allow", "locations": []}},
    ),
    posture(
        "posture-bad-version",
        "spec.checks.nbVersion.minVersion",
        {"nbVersion": {"minVersion": "latest"}},
    ),
    posture("posture-os-none", "spec.checks.osVersion", {"osVersion": {}}),
    posture(
        "posture-process-no-path",
        "spec.checks.process.processes[0]",
        {"process": {"processes": [{}]}},
    ),
]
