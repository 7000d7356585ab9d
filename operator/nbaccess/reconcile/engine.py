"""The managed-resource cycle every kind shares: gather, decide ownership, create / update /
delete, and classify every NetBird error.

Each kind supplies a `ManagedOps` (how to list, read, create, update, delete and release its
NetBird object, how to diff desired against observed, and its `Identity` for the ownership
rule); the engine owns what must be the same for every kind:
- ownership (`ownership.decide`): ours only by our claim in NetBird or an id we recorded for
  this resource; twins of ours are deleted; nothing is written on a conflict;
- a create is announced in status first (`createRequestedAt`) and, when its answer was lost,
  not repeated before the answer could have landed (`create_grace`), so a late write is found
  instead of duplicated;
- no write when nothing differs; "already gone" is success on delete; "still in use" waits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, Literal, Protocol, TypeVar

from nbaccess.conditions import timestamp
from nbaccess.netbird import errors as nb_errors
from nbaccess.reconcile.kinds import Pass
from nbaccess.reconcile.outcome import Permanent, ReconcileError, Transient
from nbaccess.reconcile.ownership import Claim, Facts, Identity, Verdict, decide, read_claim
from nbaccess.reconcile.refs import CrKey
from nbaccess.reconcile.status import parse_timestamp

D = TypeVar("D")  # the desired API payload
Obs = TypeVar("Obs")  # the normalised observed object
T = TypeVar("T")
D_contra = TypeVar("D_contra", contravariant=True)

# The earliest create not yet confirmed (which object is ours), the latest attempt (how long a
# write may still be in flight), and whether NetBird answered that attempt (then nothing is).
CREATE_REQUESTED = "createRequestedAt"
CREATE_ATTEMPTED = "createAttemptedAt"
CREATE_ANSWERED = "createAnswered"
CREATE_FIELDS = (CREATE_REQUESTED, CREATE_ATTEMPTED, CREATE_ANSWERED)
# Gateways answer these while the request may still reach, or be running in, NetBird.
_GATEWAY_CODES = (502, 503, 504)


class ManagedOps(Protocol[D_contra, Obs]):
    """What the engine needs to know about one kind of NetBird object."""

    identity: Identity[Obs]
    # The custom resource kind whose objects claim these (for "does the claimant exist").
    cr_kind: str

    async def list_all(self, *, fresh: bool = False) -> Sequence[Obs]: ...
    async def get(self, object_id: str) -> Obs | None: ...
    def diff(self, desired: D_contra, observed: Obs) -> list[str]:
        """Names of the fields that differ; empty means no write is needed."""
        ...

    async def create(self, desired: D_contra) -> Obs: ...
    async def update(self, object_id: str, desired: D_contra, observed: Obs) -> Obs: ...
    async def delete(self, object_id: str) -> None: ...
    async def release(self, observed: Obs) -> None:
        """Drop our claim from the object (deletionPolicy Orphan): a later resource may adopt it."""
        ...


Action = Literal["created", "updated", "unchanged", "adopted", "observed"]


@dataclass
class Converged(Generic[Obs]):
    """The object as NetBird holds it after the pass, and what the pass did to it."""

    observed: Obs
    object_id: str
    action: Action
    changed_fields: list[str] = field(default_factory=list)
    # Twins of ours the pass deleted, and warnings the ownership rule raised.
    removed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # What it is, for events that name the object: "policy 'web-to-app' (d1fs3k2r...)".
    title: str = ""

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


def create_fate(exc: nb_errors.NetBirdError) -> Literal["refused", "answered", "in-flight"]:
    """What a failed create may have left behind.

    refused: NetBird certainly did not create it (a 4xx, a 429, a connection never made).
    answered: NetBird finished the request (a 500): it may have created it, and a fresh list
    shows whether it did. in-flight: no answer, or a gateway's; NetBird may still create it.
    """
    if isinstance(exc, nb_errors.TransportError):
        return "in-flight" if exc.request_sent else "refused"
    if isinstance(exc, nb_errors.ServerError):
        return "in-flight" if exc.status in _GATEWAY_CODES else "answered"
    return "refused"


def facts_for(ops: ManagedOps[D, Obs], current: Pass, *, name: str, adopt: bool) -> Facts:
    """What the ownership rule needs about this resource, from the pass and the directory."""
    me = CrKey(ops.cr_kind, current.namespace, current.name)

    def held_by(object_id: str) -> str | None:
        holder = current.directory.holder(ops.cr_kind, object_id)
        return None if holder is None or holder == me else f"{holder.namespace}/{holder.name}"

    def claimant_exists(claim: Claim) -> bool:
        key = CrKey(ops.cr_kind, claim.namespace, claim.name)
        return current.directory.state(key) is not None

    return Facts(
        claim=current.claim,
        name=name,
        adopt=adopt,
        recorded_id=current.known_id,
        annotated_id=current.annotated_id,
        create_requested_at=parse_timestamp(current.previous_status.get(CREATE_REQUESTED)),
        held_by=held_by,
        claimant_exists=claimant_exists,
    )


async def _listed(ops: ManagedOps[D, Obs], current: Pass, *, fresh: bool) -> list[Obs]:
    try:
        listed = list(await ops.list_all(fresh=fresh))
    except nb_errors.NetBirdError as exc:
        raise classify(exc, f"listing {ops.identity.kind}s") from exc
    ids = {ops.identity.object_id(o) for o in listed}
    for wanted in (current.known_id, current.annotated_id):
        if wanted and wanted not in ids:
            # Made since the list was loaded (by someone else: our writes keep it current).
            found = await _get(ops, wanted)
            if found is not None:
                listed.append(found)
                ids.add(wanted)
    return listed


async def gather(
    ops: ManagedOps[D, Obs], current: Pass, *, name: str, adopt: bool, fresh: bool = False
) -> Verdict[Obs]:
    """Every object of the kind, judged by the ownership rule for this resource."""
    listed = await _listed(ops, current, fresh=fresh)
    return decide(ops.identity, listed, facts_for(ops, current, name=name, adopt=adopt))


def _pending_create(current: Pass) -> dt.datetime | None:
    """Until when an unconfirmed create of ours may still land, if that is still ahead."""
    status = current.previous_status
    attempted = parse_timestamp(status.get(CREATE_ATTEMPTED) or status.get(CREATE_REQUESTED))
    if attempted is None or status.get(CREATE_ANSWERED):
        return None
    until = attempted + current.create_grace
    return until if current.now < until else None


async def converge(
    ops: ManagedOps[D, Obs],
    desired: D,
    current: Pass,
    *,
    name: str,
    adopt: bool,
    fresh: bool = False,
) -> Converged[Obs]:
    """Bring one NetBird object to `desired`; raise a ReconcileError instead of crashing.
    `fresh`: compare with NetBird's own list, not a cached one."""
    kind = ops.identity.kind
    # After an unconfirmed create the list must be NetBird's, not one cached before it landed.
    fresh = fresh or unconfirmed_create(current)
    verdict = await gather(ops, current, name=name, adopt=adopt, fresh=fresh)
    if verdict.primary is None and verdict.conflict is None and adopt and not fresh:
        # The object to adopt was made by hand, maybe after the cached list was loaded: only
        # NetBird's own list can say it is not there before one is created beside it.
        verdict = await gather(ops, current, name=name, adopt=adopt, fresh=True)
    if verdict.conflict is not None:
        raise verdict.conflict
    removed = [await _remove_twin(ops, twin) for twin in verdict.twins]
    if verdict.primary is None:
        created = await create(ops, desired, current, name=name)
        created_id = ops.identity.object_id(created)
        return Converged(
            created,
            created_id,
            "created",
            [],
            removed,
            verdict.warnings,
            f"{kind} {name!r} ({created_id})",
        )
    observed = verdict.primary
    object_id = ops.identity.object_id(observed)
    title = f"{kind} {name!r} ({object_id})"
    current.recorder.note({"id": object_id, **dict.fromkeys(CREATE_FIELDS)})
    action: Action = "adopted" if verdict.adopted else "unchanged"
    changes = ops.diff(desired, observed)
    if not changes:
        return Converged(observed, object_id, action, [], removed, verdict.warnings, title)
    updated = await call(
        f"updating {kind} {name!r}", lambda: ops.update(object_id, desired, observed)
    )
    return Converged(
        updated,
        object_id,
        "adopted" if verdict.adopted else "updated",
        changes,
        removed,
        verdict.warnings,
        title,
    )


