"""Which NetBird objects are ours: one rule for every kind, decided here and nowhere else.

An object is ours only when NetBird shows our claim on it, or when we recorded its id
ourselves for this very resource:

- The claim is the marker line we append to a description: `managed by nbaccess: <claimant>`,
  where the claimant is `<namespace>/<name>` for the default cluster and
  `<cluster>/<namespace>/<name>` for a named one (NBACCESS_CLUSTER_NAME), so operators of
  several clusters sharing one account never take each other's objects. A marker without a
  cluster (written before clusters had names) is the default cluster's.
- A recorded id is `status.id` written together with `status.ownerUID`, the uid of the
  resource it was recorded for. Only the operator writes status, and a uid is never reused,
  so neither a copied manifest nor a restored status can pass for ours.
- An id from the `nbaccess.dev/netbird-id` annotation is only a pointer: it is honoured when
  NetBird shows our claim on that object, or with `spec.adopt: true`; anything else is Stalled
  without a single write (copying manifests between namespaces and clusters is everyday GitOps).

Groups have no description. For them, the intent to create is recorded in status before the
POST (`createRequestedAt`); NetBird group ids are xids, which carry their creation second, so
after a crash a group of our name created at or after that time is the one we made.

Every pass also sees the other objects carrying our claim (a create that landed after the
client gave up, and was then made again): the recorded one stays, the twins go.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from nbaccess.reconcile.outcome import Permanent, ReconcileError

MARKER_PREFIX = "managed by nbaccess: "
# How a warning about a same-named object we do not manage starts (events name it).
NAMESAKE_WARNING = "another "
DEFAULT_CLUSTER = "default"
# xid seconds are NetBird's clock, the intent time ours: a group created a little before our
# request (by someone else) must not pass for ours, so the allowance stays small.
CLOCK_SKEW = dt.timedelta(seconds=5)

ObjT = TypeVar("ObjT")  # a NetBird object as the client returns it


@dataclass(frozen=True, order=True)
class Claim:
    """Who declares a NetBird object: cluster, namespace, name."""

    cluster: str
    namespace: str
    name: str

    @property
    def claimant(self) -> str:
        if self.cluster == DEFAULT_CLUSTER:
            return f"{self.namespace}/{self.name}"
        return f"{self.cluster}/{self.namespace}/{self.name}"

    def marker(self) -> str:
        return f"{MARKER_PREFIX}{self.claimant}"

    def describe(self) -> str:
        where = "" if self.cluster == DEFAULT_CLUSTER else f" in cluster {self.cluster!r}"
        return f"{self.namespace}/{self.name}{where}"


def read_claim(description: str) -> Claim | None:
    """Our claim from a description's marker line, or None."""
    for line in reversed(description.splitlines()):
        if not line.startswith(MARKER_PREFIX):
            continue
        parts = line[len(MARKER_PREFIX) :].strip().split("/")
        if len(parts) == 2 and all(parts):
            return Claim(DEFAULT_CLUSTER, parts[0], parts[1])
        if len(parts) == 3 and all(parts):
            return Claim(parts[0], parts[1], parts[2])
    return None


def without_claim(description: str) -> str:
    """The description without our marker line (an orphaned object is released)."""
    kept = [line for line in description.splitlines() if not line.startswith(MARKER_PREFIX)]
    return "\n".join(kept).strip()


def with_claim(description: str, claim: Claim) -> str:
    text = without_claim(description)
    return f"{text}\n{claim.marker()}" if text else claim.marker()


def xid_time(object_id: str) -> dt.datetime | None:
    """When an xid was made (its first four bytes are Unix seconds), or None for other ids."""
    if len(object_id) != 20:
        return None
    try:
        raw = base64.b32hexdecode(object_id.upper() + "====")
    except (binascii.Error, ValueError):
        return None
    return dt.datetime.fromtimestamp(int.from_bytes(raw[:4], "big"), dt.UTC)


def recorded_id(status: dict[str, object] | None, uid: str) -> str | None:
    """`status.id` when it was recorded for this resource (legacy statuses have no owner uid
    and were written by us on this very object: they count)."""
    status = status or {}
    value = status.get("id")
    if not value:
        return None
    owner = status.get("ownerUID")
    if owner and uid and owner != uid:
        return None
    return str(value)


# ------------------------------------------------------------------------- the decision


