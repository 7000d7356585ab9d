"""Every NetBird collection the client speaks to, described once.

A descriptor says where a collection lives, which model its objects parse into, and which
other cached lists a write to it changes. The client's list/get/create/update/delete are
written once against descriptors, so "what must the cache forget after this write" is decided
here by construction instead of by hand in a hundred methods.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from nbaccess.netbird.models import (
    Group,
    Identified,
    NameserverGroup,
    Network,
    NetworkResource,
    NetworkRouter,
    Peer,
    Policy,
    PostureCheck,
    SetupKey,
)

I = TypeVar("I", bound=Identified)  # noqa: E741 - reads as "an identified model"


@dataclass(frozen=True)
class Collection(Generic[I]):
    kind: str  # the list cache's key
    route: str  # the collection; `{network_id}` for collections inside a network
    model: type[I]
    # Other cached kinds whose objects show what a write here changes (a group's membership
    # is shown on peers and resources); the written kind itself is kept current in place.
    affects: tuple[str, ...] = ()
    # More kinds a delete changes (a network's delete takes its resources and routers).
    affects_on_delete: tuple[str, ...] = ()
    # Where the collection across every scope is listed (all resources of all networks).
    all_route: str | None = None

    @property
    def item_route(self) -> str:
        return f"{self.route}/{{id}}"


GROUPS = Collection("groups", "/api/groups", Group, affects=("peers", "network_resources"))
POLICIES = Collection("policies", "/api/policies", Policy, affects=("networks",))
POSTURE_CHECKS = Collection("posture_checks", "/api/posture-checks", PostureCheck)
SETUP_KEYS = Collection("setup_keys", "/api/setup-keys", SetupKey)
NETWORKS = Collection(
    "networks",
    "/api/networks",
    Network,
    affects_on_delete=("network_resources", "network_routers", "groups", "policies"),
)
NETWORK_RESOURCES = Collection(
    "network_resources",
    "/api/networks/{network_id}/resources",
    NetworkResource,
    affects=("groups", "networks"),
    affects_on_delete=("policies",),
    all_route="/api/networks/resources",
)
NETWORK_ROUTERS = Collection(
    "network_routers",
    "/api/networks/{network_id}/routers",
    NetworkRouter,
    affects=("networks",),
    all_route="/api/networks/routers",
)
PEERS = Collection("peers", "/api/peers", Peer)
NAMESERVER_GROUPS = Collection("nameserver_groups", "/api/dns/nameservers", NameserverGroup)
