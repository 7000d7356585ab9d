"""Status documents of every kind of outcome obey the kstatus rules GitOps tools rely on."""

from __future__ import annotations

import datetime as dt

import pytest

from nbaccess.conditions import Condition, Phase, kstatus_violations
from nbaccess.reconcile.outcome import DependencyNotReady, Outcome, Permanent, Transient
from nbaccess.reconcile.status import build_status

T0 = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)

OUTCOMES = {
    "ready": Outcome(Phase.READY, "Synced", "in sync", netbird_id="g1"),
    "ready-with-warnings": Outcome(Phase.READY, "Synced", warnings=["protocol all"]),
    "waiting": Outcome.failed(DependencyNotReady("NetBirdGroup ns/web does not exist")),
    "transient": Outcome.failed(Transient("RateLimited", "429; will retry")),
    "stalled": Outcome.failed(Permanent("NetBirdRejected", "422: invalid port")),
    "with-health": Outcome(
        Phase.READY,
        "Synced",
        conditions=[Condition("RoutingPeersHealthy", "False", "NoneConnected", "0 of 2")],
    ),
}


@pytest.mark.parametrize("name", OUTCOMES)
def test_every_outcome_passes_the_kstatus_rules(name: str) -> None:
    status = build_status(OUTCOMES[name], None, generation=3, now=T0)
    assert kstatus_violations(status, 3) == []


@pytest.mark.parametrize(
    ("name", "expected"), [("ready", 3), ("stalled", 3), ("waiting", -1), ("transient", -1)]
)
def test_observed_generation_moves_only_on_final_outcomes(name: str, expected: int) -> None:
    assert (
        build_status(OUTCOMES[name], None, generation=3, now=T0)["observedGeneration"] == expected
    )


def test_recovery_drops_reconciling_and_keeps_the_transition_time_of_unchanged_conditions() -> None:
    waiting = build_status(OUTCOMES["waiting"], None, generation=1, now=T0)
    later = T0 + dt.timedelta(minutes=1)
    still_waiting = build_status(OUTCOMES["transient"], waiting, generation=1, now=later)
    ready = {c["type"]: c for c in still_waiting["conditions"]}["Ready"]
    assert ready["lastTransitionTime"] == "2026-11-25T12:00:00Z"
    recovered = build_status(OUTCOMES["ready"], still_waiting, generation=1, now=later)
    assert [c["type"] for c in recovered["conditions"]] == ["Ready"]
    assert recovered["conditions"][0]["lastTransitionTime"] == "2026-11-25T12:01:00Z"
    assert recovered["observedGeneration"] == 1


def test_fields_that_no_longer_apply_are_nulled_for_the_merge_patch() -> None:
    first = build_status(OUTCOMES["ready-with-warnings"], None, generation=1, now=T0)
    first["peersCount"] = 4
    second = build_status(OUTCOMES["ready"], first, generation=1, now=T0)
    assert second["warnings"] is None
    assert second["peersCount"] is None


def test_a_failure_keeps_the_known_id() -> None:
    first = build_status(OUTCOMES["ready"], None, generation=1, now=T0)
    failed = build_status(OUTCOMES["transient"], first, generation=2, now=T0)
    assert failed["id"] == "g1"


def test_a_failed_pass_keeps_what_the_last_one_learned() -> None:
    ready = build_status(OUTCOMES["ready"], None, generation=1, now=T0)
    ready["routers"] = [{"name": "primary", "id": "r1"}]
    ready["warnings"] = ["protocol all"]
    failed = build_status(OUTCOMES["transient"], ready, generation=1, now=T0)
    merged = {**ready, **{k: v for k, v in failed.items()}}
    assert merged["routers"] == [{"name": "primary", "id": "r1"}]
    assert merged["warnings"] == ["protocol all"]
    assert kstatus_violations(merged, 1) == []