@dataclass(frozen=True)
class Identity(Generic[ObjT]):
    """How to read one kind's objects for the ownership rule."""

    kind: str
    object_id: Callable[[ObjT], str]
    name: Callable[[ObjT], str]
    # None for kinds without a description (groups).
    claim: Callable[[ObjT], Claim | None] | None
    # NetBird refuses a second object of the same name (groups, posture checks).
    unique_names: bool


@dataclass(frozen=True)
class Facts:
    """Everything the rule looks at for one resource, gathered before deciding."""

    claim: Claim
    name: str
    adopt: bool
    recorded_id: str | None
    annotated_id: str | None
    # When this resource last set out to create (status.createRequestedAt), if unconfirmed.
    create_requested_at: dt.datetime | None = None
    # Who else in this cluster recorded an id of this kind (`namespace/name`), if anyone.
    held_by: Callable[[str], str | None] = lambda _: None
    # Whether a claimant of this cluster still exists (a gone one's claim can be adopted).
    claimant_exists: Callable[[Claim], bool] = lambda _: True


@dataclass
class Verdict(Generic[ObjT]):
    """What the rule found: the object to converge (None: create one), twins to delete,
    warnings to show; or a conflict, in which case nothing may be written."""

    primary: ObjT | None = None
    adopted: bool = False
    twins: list[ObjT] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    conflict: ReconcileError | None = None


def _managed_elsewhere(kind: str, object_id: str, owner: Claim, unique: bool) -> Permanent:
    message = f"{kind} {object_id} is managed by {owner.describe()}; it is left untouched"
    if owner.cluster != DEFAULT_CLUSTER or unique:
        message += _suffix_advice(kind, unique)
    return Permanent("AlreadyManaged", message)


def _suffix_advice(kind: str, unique: bool) -> str:
    if not unique:
        return ""
    return (
        f". NetBird keeps {kind} names unique across the account, so clusters sharing it need "
        "distinct names: add the environment suffix the guide recommends (e.g. '-staging', "
        "'-prod')"
    )


def decide(identity: Identity[ObjT], listed: Sequence[ObjT], facts: Facts) -> Verdict[ObjT]:
    """The ownership rule for one resource against every object of its kind in NetBird."""
    kind = identity.kind
    by_id = {identity.object_id(o): o for o in listed}

    def claim_of(o: ObjT) -> Claim | None:
        return identity.claim(o) if identity.claim is not None else None

    verdict: Verdict[ObjT] = Verdict()
    mine = sorted(
        (o for o in listed if claim_of(o) == facts.claim), key=lambda o: identity.object_id(o)
    )
    recorded = by_id.get(facts.recorded_id or "")
    if recorded is not None:
        owner = claim_of(recorded)
        holder = facts.held_by(facts.recorded_id or "")
        if owner is not None and owner != facts.claim:
            verdict.conflict = _managed_elsewhere(kind, facts.recorded_id or "", owner, False)
            return verdict
        if owner is None and holder is not None:
            # Two resources recorded one object (an older version trusted copied ids): which
            # is the real owner cannot be told, so neither writes and a person decides.
            verdict.conflict = Permanent(
                "DuplicateOwnership",
                f"{kind} {facts.recorded_id} is also recorded by {holder}; delete the resource "
                "that was copied (its deletion leaves the object alone)",
            )
            return verdict
        # Our claim edited away in the dashboard: we recorded it, the next write restores it.
        verdict.primary = recorded
    elif facts.annotated_id and facts.annotated_id in by_id:
        target = by_id[facts.annotated_id]
        owner = claim_of(target)
        elsewhere = facts.held_by(facts.annotated_id)
        if owner == facts.claim and elsewhere is None:
            verdict.primary = target
        elif owner is not None:
            verdict.conflict = _managed_elsewhere(kind, facts.annotated_id, owner, False)
            return verdict
        elif elsewhere is not None:
            verdict.conflict = Permanent(
                "AlreadyManaged",
                f"{kind} {facts.annotated_id} is managed by {elsewhere}; remove the "
                "nbaccess.dev/netbird-id annotation copied from it",
            )
            return verdict
        elif facts.adopt:
            verdict.primary, verdict.adopted = target, True
        else:
            verdict.conflict = Permanent(
                "NotOurs",
                f"the nbaccess.dev/netbird-id annotation names {kind} {facts.annotated_id} "
                f"({identity.name(target)!r}), which this resource did not create; nothing was "
                "changed. Remove the annotation (a copy from another manifest?), or set "
                "spec.adopt: true to take that object over",
            )
            return verdict
    if verdict.primary is None and mine:
        verdict.primary = mine[0]  # made by a pass that did not live to record it
    if verdict.primary is None and identity.claim is None:
        verdict.primary = _created_by_us(identity, listed, facts)
    verdict.twins = [o for o in mine if o is not verdict.primary]
    if verdict.primary is None:
        _by_name(identity, listed, facts, verdict)
    elif not identity.unique_names:
        others = [
            identity.object_id(o)
            for o in listed
            if identity.name(o) == facts.name
            and o is not verdict.primary
            and claim_of(o) is None
            and facts.held_by(identity.object_id(o)) is None
        ]
        if others:
            verdict.warnings.append(
                f"another {kind} named {facts.name!r} exists in NetBird ({', '.join(others)}) "
                "that this resource does not manage: NetBird allows the same name twice. Set "
                "spec.adopt: true (and delete this one's) to manage that one instead"
            )
    return verdict


