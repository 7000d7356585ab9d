"""The fake's in-memory account: NetBird's objects as plain dataclasses, in insertion order.

Only the fields NetBird keeps and shows are modelled. Relations are stored where NetBird stores
them (group membership of peers and network resources lives on the group), so the traps that
follow from it (a group PUT without `resources` detaching them) happen here too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from tests.fakes.netbird.ids import new_xid

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def go_time(moment: datetime | None) -> str:
    """A timestamp as Go's encoding/json writes time.Time (RFC 3339, trailing zeros trimmed)."""
    if moment is None:
        return "0001-01-01T00:00:00Z"
    moment = moment.astimezone(UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond:06d}".rstrip("0")
    return text + "Z"


@dataclass
class ResourceRef:
    """A typed reference to a resource (peer, host, subnet or domain) held by groups and rules."""

    id: str
    type: str


@dataclass
class Group:
    id: str
    name: str
    peers: list[str] = field(default_factory=list)
    resources: list[ResourceRef] = field(default_factory=list)
    issued: str = "api"


@dataclass
class PolicyRule:
    id: str
    name: str
    description: str
    enabled: bool
    action: str
    bidirectional: bool
    protocol: str
    ports: list[str]
    port_ranges: list[tuple[int, int]]
    sources: list[str]
    destinations: list[str]
    source_resource: ResourceRef | None
    destination_resource: ResourceRef | None
    authorized_groups: dict[str, list[str]] | None


@dataclass
class Policy:
    id: str
    name: str
    description: str
    enabled: bool
    source_posture_checks: list[str] | None
    rules: list[PolicyRule]


@dataclass
class PostureCheck:
    id: str
    name: str
    description: str
    checks: dict[str, object]


@dataclass
class SetupKey:
    id: str
    name: str
    type: str
    plain_key: str
    created_at: datetime
    expires_at: datetime | None
    updated_at: datetime
    auto_groups: list[str]
    usage_limit: int
    ephemeral: bool
    allow_extra_dns_labels: bool
    revoked: bool = False
    used_times: int = 0
    last_used: datetime | None = None


@dataclass
class Network:
    id: str
    name: str
    description: str


@dataclass
class NetworkResource:
    id: str
    network_id: str
    name: str
    description: str
    type: str
    address: str
    enabled: bool


@dataclass
class NetworkRouter:
    id: str
    network_id: str
    peer: str
    peer_groups: list[str] | None
    masquerade: bool
    metric: int
    enabled: bool


@dataclass
class Peer:
    id: str
    name: str
    ip: str
    created_at: datetime
    last_seen: datetime
    connected: bool = True
    os: str = "linux"
    os_version: str = "6.1.0"
    kernel_version: str = "6.1.0"
    version: str = "0.77.1"
    hostname: str = ""
    login_expired: bool = False
    approval_required: bool = False
    ssh_enabled: bool = False
    login_expiration_enabled: bool = False
    inactivity_expiration_enabled: bool = False
    ephemeral: bool = False
    user_id: str = ""
    country_code: str = ""
    city_name: str = ""
    connection_ip: str = "invalid IP"


@dataclass
class Nameserver:
    ip: str
    ns_type: str
    port: int


@dataclass
class NameserverGroup:
    id: str
    name: str
    description: str
    nameservers: list[Nameserver]
    groups: list[str]
    enabled: bool
    primary: bool
    domains: list[str]
    search_domains_enabled: bool


DEFAULT_RULE_DESCRIPTION = (
    "This is a default rule that allows connections between all the resources"
)


@dataclass
class Account:
    """One NetBird account as a fresh self-hosted server creates it: the All group and, unless
    disabled, the Default policy that lets every peer reach every other."""

    clock: Clock = utc_now
    geolocation_enabled: bool = False
    with_default_policy: bool = True
    serial: int = 0
    groups: dict[str, Group] = field(default_factory=dict)
    policies: dict[str, Policy] = field(default_factory=dict)
    posture_checks: dict[str, PostureCheck] = field(default_factory=dict)
    setup_keys: dict[str, SetupKey] = field(default_factory=dict)
    networks: dict[str, Network] = field(default_factory=dict)
    resources: dict[str, NetworkResource] = field(default_factory=dict)
    routers: dict[str, NetworkRouter] = field(default_factory=dict)
    peers: dict[str, Peer] = field(default_factory=dict)
    nameserver_groups: dict[str, NameserverGroup] = field(default_factory=dict)
    all_group_id: str = ""

    def __post_init__(self) -> None:
        all_group = Group(id=new_xid(), name="All")
        self.all_group_id = all_group.id
        self.groups[all_group.id] = all_group
        if self.with_default_policy:
            policy_id = new_xid()
            rule = PolicyRule(
                id=policy_id,
                name="Default",
                description=DEFAULT_RULE_DESCRIPTION,
                enabled=True,
                action="accept",
                bidirectional=True,
                protocol="all",
                ports=[],
                port_ranges=[],
                sources=[all_group.id],
                destinations=[all_group.id],
                source_resource=None,
                destination_resource=None,
                authorized_groups=None,
            )
            self.policies[policy_id] = Policy(
                id=policy_id,
                name="Default",
                description=DEFAULT_RULE_DESCRIPTION,
                enabled=True,
                source_posture_checks=None,
                rules=[rule],
            )

    def bump_serial(self) -> None:
        """NetBird increments the network serial (and pushes to peers) on every effective write."""
        self.serial += 1

    def groups_of_peer(self, peer_id: str) -> list[Group]:
        return [group for group in self.groups.values() if peer_id in group.peers]

    def groups_of_resource(self, resource_id: str) -> list[Group]:
        return [
            group
            for group in self.groups.values()
            if any(ref.id == resource_id for ref in group.resources)
        ]

    def group_by_name(self, name: str) -> Group | None:
        matches = [group for group in self.groups.values() if group.name == name]
        # NetBird returns the one with the most peers when names repeat.
        return max(matches, key=lambda group: len(group.peers)) if matches else None
