"""The tick notices a rotate request: kopf does not report changes to our own annotations."""

from __future__ import annotations

import datetime as dt
from typing import Any

from nbaccess.reconcile.schedule import pass_due

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
ROTATE = "nbaccess.dev/rotate-requested-at"
# Converged a moment ago: nothing else would make a pass due for a long while.
SYNCED: dict[str, Any] = {
    "lastSyncedTime": "2026-11-25T11:59:59Z",
    "conditions": [{"type": "Ready", "status": "True"}],
    "rotateRequestHandled": "t1",
}


def due(annotations: dict[str, str] | None, status: dict[str, Any] = SYNCED) -> bool:
    return pass_due(
        status,
        kind="SetupKey",
        now=NOW,
        resync_seconds=3600,
        retry_seconds=60,
        annotations=annotations,
    )


def test_a_new_request_value_makes_a_pass_due_at_once() -> None:
    assert due({ROTATE: "t2"})


def test_a_handled_request_does_not() -> None:
    assert not due({ROTATE: "t1"})
    assert not due(None)
    assert not due({ROTATE: ""})


def test_a_request_on_an_object_that_never_handled_one_is_due() -> None:
    status = {k: v for k, v in SYNCED.items() if k != "rotateRequestHandled"}
    assert due({ROTATE: "t1"}, status)
    assert not due({}, status)


def test_other_annotations_do_not_count() -> None:
    assert not due({"nbaccess.dev/netbird-id": "k9", "example.com/rotate-requested-at": "t9"})


def test_recheck_after_for_the_previous_keys_revocation_is_honoured() -> None:
    status = {**SYNCED, "recheckAfter": "2026-11-25T12:00:00Z"}
    assert due(None, status)
    later = {**SYNCED, "recheckAfter": "2026-11-25T12:00:01Z"}
    assert not due(None, later)


def test_the_rotate_annotation_means_nothing_on_other_kinds() -> None:
    status = {"lastSyncedTime": "2026-11-25T12:00:00Z"}
    annotations = {"nbaccess.dev/rotate-requested-at": "now please"}
    assert not pass_due(
        status,
        kind="NetBirdGroup",
        now=NOW,
        resync_seconds=3600,
        retry_seconds=60,
        annotations=annotations,
    )
