"""The alert rules and the dashboard as users get them, and promtool to test the rules."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import yaml

from tests.e2e.helm import helm, kube_version
from tests.e2e.kubectl import ROOT
from tests.e2e.stack import Stack

CHART = ROOT / "charts/netbird-access-operator"
PLAIN_RULES = ROOT / "deploy/prometheus/rules.yaml"
PLAIN_DASHBOARD = ROOT / "deploy/grafana/netbird-access-operator.json"
CHART_DASHBOARD = CHART / "files/dashboard.json"
# The job label the chart's rules select on, for a release named nbaccess.
JOB = "nbaccess-netbird-access-operator-metrics"


def rendered_rule(stack: Stack) -> dict[str, Any]:
    """The chart's PrometheusRule for release nbaccess in namespace nbaccess-system."""
    text = helm(
        stack,
        "template",
        "nbaccess",
        str(CHART),
        "--namespace",
        "nbaccess-system",
        "--kube-version",
        kube_version(stack),
        "--show-only",
        "templates/prometheusrule.yaml",
        "--set",
        "metrics.prometheusRule.enabled=true",
        "--set",
        "metrics.prometheusRule.force=true",
    )
    return dict(yaml.safe_load(text))


def rule_groups(rule: dict[str, Any]) -> dict[str, Any]:
    """What `promtool` reads: the PrometheusRule's spec."""
    return {"groups": rule["spec"]["groups"]}


def promtool(stack: Stack, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(stack.binaries.promtool), *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        timeout=120,
    )


def metric_names(expr: str) -> set[str]:
    """The families an expression reads (histogram suffixes folded into their family)."""
    names = set(re.findall(r"\bnbaccess_[a-z_]+", expr))
    return {re.sub(r"_(bucket|count|sum)$", "", n) for n in names}


def dashboard_queries(path: Path = CHART_DASHBOARD) -> list[str]:
    board = json.loads(path.read_text())
    return [t["expr"] for p in board["panels"] for t in p.get("targets", [])]


def alert_exprs(rule: dict[str, Any]) -> dict[str, str]:
    return {r["alert"]: r["expr"] for g in rule["spec"]["groups"] for r in g["rules"]}
