"""NetBirdNetwork: a NetBird Network with its resources and routers.

Resources and routers are list-maps keyed by `name`, so two GitOps sources or `kubectl apply`
merges address one entry by its name, and the apiserver rejects duplicate names. Resource names
are NetBird's own (unique per account); router names are local keys only, because NetBird
routers have no name. A resource's `address` is checked here because NetBird answers an
invalid one with a 500.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from nbaccess.resources.base import Rule, SpecModel, StatusModel, list_map
from nbaccess.resources.common import (
    DNS_LABEL,
    NETWORK_ADDRESS,
    VALID_IPV6,
    Description,
    GroupRef,
    ManagedSpec,
    ManagedStatus,
    NetBirdName,
    PeerRef,
    Timestamp,
)

RouterName = Annotated[str, Field(min_length=1, max_length=63, pattern=DNS_LABEL)]


class NetworkResource(SpecModel):
    """Something reachable through the network's routing peers."""

    name: NetBirdName = Field(description="Resource name in NetBird (unique per account).")
    address: Annotated[str, VALID_IPV6] = Field(
        max_length=253,
        pattern=NETWORK_ADDRESS,
        description=(
            "A host IP (10.20.3.4), a CIDR (10.20.3.0/24), a domain (db.example.com) or a "
            "wildcard domain (*.example.com)."
        ),
    )
    groups: list[GroupRef] | None = Field(
        None,
        max_length=32,
        description=(
            "Groups the resource belongs to, so policies can target it by group. The operator "
            "adds the resource to these groups without touching their other members."
        ),
    )
    enabled: bool = Field(True, description="Whether the resource is active in NetBird.")
    description: Description = Field("", description="Free text shown in the dashboard.")


class NetworkRouter(SpecModel):
    """Peers that route traffic into the network: exactly one of `peerGroups` or `peer`."""

    __rules__ = (
        Rule(
            cel="has(self.peerGroups) != has(self.peer)",
            message="exactly one of peerGroups or peer must be set",
            check=lambda s: (s.peer_groups is None) != (s.peer is None),
            field="peerGroups",
        ),
    )

    name: RouterName = Field(
        description="Local name of this router entry (NetBird routers have no name)."
    )
    peer_groups: list[GroupRef] | None = Field(
        None,
        min_length=1,
        max_length=16,
        description="Groups whose peers act as routing peers. Exactly one of peerGroups or peer.",
    )
    peer: PeerRef | None = Field(
        None, description="A single routing peer. Exactly one of peerGroups or peer."
    )
    metric: int = Field(
        9999, ge=1, le=9999, description="Route metric 1..9999; a lower metric is preferred."
    )
    masquerade: bool = Field(
        True,
        description="Routing peers masquerade traffic behind their own address in the network.",
    )
    enabled: bool = Field(True, description="Whether the router is active in NetBird.")


class NetworkHealth(SpecModel):
    """What healthy means for the data plane of this network."""

    min_connected_routing_peers: int = Field(
        2,
        ge=1,
        le=100,
        description="HighlyAvailable is False while fewer routing peers than this are connected.",
    )


class NetBirdNetworkSpec(ManagedSpec):
    """A NetBird Network with its resources and routers."""

    name: NetBirdName | None = Field(
        None, description="Network name in NetBird (not unique there). Defaults to metadata.name."
    )
    description: Description = Field(
        "",
        description="Free text shown in the dashboard; the operator appends a marker naming "
        "this resource.",
    )
    resources: list[NetworkResource] | None = Field(
        None,
        max_length=100,
        description="Resources reachable through this network, keyed by name.",
        json_schema_extra=list_map("name"),
    )
    routers: list[NetworkRouter] | None = Field(
        None,
        max_length=16,
        description="Routing peers of this network, keyed by a local name.",
        json_schema_extra=list_map("name"),
    )
    health: NetworkHealth | None = Field(
        None,
        description="Data-plane health thresholds; without it HighlyAvailable is not reported.",
    )


class NamedId(StatusModel):
    """A spec entry's name and the NetBird id it maps to."""

    name: str = Field(max_length=255, description="Name of the entry in spec.")
    id: str = Field(max_length=64, description="NetBird id.")


class ResourceStatus(NamedId):
    """A resource's name, NetBird id and the kind of address NetBird classified it as."""

    # A plain string, not an enum: a type a newer NetBird adds must not make the apiserver
    # reject the whole status.
    type: str | None = Field(
        None, max_length=32, description="host, subnet or domain, as NetBird classified it."
    )


class RoutingPeer(StatusModel):
    """A routing peer as NetBird last reported it."""

    id: str = Field(max_length=64, description="NetBird peer id.")
    name: str = Field(max_length=255, description="NetBird peer name.")
    connected: bool = Field(description="Whether the peer's session with management is up.")
    last_seen: Timestamp | None = Field(None, description="When NetBird last heard from it.")
    version: str | None = Field(None, max_length=64, description="NetBird client version.")
    login_expired: bool | None = Field(
        None, description="Its login expired: it cannot connect until someone logs in again."
    )
    approval_required: bool | None = Field(
        None, description="It waits for an administrator's approval before it may connect."
    )


class NetBirdNetworkStatus(ManagedStatus):
    """Observed state of a NetBirdNetwork, including routing-peer health."""

    resources: list[ResourceStatus] | None = Field(
        None,
        max_length=100,
        description="NetBird ids and types of the resources, by name.",
        json_schema_extra=list_map("name"),
    )
    routers: list[NamedId] | None = Field(
        None,
        max_length=16,
        description="NetBird ids of the routers, by local name.",
        json_schema_extra=list_map("name"),
    )
    adopted: bool | None = Field(
        None,
        description=(
            "True when the operator took over an existing network instead of creating it; it "
            "then never takes over a router whose id it did not record."
        ),
    )
    routing_peers: list[RoutingPeer] | None = Field(
        None,
        max_length=1000,
        description="Every peer that routes for this network, with its connection state.",
        json_schema_extra=list_map("id"),
    )
    connected_routing_peers: int | None = Field(
        None, ge=0, description="How many routing peers are connected."
    )
    routing_peers_summary: str | None = Field(
        None,
        max_length=64,
        description="Connected of all routing peers, and how many are wanted: '1/2 (2 wanted)'.",
    )
    routing_peer_flaps: int | None = Field(
        None,
        ge=0,
        description=(
            "Connects and disconnects of routing peers seen within the flap window "
            "(RoutingPeersFlapping is True from 3)."
        ),
    )
    recheck_after: Timestamp | None = Field(
        None, description="When the operator looks at this network again, if not before."
    )
