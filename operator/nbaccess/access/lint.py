"""`nbaccess lint`: every rule over the input, with the severities the config sets.

Shape rules on a policy that is disabled (or past `expiresAt`) are reported as info: the
guide itself recommends keeping a broad emergency policy disabled, and its shape matters only
once someone enables it. An object can accept a finding with the annotation
`nbaccess.dev/lint-ignore: "rule-id, rule-id"`; invalid-spec and unresolved-ref cannot be
ignored, because the apiserver or the operator would refuse the object anyway.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import replace

from nbaccess.access import repo_rules
from nbaccess.access.config import LintConfig
from nbaccess.access.findings import Finding, finding
from nbaccess.access.inventory import Declared, Inventory, ObjectKey
from nbaccess.access.model import AccessModel
from nbaccess.access.object_rules import (
    ALL_GROUP,
    PolicyFacts,
    network_risks,
    policy_expired,
    policy_hygiene,
    policy_risks,
    posture_check_risks,
    setup_key_risks,
)
from nbaccess.resources.kinds import GROUP
from nbaccess.resources.network import NetBirdNetworkSpec
from nbaccess.resources.policy import NetBirdPolicySpec
from nbaccess.resources.posture_check import PostureCheckSpec
from nbaccess.resources.setup_key import SetupKeySpec

IGNORE_ANNOTATION = f"{GROUP}/lint-ignore"
_UNIGNORABLE = frozenset({"invalid-spec", "unresolved-ref"})


# The rules about a policy's shape: they matter only while the policy is enabled.
SHAPE_RULES = frozenset({"all-protocol", "portless-rule", "all-group", "default-policy-enabled"})


def lint(
    inventory: Inventory, model: AccessModel, config: LintConfig, now: dt.datetime
) -> list[Finding]:
    """Every finding, at the severity in force, sorted by file and line."""
    found: list[Finding] = []
    for obj in inventory.objects:
        for problem in obj.problems:
            field, _, message = problem.partition(": ")
            found.append(obj.locate(finding("invalid-spec", field, message)))
    found += _object_local(inventory, config, now)
    found += repo_rules.unresolved_refs(inventory)
    found += repo_rules.duplicate_names(inventory)
    found += repo_rules.unused_groups(inventory)
    found += repo_rules.no_dns_policy(inventory, model)
    found += repo_rules.shadowed_policies(inventory, model)
    found += repo_rules.overlapping_routes(inventory)
    found += repo_rules.naming(inventory, config)
    disabled = {
        obj.key
        for obj, spec in inventory.of_kind(NetBirdPolicySpec)
        if not spec.enabled or policy_expired(spec, now)
    }
    return sorted(_in_force(found, inventory, config, disabled), key=Finding.sort_key)


def _object_local(inventory: Inventory, config: LintConfig, now: dt.datetime) -> list[Finding]:
    found: list[Finding] = []
    for obj, policy in inventory.of_kind(NetBirdPolicySpec):
        shape = policy_risks(policy, _policy_facts(inventory, obj, policy))
        if not policy.enabled or policy_expired(policy, now):
            shape = [replace(f, message=f"{f.message} (the policy is disabled)") for f in shape]
        found += [obj.locate(f) for f in (*shape, *policy_hygiene(policy, now))]
    for obj, network in inventory.of_kind(NetBirdNetworkSpec):
        found += [obj.locate(f) for f in network_risks(network, config.limits)]
    for obj, key in inventory.of_kind(SetupKeySpec):
        found += [obj.locate(f) for f in setup_key_risks(key)]
    for obj, check in inventory.of_kind(PostureCheckSpec):
        found += [obj.locate(f) for f in posture_check_risks(check)]
    return found


def _policy_facts(inventory: Inventory, obj: Declared, spec: NetBirdPolicySpec) -> PolicyFacts:
    ns = obj.key.namespace
    return PolicyFacts(
        name=obj.netbird_name,
        source_is_all=any(inventory.group_name(ns, r) == ALL_GROUP for r in spec.sources),
        destination_is_all=any(
            inventory.group_name(ns, r) == ALL_GROUP for r in spec.destinations or ()
        ),
    )


def _in_force(
    found: Iterable[Finding],
    inventory: Inventory,
    config: LintConfig,
    disabled: set[ObjectKey],
) -> Iterator[Finding]:
    for item in found:
        severity = config.severity_of(item.rule)
        if severity == "off":
            continue
        key = ObjectKey(item.kind, item.namespace, item.name)
        obj = inventory.get(item.kind, item.namespace, item.name)
        if obj is not None and item.rule in _ignored(obj):
            continue
        if key in disabled and item.rule in SHAPE_RULES:
            severity = "info"
        yield replace(item, severity=severity)


def _ignored(obj: Declared) -> set[str]:
    value = obj.annotations.get(IGNORE_ANNOTATION)
    if not isinstance(value, str):
        return set()
    return {part.strip() for part in value.split(",") if part.strip()} - _UNIGNORABLE
