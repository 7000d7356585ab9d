"""NetBirdPolicy: one NetBird policy with exactly one rule, verified after every write.

Beyond the write itself this kind carries the safety rules of the guide: risky shapes become
warnings, NetBird's silently dropped ids become an error, `expiresAt` switches the policy off,
and the wide-open Default policy is never switched off or deleted while no other accept
policy we manage is Ready (the guide's most common lock-out).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from nbaccess.access import object_rules
from nbaccess.conditions import Phase, timestamp
from nbaccess.netbird.client import NetBirdClient, policy_dropped_ids
from nbaccess.netbird.errors import NetBirdError
from nbaccess.netbird.models import (
    Policy,
    PolicyRequest,
    PolicyRuleRequest,
    PortRange,
    ResourceRef,
)
from nbaccess.reconcile import drift, engine, policy_reach
from nbaccess.reconcile.kinds import Pass, Reading, Watched
from nbaccess.reconcile.outcome import DependencyNotReady, Outcome, Permanent, Transient
from nbaccess.reconcile.ownership import Identity, read_claim, with_claim, without_claim
from nbaccess.reconcile.refs import CrDirectory, CrKey
from nbaccess.reconcile.resolve import (
    NETWORK_KIND,
    POLICY_KIND,
    group_id_by_name,
    group_ids,
    group_keys,
    known_posture_ids,
    posture_ids,
    posture_keys,
)
from nbaccess.reconcile.specs import parse_spec
from nbaccess.reconcile.status import parse_timestamp
from nbaccess.resources.policy import NetBirdPolicySpec

DEFAULT_POLICY = object_rules.DEFAULT_POLICY


POLICY_IDENTITY: Identity[Policy] = Identity(
    kind="policy",
    object_id=lambda p: p.id,
    name=lambda p: p.name,
    claim=lambda p: read_claim(p.description),
    unique_names=False,
)


def as_request(policy: Policy, description: str) -> PolicyRequest:
    """A stored policy as the body that writes it back unchanged but for `description`."""
    rules = [
        PolicyRuleRequest(
            id=rule.id or None,
            name=rule.name,
            description=rule.description,
            enabled=rule.enabled,
            action=rule.action,
            bidirectional=rule.bidirectional,
            protocol=rule.protocol,
            ports=rule.ports,
            port_ranges=rule.port_ranges,
            sources=None if rule.source_resource else rule.sources,
            destinations=None if rule.destination_resource else rule.destinations,
            source_resource=rule.source_resource,
            destination_resource=rule.destination_resource,
        )
        for rule in policy.rules[:1]
    ]
    return PolicyRequest(
        name=policy.name,
        description=description,
        enabled=policy.enabled,
        source_posture_checks=policy.source_posture_checks,
        rules=rules,
    )


class PolicyOps:
    identity = POLICY_IDENTITY
    cr_kind = POLICY_KIND

    def __init__(self, nb: NetBirdClient) -> None:
        self.nb = nb

    async def list_all(self, *, fresh: bool = False) -> Sequence[Policy]:
        return await self.nb.list_policies(fresh=fresh)

    async def get(self, object_id: str) -> Policy | None:
        return await self.nb.get_policy(object_id)

    def diff(self, desired: PolicyRequest, observed: Policy) -> list[str]:
        return policy_diff(desired, observed)

    async def create(self, desired: PolicyRequest) -> Policy:
        return await self.nb.create_policy(desired)

    async def update(self, object_id: str, desired: PolicyRequest, observed: Policy) -> Policy:
        rule_id = observed.rules[0].id if observed.rules else None
        rule = desired.rules[0].model_copy(update={"id": rule_id or None})
        return await self.nb.update_policy(object_id, desired.model_copy(update={"rules": [rule]}))

    async def delete(self, object_id: str) -> None:
        await self.nb.delete_policy(object_id)

    async def release(self, observed: Policy) -> None:
        if observed.rules:
            await self.nb.update_policy(
                observed.id, as_request(observed, without_claim(observed.description))
            )


def policy_diff(desired: PolicyRequest, observed: Policy) -> list[str]:
    """Fields that differ, compared as NetBird stores them (sets as sets, ports as strings)."""
    changed = [
        name
        for name in ("name", "description", "enabled")
        if getattr(desired, name) != getattr(observed, name)
    ]
    if sorted(desired.source_posture_checks) != sorted(observed.source_posture_checks):
        changed.append("postureChecks")
    if len(observed.rules) != 1:
        return [*changed, "rules"]
    want, have = desired.rules[0], observed.rules[0]
    pairs: dict[str, tuple[Any, Any]] = {
        "rule.name": (want.name, have.name),
        "rule.enabled": (want.enabled, have.enabled),
        "action": (want.action, have.action),
        "bidirectional": (want.bidirectional, have.bidirectional),
        "protocol": (want.protocol, have.protocol),
        "ports": (sorted(want.ports, key=int), sorted(have.ports, key=int)),
        "portRanges": (
            sorted((r.start, r.end) for r in want.port_ranges),
            sorted((r.start, r.end) for r in have.port_ranges),
        ),
        "sources": (sorted(want.sources or []), sorted(have.sources)),
        "destinations": (sorted(want.destinations or []), sorted(have.destinations)),
        "destinationResource": (_ref(want.destination_resource), _ref(have.destination_resource)),
        "sourceResource": (_ref(want.source_resource), _ref(have.source_resource)),
    }
    changed.extend(name for name, (a, b) in pairs.items() if a != b)
    return changed


def _ref(ref: ResourceRef | None) -> tuple[str, str] | None:
    return (ref.id, ref.type) if ref is not None else None


@dataclass(frozen=True)
class Resolved:
    sources: list[str]
    destinations: list[str] | None
    destination_resource: ResourceRef | None
    posture_checks: list[str]


def risk_warnings(
    spec: NetBirdPolicySpec, name: str, resolved: Resolved, all_id: str | None
) -> list[str]:
    """The shapes the guide calls effectively wide open: the rules `nbaccess lint` applies."""
    facts = object_rules.PolicyFacts(
        name=name,
        source_is_all=all_id is not None and all_id in resolved.sources,
        destination_is_all=all_id is not None and all_id in (resolved.destinations or []),
    )
    return [found.message for found in object_rules.policy_risks(spec, facts)]


async def _all_group_id(nb: NetBirdClient) -> str | None:
    # Served from the cached group list; a ref by id or by CR can still point at All.
    try:
        return await group_id_by_name(nb, "All")
    except DependencyNotReady:
        return None


def other_access_is_ready(directory: CrDirectory, me: CrKey) -> bool:
    """True when another managed, enabled accept policy is Ready (the Default interlock)."""
    for key, state in directory.of_kind(POLICY_KIND):
        facts = state.facts or {}
        going = state.deleting  # about to go itself: it cannot stand in for the Default
        if key != me and state.ready and not going and facts.get("grantsAccess") == "true":
            return True
    return False


def ports_text(spec: NetBirdPolicySpec) -> str:
    """status.ports: what the policy opens, for `kubectl get -o wide`."""
    if spec.protocol not in ("tcp", "udp"):
        return spec.protocol
    parts = [str(p) for p in spec.ports or ()]
    parts += [f"{r.start}-{r.end}" for r in spec.port_ranges or ()]
    return ",".join(parts) or "all"


@dataclass
class Reach:
    sources: list[dict[str, Any]]
    destinations: list[dict[str, Any]]
    checks: list[dict[str, Any]]
    warnings: list[str]
    observed: dict[str, str]


async def _reach(
    nb: NetBirdClient, resolved: Resolved, spec: NetBirdPolicySpec, *, grants: bool
) -> Reach:
    """Names and peer counts for status, and why the policy may reach no one: from the cached
    lists every pass reads anyway, and read afresh before warning, since peers join groups
    (enrolling with a setup key, an IdP sync) without the operator writing anything."""
    found = await _reach_from(nb, resolved, grants=grants, max_age=None)
    if found.warnings:
        found = await _reach_from(nb, resolved, grants=grants, max_age=REACH_RECHECK_SECONDS)
    return found


# How old a list may be when a warning is checked again: a second, so the policies of one
# apply (hundreds of them, often all with empty groups at first) share one read of each list.
REACH_RECHECK_SECONDS = 1.0


async def _reach_from(
    nb: NetBirdClient, resolved: Resolved, *, grants: bool, max_age: float | None
) -> Reach:
    try:
        groups = {g.id: g for g in await nb.list_groups(max_age=max_age)}
        checks = (
            {c.id: c for c in await nb.list_posture_checks(max_age=max_age)}
            if resolved.posture_checks
            else {}
        )
        peers = await nb.list_peers(max_age=max_age) if resolved.posture_checks else []
    except NetBirdError as exc:
        raise engine.classify(exc, "reading the policy's groups") from exc
    sources = policy_reach.group_entries(resolved.sources, groups)
    destinations = policy_reach.group_entries(resolved.destinations or [], groups)
    warnings: list[str] = []
    if grants:
        warnings += policy_reach.empty_group_warnings("source", sources)
        warnings += policy_reach.empty_group_warnings("destination", destinations)
        members = {p for g in resolved.sources if g in groups for p in groups[g].peers}
        attached = [checks[c] for c in resolved.posture_checks if c in checks]
        source_peers = [p for p in peers if p.id in members]
        warnings += policy_reach.posture_warnings(attached, source_peers)
    referenced = [
        groups[g] for g in [*resolved.sources, *(resolved.destinations or [])] if g in groups
    ]
    return Reach(
        sources,
        destinations,
        policy_reach.check_entries(resolved.posture_checks, checks),
        warnings,
        drift.observed("groups", *referenced),
    )


class PolicyReconciler:
    kind = POLICY_KIND
    plural = "netbirdpolicies"
    # Its groups too: a group gaining its first peer clears the "no peer would match" warning.
    surveyed: tuple[str, ...] = ("policies", "groups")
    monitor_seconds: float | None = None
    claimed_in: str | None = "policies"

    async def drift_elsewhere(self, watched: Sequence[Watched]) -> list[bool]:
        return [False for _ in watched]

    async def monitor(self, nb: NetBirdClient, watched: Sequence[Watched]) -> list[Reading]:
        return []

    def parse(self, spec: Mapping[str, Any]) -> NetBirdPolicySpec:
        return parse_spec(NetBirdPolicySpec, spec)

    def references(self, namespace: str, spec: NetBirdPolicySpec) -> Sequence[CrKey]:
        keys = [
            *group_keys(namespace, spec.sources),
            *group_keys(namespace, spec.destinations),
            *posture_keys(namespace, spec.posture_checks),
        ]
        if spec.destination_resource is not None:
            keys.append(CrKey(NETWORK_KIND, namespace, spec.destination_resource.network))
        return keys

    def facts(self, status: Mapping[str, Any]) -> Mapping[str, str] | None:
        grants = status.get("enabledInNetBird") is True and status.get("action") == "accept"
        return {"grantsAccess": "true" if grants else "false"}

    async def _resolve(self, nb: NetBirdClient, current: Pass, spec: NetBirdPolicySpec) -> Resolved:
        ns = current.namespace
        sources = await group_ids(nb, current.directory, ns, spec.sources)
        destinations = None
        resource = None
        if spec.destinations is not None:
            destinations = await group_ids(nb, current.directory, ns, spec.destinations)
        elif spec.destination_resource is not None:
            ref = spec.destination_resource
            key = CrKey(NETWORK_KIND, ns, ref.network)
            resource = ResourceRef(
                id=current.directory.ready_fact(key, f"resource/{ref.resource}"),
                type=current.directory.ready_fact(key, f"resourceType/{ref.resource}"),
            )
        checks = posture_ids(current.directory, ns, spec.posture_checks)
        await known_posture_ids(nb, [r.id for r in spec.posture_checks or () if r.id])
        return Resolved(sources, destinations, resource, checks)

    def desired(
        self, spec: NetBirdPolicySpec, current: Pass, name: str, resolved: Resolved, enabled: bool
    ) -> PolicyRequest:
        rule = PolicyRuleRequest(
            name=name,
            enabled=True,
            action=spec.action,
            bidirectional=spec.bidirectional,
            protocol=spec.protocol,
            ports=[str(p) for p in sorted(spec.ports or [])],
            port_ranges=[PortRange(start=r.start, end=r.end) for r in spec.port_ranges or []],
            sources=resolved.sources,
            destinations=resolved.destinations,
            destination_resource=resolved.destination_resource,
        )
        return PolicyRequest(
            name=name,
            description=with_claim(spec.description, current.claim),
            enabled=enabled,
            source_posture_checks=resolved.posture_checks,
            rules=[rule],
        )

    async def reconcile(self, nb: NetBirdClient, current: Pass, spec: NetBirdPolicySpec) -> Outcome:
        name = spec.name or current.name
        resolved = await self._resolve(nb, current, spec)
        expires = parse_timestamp(spec.expires_at) if spec.expires_at else None
        expired = expires is not None and current.now >= expires
        enabled = spec.enabled and not expired
        me = CrKey(POLICY_KIND, current.namespace, current.name)
        interlocked = (
            name == DEFAULT_POLICY
            and not enabled
            and not other_access_is_ready(current.directory, me)
        )
        if interlocked:
            enabled = True
        desired = self.desired(spec, current, name, resolved, enabled)
        result = await engine.converge(PolicyOps(nb), desired, current, name=name, adopt=spec.adopt)
        stored = result.observed
        if result.wrote:
            dropped = policy_dropped_ids(desired, stored)
            if dropped:
                listed = "; ".join(f"{field}: {', '.join(ids)}" for field, ids in dropped.items())
                raise Permanent(
                    "DroppedReference",
                    f"NetBird silently dropped ids it does not know ({listed}); "
                    "check the references' ids",
                )
        all_id = await _all_group_id(nb)
        warnings = [*risk_warnings(spec, name, resolved, all_id), *result.warnings]
        reach = await _reach(nb, resolved, spec, grants=enabled and spec.action == "accept")
        warnings += reach.warnings
        status: dict[str, Any] = {
            "sourceGroups": reach.sources or None,
            "destinationGroups": reach.destinations or None,
            "postureChecks": reach.checks or None,
            "ports": ports_text(spec),
            "ruleId": stored.rules[0].id if stored.rules else None,
            "sourceGroupIds": resolved.sources,
            "destinationGroupIds": resolved.destinations,
            "destinationResourceId": (
                resolved.destination_resource.id if resolved.destination_resource else None
            ),
            "postureCheckIds": resolved.posture_checks or None,
            "enabledInNetBird": stored.enabled,
            "action": spec.action,
            "recheckAfter": timestamp(expires) if expires is not None and not expired else None,
        }
        changes = engine.describe_changes(result)
        if interlocked:
            return Outcome(
                Phase.PROGRESSING,
                "DefaultPolicyInterlock",
                "kept the Default policy enabled: no other enabled accept policy managed by "
                "nbaccess is Ready yet, and disabling it now would cut every connection",
                netbird_id=stored.id,
                status=status,
                warnings=warnings,
                changes=changes,
                observed={**drift.observed("policies", stored), **reach.observed},
            )
        message = f"policy {name!r} ({stored.id}) in sync"
        if expired:
            message = f"expired at {spec.expires_at}: disabled in NetBird"
        return Outcome(
            Phase.READY,
            "Expired" if expired else "Synced",
            message,
            netbird_id=stored.id,
            status=status,
            warnings=warnings,
            changes=changes,
            observed={**drift.observed("policies", stored), **reach.observed},
        )

    async def finalize(self, nb: NetBirdClient, current: Pass, spec: NetBirdPolicySpec) -> None:
        name = spec.name or current.name
        if spec.deletion_policy == "Orphan":
            await engine.finalize(PolicyOps(nb), current, name=name, orphan=True)
            return
        me = CrKey(POLICY_KIND, current.namespace, current.name)
        if (
            name == DEFAULT_POLICY
            and current.known_id
            and not other_access_is_ready(current.directory, me)
        ):
            raise Transient(
                "DefaultPolicyInterlock",
                "not deleting the Default policy: no other enabled accept policy managed by "
                "nbaccess is Ready, and deleting it now would cut every connection",
            )
        await engine.finalize(PolicyOps(nb), current, name=name, orphan=False)
