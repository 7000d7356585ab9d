"""The alerts fire when they should, with promtool on synthetic series; the plain copies
under deploy/ are the chart's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tests.e2e.monitoring.rules import (
    CHART_DASHBOARD,
    JOB,
    PLAIN_DASHBOARD,
    PLAIN_RULES,
    promtool,
    rendered_rule,
    rule_groups,
)
from tests.e2e.stack import Stack

OBJ = f'job="{JOB}",kind="NetBirdPolicy",namespace="orders",name="web"'
NET = f'job="{JOB}",kind="NetBirdNetwork",namespace="orders",name="db"'
KEY = f'job="{JOB}",kind="SetupKey",namespace="orders",name="runners"'


def obj(kind: str, name: str, **more: str) -> dict[str, str]:
    return {"kind": kind, "namespace": "orders", "name": name, **more}


# (alert, evaluated at, its labels, its description): None = must not fire then.
EXPECTED: list[tuple[str, str, dict[str, str] | None, str]] = [
    ("NBAccessObjectStalled", "10m", None, ""),  # not 15 minutes yet
    (
        "NBAccessObjectStalled",
        "20m",
        obj(
            "NetBirdPolicy",
            "web",
            job=JOB,
            type="Stalled",
            status="True",
            reason="NetBirdRejected",
            severity="warning",
        ),
        "NetBirdPolicy orders/web has been Stalled for more than 15 minutes; it needs a change "
        "to its spec or in NetBird.",
    ),
    (
        "NBAccessRoutingPeersDown",
        "10m",
        obj("NetBirdNetwork", "db", job=JOB, severity="critical"),
        "NetBirdNetwork orders/db has 0 connected routing peers; its resources are unreachable.",
    ),
    (
        "NBAccessNetworkNotHighlyAvailable",
        "15m",
        obj("NetBirdNetwork", "db", severity="warning"),
        "NetBirdNetwork orders/db has 0 connected routing peers, fewer than "
        "spec.health.minConnectedRoutingPeers: one more failure takes it down.",
    ),
    (
        "NBAccessRoutingPeersFlapping",
        "5m",
        obj(
            "NetBirdNetwork",
            "db",
            job=JOB,
            type="RoutingPeersFlapping",
            status="True",
            reason="RoutingPeersFlapping",
            severity="warning",
        ),
        "The routing peers of NetBirdNetwork orders/db connect and disconnect again and again: "
        "connections through it work only sometimes.",
    ),
    (
        "NBAccessSetupKeyNotRotated",
        "45m",
        obj("SetupKey", "runners", severity="warning"),  # on(kind, namespace, name) keeps these
        "SetupKey orders/runners expires in 23h 15m 0s and no rotation has succeeded; new peers "
        "cannot enroll once it expires.",
    ),
    (
        "NBAccessTokenRejected",
        "10m",
        {"severity": "critical"},
        "NetBird answered 401 or 403 to nbaccess-system/nbaccess-netbird-access-operator; the "
        "token in Secret netbird-api-token is wrong, expired, revoked or lacks the admin role.",
    ),
    (
        "NBAccessObjectFlapping",
        "16m",
        obj("NetBirdPolicy", "flaky", severity="warning"),
        "NetBirdPolicy orders/flaky changed its Ready condition 16 times in the last hour.",
    ),
    (
        "NBAccessDefaultInterlockEngaged",
        "70m",
        obj(
            "NetBirdPolicy",
            "default",
            job=JOB,
            type="Ready",
            status="False",
            reason="DefaultPolicyInterlock",
            severity="warning",
        ),
        "NetBirdPolicy orders/default asks to disable or delete NetBird's Default policy, but no "
        "other managed accept policy is Ready, so Default (allow all) stays on.",
    ),
]


def alert_tests(rule: dict[str, Any]) -> list[dict[str, Any]]:
    """EXPECTED as promtool's alert_rule_test, each with the rule's summary and runbook."""
    by_name = {r["alert"]: r for g in rule["spec"]["groups"] for r in g["rules"]}
    tests = []
    for name, at, labels, description in EXPECTED:
        fired = []
        if labels is not None:
            notes = by_name[name]["annotations"]
            annotations = {k: notes[k] for k in ("summary", "runbook_url")}
            fired = [
                {
                    "exp_labels": labels,
                    "exp_annotations": {**annotations, "description": description},
                }
            ]
        tests.append({"eval_time": at, "alertname": name, "exp_alerts": fired})
    return tests


INPUT = {
    "rule_files": ["rules.yaml"],
    "evaluation_interval": "1m",
    "tests": [
        {
            "interval": "1m",
            "input_series": [
                {
                    "series": "nbaccess_object_condition{"
                    + OBJ
                    + ',type="Stalled",status="True",reason="NetBirdRejected"}',
                    "values": "1x30",
                },
                {
                    "series": "nbaccess_object_condition{"
                    + OBJ.replace('name="web"', 'name="default"')
                    + ',type="Ready",status="False",reason="DefaultPolicyInterlock"}',
                    "values": "1x90",
                },
                {
                    "series": "nbaccess_network_routing_peers_connected{" + NET + "}",
                    "values": "0x20",
                },
                {"series": "nbaccess_network_routing_peers{" + NET + "}", "values": "2x20"},
                {"series": "nbaccess_network_routing_peers_wanted{" + NET + "}", "values": "2x20"},
                {
                    "series": "nbaccess_object_condition{"
                    + NET
                    + ',type="RoutingPeersFlapping",status="True",reason="RoutingPeersFlapping"}',
                    "values": "1x20",
                },
                {
                    "series": "nbaccess_setup_key_expiry_timestamp_seconds{" + KEY + "}",
                    # Expires 24h after the start; the rotation window is 168h: overdue.
                    "values": "86400x60",
                },
                {
                    "series": "nbaccess_setup_key_rotation_window_seconds{" + KEY + "}",
                    "values": "604800x60",
                },
                {
                    "series": f'nbaccess_netbird_errors_total{{job="{JOB}",reason="unauthorized"}}',
                    "values": "0+1x20",
                },
                # Ready for a minute, not for the next, eight times over: flapping. A status
                # is its own series, gone from the scrape when it no longer holds (stale).
                {
                    "series": "nbaccess_object_condition{"
                    + OBJ.replace('name="web"', 'name="flaky"')
                    + ',type="Ready",status="True",reason="Synced"}',
                    "values": " ".join(["1 stale"] * 8) + " 1x20",
                },
                {
                    "series": "nbaccess_object_condition{"
                    + OBJ.replace('name="web"', 'name="flaky"')
                    + ',type="Ready",status="False",reason="ServerError"}',
                    "values": " ".join(["stale 1"] * 8) + " stale",
                },
            ],
        }
    ],
}


def test_the_rules_are_valid_and_fire_when_they_should(shared_stack: Stack, tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(rule_groups(rendered_rule(shared_stack))))
    rule = rendered_rule(shared_stack)
    tests = {**INPUT, "tests": [{**INPUT["tests"][0], "alert_rule_test": alert_tests(rule)}]}
    (tmp_path / "tests.yaml").write_text(yaml.safe_dump(tests))
    checked = promtool(shared_stack, "check", "rules", "rules.yaml", cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = promtool(shared_stack, "test", "rules", "tests.yaml", cwd=tmp_path)
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_the_plain_copies_under_deploy_are_the_charts(shared_stack: Stack) -> None:
    assert yaml.safe_load(PLAIN_RULES.read_text()) == rule_groups(rendered_rule(shared_stack)), (
        "deploy/prometheus/rules.yaml is stale: run `make monitoring`"
    )
    assert PLAIN_DASHBOARD.read_text() == CHART_DASHBOARD.read_text()


def test_every_alert_links_to_its_runbook_section(shared_stack: Stack) -> None:
    doc = (Path(__file__).resolve().parents[3] / "docs/troubleshooting.md").read_text()
    for group in rendered_rule(shared_stack)["spec"]["groups"]:
        for rule in group["rules"]:
            anchor = rule["annotations"]["runbook_url"].rsplit("#", 1)[1]
            assert f"## {rule['alert']}" in doc
            assert anchor == rule["alert"].lower()
