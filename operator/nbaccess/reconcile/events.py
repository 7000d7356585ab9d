"""Kubernetes events a pass or a health read asks for, decided as data."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from nbaccess.conditions import Condition
from nbaccess.reconcile.ownership import NAMESAKE_WARNING
from nbaccess.reconcile.policy_reach import NO_PEERS_WARNING, POSTURE_WARNING
from nbaccess.reconcile.status import condition


def warning_reason(text: str) -> str:
    """The event reason for a status warning: searchable in docs/troubleshooting.md."""
    if text.startswith(NO_PEERS_WARNING):
        return "NoPeersMatch"
    if text.startswith(POSTURE_WARNING):
        return "PostureCheckFailsEverywhere"
    if text.startswith(NAMESAKE_WARNING):
        return "UnmanagedNamesake"
    return "RiskySpec"  # the shapes nbaccess lint reports


@dataclass(frozen=True)
class EventSpec:
    """A Kubernetes event to post on the object."""

    type: Literal["Normal", "Warning"]
    reason: str
    message: str


# Conditions whose True is the trouble (the rest, e.g. RoutingPeersHealthy, are bad when False).
ABNORMAL_WHEN_TRUE = frozenset({"Stalled", "RoutingPeersFlapping"})


def condition_flips(
    previous: Mapping[str, Any], conditions: Sequence[Condition]
) -> list[EventSpec]:
    """An event for each condition whose status changed since `previous`: data-plane health
    (routing peers) changes without any spec change, and is said when it flips, not on every
    read."""
    events = []
    for cond in conditions:
        before = condition(previous, cond.type)
        if before is not None and before.get("status") != cond.status:
            bad = (cond.status == "True") == (cond.type in ABNORMAL_WHEN_TRUE)
            events.append(
                EventSpec(
                    "Warning" if bad else "Normal",
                    cond.reason,
                    f"{cond.type} is {cond.status}: {cond.message}"[:1000],
                )
            )
    return events