async def create(ops: ManagedOps[D, Obs], desired: D, current: Pass, *, name: str) -> Obs:
    """Create, announcing it in status first so a lost answer is recognised later."""
    kind = ops.identity.kind
    pending = _pending_create(current)
    if pending is not None:
        raise Transient(
            "CreatePending",
            f"an earlier create of {kind} {name!r} got no answer; waiting until "
            f"{timestamp(pending)} for it to appear before creating it again",
            retry_at=pending,
        )
    # The earliest create that is still unconfirmed is the one to remember: its object (a
    # group's xid) may be the one NetBird ends up holding, whatever this attempt's answer.
    earlier = current.previous_status.get(CREATE_REQUESTED)
    now = timestamp(current.clock())
    await current.recorder.record(
        {CREATE_REQUESTED: earlier or now, CREATE_ATTEMPTED: now, CREATE_ANSWERED: None}
    )
    try:
        created = await ops.create(desired)
    except nb_errors.NetBirdError as exc:
        fate = create_fate(exc)
        if fate == "refused" and not earlier:
            current.recorder.note(dict.fromkeys(CREATE_FIELDS))
        elif fate != "in-flight":
            current.recorder.note({CREATE_ANSWERED: True})
        raise classify(exc, f"creating {kind} {name!r}") from exc
    current.recorder.note({"id": ops.identity.object_id(created), **dict.fromkeys(CREATE_FIELDS)})
    return created


