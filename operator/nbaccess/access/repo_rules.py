"""Rules that need the whole input: references, names, DNS, shadowing, overlapping routes.

Each function returns findings already located on the object a person would edit.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass

from nbaccess.access.config import LintConfig
from nbaccess.access.findings import Finding, finding
from nbaccess.access.inventory import GROUP_KIND, Declared, Inventory, ObjectKey, references
from nbaccess.access.model import AccessModel, Flow, covers, is_resource, protocol_covers
from nbaccess.access.object_rules import ALL_GROUP, DEFAULT_POLICY, resource_network
from nbaccess.resources.group import NetBirdGroupSpec
from nbaccess.resources.network import NetBirdNetworkSpec
from nbaccess.resources.policy import NetBirdPolicySpec
from nbaccess.resources.posture_check import PostureCheckSpec

DNS_PORT = 53


def _where(obj: Declared) -> str:
    return f"{obj.key} ({obj.document.source}:{obj.document.line})"


def _name_field(obj: Declared) -> str:
    return "spec.name" if getattr(obj.spec, "name", None) else "metadata.name"


def unresolved_refs(inventory: Inventory) -> Iterator[Finding]:
    for obj in inventory.objects:
        if obj.spec is None:
            continue
        for ref in inventory.unresolved(obj):
            yield obj.locate(
                finding(
                    "unresolved-ref",
                    ref.ref_field,
                    f"no {ref.kind} named {ref.ref!r} in namespace {obj.key.namespace} in the "
                    "input",
                )
            )
        missing = inventory.missing_resource(obj)
        if missing is not None:
            yield obj.locate(
                finding("unresolved-ref", "spec.destinationResource.resource", missing)
            )


def duplicate_names(inventory: Inventory) -> Iterator[Finding]:
    first_of_key: dict[ObjectKey, Declared] = {}
    for obj in inventory.objects:
        earlier = first_of_key.setdefault(obj.key, obj)
        if earlier is not obj:
            yield obj.locate(
                finding(
                    "duplicate-name",
                    "metadata.name",
                    f"declared twice: also at {earlier.document.source}:"
                    f"{earlier.document.line}; applying both keeps only the last",
                )
            )
    managed = [
        obj
        for obj, spec in inventory.of_kind(NetBirdGroupSpec)
        if spec.management_policy == "Manage"
    ]
    yield from _same_netbird_name("group", managed)
    yield from _same_netbird_name(
        "posture check", [o for o, _ in inventory.of_kind(PostureCheckSpec)]
    )
    yield from _same_netbird_name("policy", [o for o, _ in inventory.of_kind(NetBirdPolicySpec)])
    yield from _same_resource_name(inventory)


def _same_netbird_name(what: str, objects: list[Declared]) -> Iterator[Finding]:
    first: dict[str, Declared] = {}
    for obj in objects:
        earlier = first.setdefault(obj.netbird_name, obj)
        if earlier is not obj:
            yield obj.locate(
                finding(
                    "duplicate-name",
                    _name_field(obj),
                    f"NetBird {what} name {obj.netbird_name!r} is also declared by "
                    f"{_where(earlier)}",
                )
            )


def _same_resource_name(inventory: Inventory) -> Iterator[Finding]:
    first: dict[str, Declared] = {}
    for obj, spec in inventory.of_kind(NetBirdNetworkSpec):
        for index, resource in enumerate(spec.resources or ()):
            earlier = first.setdefault(resource.name, obj)
            if earlier is not obj:
                yield obj.locate(
                    finding(
                        "duplicate-name",
                        f"spec.resources[{index}].name",
                        f"network resource name {resource.name!r} is also used by "
                        f"{_where(earlier)}; NetBird keeps resource names unique per account",
                    )
                )


def unused_groups(inventory: Inventory) -> Iterator[Finding]:
    by_ref: set[tuple[str, str]] = set()
    by_name: set[str] = set()
    for obj in inventory.objects:
        for ref in references(obj.spec):
            if ref.kind != GROUP_KIND:
                continue
            if ref.ref is not None:
                by_ref.add((obj.key.namespace, ref.ref))
            if ref.name is not None:
                by_name.add(ref.name)
    for obj, _spec in inventory.of_kind(NetBirdGroupSpec):
        if (obj.key.namespace, obj.key.name) in by_ref or obj.netbird_name in by_name:
            continue
        yield obj.locate(
            finding(
                "unused-group",
                "metadata.name",
                f"no policy, network or setup key in the input refers to group "
                f"{obj.netbird_name!r}",
            )
        )


def no_dns_policy(inventory: Inventory, model: AccessModel) -> Iterator[Finding]:
    starts: dict[str, Flow] = {}
    for flow in model.flows:
        # Domain resources need no DNS policy: the routing peer resolves them.
        if flow.accept and not model.resources.get(flow.target, False):
            starts.setdefault(flow.source, flow)
    for group, example in sorted(starts.items()):
        missing = [p for p in ("udp", "tcp") if not _reaches_port(model, group, p, DNS_PORT)]
        if not missing:
            continue
        where = _group_site(inventory, group, example)
        if where is None:
            continue
        obj, field = where
        yield obj.locate(
            finding(
                "no-dns-policy",
                field,
                f"group {group!r} opens connections ({example.policy}: {example.protocol} to "
                f"{example.target}) but no policy lets it reach DNS on "
                f"{' and '.join(f'{p}/{DNS_PORT}' for p in missing)}",
            )
        )


def _reaches_port(model: AccessModel, source: str, protocol: str, port: int) -> bool:
    for flow in model.flows_from(source):
        if (
            flow.accept
            and protocol_covers(flow.protocol, protocol)
            and any(start <= port <= end for start, end in flow.ports.ranges)
        ):
            reach = model.reach(source, flow.target, protocol)
            if any(start <= port <= end for start, end in reach.ports.ranges):
                return True
    return False


def _group_site(inventory: Inventory, group: str, example: Flow) -> tuple[Declared, str] | None:
    """Where to report something about `group`: its NetBirdGroup, else the policy's ref."""
    for obj, _spec in inventory.of_kind(NetBirdGroupSpec):
        if obj.netbird_name == group:
            return obj, _name_field(obj)
    policy = inventory.policy(example.policy)
    if policy is None or not isinstance(policy.spec, NetBirdPolicySpec):
        return None
    for side, refs in (
        ("sources", policy.spec.sources),
        ("destinations", policy.spec.destinations),
    ):
        for index, ref in enumerate(refs or ()):
            if inventory.group_name(policy.key.namespace, ref) == group:
                return policy, f"spec.{side}[{index}]"
    return policy, "spec.sources"