def _created_by_us(identity: Identity[ObjT], listed: Sequence[ObjT], facts: Facts) -> ObjT | None:
    """For kinds without a claim: the object our interrupted create made, if one did."""
    since = facts.create_requested_at
    if since is None:
        return None
    for o in listed:
        made = xid_time(identity.object_id(o))
        if (
            identity.name(o) == facts.name
            and facts.held_by(identity.object_id(o)) is None
            and made is not None
            and made >= since - CLOCK_SKEW
        ):
            return o
    return None


def _by_name(
    identity: Identity[ObjT], listed: Sequence[ObjT], facts: Facts, verdict: Verdict[ObjT]
) -> None:
    """Nothing of ours exists: adopt one of that name when asked, refuse a clash, or create."""
    kind = identity.kind
    same = [o for o in listed if identity.name(o) == facts.name]

    def owner(o: ObjT) -> Claim | None:
        return identity.claim(o) if identity.claim is not None else None

    def takeable(o: ObjT) -> bool:
        claim = owner(o)
        if facts.held_by(identity.object_id(o)) is not None:
            return False
        if claim is None:
            return True
        # Claimed by a resource of this cluster that no longer exists (its finalizer was
        # removed by hand, or it was orphaned by an older version): adoptable.
        return claim.cluster == facts.claim.cluster and not facts.claimant_exists(claim)

    if facts.adopt:
        candidates = [o for o in same if takeable(o)]
        if len(candidates) > 1:
            verdict.conflict = Permanent(
                "AmbiguousAdoption",
                f"{len(candidates)} {kind}s are named {facts.name!r}; set annotation "
                "nbaccess.dev/netbird-id to the id of the one to adopt",
            )
        elif candidates:
            verdict.primary, verdict.adopted = candidates[0], True
        elif same:
            verdict.conflict = _elsewhere(identity, same[0], facts)
        return
    if not same:
        return
    if identity.unique_names:
        first = same[0]
        if owner(first) is not None or facts.held_by(identity.object_id(first)) is not None:
            verdict.conflict = _elsewhere(identity, first, facts)
        else:
            why = (
                "; a create of it was interrupted and it may be the one it made: if so, set "
                "spec.adopt: true"
                if facts.create_requested_at is not None
                else ""
            )
            verdict.conflict = Permanent(
                "AlreadyExists",
                f"a {kind} named {facts.name!r} already exists in NetBird and is not managed by "
                f"this resource{why}; set spec.adopt: true to take it over, or choose another "
                "name" + _other_cluster_hint(kind),
            )
        return
    ids = ", ".join(identity.object_id(o) for o in same if owner(o) is None)
    if ids:
        verdict.warnings.append(
            f"another {kind} named {facts.name!r} exists in NetBird ({ids}) that this resource "
            "does not manage: NetBird allows the same name twice. Set spec.adopt: true (and "
            "delete this one's) to manage that one instead"
        )


def _other_cluster_hint(kind: str) -> str:
    return (
        f" (if another cluster sharing this NetBird account declares it: {kind} names are "
        "unique across the account, give each environment its own suffix, as the guide "
        "recommends)"
    )


def _elsewhere(identity: Identity[ObjT], obj: ObjT, facts: Facts) -> Permanent:
    object_id = identity.object_id(obj)
    claim = identity.claim(obj) if identity.claim is not None else None
    if claim is not None:
        return _managed_elsewhere(identity.kind, object_id, claim, identity.unique_names)
    holder = facts.held_by(object_id) or "another resource"
    return Permanent(
        "AlreadyManaged", f"{identity.kind} {facts.name!r} ({object_id}) is managed by {holder}"
    )
