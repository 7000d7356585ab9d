"""Which watch events start a pass, and what a finished pass asks of the queue."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

from nbaccess.conditions import Phase
from nbaccess.reconcile.objects import StoredObject
from nbaccess.reconcile.outcome import DependencyNotReady, Outcome, Permanent, Transient
from nbaccess.reconcile.schedule import FINALIZER, REQUESTED_AT, after_pass, needs_pass

ROTATE = "nbaccess.dev/rotate-requested-at"


def obj(kind: str = "SetupKey", **changes: Any) -> StoredObject:
    base = StoredObject.of(
        kind,
        {
            "metadata": {
                "namespace": "team",
                "name": "runners",
                "uid": "u1",
                "generation": 1,
                "resourceVersion": "10",
                "finalizers": [FINALIZER],
                "annotations": {ROTATE: "t1"},
            },
            "spec": {"type": "reusable"},
            "status": {"conditions": [{"type": "Ready", "status": "True"}]},
        },
    )
    return dataclasses.replace(base, **changes)


def test_first_sight_and_a_recreated_object_need_a_pass() -> None:
    assert needs_pass(None, obj())
    assert needs_pass(obj(), obj(uid="u2"))


def test_our_own_status_write_coming_back_does_not_loop() -> None:
    after_write = obj(resource_version="11", status={"conditions": [], "id": "k1"})
    assert not needs_pass(obj(), after_write)


@pytest.mark.parametrize(
    "change",
    [
        {"generation": 2},
        {"deleting": True},
        {"annotations": {ROTATE: "t2"}},
        {"annotations": {ROTATE: "t1", REQUESTED_AT: "now"}},
        {"finalizers": ()},
    ],
    ids=["spec", "deletion", "rotate-request", "requested-at", "finalizer-removed"],
)
def test_what_a_person_or_tool_changes_starts_a_pass(change: dict[str, Any]) -> None:
    assert needs_pass(obj(), obj(resource_version="11", **change))


def test_other_annotations_and_labels_do_not() -> None:
    assert not needs_pass(obj(), obj(annotations={ROTATE: "t1", "example.com/x": "y"}))


def test_the_rotate_annotation_means_nothing_on_other_kinds() -> None:
    policy = obj("NetBirdPolicy")
    assert not needs_pass(policy, dataclasses.replace(policy, annotations={ROTATE: "t9"}))


def test_a_deletion_already_seen_is_not_a_new_reason() -> None:
    deleting = obj(deleting=True)
    assert not needs_pass(deleting, obj(deleting=True, resource_version="12"))


T = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("outcome", "retry"),
    [
        (Outcome(Phase.READY, "Synced"), False),
        (Outcome.failed(Permanent("NetBirdRejected", "422")), False),
        (Outcome.failed(Transient("ServerError", "500")), True),
        (Outcome.failed(DependencyNotReady("group not Ready")), True),
    ],
)
def test_only_unfinished_outcomes_retry(outcome: Outcome, retry: bool) -> None:
    assert after_pass(outcome, None, internal=False).retry is retry


def test_a_bug_retries_and_a_due_time_is_kept() -> None:
    after = after_pass(Outcome(Phase.READY, "Synced"), T, internal=True)
    assert after.retry
    assert after.at == T
