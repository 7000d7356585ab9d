"""One pass over one object, as data: what the kube layer runs and the integration tests run.

`converge_once` parses the spec, runs the kind and turns whatever happened into the status to
write and the events to post; `finalize_once` does the same for a deletion. Neither touches
Kubernetes: the runner writes what they return, the test harness applies it to its own copy.
Keeping this the only place that builds status means the harness cannot drift from the runner.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from nbaccess.conditions import Phase
from nbaccess.netbird.client import NetBirdClient
from nbaccess.reconcile.events import EventSpec, condition_flips, warning_reason
from nbaccess.reconcile.kinds import KindReconciler, Pass
from nbaccess.reconcile.outcome import Outcome, ReconcileError
from nbaccess.reconcile.status import build_status, condition, parse_timestamp

log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class PassResult:
    outcome: Outcome
    # The whole status document to merge (None values delete stale fields).
    status: dict[str, Any]
    events: list[EventSpec] = field(default_factory=list)
    # A bug, not a classified outcome: counted as an error, retried with backoff.
    internal_error: bool = False
    # Whether the pass recorded anything on its way (an intent, a new id).
    recorded: bool = False

    @property
    def recheck_at(self) -> dt.datetime | None:
        """When the outcome itself says to look again (an expiry, a rotation, a health read,
        the moment an unconfirmed create could have landed)."""
        times = [parse_timestamp(self.status.get("recheckAfter")), self.outcome.retry_at]
        due = [t for t in times if t is not None]
        return min(due) if due else None


@dataclass
class FinalizeResult:
    """None `outcome`: the NetBird side is cleaned up and the finalizer may go."""

    outcome: Outcome | None
    status: dict[str, Any] = field(default_factory=dict)
    events: list[EventSpec] = field(default_factory=list)
    # Status says this very verdict already (a retry that found nothing new).
    repeated: bool = False

    @property
    def done(self) -> bool:
        return self.outcome is None


def _previous(current: Pass) -> dict[str, Any]:
    # What the pass recorded on its way (an intent written before a create) counts as the
    # status it started from.
    merged = {**current.previous_status, **current.recorder.fields}
    return {k: v for k, v in merged.items() if v is not None}


def _status(outcome: Outcome, current: Pass, clock: Clock) -> dict[str, Any]:
    previous = _previous(current)
    # Taken after the pass: a condition says when NetBird changed, not when we began waiting
    # for the rate limiter.
    status = build_status(outcome, previous, generation=current.generation, now=clock())
    # What the pass itself recorded (a new id, an intent cleared) holds whatever the outcome.
    status.update({k: v for k, v in current.recorder.fields.items() if k not in outcome.status})
    # The id is recorded for this resource (its uid): a copy or restore of the status is
    # not mistaken for ours (see ownership.recorded_id).
    status["ownerUID"] = current.uid or None if status.get("id") else None
    return status


async def converge_once(
    kind: KindReconciler[Any],
    nb: NetBirdClient,
    current: Pass,
    spec: Mapping[str, Any],
    *,
    clock: Clock = utcnow,
) -> PassResult:
    internal = False
    try:
        parsed = kind.parse(spec)
        outcome = await kind.reconcile(nb, current, parsed)
    except ReconcileError as err:
        noted = current.recorder.fields.get("id")
        outcome = Outcome.failed(err, netbird_id=noted or current.known_id)
    except Exception as exc:  # a bug must not leave the CR without a status
        log.exception("%s %s: unexpected failure", kind.kind, current.owner)
        internal = True
        outcome = Outcome(
            Phase.PROGRESSING, "InternalError", f"unexpected {type(exc).__name__}; will retry"
        )
    status = _status(outcome, current, clock)
    return PassResult(
        outcome,
        status,
        pass_events(outcome, _previous(current)),
        internal,
        recorded=bool(current.recorder.fields),
    )


async def finalize_once(
    kind: KindReconciler[Any],
    nb: NetBirdClient,
    current: Pass,
    spec: Mapping[str, Any],
    *,
    clock: Clock = utcnow,
) -> FinalizeResult:
    try:
        parsed = kind.parse(spec)
    except ReconcileError as err:
        unconfirmed = any(
            current.previous_status.get(f) for f in ("createRequestedAt", "createAttemptedAt")
        )
        if current.known_id is None and not unconfirmed:
            return FinalizeResult(None)  # nothing was ever created in NetBird
        # Which NetBird object to delete, and whether to, is in the spec we cannot read: keep
        # the CR so nothing is lost silently; fixing the spec (or removing the finalizer
        # deliberately) lets the deletion finish.
        return blocked(err, current, clock)
    try:
        await kind.finalize(nb, current, parsed)
    except ReconcileError as err:
        return blocked(err, current, clock)
    return FinalizeResult(None)


def blocked(err: ReconcileError, current: Pass, clock: Clock = utcnow) -> FinalizeResult:
    """Deletion cannot finish yet: Ready=False `DeletionBlocked`, saying why."""
    outcome = Outcome(
        Phase.PROGRESSING if err.phase is Phase.PROGRESSING else Phase.STALLED,
        "DeletionBlocked",
        f"deletion waits: {err.message}",
        netbird_id=current.known_id,
    )
    status = _status(outcome, current, clock)
    ready = condition(_previous(current), "Ready") or {}
    repeated = _verdict(_previous(current)) == (outcome.reason, outcome.message) and (
        ready.get("observedGeneration") == current.generation  # not for an edited spec
    )
    events = [] if repeated else [EventSpec("Warning", err.reason, err.message[:1000])]
    return FinalizeResult(outcome, status, events, repeated)


def _verdict(status: Mapping[str, Any]) -> tuple[str, str] | None:
    ready = condition(status, "Ready")
    return None if ready is None else (str(ready.get("reason")), str(ready.get("message")))


def pass_events(outcome: Outcome, previous: Mapping[str, Any]) -> list[EventSpec]:
    """What deserves an event: every change made in NetBird, a new verdict that is not Ready,
    a new warning, and a data-plane condition (routing-peer health) that flipped."""
    events = [EventSpec("Normal", "Synced", f"NetBird {change}") for change in outcome.changes]
    if outcome.phase is not Phase.READY and (outcome.reason, outcome.message) != _verdict(previous):
        events.append(EventSpec("Warning", outcome.reason, outcome.message[:1000]))
    known: Sequence[str] = previous.get("warnings") or []
    events += [
        EventSpec("Warning", warning_reason(warning), warning)
        for warning in outcome.warnings
        if warning not in known
    ]
    return events + condition_flips(previous, outcome.conditions)
