"""kstatus rules for every outcome a reconcile pass can have."""

from __future__ import annotations

import datetime as dt

import pytest

from nbaccess.conditions import (
    Condition,
    Phase,
    kstatus_violations,
    merge_conditions,
    observed_generation,
    phase_conditions,
)

T0 = dt.datetime(2026, 11, 24, 10, 0, 0, tzinfo=dt.UTC)
T1 = T0 + dt.timedelta(minutes=5)


def _status(phase: Phase, generation: int, previous_observed: int | None = None) -> dict:
    conds = merge_conditions(
        None, phase_conditions(phase, "Reason", "msg"), generation=generation, now=T0
    )
    return {
        "conditions": conds,
        "observedGeneration": observed_generation(phase, generation, previous_observed),
    }


@pytest.mark.parametrize("phase", list(Phase))
def test_every_phase_passes_the_kstatus_checker(phase: Phase) -> None:
    assert kstatus_violations(_status(phase, generation=3), generation=3) == []


def test_progressing_keeps_the_previous_observed_generation() -> None:
    status = _status(Phase.PROGRESSING, generation=4, previous_observed=3)
    assert status["observedGeneration"] == 3
    assert {c["type"]: c["status"] for c in status["conditions"]} == {
        "Ready": "False",
        "Reconciling": "True",
    }


def test_brand_new_progressing_object_stays_at_minus_one() -> None:
    assert _status(Phase.PROGRESSING, generation=1)["observedGeneration"] == -1


def test_reconciling_disappears_once_ready() -> None:
    waiting = merge_conditions(
        None, phase_conditions(Phase.PROGRESSING, "DependencyNotReady", "x"), generation=1, now=T0
    )
    ready = merge_conditions(
        waiting, phase_conditions(Phase.READY, "Synced", ""), generation=1, now=T1
    )
    assert [c["type"] for c in ready] == ["Ready"]
    assert ready[0]["lastTransitionTime"] == "2026-11-24T10:05:00Z"


def test_transition_time_holds_while_status_holds() -> None:
    first = merge_conditions(None, [Condition("Ready", "True", "Synced")], generation=1, now=T0)
    again = merge_conditions(first, [Condition("Ready", "True", "Synced")], generation=2, now=T1)
    assert again[0]["lastTransitionTime"] == "2026-11-24T10:00:00Z"
    assert again[0]["observedGeneration"] == 2


@pytest.mark.parametrize(
    ("status", "complaint"),
    [
        ({}, "Ready must be present"),
        ({"conditions": [], "observedGeneration": 1}, "Ready condition is missing"),
        (
            {
                "observedGeneration": 1,
                "conditions": [
                    {"type": "Ready", "status": "False", "reason": "X", "lastTransitionTime": "t"},
                    {"type": "Stalled", "status": "True", "reason": "X", "lastTransitionTime": "t"},
                    {
                        "type": "Reconciling",
                        "status": "True",
                        "reason": "X",
                        "lastTransitionTime": "t",
                    },
                ],
            },
            "both True",
        ),
        (
            {
                "observedGeneration": 1,
                "conditions": [
                    {"type": "Ready", "status": "True", "reason": "X", "lastTransitionTime": "t"},
                    {
                        "type": "Stalled",
                        "status": "False",
                        "reason": "X",
                        "lastTransitionTime": "t",
                    },
                ],
            },
            "drop it instead",
        ),
        (
            {
                "observedGeneration": 0,
                "conditions": [
                    {"type": "Ready", "status": "True", "reason": "X", "lastTransitionTime": "t"}
                ],
            },
            "observedGeneration=0 != 1",
        ),
        (
            {
                "observedGeneration": -1,
                "conditions": [
                    {"type": "Ready", "status": "False", "reason": "X", "lastTransitionTime": "t"}
                ],
            },
            "neither Reconciling nor Stalled",
        ),
    ],
)
def test_checker_catches_broken_status(status: dict, complaint: str) -> None:
    problems = kstatus_violations(status, generation=1)
    assert any(complaint in p for p in problems), problems