async def _remove_twin(ops: ManagedOps[D, Obs], twin: Obs) -> str:
    object_id = ops.identity.object_id(twin)
    await remove(ops, object_id)
    return f"deleted duplicate {ops.identity.kind} {object_id} (a create that landed late)"


async def _get(ops: ManagedOps[D, Obs], object_id: str) -> Obs | None:
    try:
        return await ops.get(object_id)
    except nb_errors.NotFound:
        return None
    except nb_errors.Invalid as exc:
        if nb_errors.is_not_found(exc):
            return None
        raise classify(exc, f"reading {ops.identity.kind} {object_id}") from exc
    except nb_errors.NetBirdError as exc:
        raise classify(exc, f"reading {ops.identity.kind} {object_id}") from exc


async def finalize(ops: ManagedOps[D, Obs], current: Pass, *, name: str, orphan: bool) -> list[str]:
    """Honour deletionPolicy for every object of ours, not only the recorded one.

    Delete: every object carrying our claim (and the one we recorded) goes. Orphan: the
    recorded one keeps living without our claim, twins still go. Returns what was done.
    """
    wait_for_unconfirmed_create(current)
    verdict = await gather(ops, current, name=name, adopt=False, fresh=unconfirmed_create(current))
    ours = []
    if verdict.conflict is None and verdict.primary is not None:
        ours.append(verdict.primary)
    ours += verdict.twins
    done = []
    for obj in ours:
        object_id = ops.identity.object_id(obj)
        if orphan and obj is verdict.primary:
            try:
                await ops.release(obj)
            except nb_errors.NetBirdError as exc:
                raise classify(exc, f"releasing {ops.identity.kind} {object_id}") from exc
            done.append(f"released {ops.identity.kind} {object_id}")
            continue
        await remove(ops, object_id)
        done.append(f"deleted {ops.identity.kind} {object_id}")
    return done


def unconfirmed_create(current: Pass) -> bool:
    """Whether a create of ours may have landed without being recorded. Only then can an
    object with our claim exist that the cached list (kept current by our own writes) does
    not show, so only then is NetBird's list read afresh."""
    return any(current.previous_status.get(f) for f in (CREATE_REQUESTED, CREATE_ATTEMPTED))


def wait_for_unconfirmed_create(current: Pass) -> None:
    """Before a deletion: a create of ours that may still land would be left behind for ever
    if the finalizer finished first, so wait until it could have landed."""
    pending = _pending_create(current)
    if pending is not None:
        raise Transient(
            "CreatePending",
            f"waiting until {timestamp(pending)} for an unconfirmed create to land, so it "
            "is deleted too",
            retry_at=pending,
        )


async def remove(ops: ManagedOps[D, Obs], object_id: str | None) -> bool:
    """Delete our object; True when it is gone. "Still in use" waits instead of looping hot."""
    return await remove_with(ops.identity.kind, ops.delete, object_id)


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


def claim_of(description: str) -> Claim | None:
    return read_claim(description)


def describe_changes(result: Converged[Obs]) -> list[str]:
    """What the pass did, for an event; empty when nothing was written."""
    done = list(result.removed)
    if not result.wrote:
        return done
    what = f"{result.action} {result.title}".rstrip()
    if result.changed_fields:
        return [f"{what}: {', '.join(result.changed_fields)}", *done]
    return [what, *done]
