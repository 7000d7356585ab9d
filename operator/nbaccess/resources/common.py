"""Types every kind shares: references, the common spec fields, the common status.

References name another object in one of three ways, and exactly one must be used (a CEL rule
says so to the apiserver): `ref`, a custom resource of ours in the same namespace (references
never cross namespaces: a namespace is a team's boundary); `name`, an existing NetBird object
by its NetBird name (e.g. a group synced from the IdP); `id`, a NetBird id. Kinds whose NetBird
names are not unique offer only `ref` and `id`.

Every string has a maxLength and every list a maxItems: the apiserver prices CEL rules by the
largest input they may see, and unbounded inputs blow its cost budget.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from nbaccess.resources.base import RULE_ERROR, FieldRule, Rule, SpecModel, StatusModel, list_map

# Patterns are written for both Go's RE2 (apiserver) and Rust's regex (pydantic): no lookaround.
DNS_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = rf"{_OCTET}(\.{_OCTET}){{3}}"
_IPV6 = r"[0-9a-fA-F]{0,4}(:[0-9a-fA-F]{0,4}){2,7}"
_PREFIX4 = r"/(3[0-2]|[12]?[0-9])"
_PREFIX6 = r"/(12[0-8]|1[01][0-9]|[1-9]?[0-9])"
_LABEL = r"[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?"
# A top-level label starts with a letter, so "999.1.1.1" is not mistaken for a domain.
_TLD = r"[a-zA-Z]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?"
CIDR = rf"^({_IPV4}{_PREFIX4}|{_IPV6}{_PREFIX6})$"
NETWORK_ADDRESS = rf"^({_IPV4}({_PREFIX4})?|{_IPV6}({_PREFIX6})?|(\*\.)?({_LABEL}\.)*{_TLD})$"
VERSION = r"^v?[0-9]+(\.[0-9]+)*(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$"
# Printable text without control characters, not starting or ending with a space: a newline or
# a tab in a NetBird name breaks the dashboard and every log line that quotes it.
NETBIRD_NAME = r"^[^\x00-\x20\x7f]([^\x00-\x1f\x7f]*[^\x00-\x20\x7f])?$"
DURATION = r"^([0-9]+(h|m|s))+$"
NETBIRD_ID = r"^[A-Za-z0-9_-]+$"

# Human words for patterns, so offline errors do not print a regular expression.
PATTERN_HINTS = {
    DNS_SUBDOMAIN: "must be a Kubernetes object name (lowercase letters, digits, '-' and '.')",
    DNS_LABEL: "must be a DNS label (lowercase letters, digits and '-')",
    CIDR: "must be a CIDR such as 10.0.0.0/8 or 2001:db8::/32",
    NETWORK_ADDRESS: (
        "must be an IP address, a CIDR, a domain or a wildcard domain such as *.example.com"
    ),
    VERSION: "must be a version such as 0.59.0",
    DURATION: "must be a duration such as 720h or 1h30m (units h, m, s)",
    NETBIRD_ID: "must be a NetBird id (letters, digits, '-' and '_')",
    NETBIRD_NAME: (
        "must be printable text without control characters (newline, tab) and must not start "
        "or end with a space"
    ),
}


def _is_ip_or_prefix(text: str) -> bool:
    """What the apiserver's CEL isIP()/isCIDR() accept (Go's netip, without zones or IPv4 in
    IPv6): the IPv6 shape in the patterns alone would let ':::::' through."""
    if "%" in text:
        return False
    try:
        if "/" in text:
            network = ipaddress.ip_network(text, strict=False)
            return not (isinstance(network, ipaddress.IPv6Network) and "." in text)
        address = ipaddress.ip_address(text)
    except ValueError:
        return False
    return not (isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None)


# An IPv6 address or prefix must parse; IPv4 and domains are settled by the pattern.
VALID_IPV6 = FieldRule(
    cel="!self.contains(':') || isIP(self) || isCIDR(self)",
    message="must be a valid IPv6 address or prefix such as 2001:db8::10 or 2001:db8::/32",
    check=lambda v: ":" not in v or _is_ip_or_prefix(v),
)

_DURATION_PART = re.compile(r"([0-9]+)(h|m|s)")
_UNIT_SECONDS = {"h": 3600, "m": 60, "s": 1}


def duration_seconds(text: str) -> int:
    """Seconds in a duration such as `720h` or `1h30m` (the `DURATION` pattern)."""
    return sum(int(n) * _UNIT_SECONDS[unit] for n, unit in _DURATION_PART.findall(text))


def duration_between(low: str, high: str) -> FieldRule:
    """A duration string within [low, high], checked by CEL `duration()` and in Python."""
    return FieldRule(
        cel=f"duration(self) >= duration('{low}') && duration(self) <= duration('{high}')",
        message=f"must be between {low} and {high}",
        check=lambda v: duration_seconds(low) <= duration_seconds(v) <= duration_seconds(high),
    )


CrName = Annotated[str, Field(min_length=1, max_length=253, pattern=DNS_SUBDOMAIN)]
NetBirdName = Annotated[str, Field(min_length=1, max_length=255, pattern=NETBIRD_NAME)]
NetBirdId = Annotated[str, Field(min_length=1, max_length=64, pattern=NETBIRD_ID)]
Duration = Annotated[str, Field(min_length=2, max_length=32, pattern=DURATION)]
Description = Annotated[str, Field(max_length=1024)]
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def _rfc3339(value: str) -> str:
    try:
        valid = bool(_RFC3339.match(value)) and bool(dt.datetime.fromisoformat(value))
    except ValueError:
        valid = False
    if not valid:
        raise PydanticCustomError(
            RULE_ERROR, "must be an RFC 3339 time such as 2026-12-01T00:00:00Z", {"field": ""}
        )
    return value


# `format: date-time` is how the apiserver checks it; the validator is the same check offline.
Timestamp = Annotated[
    str,
    Field(max_length=64, json_schema_extra={"format": "date-time"}),
    AfterValidator(_rfc3339),
]


def _count_set(*values: object) -> int:
    return sum(value is not None for value in values)


class GroupRef(SpecModel):
    """A NetBird group: exactly one of `ref`, `name` or `id`."""

    __rules__ = (
        Rule(
            cel="(has(self.ref) ? 1 : 0) + (has(self.name) ? 1 : 0) + (has(self.id) ? 1 : 0) == 1",
            message="exactly one of ref, name or id must be set",
            check=lambda s: _count_set(s.ref, s.name, s.id) == 1,
        ),
    )

    ref: CrName | None = Field(
        None,
        description=(
            "Name of a NetBirdGroup custom resource in the same namespace. The referrer waits "
            "(Ready=False, reason DependencyNotReady) until that group is Ready."
        ),
    )
    name: NetBirdName | None = Field(
        None,
        description=(
            "Name of an existing NetBird group that is not declared here, e.g. one synced "
            "from your identity provider."
        ),
    )
    id: NetBirdId | None = Field(None, description="NetBird id of an existing group.")


class PeerRef(SpecModel):
    """A NetBird peer: exactly one of `name` or `id`."""

    __rules__ = (
        Rule(
            cel="has(self.name) != has(self.id)",
            message="exactly one of name or id must be set",
            check=lambda s: _count_set(s.name, s.id) == 1,
        ),
    )

    name: NetBirdName | None = Field(
        None, description="NetBird peer name, as shown in the dashboard (matched exactly)."
    )
    id: NetBirdId | None = Field(None, description="NetBird peer id.")


class PostureCheckRef(SpecModel):
    """A NetBird posture check: exactly one of `ref` or `id`."""

    __rules__ = (
        Rule(
            cel="has(self.ref) != has(self.id)",
            message="exactly one of ref or id must be set",
            check=lambda s: _count_set(s.ref, s.id) == 1,
        ),
    )

    ref: CrName | None = Field(
        None,
        description=(
            "Name of a PostureCheck custom resource in the same namespace. The referrer waits "
            "until it is Ready."
        ),
    )
    id: NetBirdId | None = Field(None, description="NetBird id of an existing posture check.")


class ManagedSpec(SpecModel):
    """Fields every kind's spec has: how the operator owns the NetBird object."""

    adopt: bool = Field(
        False,
        description=(
            "Take over an existing NetBird object of the same name instead of failing with "
            "AlreadyExists. Adoption is never implicit."
        ),
    )
    deletion_policy: Literal["Delete", "Orphan"] = Field(
        "Delete",
        description=(
            "What happens in NetBird when this resource is deleted: Delete removes the NetBird "
            "object the operator created or adopted; Orphan leaves it in place."
        ),
    )


