"""Pure helpers for status conditions that kstatus (Flux, `kubectl wait`) and Argo CD read right.

The rules, from kstatus and our architecture page:
- `Ready` is present after the first visit; `Reconciling` and `Stalled` appear only while True
  (kstatus treats a present False as noise, and "abnormal-true" conditions are the convention).
- Waiting (a dependency, a transient failure) is Ready=False + Reconciling=True, never Stalled.
- A final failure (invalid spec, a 4xx that retrying cannot fix) is Ready=False + Stalled=True.
- `observedGeneration` moves to `metadata.generation` only on a final outcome, so a GitOps tool
  waiting on the generation does not see "done" while we are still working.
- `lastTransitionTime` changes only when a condition's status changes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, Literal

ConditionStatus = Literal["True", "False", "Unknown"]

READY = "Ready"
RECONCILING = "Reconciling"
STALLED = "Stalled"


class Phase(Enum):
    """What one reconcile pass concluded, as far as status is concerned."""

    READY = "ready"  # converged: final
    PROGRESSING = "progressing"  # waiting or retrying: not final
    STALLED = "stalled"  # needs a person: final for this generation

    @property
    def final(self) -> bool:
        return self is not Phase.PROGRESSING


@dataclass(frozen=True)
class Condition:
    """A condition as we decide it, before timestamps and generations are applied."""

    type: str
    status: ConditionStatus
    reason: str
    message: str = ""


def timestamp(now: dt.datetime) -> str:
    """RFC 3339 in UTC, to the second, as Kubernetes writes times."""
    return now.astimezone(dt.UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def phase_conditions(phase: Phase, reason: str, message: str) -> list[Condition]:
    """The kstatus conditions (Ready, and Reconciling or Stalled when True) for one outcome."""
    if phase is Phase.READY:
        return [Condition(READY, "True", reason, message)]
    if phase is Phase.PROGRESSING:
        return [
            Condition(READY, "False", reason, message),
            Condition(RECONCILING, "True", reason, message),
        ]
    return [
        Condition(READY, "False", reason, message),
        Condition(STALLED, "True", reason, message),
    ]


def merge_conditions(
    previous: Iterable[Mapping[str, Any]] | None,
    decided: Sequence[Condition],
    *,
    generation: int,
    now: dt.datetime,
) -> list[dict[str, Any]]:
    """The whole conditions list to write: exactly `decided`, in metav1.Condition shape.

    Conditions not decided this pass are dropped (that is how Reconciling and Stalled disappear
    once they stop being True); a condition keeps its lastTransitionTime while its status holds.
    """
    seen = {str(c.get("type")): c for c in previous or ()}
    merged: list[dict[str, Any]] = []
    for cond in decided:
        old = seen.get(cond.type)
        if old is not None and old.get("status") == cond.status and old.get("lastTransitionTime"):
            since = str(old["lastTransitionTime"])
        else:
            since = timestamp(now)
        merged.append(
            {
                "type": cond.type,
                "status": cond.status,
                "reason": cond.reason,
                "message": cond.message,
                "observedGeneration": generation,
                "lastTransitionTime": since,
            }
        )
    return merged


def observed_generation(phase: Phase, generation: int, previous: int | None) -> int:
    """`status.observedGeneration` after a pass: the generation only when the outcome is final."""
    if phase.final:
        return generation
    return previous if previous is not None else -1


def kstatus_violations(status: Mapping[str, Any] | None, generation: int) -> list[str]:
    """Every way `status` breaks the rules above; empty when kstatus and Argo CD read it right.

    Used by the tests on every outcome, and cheap enough to run on live objects.
    """
    problems: list[str] = []
    if not status:
        return ["status is empty: Ready must be present after the first visit"]
    conds = {str(c.get("type")): c for c in status.get("conditions") or ()}
    types = [str(c.get("type")) for c in status.get("conditions") or ()]
    if len(types) != len(set(types)):
        problems.append(f"duplicate condition types: {types}")
    ready = conds.get(READY)
    if ready is None:
        problems.append("Ready condition is missing")
    for name in (RECONCILING, STALLED):
        cond = conds.get(name)
        if cond is not None and cond.get("status") != "True":
            problems.append(f"{name} is present with status {cond.get('status')}: drop it instead")
    reconciling = conds.get(RECONCILING, {}).get("status") == "True"
    stalled = conds.get(STALLED, {}).get("status") == "True"
    ready_true = ready is not None and ready.get("status") == "True"
    if reconciling and stalled:
        problems.append("Reconciling and Stalled are both True")
    if ready_true and (reconciling or stalled):
        problems.append("Ready is True while Reconciling or Stalled is True")
    if ready is not None and not ready_true and not (reconciling or stalled):
        problems.append("Ready is not True but neither Reconciling nor Stalled says why")
    for cond in conds.values():
        if cond.get("status") not in ("True", "False", "Unknown"):
            problems.append(f"{cond.get('type')} has status {cond.get('status')!r}")
        if not cond.get("reason"):
            problems.append(f"{cond.get('type')} has no reason")
        if not cond.get("lastTransitionTime"):
            problems.append(f"{cond.get('type')} has no lastTransitionTime")
    observed = status.get("observedGeneration")
    final = ready_true or stalled
    if final and observed != generation:
        problems.append(f"outcome is final but observedGeneration={observed} != {generation}")
    if isinstance(observed, int) and observed > generation:
        problems.append(f"observedGeneration={observed} is ahead of generation {generation}")
    return problems
