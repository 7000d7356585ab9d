"""When the periodic tick should run a pass: a pure decision so it is tested, not hoped for.

One short timer per object drives both retries and drift detection: objects still working
(waiting for a dependency, retrying NetBird) are retried every `retry` seconds; converged or
stalled ones are re-checked against NetBird every `resync` seconds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from nbaccess.reconcile.status import parse_timestamp


def pass_due(
    status: Mapping[str, Any] | None,
    *,
    now: dt.datetime,
    resync_seconds: float,
    retry_seconds: float,
) -> bool:
    status = status or {}
    last = parse_timestamp(status.get("lastSyncedTime"))
    if last is None:
        return True
    # A time the outcome itself depends on (a policy's expiresAt) is not left to the resync.
    recheck = parse_timestamp(status.get("recheckAfter"))
    if recheck is not None and last < recheck <= now:
        return True
    working = any(
        c.get("type") == "Reconciling" and c.get("status") == "True"
        for c in status.get("conditions") or ()
    )
    wait = retry_seconds if working else resync_seconds
    return (now - last).total_seconds() >= wait
