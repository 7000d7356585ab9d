"""Which status a pass starts from when the watch has not caught up with our last write."""

from __future__ import annotations

from typing import Any

import kopf

from nbaccess.config import Settings
from nbaccess.kube.handlers import _status
from nbaccess.kube.runtime import Runtime
from nbaccess.metrics import Liveness, Metrics
from nbaccess.reconcile.group import GroupReconciler
from nbaccess.reconcile.refs import CrKey

KIND = GroupReconciler()
KEY = CrKey("NetBirdGroup", "team", "web")


def body(status: dict[str, Any] | None) -> kopf.Body:
    raw: dict[str, Any] = {"metadata": {"namespace": "team", "name": "web"}}
    if status is not None:
        raw["status"] = status
    return kopf.Body(raw)


def runtime() -> Runtime:
    return Runtime(Settings(), [KIND], Metrics(), Liveness())


def test_a_tick_behind_a_change_handler_sees_the_id_just_recorded() -> None:
    rt = runtime()
    rt.written[KEY] = {"id": "g1", "lastSyncedTime": "2026-11-25T12:00:05Z"}
    assert _status(rt, KIND, body(None))["id"] == "g1"
    stale = {"lastSyncedTime": "2026-11-25T12:00:00Z"}
    assert _status(rt, KIND, body(stale))["id"] == "g1"


def test_the_watched_status_wins_once_it_is_newer() -> None:
    rt = runtime()
    rt.written[KEY] = {"id": "g1", "lastSyncedTime": "2026-11-25T12:00:05Z"}
    newer = {"id": "g2", "lastSyncedTime": "2026-11-25T12:05:00Z"}
    assert _status(rt, KIND, body(newer))["id"] == "g2"
    assert _status(runtime(), KIND, body(newer))["id"] == "g2"
