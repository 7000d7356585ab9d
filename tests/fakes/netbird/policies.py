"""/api/policies: unknown group and posture-check ids vanish silently; one rule survives."""

from __future__ import annotations

import copy

from tests.fakes.netbird.body import Body
from tests.fakes.netbird.errors import ApiError, Kind
from tests.fakes.netbird.groups import group_minimum
from tests.fakes.netbird.ids import new_xid
from tests.fakes.netbird.model import Account, Policy, PolicyRule, ResourceRef
from tests.fakes.netbird.routing import Json, Request, Route

_PROTOCOLS = ("all", "tcp", "udp", "icmp", "netbird-ssh")


def _render_rule(account: Account, rule: PolicyRule) -> Json:
    rendered: dict[str, Json] = {
        "action": rule.action,
        "bidirectional": rule.bidirectional,
        "description": rule.description,
        "enabled": rule.enabled,
        "id": rule.id,
        "name": rule.name,
        "protocol": rule.protocol,
    }
    if rule.authorized_groups:
        rendered["authorized_groups"] = rule.authorized_groups
    if rule.ports:
        rendered["ports"] = list(rule.ports)
    if rule.port_ranges:
        rendered["port_ranges"] = [{"end": end, "start": start} for start, end in rule.port_ranges]
    if rule.source_resource is not None:
        rendered["sourceResource"] = vars(rule.source_resource).copy()
    if rule.destination_resource is not None:
        rendered["destinationResource"] = vars(rule.destination_resource).copy()
    # NetBird's response builder shares one cache between both sides: a group repeated among
    # the sources is shown once, sources carry no resources_count, and a destination that is
    # also a source reuses the source's summary (so its resources_count reads 0 too).
    cache: dict[str, Json] = {}
    sources = []
    for group_id in rule.sources:
        group = account.groups.get(group_id)
        if group is None or group_id in cache:
            continue
        cache[group_id] = group_minimum(group, with_resources=False)
        sources.append(cache[group_id])
    destinations = []
    for group_id in rule.destinations:
        if group_id in cache:
            destinations.append(cache[group_id])
            continue
        group = account.groups.get(group_id)
        if group is not None:
            cache[group_id] = group_minimum(group)
            destinations.append(cache[group_id])
    rendered["sources"] = sources or None
    rendered["destinations"] = destinations or None
    return rendered


def render_policy(account: Account, policy: Policy) -> Json:
    return {
        "description": policy.description,
        "enabled": policy.enabled,
        "id": policy.id,
        "name": policy.name,
        "rules": [_render_rule(account, rule) for rule in policy.rules],
        "source_posture_checks": policy.source_posture_checks,
    }


def _resource_ref(body: Body | None) -> ResourceRef | None:
    if body is None:
        return None
    ref = ResourceRef(id=body.string("id"), type=body.string("type"))
    return ref if ref.id or ref.type else None


def _invalid(message: str) -> ApiError:
    return ApiError.status(Kind.INVALID_ARGUMENT, message)


