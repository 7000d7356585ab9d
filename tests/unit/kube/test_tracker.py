"""The tracker wakes exactly the referrers that wait, once, when a dependency turns Ready."""

from __future__ import annotations

from nbaccess.kube.tracker import Tracker
from nbaccess.reconcile.refs import CrKey

GROUP = CrKey("NetBirdGroup", "team", "web")
WAITING = CrKey("NetBirdPolicy", "team", "to-web")
STALLED = CrKey("NetBirdPolicy", "team", "broken")
NEW = CrKey("NetBirdPolicy", "team", "brand-new")


def test_a_dependency_turning_ready_wakes_only_those_waiting_for_it() -> None:
    woken: list[tuple[list[CrKey], str]] = []

    def wake(keys: list[CrKey], reason: str) -> None:
        woken.append((keys, reason))

    tracker = Tracker()
    tracker.wake = wake
    for referrer in (WAITING, STALLED, NEW):
        tracker.references(referrer, [GROUP])
    tracker.seen(WAITING, False, "DependencyNotReady")
    tracker.seen(STALLED, False, "NetBirdRejected")
    tracker.seen(GROUP, False, "Transient")

    tracker.seen(GROUP, True, "Synced")
    tracker.seen(GROUP, True, "Synced")  # still Ready: nobody is woken twice

    assert woken == [([NEW, WAITING], "NetBirdGroup team/web is Ready")]


def test_a_dropped_reference_no_longer_wakes() -> None:
    woken: list[list[CrKey]] = []

    def wake(keys: list[CrKey], reason: str) -> None:
        woken.append(keys)

    tracker = Tracker()
    tracker.wake = wake
    tracker.references(WAITING, [GROUP])
    tracker.references(WAITING, [])
    tracker.seen(GROUP, True, "Synced")
    assert woken == []


def test_readiness_changes_are_announced_per_kind() -> None:
    announced: list[str] = []
    tracker = Tracker()
    tracker.on_readiness = announced.append
    tracker.seen(GROUP, False, "Transient")
    tracker.seen(GROUP, False, "Transient")
    assert tracker.counts("NetBirdGroup") == (0, 1)
    tracker.seen(GROUP, True, "Synced")
    tracker.seen(WAITING, False, "DependencyNotReady")
    assert tracker.counts("NetBirdGroup") == (1, 0)
    tracker.forget(GROUP)
    assert announced == ["NetBirdGroup", "NetBirdGroup", "NetBirdPolicy", "NetBirdGroup"]
    assert tracker.counts("NetBirdGroup") == (0, 0)
    assert tracker.counts("NetBirdPolicy") == (0, 1)
