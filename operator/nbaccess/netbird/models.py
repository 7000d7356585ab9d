"""Pydantic models of NetBird API payloads, with responses normalised for diffing.

Requests are what we send: only fields NetBird reads, no unknown keys (extra="forbid"), and
fields whose absence means something (policy `sources` vs `sourceResource`, router `peer` vs
`peer_groups`) left as None so they are omitted on the wire.

Responses are what NetBird stored, brought into the same shape as the requests so that a diff
of desired against observed shows real differences only:

- nested group/peer objects become their ids; id lists are sorted and de-duplicated, because
  NetBird treats them as sets and returns them in storage order;
- a bare IP address becomes a prefix (/32 or /128), as NetBird stores it;
- a router's unused `peer: ""` and `peer_groups: null` both become None;
- omitted lists become empty lists and an omitted description becomes "";
- unknown fields (newer NetBird versions) are ignored.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    model_validator,
)

# --------------------------------------------------------------------------- normalisers


def _sorted_ids(value: Any) -> list[str]:
    """Ids from a list of ids or of `{id, ...}` objects; None (Go's nil slice) is empty."""
    if value is None:
        return []
    if not isinstance(value, Iterable) or isinstance(value, str | bytes | dict):
        raise ValueError("expected a list of ids or of objects with an id")
    ids: set[str] = set()
    for item in value:
        if isinstance(item, dict):
            ids.add(str(item["id"]))
        elif isinstance(item, BaseModel):
            ids.add(str(item.id))  # type: ignore[attr-defined]
        else:
            ids.add(str(item))
    return sorted(ids)


def _sorted_ids_keep_none(value: Any) -> list[str] | None:
    """Sorted ids, but None stays None: for request fields whose absence means something."""
    return None if value is None else _sorted_ids(value)


def _optional_sorted_ids(value: Any) -> list[str] | None:
    """Like `_sorted_ids`, but "unused" (null or empty) is None, as in a router's peer_groups."""
    ids = _sorted_ids(value)
    return ids or None


def _list_or_empty(value: Any) -> Any:
    return [] if value is None else value


def _dict_or_empty(value: Any) -> Any:
    return {} if value is None else value


def _addresses(value: Any) -> Any:
    if isinstance(value, list):
        return [normalise_address(v) if isinstance(v, str) else v for v in value]
    return value


def _str_or_empty(value: Any) -> Any:
    return "" if value is None else value


def _empty_is_none(value: Any) -> Any:
    return None if value == "" else value


def _zero_time_is_none(value: Any) -> Any:
    # Go's zero time (0001-01-01T00:00:00Z) is how NetBird says "never" (e.g. last_used).
    if value == "" or (isinstance(value, str) and value.startswith("0001-01-01")):
        return None
    return value


def normalise_address(address: str) -> str:
    """A bare IP as the prefix NetBird stores (1.2.3.4 -> 1.2.3.4/32); domains unchanged."""
    text = address.strip()
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return text
    return f"{ip}/{ip.max_prefixlen}"


def _address(value: Any) -> Any:
    return normalise_address(value) if isinstance(value, str) else value


IdList = Annotated[list[str], BeforeValidator(_sorted_ids)]
SentIdList = Annotated[list[str] | None, BeforeValidator(_sorted_ids_keep_none)]
OptionalIdList = Annotated[list[str] | None, BeforeValidator(_optional_sorted_ids)]
Description = Annotated[str, BeforeValidator(_str_or_empty)]
Address = Annotated[str, BeforeValidator(_address)]
Timestamp = Annotated[datetime | None, BeforeValidator(_zero_time_is_none)]


class Request(BaseModel):
    """Base of what we send: typos in field names fail here, not silently at NetBird."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

    def to_wire(self) -> dict[str, Any]:
        """The JSON body: aliases (camelCase where NetBird uses it), None fields omitted."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class Response(BaseModel):
    """Base of what NetBird answers: unknown fields ignored, values frozen after normalising."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True)


class Identified(Response):
    """A stored object with its NetBird id (what the client's list cache looks up by)."""

    id: str


class ResourceRef(BaseModel):
    """A network resource or peer referenced from a group or a policy rule."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str
    type: str  # host | subnet | domain | peer


def _sorted_resources(value: Any) -> Any:
    if value is None:
        return []
    if isinstance(value, list):
        unique = {
            (str(r["id"]), str(r["type"])) if isinstance(r, dict) else (r.id, r.type) for r in value
        }
        return [{"id": rid, "type": rtype} for rid, rtype in sorted(unique)]
    return value


ResourceList = Annotated[list[ResourceRef], BeforeValidator(_sorted_resources)]

# --------------------------------------------------------------------------- groups


class GroupRequest(Request):
    """A group create/update body.

    `peers` and `resources` have no default on purpose: NetBird's PUT replaces both, so an
    omitted list would silently detach every member; callers must say what they send.
    """

    name: str = Field(min_length=1)
    peers: IdList
    resources: ResourceList


class Group(Identified):
    name: str
    peers: IdList = Field(default_factory=list)
    resources: ResourceList = Field(default_factory=list)
    issued: str | None = None  # api | integration | jwt (synced from the IdP)


# --------------------------------------------------------------------------- policies

Protocol = Literal["all", "tcp", "udp", "icmp", "netbird-ssh"]
RuleAction = Literal["accept", "drop"]


class PortRange(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    start: int = Field(ge=1, le=65535)
    end: int = Field(ge=1, le=65535)


class PolicyRuleRequest(Request):
    """One rule. Sources are groups XOR a resource, and so are destinations."""

    id: str | None = None  # echo the stored rule id on update
    name: str
    description: str = ""
    enabled: bool = True
    action: RuleAction = "accept"
    bidirectional: bool = False
    protocol: Protocol = "all"
    ports: list[str] = Field(default_factory=list)
    port_ranges: list[PortRange] = Field(default_factory=list)
    sources: SentIdList = None
    destinations: SentIdList = None
    source_resource: ResourceRef | None = Field(default=None, alias="sourceResource")
    destination_resource: ResourceRef | None = Field(default=None, alias="destinationResource")

    @model_validator(mode="after")
    def _one_side_each(self) -> PolicyRuleRequest:
        # NetBird checks `sources != nil`, so an empty list next to a resource is "both".
        if (self.sources is None) == (self.source_resource is None):
            raise ValueError("give exactly one of sources and source_resource")
        if (self.destinations is None) == (self.destination_resource is None):
            raise ValueError("give exactly one of destinations and destination_resource")
        if self.ports and self.port_ranges:
            raise ValueError("give ports or port_ranges, not both")
        return self


class PolicyRequest(Request):
    """A policy create/update body, with exactly one rule.

    NetBird evaluates only the first rule of a policy (netbird issue 3583), so a second rule
    would be accepted and then ignored; refusing it here turns that into a visible error.
    """

    name: str = Field(min_length=1)
    description: str = ""
    enabled: bool = True
    source_posture_checks: IdList = Field(default_factory=list)
    rules: list[PolicyRuleRequest] = Field(min_length=1, max_length=1)


class PolicyRule(Response):
    id: str = ""
    name: str = ""
    description: Description = ""
    enabled: bool = True
    action: str = "accept"
    bidirectional: bool = False
    protocol: str = "all"
    ports: Annotated[list[str], BeforeValidator(_list_or_empty)] = Field(default_factory=list)
    port_ranges: Annotated[list[PortRange], BeforeValidator(_list_or_empty)] = Field(
        default_factory=list
    )
    sources: IdList = Field(default_factory=list)
    destinations: IdList = Field(default_factory=list)
    source_resource: ResourceRef | None = Field(default=None, alias="sourceResource")
    destination_resource: ResourceRef | None = Field(default=None, alias="destinationResource")
    authorized_groups: Annotated[dict[str, list[str]], BeforeValidator(_dict_or_empty)] = Field(
        default_factory=dict
    )


class Policy(Identified):
    name: str
    description: Description = ""
    enabled: bool = True
    source_posture_checks: IdList = Field(default_factory=list)
    rules: Annotated[list[PolicyRule], BeforeValidator(_list_or_empty)] = Field(
        default_factory=list
    )


# --------------------------------------------------------------------------- posture checks
# The check bodies have the same shape in requests and responses, so one set of models serves
# both and a desired `Checks` compares directly with an observed one.


class _CheckPart(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class MinVersion(_CheckPart):
    min_version: str


class MinKernelVersion(_CheckPart):
    min_kernel_version: str


class OsVersionCheck(_CheckPart):
    android: MinVersion | None = None
    darwin: MinVersion | None = None
    ios: MinVersion | None = None
    linux: MinKernelVersion | None = None
    windows: MinKernelVersion | None = None


class Location(_CheckPart):
    country_code: str = Field(min_length=2, max_length=2)
    # NetBird stores an omitted city as "" and omits "" on the way back; "" means any city.
    city_name: Description = ""


class GeoLocationCheck(_CheckPart):
    locations: list[Location] = Field(min_length=1)
    action: Literal["allow", "deny"]


class PeerNetworkRangeCheck(_CheckPart):
    ranges: Annotated[list[str], BeforeValidator(_addresses)] = Field(min_length=1)
    action: Literal["allow", "deny"]


class Process(_CheckPart):
    linux_path: Description = ""
    mac_path: Description = ""
    windows_path: Description = ""


class ProcessCheck(_CheckPart):
    processes: list[Process] = Field(min_length=1)


class Checks(_CheckPart):
    nb_version_check: MinVersion | None = None
    os_version_check: OsVersionCheck | None = None
    geo_location_check: GeoLocationCheck | None = None
    peer_network_range_check: PeerNetworkRangeCheck | None = None
    process_check: ProcessCheck | None = None


class PostureCheckRequest(Request):
    """Create/update body; `description` and `checks` are always sent (NetBird requires them)."""

    name: str = Field(min_length=1)
    description: str = ""
    checks: Checks = Field(default_factory=Checks)

    def to_wire(self) -> dict[str, Any]:
        body = super().to_wire()
        body.setdefault("checks", {})
        return body


class PostureCheck(Identified):
    name: str
    description: Description = ""
    checks: Annotated[Checks, BeforeValidator(_dict_or_empty)] = Field(default_factory=Checks)


# --------------------------------------------------------------------------- setup keys

SetupKeyType = Literal["one-off", "reusable"]


class SetupKeyCreate(Request):
    name: str = Field(min_length=1)
    type: SetupKeyType
    expires_in: int = Field(ge=0, description="seconds")
    auto_groups: IdList = Field(default_factory=list)
    usage_limit: int = Field(default=0, ge=0, description="0 means unlimited")
    ephemeral: bool = False
    allow_extra_dns_labels: bool = False


class SetupKeyUpdate(Request):
    """The only mutable fields: `revoked` (false -> true only) and `auto_groups`."""

    revoked: bool
    auto_groups: IdList


class _SetupKeyFields(Identified):
    name: str
    type: str
    expires: Timestamp = None
    valid: bool = True
    revoked: bool = False
    used_times: int = 0
    last_used: Timestamp = None
    state: str = ""  # valid | expired | revoked | overused
    auto_groups: IdList = Field(default_factory=list)
    updated_at: Timestamp = None
    usage_limit: int = 0
    ephemeral: bool = False
    allow_extra_dns_labels: bool = False


class SetupKey(_SetupKeyFields):
    # After creation NetBird shows only a 5-character prefix and "****"; still kept out of
    # reprs in case some version ever echoes more.
    key: str = Field(default="", repr=False)


def hidden_key(value: SecretStr) -> str:
    """What NetBird shows of a stored key (its HiddenKey): the first 5 characters and ****."""
    return value.get_secret_value()[:5] + "****"


class SetupKeyCreated(_SetupKeyFields):
    """The create response: the only time NetBird returns the plain key."""

    key: SecretStr

    def as_setup_key(self) -> SetupKey:
        """The same object as later reads show it: a 5-character prefix and "****"."""
        fields = self.model_dump(exclude={"key"})
        return SetupKey.model_validate({**fields, "key": hidden_key(self.key)})


# --------------------------------------------------------------------------- networks


class NetworkRequest(Request):
    name: str = Field(min_length=1)
    description: str = ""


class Network(Identified):
    name: str
    description: Description = ""
    routers: IdList = Field(default_factory=list)
    resources: IdList = Field(default_factory=list)
    policies: IdList = Field(default_factory=list)
    routing_peers_count: int = 0


class NetworkResourceRequest(Request):
    """`address` is an IP, CIDR, domain or *.domain; a bare IP is sent as NetBird stores it."""

    name: str = Field(min_length=1)
    description: str = ""
    address: Address
    enabled: bool = True
    groups: IdList


class NetworkResource(Identified):
    name: str
    description: Description = ""
    address: Address
    enabled: bool = True
    type: str = ""  # host | subnet | domain
    groups: IdList = Field(default_factory=list)


class NetworkRouterRequest(Request):
    """A routing peer (`peer`) XOR a group of them (`peer_groups`)."""

    peer: str | None = None
    peer_groups: OptionalIdList = None
    metric: int = Field(default=9999, ge=1, le=9999)
    masquerade: bool = True
    enabled: bool = True

    @model_validator(mode="after")
    def _peer_xor_groups(self) -> NetworkRouterRequest:
        if (self.peer is None) == (self.peer_groups is None):
            raise ValueError("give exactly one of peer and peer_groups")
        return self


class NetworkRouter(Identified):
    peer: Annotated[str | None, BeforeValidator(_empty_is_none)] = None
    peer_groups: OptionalIdList = None
    metric: int = 9999
    masquerade: bool = False
    enabled: bool = True


# --------------------------------------------------------------------------- peers


class Peer(Identified):
    """A peer's identity and health as the management server sees it."""

    name: str
    ip: str = ""
    dns_label: str = ""
    hostname: str = ""
    os: str = ""
    version: str = ""
    connected: bool = False
    last_seen: Timestamp = None
    login_expired: bool = False
    approval_required: bool = False
    groups: IdList = Field(default_factory=list)
    # From the management server's GeoLite database; "" when it has none.
    country_code: str = ""
    city_name: str = ""


class AccessiblePeer(Identified):
    name: str
    ip: str = ""
    dns_label: str = ""
    os: str = ""
    connected: bool = False
    last_seen: Timestamp = None


# --------------------------------------------------------------------------- DNS


class Nameserver(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    ip: str
    ns_type: Literal["udp"] = "udp"
    port: int = Field(default=53, ge=1, le=65535)


class NameserverGroupRequest(Request):
    name: str = Field(min_length=1, max_length=40)
    description: str = ""
    nameservers: list[Nameserver] = Field(min_length=1, max_length=3)
    enabled: bool = True
    groups: IdList = Field(min_length=1)
    primary: bool = False
    domains: list[str] = Field(default_factory=list)
    search_domains_enabled: bool = False


class NameserverGroup(Identified):
    name: str
    description: Description = ""
    nameservers: Annotated[list[Nameserver], BeforeValidator(_list_or_empty)] = Field(
        default_factory=list
    )
    enabled: bool = True
    groups: IdList = Field(default_factory=list)
    primary: bool = False
    domains: Annotated[list[str], BeforeValidator(_list_or_empty)] = Field(default_factory=list)
    search_domains_enabled: bool = False
