"""Who a policy reaches, in names a person reads, and why it may reach nobody.

The guide's first troubleshooting case is "the policy exists but the connection is still
blocked": usually a source or destination group with no peers (the IdP group is not synced,
the setup key did not assign the group) or a posture check no peer passes. NetBird's API tells
a group's members and each peer's client version, OS and location; it does not report posture
results, so of the posture checks only the client-version one can be judged from here (a
network range or a process check cannot: the peer's local addresses and processes are not in
the API).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from nbaccess.netbird.models import Group, Peer, PostureCheck

NO_PEERS_ADVICE = "is the IdP group synced, did the setup key assign the group?"
NO_PEERS_WARNING = "no peer would match this policy"
POSTURE_WARNING = "posture check "


def group_entries(ids: Sequence[str], groups: Mapping[str, Group]) -> list[dict[str, Any]]:
    """status.sourceGroups / destinationGroups: each group's name, id and peer count."""
    entries = []
    for group_id in ids:
        group = groups.get(group_id)
        entry: dict[str, Any] = {"id": group_id, "name": group.name if group else "", "peers": 0}
        if group is not None:
            entry["peers"] = len(group.peers)
        entries.append(entry)
    return entries


def check_entries(ids: Sequence[str], checks: Mapping[str, PostureCheck]) -> list[dict[str, Any]]:
    return [{"id": i, "name": checks[i].name if i in checks else ""} for i in ids]


def empty_group_warnings(side: str, entries: Sequence[Mapping[str, Any]]) -> list[str]:
    return [
        f"{NO_PEERS_WARNING}: {side} group {e['name'] or e['id']!r} has no peers "
        f"({NO_PEERS_ADVICE})"
        for e in entries
        if not e["peers"]
    ]


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text.split("-", 1)[0])[:3])


def posture_warnings(checks: Sequence[PostureCheck], source_peers: Sequence[Peer]) -> list[str]:
    """A client-version check that every connected source peer fails blocks the flow."""
    connected = [p for p in source_peers if p.connected]
    warnings = []
    for check in checks:
        wanted = check.checks.nb_version_check
        if wanted is None or not connected:
            continue
        minimum = _version(wanted.min_version)
        passing = [p for p in connected if p.version and _version(p.version) >= minimum]
        if not passing:
            seen = sorted({p.version or "unknown" for p in connected})
            warnings.append(
                f"{POSTURE_WARNING}{check.name!r} wants NetBird {wanted.min_version} or newer and "
                f"every connected peer of the source groups runs an older one "
                f"({', '.join(seen[:5])}): none of them can start this flow"
            )
    return warnings
