"""What a ServiceAccount asked the apiserver (its audit log) against what RBAC grants it."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# A permission as RBAC spells it: API group, resource (with /subresource), verb.
Permission = tuple[str, str, str]


@dataclass(frozen=True)
class Call:
    verb: str
    group: str
    resource: str
    namespace: str | None
    name: str | None
    code: int
    credential: str

    @property
    def permission(self) -> Permission:
        return (self.group, self.resource, self.verb)


def calls(log: Path, username: str) -> Iterator[Call]:
    """Every finished resource request of `username` (discovery and other non-resource
    requests, which every authenticated user may make, are left out)."""
    for line in log.read_text().splitlines():
        event = json.loads(line)
        user = event.get("user") or {}
        if user.get("username") != username or event.get("stage") != "ResponseComplete":
            continue
        ref = event.get("objectRef")
        if not ref:
            continue
        resource = ref["resource"] + (f"/{ref['subresource']}" if ref.get("subresource") else "")
        credential = ",".join(
            (user.get("extra") or {}).get("authentication.kubernetes.io/credential-id", [])
        )
        yield Call(
            verb=event["verb"],
            group=ref.get("apiGroup", ""),
            resource=resource,
            namespace=ref.get("namespace"),
            name=ref.get("name"),
            code=int((event.get("responseStatus") or {}).get("code", 0)),
            credential=credential,
        )


def granted(docs: Iterable[dict[str, Any]]) -> dict[Permission, set[str | None]]:
    """Each permission the rendered Roles and ClusterRoles grant, and where (None: cluster)."""
    found: dict[Permission, set[str | None]] = {}
    for doc in docs:
        if doc["kind"] not in ("Role", "ClusterRole"):
            continue
        where = doc["metadata"].get("namespace") if doc["kind"] == "Role" else None
        for rule in doc.get("rules", []):
            for group in rule.get("apiGroups", []):
                for resource in rule.get("resources", []):
                    for verb in rule.get("verbs", []):
                        found.setdefault((group, resource, verb), set()).add(where)
    return found


def table(permissions: Iterable[Permission]) -> str:
    """`group/resource: verbs` lines, for a readable failure and for the report."""
    by_resource: dict[str, set[str]] = {}
    for group, resource, verb in permissions:
        by_resource.setdefault(f"{group or 'core'}/{resource}", set()).add(verb)
    return "\n".join(f"  {r}: {', '.join(sorted(v))}" for r, v in sorted(by_resource.items()))