def _parse_rule(item: Body, updating: bool) -> PolicyRule:
    sources = item.string_list("sources")
    destinations = item.string_list("destinations")
    source_resource = item.opt_object("sourceResource")
    destination_resource = item.opt_object("destinationResource")
    if sources is not None and source_resource is not None:
        raise _invalid("specify either sources or  source resources, not both")
    if destinations is not None and destination_resource is not None:
        raise _invalid("specify either destinations or  destination resources, not both")
    if (sources is None and source_resource is None) or (
        destinations is None and destination_resource is None
    ):
        raise _invalid(
            "specify either sources or source resources and destinations or destination resources"
        )
    action = item.string("action")
    if action not in ("accept", "drop"):
        raise _invalid("unknown action type")
    protocol = item.string("protocol")
    if protocol not in _PROTOCOLS:
        raise _invalid(f"unknown protocol type: {protocol}")
    ports = item.string_list("ports") or []
    port_ranges = [
        (entry.integer("start"), entry.integer("end"))
        for entry in item.object_list("port_ranges") or []
    ]
    if ports and port_ranges:
        raise _invalid("specify either individual ports or port ranges, not both")
    for port in ports:
        if not port.isdigit() or not 1 <= int(port) <= 65535:
            raise _invalid("valid port value is in 1..65535 range")
    for start, end in port_ranges:
        if start < 1 or end > 65535:
            raise _invalid("valid port value is in 1..65535 range")
    authorized = item.string_list_map("authorized_groups")
    if protocol == "netbird-ssh" and authorized:
        if any(group_id not in authorized for group_id in sources or []):
            raise _invalid(
                "authorized group for netbird-ssh protocol should be specified "
                "for each source group"
            )
    else:
        authorized = None
    if protocol in ("all", "icmp") and (ports or port_ranges):
        raise _invalid("for ALL or ICMP protocol ports is not allowed")
    return PolicyRule(
        id=(item.opt_string("id") or "") if updating else "",
        name=item.string("name"),
        description=item.string("description"),
        enabled=item.boolean("enabled"),
        action=action,
        bidirectional=item.boolean("bidirectional"),
        protocol=protocol,
        ports=ports,
        port_ranges=port_ranges,
        sources=sources or [],
        destinations=destinations or [],
        source_resource=_resource_ref(source_resource),
        destination_resource=_resource_ref(destination_resource),
        authorized_groups=authorized,
    )


def _save(account: Account, request: Request, existing: Policy | None) -> Json:
    body = request.body()
    name = body.string("name")
    if not name:
        raise _invalid("policy name shouldn't be empty")
    items = body.object_list("rules") or []
    if not items:
        raise _invalid("policy rules shouldn't be empty")
    rules = [_parse_rule(item, updating=existing is not None) for item in items]
    posture_checks = body.string_list("source_posture_checks")

    policy_id = existing.id if existing is not None else new_xid()
    if existing is not None:
        known_rule_ids = {rule.id for rule in existing.rules}
        for rule in rules:
            if rule.id and rule.id not in known_rule_ids:
                raise _invalid(f"invalid rule ID: {rule.id}")
    for rule in rules:
        rule.id = rule.id or policy_id
        # Unknown ids are filtered out without an error: callers must compare what comes back.
        rule.sources = [group_id for group_id in rule.sources if group_id in account.groups]
        rule.destinations = [g for g in rule.destinations if g in account.groups]
    if posture_checks is not None:
        posture_checks = [pc for pc in posture_checks if pc in account.posture_checks]
    policy = Policy(
        id=policy_id,
        name=name,
        description=body.string("description"),
        enabled=body.boolean("enabled"),
        source_posture_checks=posture_checks,
        rules=rules,
    )
    # Every rule gets the policy's id, so the store keeps a single rule row: the first one
    # (netbird issue 3583). The write response still echoes what was sent.
    stored = copy.deepcopy(policy)
    stored.rules = rules[:1]
    if existing is not None and stored == existing:
        return render_policy(account, policy)
    account.policies[policy_id] = stored
    account.bump_serial()
    return render_policy(account, policy)


def _get_or_404(account: Account, policy_id: str) -> Policy:
    policy = account.policies.get(policy_id)
    if policy is None:
        raise ApiError.status(Kind.NOT_FOUND, f"policy: {policy_id} not found")
    return policy


def list_policies(account: Account, request: Request) -> Json:
    return [render_policy(account, policy) for policy in account.policies.values()]


def create_policy(account: Account, request: Request) -> Json:
    return _save(account, request, existing=None)


def get_policy(account: Account, request: Request) -> Json:
    return render_policy(account, _get_or_404(account, request.params["policyId"]))


def update_policy(account: Account, request: Request) -> Json:
    return _save(account, request, existing=_get_or_404(account, request.params["policyId"]))


def delete_policy(account: Account, request: Request) -> Json:
    policy = _get_or_404(account, request.params["policyId"])
    del account.policies[policy.id]
    account.bump_serial()
    return {}


ROUTES = [
    Route("GET", "/policies", list_policies),
    Route("POST", "/policies", create_policy),
    Route("PUT", "/policies/{policyId}", update_policy),
    Route("GET", "/policies/{policyId}", get_policy),
    Route("DELETE", "/policies/{policyId}", delete_policy),
]
