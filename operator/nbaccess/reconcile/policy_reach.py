"""Who a policy reaches, in names a person reads, and why it may reach nobody.

The guide's first troubleshooting case is "the policy exists but the connection is still
blocked": usually a source or destination group with no peers (the IdP group is not synced,
the setup key did not assign the group) or a posture check no peer passes. NetBird's API tells
a group's members and each peer's client version, OS name and location; it does not report
posture results. So the client-version and geolocation checks can be judged from here, the
way NetBird judges them; the OS-version check cannot (it compares the peer's core OS version,
which the API does not serve), nor can a network-range or process check (the peer's local
addresses and processes are not in the API).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from nbaccess.netbird.models import GeoLocationCheck, Group, MinVersion, Peer, PostureCheck

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


def _passes_geo(check: GeoLocationCheck, peer: Peer) -> bool:
    """NetBird's rule: a peer without a location fails; else the first matching location's
    action decides, and no match passes a deny list and fails an allow list."""
    if not peer.country_code and not peer.city_name:
        return False
    for place in check.locations:
        if place.country_code == peer.country_code and place.city_name in ("", peer.city_name):
            return check.action == "allow"
    return check.action == "deny"


def _geo_warning(name: str, check: GeoLocationCheck, connected: Sequence[Peer]) -> str | None:
    if any(_passes_geo(check, p) for p in connected):
        return None
    located = sorted({p.country_code for p in connected if p.country_code})
    if not located:
        why = (
            "NetBird knows no location for any connected peer of the source groups (their "
            "public addresses are not in its GeoLite database), and a peer without one fails"
        )
    else:
        why = f"every connected peer of the source groups is elsewhere ({', '.join(located[:5])})"
    rule = "allows" if check.action == "allow" else "denies"
    return (
        f"{POSTURE_WARNING}{name!r} {rule} by location and {why}: none of them can start this flow"
    )


def _version_warning(name: str, wanted: MinVersion, connected: Sequence[Peer]) -> str | None:
    minimum = _version(wanted.min_version)
    if any(p.version and _version(p.version) >= minimum for p in connected):
        return None
    seen = sorted({p.version or "unknown" for p in connected})
    return (
        f"{POSTURE_WARNING}{name!r} wants NetBird {wanted.min_version} or newer and every "
        f"connected peer of the source groups runs an older one ({', '.join(seen[:5])}): none "
        "of them can start this flow"
    )


def posture_warnings(checks: Sequence[PostureCheck], source_peers: Sequence[Peer]) -> list[str]:
    """A posture check that every connected source peer fails blocks the flow (of the checks
    the API lets us judge); with no connected source peer there is nothing to judge."""
    connected = [p for p in source_peers if p.connected]
    if not connected:
        return []
    warnings = []
    for check in checks:
        parts = check.checks
        found = [
            _version_warning(check.name, parts.nb_version_check, connected)
            if parts.nb_version_check is not None
            else None,
            _geo_warning(check.name, parts.geo_location_check, connected)
            if parts.geo_location_check is not None
            else None,
        ]
        warnings += [w for w in found if w is not None]
    return warnings
