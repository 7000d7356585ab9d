"""When the periodic tick should run a pass: a pure decision so it is tested, not hoped for.

One short timer per object drives both retries and drift detection: objects still working
(waiting for a dependency, retrying NetBird) are retried every `retry` seconds; converged or
stalled ones are re-checked against NetBird every `resync` seconds. A request annotation
with a value no pass has acted on yet makes a pass due at once: kopf does not report changes
to annotations under our own prefix, so the tick is what notices them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from nbaccess.reconcile.status import condition, parse_timestamp

# Annotations that ask a kind for an action, each with the status field where a pass records
# the value it acted on. Per kind: on any other kind the annotation means nothing.
REQUEST_ANNOTATIONS: Mapping[str, Mapping[str, str]] = {
    "SetupKey": {"nbaccess.dev/rotate-requested-at": "rotateRequestHandled"},
}


def pending_request(
    annotations: Mapping[str, str] | None, annotation: str, handled: object
) -> str | None:
    """The annotation's value when no pass has acted on it yet (`handled` is the last one)."""
    value = (annotations or {}).get(annotation)
    return value if value and value != handled else None


def unhandled_request(
    kind: str, status: Mapping[str, Any] | None, annotations: Mapping[str, str] | None
) -> bool:
    """True when one of the kind's request annotations holds a value not yet acted on."""
    status = status or {}
    return any(
        pending_request(annotations, annotation, status.get(handled))
        for annotation, handled in REQUEST_ANNOTATIONS.get(kind, {}).items()
    )


def pass_due(
    status: Mapping[str, Any] | None,
    *,
    kind: str = "",
    now: dt.datetime,
    resync_seconds: float,
    retry_seconds: float,
    annotations: Mapping[str, str] | None = None,
) -> bool:
    status = status or {}
    last = parse_timestamp(status.get("lastSyncedTime"))
    if last is None or unhandled_request(kind, status, annotations):
        return True
    # A time the outcome itself depends on (a policy's expiresAt) is not left to the resync.
    recheck = parse_timestamp(status.get("recheckAfter"))
    if recheck is not None and last < recheck <= now:
        return True
    reconciling = condition(status, "Reconciling")
    working = reconciling is not None and reconciling.get("status") == "True"
    wait = retry_seconds if working else resync_seconds
    return (now - last).total_seconds() >= wait
