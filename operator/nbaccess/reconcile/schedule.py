"""When an object needs a pass: pure decisions, so they are tested rather than hoped for.

Three things start a pass. A watch event that matters (`needs_pass`: a new object, a spec
change, a deletion, a request annotation with a new value, our finalizer gone); a due time the
last pass asked for (`recheckAfter`: a policy's expiry, a key's rotation, a health read) or a
retry after a failure (`after_pass`); and the resync sweep, which looks at every object of a
kind against one list call and queues those that drifted or are not Ready.

Status-only changes (our own writes coming back through the watch) never start a pass: that
would loop.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from nbaccess.conditions import Phase
from nbaccess.reconcile.objects import StoredObject
from nbaccess.reconcile.outcome import Outcome
from nbaccess.reconcile.refs import CrKey
from nbaccess.resources.kinds import GROUP

FINALIZER = f"{GROUP}/finalizer"
# People (and tools) set it to ask for a pass now, as with Flux's requestedAt.
REQUESTED_AT = f"reconcile.{GROUP}/requested-at"

# Lower first: what others reference converges before the objects that wait for it.
KIND_ORDER = {"NetBirdGroup": 0, "PostureCheck": 0, "NetBirdNetwork": 1}


def queue_priority(key: CrKey) -> int:
    """The work queue's order of kinds (see KIND_ORDER)."""
    return KIND_ORDER.get(key.kind, 2)


# Annotations that ask a kind for an action, each with the status field where a pass records
# the value it acted on. Per kind: on any other kind the annotation means nothing.
REQUEST_ANNOTATIONS: Mapping[str, Mapping[str, str]] = {
    "SetupKey": {f"{GROUP}/rotate-requested-at": "rotateRequestHandled"},
}


def pending_request(
    annotations: Mapping[str, str] | None, annotation: str, handled: object
) -> str | None:
    """The annotation's value when no pass has acted on it yet (`handled` is the last one)."""
    value = (annotations or {}).get(annotation)
    return value if value and value != handled else None


def _requests(obj: StoredObject) -> tuple[str | None, ...]:
    names = [REQUESTED_AT, *REQUEST_ANNOTATIONS.get(obj.key.kind, {})]
    return tuple(obj.annotations.get(name) for name in names)


def needs_pass(old: StoredObject | None, new: StoredObject) -> bool:
    """Whether a watch event that turned `old` into `new` calls for a pass."""
    if old is None or old.uid != new.uid:
        return True  # first sight (start-up listing or a new object), or deleted and recreated
    if new.deleting:
        return not old.deleting or FINALIZER not in old.finalizers
    return (
        new.generation != old.generation
        or _requests(new) != _requests(old)
        or FINALIZER not in new.finalizers
    )


@dataclass(frozen=True)
class Dependants:
    """Who a deletion of `key` waits for, among the resources that reference it.

    going: being deleted themselves. Deleting a group together with the policies and keys that
    use it would otherwise cost a refused DELETE ("group has been linked to ...") per object.
    holding: staying, and Ready, so each has linked it in NetBird, which would refuse too. A
    referrer that is not Ready may never have linked it: NetBird decides.
    """

    going: list[CrKey]
    holding: list[CrKey]


def dependants(
    key: CrKey, referrers: Sequence[CrKey], lookup: Callable[[CrKey], StoredObject | None]
) -> Dependants:
    found = Dependants([], [])
    for referrer in referrers:
        obj = lookup(referrer)
        if obj is None or referrer == key:
            continue
        if obj.deleting:
            found.going.append(referrer)
        elif obj.ready:
            found.holding.append(referrer)
    return found


@dataclass(frozen=True)
class After:
    """What a finished pass means for the queue."""

    # Count a failure and try again after the key's backoff.
    retry: bool
    # Also (or only) look again at this time.
    at: dt.datetime | None = None


def after_pass(outcome: Outcome, recheck_at: dt.datetime | None, *, internal: bool) -> After:
    """Waiting and transient failures retry with backoff (a dependency turning Ready wakes the
    referrer sooner); final outcomes wait for a change, a due time or the next sweep."""
    retry = internal or outcome.phase is Phase.PROGRESSING
    return After(retry=retry, at=recheck_at)
