"""NetBirdPolicy: one NetBird access policy with exactly one rule.

NetBird ignores every rule but the first (netbird issue 3583), so the rule's fields live
directly in the spec instead of a `rules` list that would pretend otherwise.

Choices that differ from NetBird's API: `ports` are integers (NetBird sends strings), so the
apiserver can check 1..65535 and a quoted "443" is an error instead of a surprise; `ports`
and `portRanges` are sets (no duplicates) with at least one entry when present, so "absent"
and "empty" do not mean two things; `protocol` has no default, because what a policy lets
through should be written down.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from nbaccess.resources.base import Rule, SpecModel, StatusModel, list_map, list_set
from nbaccess.resources.common import (
    CrName,
    Description,
    GroupRef,
    ManagedSpec,
    ManagedStatus,
    NetBirdId,
    NetBirdName,
    PostureCheckRef,
    Timestamp,
)

Port = Annotated[int, Field(ge=1, le=65535)]
PORT_PROTOCOLS = ("tcp", "udp")


class PortRange(SpecModel):
    """An inclusive range of ports; start == end is a single port."""

    __rules__ = (
        Rule(
            cel="self.start <= self.end",
            message="start must not be greater than end",
            check=lambda s: s.start <= s.end,
        ),
    )

    start: Port = Field(description="First port of the range, 1..65535.")
    end: Port = Field(description="Last port of the range (inclusive), 1..65535.")


class DestinationResource(SpecModel):
    """A resource of a NetBirdNetwork custom resource in the same namespace."""

    network: CrName = Field(description="Name of the NetBirdNetwork custom resource.")
    resource: NetBirdName = Field(
        description="Name of the resource, as listed in that NetBirdNetwork's spec.resources."
    )


class NetBirdPolicySpec(ManagedSpec):
    """A NetBird access policy with one rule: who (sources) may reach what (destinations)."""

    __rules__ = (
        Rule(
            cel="!has(self.ports) || self.protocol in ['tcp', 'udp']",
            message="ports are allowed only when protocol is tcp or udp",
            check=lambda s: s.ports is None or s.protocol in PORT_PROTOCOLS,
            field="ports",
        ),
        Rule(
            cel="!has(self.portRanges) || self.protocol in ['tcp', 'udp']",
            message="portRanges are allowed only when protocol is tcp or udp",
            check=lambda s: s.port_ranges is None or s.protocol in PORT_PROTOCOLS,
            field="portRanges",
        ),
        Rule(
            cel="!(has(self.ports) && has(self.portRanges))",
            message="set either ports or portRanges, not both",
            check=lambda s: s.ports is None or s.port_ranges is None,
            field="portRanges",
        ),
        Rule(
            cel="has(self.destinations) != has(self.destinationResource)",
            message="exactly one of destinations or destinationResource must be set",
            check=lambda s: (s.destinations is None) != (s.destination_resource is None),
            field="destinations",
        ),
    )

    name: NetBirdName | None = Field(
        None, description="Policy name in NetBird (not unique there). Defaults to metadata.name."
    )
    description: Description = Field(
        "",
        description=(
            "Why this flow exists and who owns it. The operator appends a marker naming this "
            "resource, so people in the NetBird dashboard see it is declared in Git."
        ),
    )
    enabled: bool = Field(True, description="Whether the policy is active in NetBird.")
    action: Literal["accept", "drop"] = Field(
        "accept", description="accept lets the traffic through; drop blocks it."
    )
    protocol: Literal["tcp", "udp", "icmp", "all", "netbird-ssh"] = Field(
        description=(
            "Traffic the rule matches. all is always bidirectional in NetBird, whatever "
            "bidirectional says."
        ),
    )
    ports: list[Port] | None = Field(
        None,
        min_length=1,
        max_length=64,
        description=(
            "Destination ports, 1..65535; only with protocol tcp or udp, and not together with "
            "portRanges. Unset means every port."
        ),
        json_schema_extra=list_set(),
    )
    port_ranges: list[PortRange] | None = Field(
        None,
        min_length=1,
        max_length=64,
        description=(
            "Destination port ranges; only with protocol tcp or udp, and not together with ports."
        ),
    )
    bidirectional: bool = Field(
        False,
        description="Also let destinations open connections to sources.",
    )
    sources: list[GroupRef] = Field(
        min_length=1, max_length=64, description="Groups whose peers may connect (at least one)."
    )
    destinations: list[GroupRef] | None = Field(
        None,
        min_length=1,
        max_length=64,
        description="Groups whose peers may be reached. Exactly one of destinations or "
        "destinationResource.",
    )
    destination_resource: DestinationResource | None = Field(
        None,
        description="A network resource that may be reached. Exactly one of destinations or "
        "destinationResource.",
    )
    posture_checks: list[PostureCheckRef] | None = Field(
        None,
        min_length=1,
        max_length=32,
        description="Posture checks a source peer must pass before the policy applies to it.",
    )
    expires_at: Timestamp | None = Field(
        None,
        description=(
            "RFC 3339 time after which the operator disables the policy in NetBird "
            "(time-boxed access)."
        ),
    )


class GroupReach(StatusModel):
    """A group of the policy, as a person reads it."""

    id: str = Field(max_length=64, description="NetBird group id.")
    name: str = Field("", max_length=255, description="NetBird group name.")
    peers: int = Field(0, ge=0, description="Peers in the group now.")


class NamedCheck(StatusModel):
    id: str = Field(max_length=64, description="NetBird posture check id.")
    name: str = Field("", max_length=255, description="NetBird posture check name.")


class NetBirdPolicyStatus(ManagedStatus):
    """Observed state of a NetBirdPolicy."""

    source_groups: list[GroupReach] | None = Field(
        None,
        max_length=64,
        description="The source groups by name, with their peer counts (0: nobody matches).",
        json_schema_extra=list_map("id"),
    )
    destination_groups: list[GroupReach] | None = Field(
        None,
        max_length=64,
        description="The destination groups by name, with their peer counts.",
        json_schema_extra=list_map("id"),
    )
    posture_checks: list[NamedCheck] | None = Field(
        None,
        max_length=32,
        description="The posture checks a source peer must pass, by name.",
        json_schema_extra=list_map("id"),
    )

    rule_id: NetBirdId | None = Field(None, description="NetBird id of the policy's one rule.")
    source_group_ids: list[str] | None = Field(
        None, max_length=64, description="NetBird ids the sources resolved to."
    )
    destination_group_ids: list[str] | None = Field(
        None, max_length=64, description="NetBird ids the destinations resolved to."
    )
    destination_resource_id: str | None = Field(
        None, max_length=64, description="NetBird id the destinationResource resolved to."
    )
    posture_check_ids: list[str] | None = Field(
        None, max_length=32, description="NetBird ids the postureChecks resolved to."
    )
    ports: str | None = Field(
        None,
        max_length=512,
        description="The ports and port ranges this policy opens, e.g. '443,8000-8100'; 'all'.",
    )
    enabled_in_netbird: bool | None = Field(
        None,
        alias="enabledInNetBird",
        description=(
            "Whether the policy is enabled in NetBird now: false once expiresAt has passed, "
            "true while the Default-policy interlock keeps Default on."
        ),
    )
    action: Literal["accept", "drop"] | None = Field(
        None, description="The rule's action as applied (what the Default interlock counts)."
    )
    recheck_after: Timestamp | None = Field(
        None,
        description="When the operator looks again regardless of changes (the expiresAt time).",
    )