def shadowed_policies(inventory: Inventory, model: AccessModel) -> Iterator[Finding]:
    flows: dict[str, list[Flow]] = {}
    for flow in model.flows:
        if flow.accept:
            flows.setdefault(flow.policy, []).append(flow)
    policies = [obj for obj, _ in inventory.of_kind(NetBirdPolicySpec)]
    order = {obj.qualified: i for i, obj in enumerate(policies)}
    # While Default is on it grants everything, and default-policy-enabled says so already.
    defaults = {obj.qualified for obj in policies if obj.netbird_name == DEFAULT_POLICY}
    by_pair: dict[tuple[str, str], set[str]] = {}
    for policy, policy_flows in flows.items():
        for flow in policy_flows:
            by_pair.setdefault((flow.source, flow.target), set()).add(policy)
    for policy in sorted(flows, key=lambda p: order.get(p, 0)):
        if policy in defaults:
            continue
        # A broader policy must cover this one's first flow: it names the same pair, or All.
        first = flows[policy][0]
        sources = {first.source, ALL_GROUP}
        targets = {first.target} if is_resource(first.target) else {first.target, ALL_GROUP}
        candidates = {p for s in sources for t in targets for p in by_pair.get((s, t), ())}
        for other in sorted(candidates - {policy} - defaults, key=lambda p: order.get(p, 0)):
            if not _grants_all_of(flows[other], flows[policy]):
                continue
            if _grants_all_of(flows[policy], flows[other]) and order[policy] < order[other]:
                continue  # the same access twice: report the later one only
            obj = inventory.policy(policy)
            if obj is not None:
                yield obj.locate(
                    finding(
                        "shadowed-policy",
                        "spec",
                        f"everything it grants is already granted by {other}: remove it, "
                        f"or narrow {other}",
                    )
                )
            break


def _grants_all_of(broader: list[Flow], narrower: list[Flow]) -> bool:
    checks = set(narrower[0].posture_checks)
    # A policy with posture checks the narrower one lacks grants less, not more.
    if not set(broader[0].posture_checks) <= checks:
        return False
    return all(
        any(
            covers(b.source, n.source)
            and covers(b.target, n.target)
            and protocol_covers(b.protocol, n.protocol)
            and b.ports.covers(n.ports)
            for b in broader
        )
        for n in narrower
    )


@dataclass(frozen=True)
class _Route:
    network: ipaddress.IPv4Network | ipaddress.IPv6Network
    owner: Declared
    index: int
    name: str
    order: int


def overlapping_routes(inventory: Inventory) -> Iterator[Finding]:
    routes = []
    for order, (obj, spec) in enumerate(inventory.of_kind(NetBirdNetworkSpec)):
        for index, resource in enumerate(spec.resources or ()):
            net = resource_network(resource.address)
            if net is not None and resource.enabled:
                routes.append(_Route(net, obj, index, resource.name, order))
    for version in (4, 6):
        same = sorted(
            (r for r in routes if r.network.version == version),
            key=lambda r: (int(r.network.network_address), -int(r.network.broadcast_address)),
        )
        active: list[_Route] = []
        for route in same:
            start = int(route.network.network_address)
            active = [a for a in active if int(a.network.broadcast_address) >= start]
            for other in active:
                if other.owner is route.owner:
                    continue
                later, earlier = (route, other) if route.order > other.order else (other, route)
                yield later.owner.locate(
                    finding(
                        "overlapping-routes",
                        f"spec.resources[{later.index}].address",
                        f"{later.network} ({later.name}) overlaps {earlier.network} "
                        f"({earlier.name}) of {_where(earlier.owner)}: clients may route "
                        "into the wrong network",
                    )
                )
            active.append(route)


def naming(inventory: Inventory, config: LintConfig) -> Iterator[Finding]:
    if not config.naming:
        return
    for obj in inventory.objects:
        if obj.spec is None or obj.problems:
            continue
        if isinstance(obj.spec, NetBirdGroupSpec) and obj.spec.management_policy == "Observe":
            continue  # the identity provider owns that name
        names = [(obj.key.kind, obj.netbird_name, _name_field(obj))]
        if isinstance(obj.spec, NetBirdNetworkSpec):
            names += [
                ("NetworkResource", r.name, f"spec.resources[{i}].name")
                for i, r in enumerate(obj.spec.resources or ())
            ]
        for kind, name, field in names:
            pattern = config.naming.get(kind)
            if pattern is not None and not pattern.fullmatch(name):
                yield obj.locate(
                    finding(
                        "naming",
                        field,
                        f"{name!r} does not match the {kind} pattern {pattern.pattern!r} "
                        f"({config.source})",
                    )
                )
