"""Routing-peer health of a NetBirdNetwork: which peers route for it and what that means.

Health is about the data plane, so it never changes Ready: a network whose config is applied
but whose routing peers are all offline is Ready=True with RoutingPeersHealthy=False. It is
decided here from plain NetBird data so every threshold is tested without a server.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from nbaccess.conditions import Condition, timestamp
from nbaccess.netbird.models import NetworkRouter, Peer

ROUTING_PEERS_HEALTHY = "RoutingPeersHealthy"
HIGHLY_AVAILABLE = "HighlyAvailable"
# How often health is read again without any change to the CR: peers come and go on their
# own, and the condition and the gauges are only as fresh as the last read.
RECHECK_SECONDS = 30.0


def routing_peers(routers: Sequence[NetworkRouter], peers: Sequence[Peer]) -> list[Peer]:
    """The peers that route for these routers: each one's `peer` and its groups' members.

    A disabled router routes nothing, so its peers do not count.
    """
    ids: set[str] = set()
    groups: set[str] = set()
    for router in routers:
        if not router.enabled:
            continue
        if router.peer:
            ids.add(router.peer)
        groups.update(router.peer_groups or ())
    chosen = [p for p in peers if p.id in ids or groups.intersection(p.groups)]
    return sorted(chosen, key=lambda p: (p.name, p.id))


@dataclass(frozen=True)
class Health:
    """The routing peers of one network as NetBird reports them right now."""

    peers: Sequence[Peer]

    @property
    def total(self) -> int:
        return len(self.peers)

    @property
    def connected(self) -> int:
        return sum(p.connected for p in self.peers)

    def status(self) -> dict[str, Any]:
        return {
            "routingPeers": [_routing_peer(p) for p in self.peers],
            "connectedRoutingPeers": self.connected,
        }

    def measurements(self) -> dict[str, float]:
        return {"routing_peers_connected": self.connected, "routing_peers": self.total}

    def conditions(self, min_connected: int | None) -> list[Condition]:
        """RoutingPeersHealthy always; HighlyAvailable only when a threshold is declared."""
        counted = f"{self.connected} of {self.total} routing peers connected"
        if self.total == 0:
            healthy = Condition(
                ROUTING_PEERS_HEALTHY,
                "False",
                "NoRoutingPeers",
                "no enabled router of this network has a peer: nothing routes to its resources",
            )
        elif self.connected == 0:
            down = ", ".join(p.name for p in self.peers[:5])
            more = f" and {self.total - 5} more" if self.total > 5 else ""
            healthy = Condition(
                ROUTING_PEERS_HEALTHY,
                "False",
                "NoRoutingPeerConnected",
                f"{counted}: {down}{more} offline, nothing routes to this network's resources",
            )
        else:
            healthy = Condition(ROUTING_PEERS_HEALTHY, "True", "RoutingPeersConnected", counted)
        if min_connected is None:
            return [healthy]
        wanted = f"{counted}, at least {min_connected} wanted"
        if self.connected >= min_connected:
            available = Condition(HIGHLY_AVAILABLE, "True", "EnoughRoutingPeersConnected", wanted)
        else:
            available = Condition(HIGHLY_AVAILABLE, "False", "TooFewRoutingPeersConnected", wanted)
        return [healthy, available]


def _routing_peer(peer: Peer) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": peer.id, "name": peer.name, "connected": peer.connected}
    # Left out rather than null when NetBird does not know: null is not a string to the schema.
    if peer.last_seen is not None:
        entry["lastSeen"] = timestamp(peer.last_seen)
    if peer.version:
        entry["version"] = peer.version
    return entry


def recheck_after(now: dt.datetime) -> str:
    """When the tick should read health again, as status.recheckAfter."""
    return timestamp(now + dt.timedelta(seconds=RECHECK_SECONDS))
