"""What the operator asks of kopf: its watch, and nothing of its per-handler machinery."""

from __future__ import annotations

from typing import cast

import kopf

from nbaccess.kube.controller import Controller
from nbaccess.kube.runner import build_registry, configure_kopf
from nbaccess.reconcile.registry import all_kinds

BODY = {
    "apiVersion": "netbird.io/v1alpha1",
    "kind": "NetBirdGroup",
    "metadata": {"name": "web", "namespace": "team", "annotations": {"team": "web"}},
    "spec": {"name": "web", "peers": ["a", "b"]},
}


def test_kopf_keeps_no_copy_of_each_object_to_diff() -> None:
    # Only on.event handlers are registered: the diff base kopf builds per event (a deep copy
    # of the body) would never be read.
    settings = kopf.OperatorSettings()
    configure_kopf(settings, ["team"])
    storage = settings.persistence.diffbase_storage

    assert storage.build(body=kopf.Body(BODY)) == {}
    assert storage.fetch(body=kopf.Body(BODY)) is None


def test_no_handler_would_read_a_diff_base() -> None:
    # What the empty diff base relies on: kopf reads it for changing handlers (create, update,
    # delete, resume) and to reset daemons and timers; the operator registers neither.
    registry = build_registry(all_kinds(), cast(Controller, object()))

    assert registry._changing.get_all_handlers() == []
    assert registry._spawning.get_all_handlers() == []
    assert len(registry._watching.get_all_handlers()) == 5  # one event watch per kind


def test_kopf_posts_no_events_and_scans_nothing_for_exact_namespaces() -> None:
    settings = kopf.OperatorSettings()
    configure_kopf(settings, ["team"])

    assert settings.posting.enabled is False
    assert settings.scanning.disabled is True


def test_a_cluster_wide_operator_lets_kopf_scan_namespaces() -> None:
    settings = kopf.OperatorSettings()
    configure_kopf(settings, [])

    assert settings.scanning.disabled is False
