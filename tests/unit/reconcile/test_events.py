"""Which events a pass asks for: a condition flip is a Warning when it goes the bad way."""

from __future__ import annotations

from nbaccess.conditions import Condition
from nbaccess.reconcile.events import condition_flips, warning_reason


def previous(ctype: str, status: str) -> dict[str, object]:
    return {"conditions": [{"type": ctype, "status": status, "reason": "Before", "message": ""}]}


def test_health_lost_is_a_warning_and_health_back_is_normal() -> None:
    lost = condition_flips(
        previous("RoutingPeersHealthy", "True"),
        [Condition("RoutingPeersHealthy", "False", "NoRoutingPeerConnected", "0 of 1")],
    )
    assert [(e.type, e.reason) for e in lost] == [("Warning", "NoRoutingPeerConnected")]
    back = condition_flips(
        previous("RoutingPeersHealthy", "False"),
        [Condition("RoutingPeersHealthy", "True", "RoutingPeersConnected", "1 of 1")],
    )
    assert [(e.type, e.reason) for e in back] == [("Normal", "RoutingPeersConnected")]


def test_flapping_starting_is_a_warning_and_stopping_is_normal() -> None:
    started = condition_flips(
        previous("RoutingPeersFlapping", "False"),
        [Condition("RoutingPeersFlapping", "True", "RoutingPeersFlapping", "6 connects")],
    )
    assert [(e.type, e.reason) for e in started] == [("Warning", "RoutingPeersFlapping")]
    assert started[0].message.startswith("RoutingPeersFlapping is True: 6 connects")
    stopped = condition_flips(
        previous("RoutingPeersFlapping", "True"),
        [Condition("RoutingPeersFlapping", "False", "RoutingPeersStable", "0 connects")],
    )
    assert [(e.type, e.reason) for e in stopped] == [("Normal", "RoutingPeersStable")]


def test_no_event_without_a_flip_or_a_previous_status() -> None:
    same = [Condition("RoutingPeersHealthy", "True", "RoutingPeersConnected", "1 of 1")]
    assert condition_flips(previous("RoutingPeersHealthy", "True"), same) == []
    assert condition_flips({}, same) == []


def test_each_warning_has_a_reason_the_troubleshooting_doc_names() -> None:
    assert warning_reason("no peer would match this policy: source group 'a'") == "NoPeersMatch"
    assert warning_reason("posture check 'x' wants NetBird 1.0") == "PostureCheckFailsEverywhere"
    assert warning_reason("protocol 'all' opens every port") == "RiskySpec"
