"""Rules about one object, from its parsed spec (plus the few facts the spec cannot tell).

The operator calls `policy_risks` for the warnings in a NetBirdPolicy's status; `nbaccess lint`
calls every function here. One implementation, two callers: a shape the operator warns about
after apply is the shape lint reports before.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass

from nbaccess.access.findings import Finding, finding
from nbaccess.resources.network import NetBirdNetworkSpec
from nbaccess.resources.policy import PORT_PROTOCOLS, NetBirdPolicySpec
from nbaccess.resources.posture_check import PostureCheckSpec
from nbaccess.resources.setup_key import SetupKeySpec

DEFAULT_POLICY = "Default"
ALL_GROUP = "All"


@dataclass(frozen=True)
class PolicyFacts:
    """What a policy's spec alone cannot say. The operator knows it from resolved ids, lint
    from the references in the input."""

    name: str
    source_is_all: bool = False
    destination_is_all: bool = False


def policy_risks(spec: NetBirdPolicySpec, facts: PolicyFacts) -> list[Finding]:
    """The shapes the guide calls effectively wide open (the operator's status warnings)."""
    found = []
    if spec.protocol == "all":
        found.append(
            finding(
                "all-protocol",
                "spec.protocol",
                "protocol all lets every protocol and port through and NetBird always applies "
                "it in both directions, whatever bidirectional says: use tcp or udp with exact "
                "ports",
            )
        )
    if spec.protocol in PORT_PROTOCOLS and not spec.ports and not spec.port_ranges:
        found.append(
            finding(
                "portless-rule",
                "spec.protocol",
                f"{spec.protocol} without ports opens every {spec.protocol} port: list the "
                "exact ports",
            )
        )
    if facts.source_is_all:
        found.append(
            finding(
                "all-group",
                "spec.sources",
                "a source is the All group: every peer can start this flow",
            )
        )
    if facts.destination_is_all:
        found.append(
            finding(
                "all-group",
                "spec.destinations",
                "a destination is the All group: this flow reaches every peer",
            )
        )
    if facts.name == DEFAULT_POLICY and spec.enabled:
        found.append(
            finding(
                "default-policy-enabled",
                "spec.enabled",
                "the Default policy is enabled: it is NetBird's wide-open onboarding policy; "
                "disable it once specific policies are Ready",
            )
        )
    return found


def policy_expired(spec: NetBirdPolicySpec, now: dt.datetime) -> bool:
    if spec.expires_at is None:
        return False
    return dt.datetime.fromisoformat(spec.expires_at) <= now


def policy_hygiene(spec: NetBirdPolicySpec, now: dt.datetime) -> list[Finding]:
    """What the guide asks of every policy beyond its shape: a reason, and no dead entries."""
    found = []
    if not spec.description.strip():
        found.append(
            finding(
                "no-justification",
                "spec.description",
                "no description: say why this flow exists and who owns it",
            )
        )
    if policy_expired(spec, now):
        found.append(
            finding(
                "expired-policy",
                "spec.expiresAt",
                f"expired at {spec.expires_at}: the operator keeps it disabled in NetBird",
            )
        )
    return found


def setup_key_risks(spec: SetupKeySpec) -> list[Finding]:
    if spec.type == "reusable" and spec.usage_limit == 0:
        return [
            finding(
                "unlimited-reusable-key",
                "spec.usageLimit",
                "reusable key without a usage limit: anyone holding it can enrol any number of "
                "peers until it expires; set usageLimit to the number of peers to enrol",
            )
        ]
    return []


@dataclass(frozen=True)
class ResourceLimits:
    """The widest network resource that is not reported: prefixes shorter than these are."""

    min_prefix_v4: int = 16
    min_prefix_v6: int = 48


def resource_network(
    address: str,
) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """The IP range of a resource address; None for a domain (the routing peer resolves it)."""
    try:
        return ipaddress.ip_network(address, strict=False)
    except ValueError:
        return None


def network_risks(spec: NetBirdNetworkSpec, limits: ResourceLimits | None = None) -> list[Finding]:
    limits = limits or ResourceLimits()
    found = []
    for index, resource in enumerate(spec.resources or ()):
        net = resource_network(resource.address)
        if net is None:
            continue
        limit = limits.min_prefix_v4 if net.version == 4 else limits.min_prefix_v6
        if net.prefixlen == 0:
            message = (
                f"{resource.address} is every address: a policy to this resource lets its "
                "sources reach anything the routing peers can reach"
            )
        elif net.prefixlen < limit:
            message = (
                f"{resource.address} is wider than /{limit}: declare the subnets or hosts the "
                "flows need"
            )
        else:
            continue
        found.append(finding("open-network-resource", f"spec.resources[{index}].address", message))
    found.extend(_routing_redundancy(spec))
    return found


def _routing_redundancy(spec: NetBirdNetworkSpec) -> list[Finding]:
    routers = [r for r in spec.routers or () if r.enabled]
    if not routers and not spec.resources:
        return []
    routing: set[tuple[str | None, ...]] = set()
    for router in routers:
        if router.peer is not None:
            routing.add(("peer", router.peer.name, router.peer.id))
        for group in router.peer_groups or ():
            routing.add(("group", group.ref, group.name, group.id))
    if not routing:
        message = "no enabled router: NetBird routes none of this network's resources"
    elif len(routing) == 1:
        (only,) = routing
        what = "routing peer" if only[0] == "peer" else "routing peer group"
        message = (
            f"every enabled router uses the same {what}: one failure takes the network down; "
            "add a router with a second group or peer in another failure domain"
        )
    else:
        return []
    return [finding("single-routing-peer", "spec.routers", message)]


def posture_check_risks(spec: PostureCheckSpec) -> list[Finding]:
    checks = spec.checks
    if checks.peer_network_range is None:
        return []
    os_check = checks.os_version
    if os_check is not None and os_check.ios is None and os_check.android is None:
        return []  # the OS check already denies every iOS and Android peer
    return [
        finding(
            "network-range-on-mobile",
            "spec.checks.peerNetworkRange",
            "the peer network range check is not supported on iOS and Android peers: check "
            "mobile clients with geoLocation instead, or add an osVersion check that leaves "
            "ios and android out",
        )
    ]
