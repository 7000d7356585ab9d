"""The status a pass writes, built from its outcome: one whole, kstatus-correct document.

Pure so the kstatus rules can be tested on every outcome without a cluster.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from nbaccess.conditions import (
    Phase,
    merge_conditions,
    observed_generation,
    phase_conditions,
    timestamp,
)
from nbaccess.reconcile.outcome import Outcome


def parse_timestamp(value: object) -> dt.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def ready_message(outcome: Outcome) -> str:
    if outcome.phase is Phase.READY and outcome.warnings and not outcome.message:
        return "in sync, with warnings: " + "; ".join(outcome.warnings)
    return outcome.message


def build_status(
    outcome: Outcome,
    previous: Mapping[str, Any] | None,
    *,
    generation: int,
    now: dt.datetime,
) -> dict[str, Any]:
    """The status to patch: every field we own, with None for fields that no longer apply.

    A merge patch cannot drop a key by omission, so after a complete (Ready) observation stale
    kind fields are nulled explicitly. A pass that failed part-way knows less than the last one,
    so it keeps what it does not overwrite: recorded ids must survive a NetBird outage.
    """
    previous = previous or {}
    decided = [
        *phase_conditions(outcome.phase, outcome.reason, ready_message(outcome)),
        *outcome.conditions,
    ]
    prev_gen = previous.get("observedGeneration")
    status: dict[str, Any] = {
        "conditions": merge_conditions(
            previous.get("conditions"), decided, generation=generation, now=now
        ),
        "observedGeneration": observed_generation(
            outcome.phase, generation, prev_gen if isinstance(prev_gen, int) else None
        ),
        "lastSyncedTime": timestamp(now),
        "id": outcome.netbird_id or previous.get("id") or None,
    }
    if outcome.phase is Phase.READY or outcome.warnings:
        status["warnings"] = list(outcome.warnings) or None
    status.update(outcome.status)
    if outcome.phase is Phase.READY:
        for key in previous:
            status.setdefault(key, None)
    return status


def condition(status: Mapping[str, Any] | None, ctype: str) -> Mapping[str, Any] | None:
    """The condition of that type in a status document, or None."""
    for cond in (status or {}).get("conditions") or ():
        if cond.get("type") == ctype:
            return dict(cond)
    return None


def is_ready(status: Mapping[str, Any] | None) -> bool:
    ready = condition(status, "Ready")
    return ready is not None and ready.get("status") == "True"


def ready_reason(status: Mapping[str, Any] | None) -> str | None:
    ready = condition(status, "Ready")
    return None if ready is None else str(ready.get("reason") or "")
