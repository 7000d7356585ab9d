"""Which cluster-wide reads kopf needs for the namespaces it is told to watch.

kopf "scans" the cluster: it lists and watches namespaces (to match patterns such as
`team-*`) and CustomResourceDefinitions (to notice kinds installed after it started). With
exact namespace names there is nothing to match, so scanning is turned off: the operator then
needs no cluster-wide permission at all, which is what the chart's namespaced RBAC grants.
The price is that CRDs installed after start-up are seen at the next restart; the chart
installs them first.
"""

from __future__ import annotations

from collections.abc import Sequence

_PATTERN_CHARACTERS = frozenset("*?!,")


def needs_scanning(namespaces: Sequence[str]) -> bool:
    """True for the cluster-wide mode and for namespace patterns, False for exact names."""
    if not namespaces:
        return True
    return any(_PATTERN_CHARACTERS & set(ns) for ns in namespaces)
