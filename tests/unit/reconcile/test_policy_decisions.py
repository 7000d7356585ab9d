"""Policy decisions without NetBird: payload mapping, diffing, warnings, the Default interlock."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from nbaccess.netbird.models import Policy
from nbaccess.reconcile.kinds import Pass
from nbaccess.reconcile.policy import (
    PolicyReconciler,
    Resolved,
    other_access_is_ready,
    policy_diff,
    risk_warnings,
)
from nbaccess.reconcile.refs import CrDirectory, CrKey, CrState
from nbaccess.resources.policy import NetBirdPolicySpec

NOW = dt.datetime(2026, 11, 25, tzinfo=dt.UTC)
KIND = PolicyReconciler()


def spec(**fields: Any) -> NetBirdPolicySpec:
    base: dict[str, Any] = {
        "protocol": "tcp",
        "ports": [443],
        "sources": [{"ref": "usr-support"}],
        "destinations": [{"ref": "svc-web"}],
    }
    base.update(fields)
    return KIND.parse(base)


def current(directory: CrDirectory | None = None) -> Pass:
    return Pass("orders", "support-to-web", 1, None, directory or CrDirectory({}), NOW)


RESOLVED = Resolved(
    sources=["g-src"], destinations=["g-dst"], destination_resource=None, posture_checks=["pc1"]
)


def stored_like(request: dict[str, Any], **rule_changes: Any) -> Policy:
    """What NetBird answers for a stored request: groups as objects, ids, ports as strings."""
    rule = dict(request["rules"][0])
    rule.update(id="r1")
    rule["sources"] = [{"id": g, "name": g, "peers_count": 0} for g in rule.get("sources", [])]
    rule["destinations"] = [{"id": g, "name": g} for g in rule.get("destinations", [])]
    rule.update(rule_changes)
    body = dict(request, id="p1", rules=[rule])
    body["source_posture_checks"] = list(request.get("source_posture_checks", []))
    return Policy.model_validate(body)


def test_desired_payload_is_one_unidirectional_rule_with_exact_ports_and_the_marker() -> None:
    desired = KIND.desired(spec(ports=[8443, 443]), current(), "support-to-web", RESOLVED, True)
    wire = desired.to_wire()
    assert wire["description"].endswith("managed by nbaccess: orders/support-to-web")
    assert wire["source_posture_checks"] == ["pc1"]
    [rule] = wire["rules"]
    assert rule["protocol"] == "tcp"
    assert rule["ports"] == ["443", "8443"]
    assert rule["bidirectional"] is False
    assert rule["sources"] == ["g-src"]
    assert rule["destinations"] == ["g-dst"]
    assert "destinationResource" not in rule


def test_what_netbird_stored_for_our_request_diffs_as_unchanged() -> None:
    desired = KIND.desired(spec(), current(), "support-to-web", RESOLVED, True)
    assert policy_diff(desired, stored_like(desired.to_wire())) == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"ports": ["22"]}, "ports"),
        ({"protocol": "all", "ports": []}, "protocol"),
        ({"bidirectional": True}, "bidirectional"),
        ({"sources": [{"id": "g-other"}]}, "sources"),
        ({"action": "drop"}, "action"),
    ],
)
def test_a_change_made_in_the_dashboard_is_detected(change: dict[str, Any], field: str) -> None:
    desired = KIND.desired(spec(), current(), "support-to-web", RESOLVED, True)
    assert field in policy_diff(desired, stored_like(desired.to_wire(), **change))


def test_extra_rules_added_outside_git_are_detected() -> None:
    desired = KIND.desired(spec(), current(), "support-to-web", RESOLVED, True)
    wire = desired.to_wire()
    wire["rules"] = [*wire["rules"], dict(wire["rules"][0], name="extra")]
    stored = Policy.model_validate(dict(wire, id="p1"))
    assert "rules" in policy_diff(desired, stored)


def test_risky_shapes_warn() -> None:
    assert any(
        "protocol all" in w
        for w in risk_warnings(spec(protocol="all", ports=None), "x", RESOLVED, None)
    )
    assert any("without ports" in w for w in risk_warnings(spec(ports=None), "x", RESOLVED, None))
    resolved_all = Resolved(["g-all"], ["g-dst"], None, [])
    assert any(
        "source is the All group" in w for w in risk_warnings(spec(), "x", resolved_all, "g-all")
    )
    assert any(
        "Default policy is enabled" in w for w in risk_warnings(spec(), "Default", RESOLVED, None)
    )
    assert risk_warnings(spec(), "support-to-web", RESOLVED, "g-all") == []


def test_default_interlock_needs_another_ready_accept_policy() -> None:
    me = CrKey("NetBirdPolicy", "orders", "default")
    other = CrKey("NetBirdPolicy", "orders", "web")
    waiting = CrDirectory({other: CrState("p2", False, {"grantsAccess": "true"})})
    disabled = CrDirectory({other: CrState("p2", True, {"grantsAccess": "false"})})
    ready = CrDirectory({other: CrState("p2", True, {"grantsAccess": "true"})})
    only_me = CrDirectory({me: CrState("p1", True, {"grantsAccess": "true"})})
    # Deleted in the same commit as the Default: it cannot be what keeps access working.
    going = CrDirectory({other: CrState("p2", True, {"grantsAccess": "true"}, deleting=True)})
    assert not other_access_is_ready(going, me)
    assert not other_access_is_ready(waiting, me)
    assert not other_access_is_ready(disabled, me)
    assert not other_access_is_ready(only_me, me)
    assert other_access_is_ready(ready, me)


def test_references_include_groups_posture_checks_and_networks() -> None:
    parsed = spec(
        destinations=None,
        destinationResource={"network": "orders-net", "resource": "db"},
        postureChecks=[{"ref": "min-version"}],
    )
    keys = {str(k) for k in KIND.references("orders", parsed)}
    assert keys == {
        "NetBirdGroup orders/usr-support",
        "PostureCheck orders/min-version",
        "NetBirdNetwork orders/orders-net",
    }
