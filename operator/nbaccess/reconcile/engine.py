"""The managed-resource cycle every kind shares: observe, decide, create / update / delete.

Each kind supplies a `ManagedOps` (how to read, find, create, update, delete its NetBird object
and how to diff desired against observed); the engine owns the decisions that must be the same
for every kind: find by id first, adopt only when asked, never write when nothing differs,
treat "already gone" as success on delete, and classify every NetBird error.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, Literal, Protocol, TypeVar

from nbaccess.netbird import errors as nb_errors
from nbaccess.reconcile.outcome import Permanent, ReconcileError, Transient

D = TypeVar("D")  # the desired API payload
Obs = TypeVar("Obs")  # the normalised observed object
T = TypeVar("T")
D_contra = TypeVar("D_contra", contravariant=True)

MARKER_PREFIX = "managed by nbaccess: "


def marker(namespace: str, name: str) -> str:
    """The text appended to NetBird descriptions so dashboard users see the object is in Git."""
    return f"{MARKER_PREFIX}{namespace}/{name}"


def with_marker(description: str, namespace: str, name: str) -> str:
    mark = marker(namespace, name)
    text = description.strip()
    return f"{text}\n{mark}" if text else mark


def claimant(description: str) -> str | None:
    """`namespace/name` from our marker in a NetBird description, or None."""
    for line in reversed(description.splitlines()):
        if line.startswith(MARKER_PREFIX):
            return line[len(MARKER_PREFIX) :].strip() or None
    return None


class ManagedOps(Protocol[D_contra, Obs]):
    """What the engine needs to know about one kind of NetBird object."""

    kind: str
    # NetBird rejects duplicates for this kind, so a same-named object is a clash, not a sibling.
    unique_names: bool

    def object_id(self, observed: Obs) -> str: ...
    async def get(self, object_id: str) -> Obs | None: ...
    async def find_by_name(self, name: str) -> Sequence[Obs]: ...
    def claimed_by(self, observed: Obs) -> str | None:
        """`namespace/name` from our description marker, or None (kinds without descriptions)."""
        ...

    def diff(self, desired: D_contra, observed: Obs) -> list[str]:
        """Names of the fields that differ; empty means no write is needed."""
        ...

    async def create(self, desired: D_contra) -> Obs: ...
    async def update(self, object_id: str, desired: D_contra, observed: Obs) -> Obs: ...
    async def delete(self, object_id: str) -> None: ...


Action = Literal["created", "updated", "unchanged", "adopted", "observed"]


@dataclass
class Converged(Generic[Obs]):
    """The object as NetBird holds it after the pass, and what the pass did to it."""

    observed: Obs
    object_id: str
    action: Action
    changed_fields: list[str] = field(default_factory=list)

    @property
    def wrote(self) -> bool:
        return self.action in ("created", "updated", "adopted") and (
            self.action != "adopted" or bool(self.changed_fields)
        )


def classify(exc: nb_errors.NetBirdError, doing: str) -> ReconcileError:
    """A NetBird error as a status outcome: retryable ones wait, the rest need a person."""
    if exc.retryable:
        return Transient(type(exc).__name__, f"{doing}: {exc.message} (will retry)")
    reason = {
        nb_errors.Invalid: "NetBirdRejected",
        nb_errors.Conflict: "AlreadyExists",
        nb_errors.Unauthorized: "Unauthorized",
        nb_errors.Forbidden: "Forbidden",
        nb_errors.NotFound: "NotFound",
        nb_errors.PreconditionFailed: "PreconditionFailed",
    }.get(type(exc), type(exc).__name__)
    return Permanent(reason, f"{doing}: NetBird answered {exc.status}: {exc.message}")


async def call(doing: str, fn: Callable[[], Awaitable[T]]) -> T:
    """Run one NetBird request, turning its error into a status outcome."""
    try:
        return await fn()
    except nb_errors.NetBirdError as exc:
        raise classify(exc, doing) from exc


async def converge(
    ops: ManagedOps[D, Obs],
    desired: D,
    *,
    name: str,
    owner: str,
    known_id: str | None,
    adopt: bool,
    observe_only: bool = False,
) -> Converged[Obs]:
    """Bring one NetBird object to `desired`; raise a ReconcileError instead of crashing.

    `owner` is `namespace/name` of the CR; `known_id` comes from status or the id annotation.
    """
    observed: Obs | None = None
    if known_id:
        observed = await _get(ops, known_id)
        claimant = ops.claimed_by(observed) if observed is not None else None
        if claimant is not None and claimant != owner:
            # An id copied from another resource (a duplicated manifest with its annotation).
            raise Permanent(
                "AlreadyManaged",
                f"{ops.kind} {known_id} is managed by {claimant}; remove the "
                "nbaccess.dev/netbird-id annotation copied from it",
            )
    action: Action = "unchanged"
    if observed is None:
        existing = await _find_existing(ops, name=name, owner=owner, adopt=adopt or observe_only)
        observed, action = existing
    if observe_only:
        if observed is None:
            raise Permanent(
                "NotFound", f"no {ops.kind} named {name!r} exists in NetBird to observe"
            )
        return Converged(observed, ops.object_id(observed), "observed")
    if observed is None:
        created = await call(f"creating {ops.kind} {name!r}", lambda: ops.create(desired))
        return Converged(created, ops.object_id(created), "created")
    object_id = ops.object_id(observed)
    changes = ops.diff(desired, observed)
    if not changes:
        return Converged(observed, object_id, action)
    current = observed
    updated = await call(
        f"updating {ops.kind} {name!r}", lambda: ops.update(object_id, desired, current)
    )
    return Converged(updated, object_id, "adopted" if action == "adopted" else "updated", changes)


async def _get(ops: ManagedOps[D, Obs], object_id: str) -> Obs | None:
    try:
        return await ops.get(object_id)
    except nb_errors.NotFound:
        # Deleted outside Git: the declaration wins, so it is recreated.
        return None
    except nb_errors.NetBirdError as exc:
        raise classify(exc, f"reading {ops.kind} {object_id}") from exc


async def _find_existing(
    ops: ManagedOps[D, Obs], *, name: str, owner: str, adopt: bool
) -> tuple[Obs | None, Action]:
    try:
        same_name = list(await ops.find_by_name(name))
    except nb_errors.NetBirdError as exc:
        raise classify(exc, f"looking up {ops.kind} {name!r}") from exc
    ours = [o for o in same_name if ops.claimed_by(o) == owner]
    if ours:
        # Created by an earlier pass that did not live to record the id.
        return ours[0], "unchanged"
    unclaimed = [o for o in same_name if ops.claimed_by(o) is None]
    if adopt:
        if len(unclaimed) > 1:
            raise Permanent(
                "AmbiguousAdoption",
                f"{len(unclaimed)} {ops.kind}s are named {name!r}; set the id to adopt one",
            )
        if unclaimed:
            return unclaimed[0], "adopted"
        if same_name:
            claimant = ops.claimed_by(same_name[0])
            raise Permanent(
                "AlreadyManaged", f"{ops.kind} {name!r} is already managed by {claimant}"
            )
        return None, "unchanged"
    if same_name and ops.unique_names:
        raise Permanent(
            "AlreadyExists",
            f"a {ops.kind} named {name!r} already exists in NetBird and is not ours; "
            "set spec.adopt: true to take it over, or choose another name",
        )
    return None, "unchanged"


async def remove(ops: ManagedOps[D, Obs], object_id: str | None) -> bool:
    """Delete our object; True when it is gone. "Still in use" waits instead of looping hot."""
    return await remove_with(ops.kind, ops.delete, object_id)


async def remove_with(
    kind: str, delete: Callable[[str], Awaitable[None]], object_id: str | None
) -> bool:
    """remove() for objects without a ManagedOps (e.g. the parts of a network)."""
    if not object_id:
        return True
    try:
        await delete(object_id)
    except nb_errors.NotFound:
        return True
    except nb_errors.NetBirdError as exc:
        if nb_errors.is_in_use(exc):
            raise Transient("InUse", f"{kind} {object_id} is still in use: {exc.message}") from exc
        if isinstance(exc, nb_errors.Invalid) and nb_errors.is_not_found(exc):
            return True
        raise classify(exc, f"deleting {kind} {object_id}") from exc
    return True


def describe_changes(result: Converged[Obs]) -> list[str]:
    """What the pass did, for an event; empty when nothing was written."""
    if not result.wrote:
        return []
    if result.changed_fields:
        return [f"{result.action} {', '.join(result.changed_fields)}"]
    return [result.action]
