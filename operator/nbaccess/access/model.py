"""Who may open connections to whom, as NetBird evaluates the declared policies.

Each policy in effect becomes directed *flows*: initiator, target, protocol, ports. NetBird's
semantics, read from its source (netbirdio/netbird):

- Only enabled policies count (`Account.GetPeerConnectionResources` skips disabled ones); a
  policy past `expiresAt` counts as disabled, because the operator disables it in NetBird.
- A bidirectional rule also lets destinations open connections to sources: the same function
  adds firewall rules in both directions when `rule.Bidirectional` is set.
- Protocol `all` counts as bidirectional whatever the rule says. NetBird's dashboard forces the
  toggle on and its store migration does the same (`Policy.UpgradeAndFix` in
  shared/management/types/policy.go); the guide says so too. The matrix takes the wider view,
  so a review never under-reports.
- Network resources run no agent, so flows to them are one-way; a resource is reached through
  a destination group it belongs to as well as through `destinationResource`
  (`Account.GetPoliciesForNetworkResource`), only while it is enabled
  (`Account.GetResourcePoliciesMap`), and it is never part of the All group.
- Drop wins over accept, whatever the order of policies: every client firewall puts drop rules
  before accept rules (`client/firewall/nftables/acl_linux.go` and `iptables/acl_linux.go`
  insert drops at the head of the chain; `client/firewall/uspfilter/filter.go` checks
  `incomingDenyRules` first and sorts route rules deny-first in `RouteRules.Sort`).
- Posture checks gate the source group's peers (`getAllPeersFromGroups` is given the
  policy's `SourcePostureChecks` for sources only), in both directions of a flow.

Group membership lives in NetBird, not in Git, so flows are between groups: a flow from (or
to) All applies to every group, and a drop subtracts from exactly the pair it names, or from
every pair when it names All.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from nbaccess.access.inventory import Inventory
from nbaccess.access.object_rules import ALL_GROUP, policy_expired, resource_network
from nbaccess.access.ports import EVERY_PORT, PortSet
from nbaccess.resources.group import NetBirdGroupSpec
from nbaccess.resources.network import NetBirdNetworkSpec
from nbaccess.resources.policy import PORT_PROTOCOLS, NetBirdPolicySpec

RESOURCE_PREFIX = "resource:"
# The protocols a policy may name; `all` covers every other one.
PROTOCOLS = ("tcp", "udp", "icmp", "netbird-ssh", "all")


def resource_endpoint(name: str) -> str:
    return f"{RESOURCE_PREFIX}{name}"


def is_resource(endpoint: str) -> bool:
    return endpoint.startswith(RESOURCE_PREFIX)


def covers(granted: str, endpoint: str) -> bool:
    """Whether a flow naming `granted` applies to `endpoint` (All holds every peer)."""
    return granted == endpoint or (granted == ALL_GROUP and not is_resource(endpoint))


def protocol_covers(granted: str, wanted: str) -> bool:
    return granted == wanted or granted == "all"


@dataclass(frozen=True)
class Flow:
    """One direction of one policy: `source` peers may open connections to `target`."""

    source: str
    target: str
    protocol: str
    ports: PortSet
    accept: bool
    policy: str
    posture_checks: tuple[str, ...] = ()


@dataclass(frozen=True)
class Reach:
    """What gets from a source to a target on one protocol, and because of which flows."""

    ports: PortSet
    granted_by: tuple[Flow, ...] = ()
    dropped_by: tuple[Flow, ...] = ()
    # For protocol all: what drop rules of a narrower protocol still carve out of it.
    carved_out: tuple[str, ...] = ()

    @property
    def policies(self) -> tuple[str, ...]:
        return tuple(sorted({f.policy for f in self.granted_by}))

    @property
    def posture_checks(self) -> tuple[str, ...]:
        return tuple(sorted({c for f in self.granted_by for c in f.posture_checks}))


@dataclass
class AccessModel:
    flows: list[Flow]
    groups: set[str]
    # Resource endpoint -> whether its address is a domain (the routing peer resolves it).
    resources: dict[str, bool]
    # Policies that grant nothing because they are not in effect (invalid or unresolved).
    not_in_effect: list[str] = field(default_factory=list)
    _by_pair: dict[tuple[str, str], list[Flow]] = field(
        default_factory=dict, init=False, repr=False
    )
    _by_source: dict[str, list[Flow]] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        for flow in self.flows:
            self._by_pair.setdefault((flow.source, flow.target), []).append(flow)
            self._by_source.setdefault(flow.source, []).append(flow)

    @property
    def endpoints(self) -> set[str]:
        return self.groups | set(self.resources)

    def flows_from(self, source: str) -> list[Flow]:
        """Flows whose source covers `source` (sources are groups: All covers them all)."""
        found = list(self._by_source.get(source, ()))
        if source != ALL_GROUP:
            found += self._by_source.get(ALL_GROUP, ())
        return found

    def between(self, source: str, target: str) -> list[Flow]:
        """Flows that apply from `source` to `target`: the pair itself, or All on a side."""
        sources = (source, ALL_GROUP) if source != ALL_GROUP else (source,)
        targets = (
            (target, ALL_GROUP) if covers(ALL_GROUP, target) and target != ALL_GROUP else (target,)
        )
        return [f for s in sources for t in targets for f in self._by_pair.get((s, t), ())]

    def reach(self, source: str, target: str, protocol: str) -> Reach:
        """What `source` may open to `target` on `protocol`, counting flows of `all` too."""
        flows = self.between(source, target)
        if protocol == "all":
            return through(
                [f for f in flows if f.accept and f.protocol == "all"],
                [f for f in flows if not f.accept],
                "all",
            )
        return through(
            [f for f in flows if f.accept and protocol_covers(f.protocol, protocol)],
            [f for f in flows if not f.accept and protocol_covers(f.protocol, protocol)],
            protocol,
        )


def through(accepts: Sequence[Flow], drops: Sequence[Flow], protocol: str) -> Reach:
    """Accepted ports minus dropped ports; for `all`, narrower drops are listed, not applied."""
    ports = PortSet()
    for flow in accepts:
        ports = ports.union(flow.ports)
    if ports.is_empty:
        return Reach(ports)
    dropping: list[Flow] = []
    carved: list[str] = []
    for drop in drops:
        if drop.protocol == "all" or (protocol != "all" and drop.protocol == protocol):
            left = ports.minus(drop.ports)
            if left != ports:
                dropping.append(drop)
            ports = left
        elif protocol == "all":
            dropping.append(drop)
            carved.append(_label(drop.protocol, drop.ports))
    if ports.is_empty:
        return Reach(ports, (), tuple(dropping))
    granted = tuple(f for f in accepts if f.ports.overlaps(ports))
    return Reach(ports, granted, tuple(dropping), tuple(sorted(set(carved))))


def _label(protocol: str, ports: PortSet) -> str:
    if protocol in PORT_PROTOCOLS and not ports.is_every_port:
        return f"{protocol}/{ports}"
    return protocol


def _policy_ports(spec: NetBirdPolicySpec) -> PortSet:
    if spec.protocol not in PORT_PROTOCOLS or not (spec.ports or spec.port_ranges):
        return EVERY_PORT
    singles = [(p, p) for p in spec.ports or ()]
    return PortSet.of([*singles, *((r.start, r.end) for r in spec.port_ranges or ())])


def build(inventory: Inventory, now: dt.datetime) -> AccessModel:
    """The flows of every policy in effect, enabled and not expired."""
    groups: set[str] = set()
    resources: dict[str, bool] = {}
    members: dict[str, list[str]] = {}  # group name -> enabled resource endpoints in it
    for obj, net in inventory.of_kind(NetBirdNetworkSpec):
        if not inventory.in_effect(obj):
            continue
        for resource in net.resources or ():
            endpoint = resource_endpoint(resource.name)
            resources[endpoint] = resource_network(resource.address) is None
            for ref in resource.groups or ():
                name = inventory.group_name(obj.key.namespace, ref)
                if name is not None and resource.enabled:
                    members.setdefault(name, []).append(endpoint)
    groups.update(obj.netbird_name for obj, _ in inventory.of_kind(NetBirdGroupSpec))

    flows: set[Flow] = set()
    not_in_effect: list[str] = []
    for obj, spec in inventory.of_kind(NetBirdPolicySpec):
        if not inventory.in_effect(obj):
            not_in_effect.append(obj.qualified)
            continue
        ns = obj.key.namespace
        sources = _names(inventory.group_name(ns, r) for r in spec.sources)
        destinations = _names(inventory.group_name(ns, r) for r in spec.destinations or ())
        groups.update(sources, destinations)
        if not spec.enabled or policy_expired(spec, now):
            continue
        targets = [(d, False) for d in destinations]
        targets += [(r, True) for d in destinations for r in members.get(d, ())]
        if spec.destination_resource is not None:
            wanted = inventory.resource(ns, *_network_and_resource(spec))
            if wanted is not None and wanted.enabled:
                targets.append((resource_endpoint(wanted.name), True))
        flows.update(_flows(obj.qualified, spec, inventory, ns, sources, targets))
    return AccessModel(sorted(flows, key=_flow_order), groups, resources, not_in_effect)


def _network_and_resource(spec: NetBirdPolicySpec) -> tuple[str, str]:
    assert spec.destination_resource is not None
    return spec.destination_resource.network, spec.destination_resource.resource


def _flows(
    policy: str,
    spec: NetBirdPolicySpec,
    inventory: Inventory,
    namespace: str,
    sources: Sequence[str],
    targets: Sequence[tuple[str, bool]],
) -> Iterable[Flow]:
    two_way = spec.bidirectional or spec.protocol == "all"
    ports = _policy_ports(spec)
    accept = spec.action == "accept"
    checks = tuple(
        sorted({inventory.posture_name(namespace, r) for r in spec.posture_checks or ()})
    )
    for source in sources:
        for target, resource in targets:
            yield Flow(source, target, spec.protocol, ports, accept, policy, checks)
            if two_way and not resource:
                yield Flow(target, source, spec.protocol, ports, accept, policy, checks)


def _names(names: Iterable[str | None]) -> list[str]:
    return sorted({n for n in names if n is not None})


def _flow_order(flow: Flow) -> tuple[str, str, str, str]:
    return (flow.source, flow.target, flow.protocol, flow.policy)
