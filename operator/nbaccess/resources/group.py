"""NetBirdGroup: a NetBird group, managed or only observed.

Membership is authoritative only when `peers` is set: a group PUT replaces the member list in
NetBird, so without `peers` the operator re-sends what is there. `managementPolicy: Observe`
is for groups someone else owns (the IdP sync, the dashboard): the operator resolves the id
and reports, and never writes, so `peers` makes no sense there and is rejected.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from nbaccess.resources.base import Rule
from nbaccess.resources.common import ManagedSpec, ManagedStatus, NetBirdName, PeerRef


class NetBirdGroupSpec(ManagedSpec):
    """A NetBird group."""

    __rules__ = (
        Rule(
            cel="self.managementPolicy != 'Observe' || !has(self.peers)",
            message="peers cannot be set when managementPolicy is Observe (nothing is written)",
            check=lambda s: s.management_policy != "Observe" or s.peers is None,
            field="peers",
        ),
        Rule(
            cel="!has(self.name) || self.name != 'All' || self.managementPolicy == 'Observe'",
            message="NetBird's All group cannot be changed: use managementPolicy Observe",
            check=lambda s: s.name != "All" or s.management_policy == "Observe",
            field="name",
        ),
    )

    name: NetBirdName | None = Field(
        None, description="Group name in NetBird. Defaults to metadata.name."
    )
    peers: list[PeerRef] | None = Field(
        None,
        max_length=1000,
        description=(
            "Peers that are members of the group. When set, membership is authoritative: "
            "peers not listed are removed. When unset, membership is left as it is in NetBird."
        ),
    )
    management_policy: Literal["Manage", "Observe"] = Field(
        "Manage",
        description=(
            "Manage creates and updates the group. Observe only looks it up by name and "
            "reports its id and size (for groups synced from an identity provider)."
        ),
    )


class NetBirdGroupStatus(ManagedStatus):
    """Observed state of a NetBirdGroup."""

    peers_count: int | None = Field(None, ge=0, description="Number of peers in the group.")
    resources_count: int | None = Field(
        None, ge=0, description="Number of network resources in the group."
    )
    observed_only: bool | None = Field(
        None,
        description=(
            "True while the group is only observed (managementPolicy Observe): switching to "
            "Manage then needs spec.adopt, and deleting the resource never deletes the group."
        ),
    )
