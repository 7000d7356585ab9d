"""Routing-peer health of a NetBirdNetwork: which peers route for it and what that means.

Health is about the data plane, so it never changes Ready: a network whose config is applied
but whose routing peers are all offline is Ready=True with RoutingPeersHealthy=False. It is
decided here from plain NetBird data so every threshold is tested without a server.

Peers come and go on their own, so health is read again every few seconds for every network
at once (`read_source`: networks, routers and peers, three lists whatever the number of
networks) and status is written only when what it says changed (`health_patch`), not at
every read: a connected peer's lastSeen moving is not news.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from nbaccess.conditions import Condition, merge_conditions, timestamp
from nbaccess.netbird.client import NetBirdClient
from nbaccess.netbird.models import NetworkRouter, Peer

ROUTING_PEERS_HEALTHY = "RoutingPeersHealthy"
HIGHLY_AVAILABLE = "HighlyAvailable"
ROUTING_PEERS_FLAPPING = "RoutingPeersFlapping"
HEALTH_CONDITIONS = (ROUTING_PEERS_HEALTHY, HIGHLY_AVAILABLE, ROUTING_PEERS_FLAPPING)
# The guide's "connection works sometimes": this many connects and disconnects of a network's
# routing peers within the window make it Flapping.
FLAP_THRESHOLD = 3


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

    def status(self, min_connected: int | None = None) -> dict[str, Any]:
        wanted = f" ({min_connected} wanted)" if min_connected is not None else ""
        return {
            "routingPeers": [_routing_peer(p) for p in self.peers],
            "connectedRoutingPeers": self.connected,
            "routingPeersSummary": f"{self.connected}/{self.total}{wanted}",
        }

    def measurements(self, min_connected: int | None = None) -> dict[str, float]:
        measured = {"routing_peers_connected": float(self.connected), "routing_peers": self.total}
        if min_connected is not None:
            measured["routing_peers_wanted"] = min_connected
        return measured

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
    # Why a peer may not come back on its own: said only when true.
    if peer.login_expired:
        entry["loginExpired"] = True
    if peer.approval_required:
        entry["approvalRequired"] = True
    return entry


class FlapWatch:
    """Connects and disconnects of one network's routing peers, seen between health reads.

    A state that differs from the last read is one transition; a peer connected at both reads
    whose lastSeen moved has reconnected in between (NetBird stamps lastSeen when a peer
    connects or disconnects), which is two, however short the outage was. Transitions older
    than the window are forgotten.
    """

    def __init__(self, window: dt.timedelta) -> None:
        self.window = window
        self._last: dict[str, tuple[bool, dt.datetime | None]] = {}
        self._events: list[tuple[dt.datetime, str]] = []

    def observe(self, peers: Sequence[Peer], now: dt.datetime) -> None:
        for peer in peers:
            before = self._last.get(peer.id)
            self._last[peer.id] = (peer.connected, peer.last_seen)
            if before is None:
                continue
            was_connected, seen = before
            if was_connected != peer.connected:
                self._events.append((now, peer.name))
            elif peer.connected and seen is not None and peer.last_seen not in (None, seen):
                self._events += [(now, peer.name), (now, peer.name)]
        self._events = [(t, name) for t, name in self._events if now - t <= self.window]

    @property
    def count(self) -> int:
        return len(self._events)

    def condition(self) -> Condition:
        minutes = max(1, round(self.window.total_seconds() / 60))
        if self.count < FLAP_THRESHOLD:
            return Condition(
                ROUTING_PEERS_FLAPPING,
                "False",
                "RoutingPeersStable",
                f"{self.count} connects or disconnects of routing peers in the last {minutes}m",
            )
        by_peer: dict[str, int] = {}
        for _, name in self._events:
            by_peer[name] = by_peer.get(name, 0) + 1
        worst = ", ".join(f"{name} ({n})" for name, n in sorted(by_peer.items())[:5])
        return Condition(
            ROUTING_PEERS_FLAPPING,
            "True",
            "RoutingPeersFlapping",
            f"{self.count} connects or disconnects of routing peers in the last {minutes}m "
            f"({worst}): connections through this network work only sometimes; look at the "
            "routing peers' hosts and links",
        )


@dataclass(frozen=True)
class HealthSource:
    """Everything health is read from, for every network at once."""

    router_ids: Mapping[str, Sequence[str]]  # network id -> its routers' ids
    routers: Mapping[str, NetworkRouter]
    peers: Sequence[Peer]

    def health(self, network_id: str) -> Health | None:
        """The network's health, or None when NetBird has no such network (any more)."""
        ids = self.router_ids.get(network_id)
        if ids is None:
            return None
        routers = [self.routers[i] for i in ids if i in self.routers]
        return Health(routing_peers(routers, self.peers))


async def read_source(nb: NetBirdClient) -> HealthSource:
    """Three fresh lists: networks (their router ids), every router, every peer."""
    networks = await nb.list_networks(fresh=True)
    routers = await nb.list_all_network_routers(fresh=True)
    peers = await nb.list_peers(fresh=True)
    return HealthSource(
        router_ids={n.id: list(n.routers) for n in networks},
        routers={r.id: r for r in routers},
        peers=peers,
    )


def _news(status: Mapping[str, Any]) -> tuple[Any, ...]:
    """What a health update can change that is worth a status write."""
    conditions = tuple(
        (c.get("type"), c.get("status"), c.get("reason"), c.get("message"))
        for c in status.get("conditions") or ()
        if isinstance(c, Mapping) and c.get("type") in HEALTH_CONDITIONS
    )
    peers = tuple(
        (
            p.get("id"),
            p.get("name"),
            p.get("connected"),
            p.get("version"),
            p.get("loginExpired"),
            p.get("approvalRequired"),
        )
        # A connected peer's lastSeen moves all the time; a disconnected one's does not.
        + (() if p.get("connected") else (p.get("lastSeen"),))
        for p in status.get("routingPeers") or ()
        if isinstance(p, Mapping)
    )
    return (
        conditions,
        peers,
        status.get("connectedRoutingPeers"),
        status.get("routingPeersSummary"),
        status.get("routingPeerFlaps"),
    )


def health_patch(
    previous: Mapping[str, Any],
    health: Health,
    min_connected: int | None,
    *,
    flaps: FlapWatch | None = None,
    generation: int,
    now: dt.datetime,
) -> dict[str, Any] | None:
    """The status fields to write for a fresh health read, or None when nothing changed."""
    decided = health.conditions(min_connected)
    if flaps is not None:
        decided.append(flaps.condition())
    kept = [
        c
        for c in previous.get("conditions") or ()
        if isinstance(c, Mapping) and c.get("type") not in HEALTH_CONDITIONS
    ]
    fresh = merge_conditions(previous.get("conditions"), decided, generation=generation, now=now)
    patch = {"conditions": [*kept, *fresh], **health.status(min_connected)}
    if flaps is not None:
        patch["routingPeerFlaps"] = flaps.count
    if _news({**previous, **patch}) == _news(previous):
        return None
    return patch