class Condition(StatusModel):
    """A status condition in the shape of Kubernetes' metav1.Condition."""

    type: str = Field(
        max_length=316,
        pattern=r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
        r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$",
        description="Condition type, e.g. Ready, Reconciling, Stalled.",
    )
    status: Literal["True", "False", "Unknown"] = Field(description="True, False or Unknown.")
    reason: str = Field(
        min_length=1,
        max_length=1024,
        pattern=r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$",
        description="Machine-readable CamelCase reason for the last transition.",
    )
    message: str = Field(
        max_length=32768, description="Human-readable details: what happened and what to do."
    )
    last_transition_time: Timestamp = Field(
        description="When the condition last changed status (RFC 3339)."
    )
    observed_generation: int | None = Field(
        None, ge=0, description="metadata.generation this condition was computed for."
    )


class ManagedStatus(StatusModel):
    """Status every kind has; kstatus (Flux, kubectl wait) and Argo CD read it."""

    observed_generation: int = Field(
        -1,
        description=(
            "The metadata.generation whose outcome is final (Ready or Stalled); -1 until the "
            "operator has finished with the first generation."
        ),
    )
    id: str | None = Field(
        None, max_length=64, description="NetBird id of the object this resource manages."
    )
    conditions: list[Condition] = Field(
        default_factory=list,
        max_length=16,
        description=(
            "Ready, plus Reconciling or Stalled while True, plus kind-specific conditions."
        ),
        json_schema_extra=list_map("type"),
    )
    last_synced_time: Timestamp | None = Field(
        None,
        description=(
            "When a pass last compared this resource with NetBird and wrote its status. The "
            "resync sweep compares every resource at every interval too, but writes only when "
            "something changed."
        ),
    )
    warnings: list[str] | None = Field(
        None,
        max_length=32,
        description=(
            "Risky shapes found in the spec (protocol all, a 0.0.0.0/0 resource, a reusable key "
            "without a limit: the same rules `nbaccess lint` applies), and NetBird objects of "
            "the same name this resource does not manage."
        ),
    )
    owner_uid: str | None = Field(
        None,
        alias="ownerUID",
        max_length=64,
        description=(
            "uid of this resource when `id` was recorded: an id recorded for another resource "
            "(a restored or copied status) is not trusted as ours."
        ),
    )
    create_requested_at: Timestamp | None = Field(
        None,
        description=(
            "Set right before the operator first asks NetBird to create the object, cleared "
            "once an answer is recorded: after a crash or a lost answer it tells which object is "
            "ours (a group created since is)."
        ),
    )
    create_attempted_at: Timestamp | None = Field(
        None,
        description=(
            "When the latest unconfirmed create was sent: until a few NetBird timeouts after "
            "it, the operator neither creates again nor finishes a deletion."
        ),
    )
    create_answered: bool | None = Field(
        None,
        description="NetBird answered that create (e.g. with an error): nothing is in flight.",
    )
