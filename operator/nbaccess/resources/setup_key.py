"""SetupKey: a NetBird setup key, published as a Secret and rotated before it expires.

NetBird returns the plain key only when it creates one and can change nothing about a key but
its auto groups (and revocation). So the key's own properties (name, type, expiresIn,
usageLimit, ephemeral, allowExtraDnsLabels) are immutable here too: the apiserver refuses the
change instead of the operator quietly minting a different key. Replace the key by creating a
new SetupKey next to the old one and moving its consumers over. This supersedes the first
design note ("changing an immutable field rotates"); rotation on a schedule (`rotation`) and on
demand (annotation `nbaccess.dev/rotate-requested-at`) keep the same properties.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from nbaccess.resources.base import Rule, SpecModel, StatusModel, immutable
from nbaccess.resources.common import (
    DNS_SUBDOMAIN,
    Duration,
    GroupRef,
    ManagedSpec,
    ManagedStatus,
    NetBirdName,
    Timestamp,
    duration_between,
    duration_seconds,
)

# NetBird accepts expires_in from one day to one year.
KeyLifetime = Annotated[Duration, duration_between("24h", "8760h")]
GracePeriod = Annotated[Duration, duration_between("0s", "720h")]


class Rotation(SpecModel):
    """When the operator replaces the key with a fresh one."""

    before: Duration = Field(
        "168h",
        description=(
            "Rotate when less validity than this is left. Must be shorter than expiresIn."
        ),
    )
    grace_period: GracePeriod = Field(
        "1h",
        description=(
            "How long the old key stays valid after the new one is published in the Secret, "
            "so consumers can pick it up."
        ),
    )


class SetupKeySpec(ManagedSpec):
    """A NetBird setup key; the plain key is written to a Secret (data key setupKey)."""

    __rules__ = (
        Rule(
            cel="self.type != 'one-off' || self.usageLimit <= 1",
            message="usageLimit must be 0 or 1 for a one-off key (it can be used once)",
            check=lambda s: s.type != "one-off" or s.usage_limit <= 1,
            field="usageLimit",
        ),
        Rule(
            cel="duration(self.rotation.before) < duration(self.expiresIn)",
            message="rotation.before must be shorter than expiresIn, or the key rotates forever",
            check=lambda s: duration_seconds(s.rotation.before) < duration_seconds(s.expires_in),
            field="rotation.before",
        ),
        Rule(
            cel="!has(self.autoGroups) || self.autoGroups.all(g, !has(g.name) || g.name != 'All')",
            message="autoGroups cannot contain NetBird's All group (every peer is in it anyway)",
            check=lambda s: all(g.name != "All" for g in s.auto_groups or ()),
            field="autoGroups",
        ),
        immutable("name", "name", "SetupKey"),
        immutable("type", "type", "SetupKey"),
        immutable("expiresIn", "expires_in", "SetupKey"),
        immutable("usageLimit", "usage_limit", "SetupKey"),
        immutable("ephemeral", "ephemeral", "SetupKey"),
        immutable("allowExtraDnsLabels", "allow_extra_dns_labels", "SetupKey"),
    )

    name: NetBirdName | None = Field(
        None, description="Key name in NetBird. Defaults to metadata.name. Immutable."
    )
    type: Literal["reusable", "one-off"] = Field(
        "reusable", description="reusable, or one-off for a single registration. Immutable."
    )
    auto_groups: list[GroupRef] | None = Field(
        None,
        max_length=32,
        description=(
            "Groups a peer joins when it registers with this key (applied once, at "
            "registration). Not the All group. Can be changed in place."
        ),
    )
    usage_limit: int = Field(
        0,
        ge=0,
        le=1000000,
        description="How many peers may register with the key; 0 is unlimited. Immutable.",
    )
    ephemeral: bool = Field(
        False,
        description="Peers registered with this key are removed once offline for a while. "
        "Immutable.",
    )
    allow_extra_dns_labels: bool = Field(
        False,
        description="Peers may add extra DNS labels when they register. Immutable.",
    )
    expires_in: KeyLifetime = Field(
        "720h", description="Validity of each key the operator creates, 24h..8760h. Immutable."
    )
    rotation: Rotation = Field(
        default_factory=Rotation,
        description="When the key is replaced by a fresh one before it expires.",
        # The full default, not {}: CEL reads rotation.before, so it must exist on every object.
        json_schema_extra={"default": {"before": "168h", "gracePeriod": "1h"}},
    )
    secret_name: str | None = Field(
        None,
        min_length=1,
        max_length=253,
        pattern=DNS_SUBDOMAIN,
        description="Secret that receives the key (data key setupKey). Defaults to "
        "<metadata.name>-setup-key.",
    )


class PreviousKey(StatusModel):
    """The key a rotation replaced, kept valid for the grace period."""

    id: str = Field(max_length=64, description="NetBird id of the previous key.")
    revoke_after: Timestamp = Field(description="When the operator revokes it.")


class SetupKeyStatus(ManagedStatus):
    """Observed state of a SetupKey (never the key itself)."""

    key_prefix: str | None = Field(
        None, max_length=16, description="The first characters of the key, as NetBird shows them."
    )
    expires_at: Timestamp | None = Field(None, description="When the current key expires.")
    state: Literal["valid", "expired", "revoked", "overused"] | None = Field(
        None, description="The current key's state in NetBird."
    )
    used_times: int | None = Field(None, ge=0, description="How many peers registered with it.")
    secret_name: str | None = Field(
        None, max_length=253, description="Secret the key was written to."
    )
    last_rotation_time: Timestamp | None = Field(
        None, description="When the current key was created."
    )
    next_rotation_time: Timestamp | None = Field(
        None, description="When the operator will replace the current key."
    )
    previous_key: PreviousKey | None = Field(
        None, description="The key the last rotation replaced, while it is still valid."
    )
    recheck_after: Timestamp | None = Field(
        None,
        description="When the operator looks again regardless of changes: the next rotation "
        "or the previous key's revocation, whichever comes first.",
    )
    key_requested_at: Timestamp | None = Field(
        None,
        description="When the operator decided to create a new key; cleared once the new key "
        "is recorded. A same-named key created after this and not recorded here is the "
        "leftover of an interrupted pass, and the operator removes it.",
    )
    rotate_request_handled: str | None = Field(
        None,
        max_length=256,
        description="The last value of annotation nbaccess.dev/rotate-requested-at the "
        "operator acted on; a different value rotates the key.",
    )
