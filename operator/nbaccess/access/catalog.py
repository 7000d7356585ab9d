"""Every lint rule: its stable id, default severity, a one-line title and the guide's advice.

Ids are part of the interface (config files, SARIF, suppressions name them): never rename one.
The advice points at the section of the NetBird Zero Trust guide the rule comes from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")


@dataclass(frozen=True)
class RuleInfo:
    id: str
    severity: Severity
    title: str
    advice: str


_RULES = (
    RuleInfo(
        "invalid-spec",
        "error",
        "The apiserver would reject this object",
        "Fix the field named; the message is the one `kubectl apply` would print.",
    ),
    RuleInfo(
        "unresolved-ref",
        "error",
        "A `ref` names a custom resource that is not in the input",
        "Declare the referenced resource in the same namespace, or refer to an object that "
        "exists only in NetBird by `name:` or `id:`. Until then the referrer waits "
        "(DependencyNotReady) and grants nothing.",
    ),
    RuleInfo(
        "all-protocol",
        "warning",
        "Policy with protocol all",
        "Guide, Structuring Policies: all is effectively wide open and always applied in both "
        "directions. Write one tcp or udp policy per flow with the exact ports.",
    ),
    RuleInfo(
        "portless-rule",
        "warning",
        "tcp or udp policy without ports",
        "Guide, Structuring Policies: a portless rule is effectively wide open. List the exact "
        "ports the flow uses (Traffic Events show them).",
    ),
    RuleInfo(
        "all-group",
        "warning",
        "Source or destination is NetBird's All group",
        "Guide, Groups: source groups say who initiates, resource groups what is reached. Use "
        "the specific groups instead of All.",
    ),
    RuleInfo(
        "default-policy-enabled",
        "warning",
        "NetBird's Default policy is enabled",
        "Guide, Starting from Default Deny: keep Default only while onboarding; replace it "
        "with specific policies, test them, then disable it.",
    ),
    RuleInfo(
        "no-dns-policy",
        "warning",
        "A group that starts connections cannot reach DNS on udp/53 and tcp/53",
        "Guide, Troubleshooting: broken DNS is the number one 'NetBird is broken' complaint. "
        "Add a policy from this group to your DNS servers on udp/53 and tcp/53 (domain "
        "resources need none: the routing peer resolves them).",
    ),
    RuleInfo(
        "no-justification",
        "warning",
        "Policy without a description",
        "Guide, Ongoing Maintenance: record the business justification and the owner in the "
        "policy description.",
    ),
    RuleInfo(
        "unused-group",
        "info",
        "A declared group that nothing references",
        "Guide, Ongoing Maintenance: review unused groups periodically; delete the group or "
        "use it.",
    ),
    RuleInfo(
        "shadowed-policy",
        "warning",
        "Everything this policy grants another enabled policy already grants",
        "Guide, The Control Center: spot redundant policies. Remove this one, or narrow the "
        "broader one so each flow has one owner.",
    ),
    RuleInfo(
        "unlimited-reusable-key",
        "warning",
        "Reusable setup key without a usage limit",
        "Guide, Setup Keys: for bulk enrollment use reusable keys with a limited usage count, "
        "and delete them once enrollment is complete.",
    ),
    RuleInfo(
        "single-routing-peer",
        "warning",
        "Network routed by a single group or peer",
        "Guide, Routing Peer Redundancy: run at least two routing peers in separate failure "
        "domains, e.g. one router per zone group at metrics 100 and 200.",
    ),
    RuleInfo(
        "overlapping-routes",
        "warning",
        "Resources of different networks overlap",
        "Guide, Scaling Considerations: overlapping routes to different environments send "
        "clients into the wrong network ('connection works sometimes'). Make the ranges "
        "disjoint.",
    ),
    RuleInfo(
        "open-network-resource",
        "warning",
        "Network resource wider than allowed",
        "Guide: protect resources, not whole network segments. Declare the subnets or hosts "
        "the flow needs; 0.0.0.0/0 and ::/0 route everything through the routing peers.",
    ),
    RuleInfo(
        "network-range-on-mobile",
        "warning",
        "Peer network range check on peers that may be mobile",
        "Guide, Posture Checks: the peer network range check is not supported on iOS and "
        "Android; use a geolocation check for mobile clients, or restrict the OS.",
    ),
    RuleInfo(
        "expired-policy",
        "warning",
        "Policy whose expiresAt is in the past",
        "The operator keeps it disabled in NetBird; delete it from Git, or move expiresAt if "
        "the time-boxed access is still needed.",
    ),
    RuleInfo(
        "duplicate-name",
        "error",
        "Two objects share a name NetBird keys by, or one object is declared twice",
        "Rename one. NetBird keeps group, posture check and resource names unique (the second "
        "stalls with AlreadyExists, or with adopt both fight over one object); same-named "
        "policies are indistinguishable in the dashboard.",
    ),
    RuleInfo(
        "naming",
        "warning",
        "Name does not follow the naming convention in the config file",
        "Guide, Groups and Naming Conventions: pick one scheme and stick with it; the pattern "
        "is in .nbaccess.yaml under naming.",
    ),
)

RULES: dict[str, RuleInfo] = {rule.id: rule for rule in _RULES}


def rule(rule_id: str) -> RuleInfo:
    return RULES[rule_id]
