"""The alerts and the dashboard against what the running operator exports: every metric they
read exists in a live scrape, no series carries an unbounded label, a Stalled object shows in
the per-object series and fires the Stalled alert in promtool from the scraped series, and
`kubectl get` reads right."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from kubernetes import client as k8s

from tests.e2e.harness import NetBirdApi, eventually, manifest, metric_samples, unique
from tests.e2e.kubectl import Kubectl
from tests.e2e.monitoring.rules import (
    JOB,
    alert_exprs,
    dashboard_queries,
    metric_names,
    promtool,
    rendered_rule,
    rule_groups,
)
from tests.e2e.namespaces import new_namespace
from tests.e2e.operator_process import OPERATED_PREFIX, OperatorProcess
from tests.e2e.stack import Stack

PER_OBJECT = ("kind", "namespace", "name")
# Each family's label names. Per-object labels are bounded by the objects users declare;
# every other label takes values from a fixed set (routes are templates, never ids).
LABELS: dict[str, tuple[str, ...]] = {
    "nbaccess_object_condition": (*PER_OBJECT, "type", "status", "reason"),
    "nbaccess_object_last_sync_timestamp_seconds": PER_OBJECT,
    "nbaccess_network_routing_peers_connected": PER_OBJECT,
    "nbaccess_network_routing_peers": PER_OBJECT,
    "nbaccess_network_routing_peers_wanted": PER_OBJECT,
    "nbaccess_network_routing_peer_flaps": PER_OBJECT,
    "nbaccess_setup_key_expiry_timestamp_seconds": PER_OBJECT,
    "nbaccess_setup_key_rotation_window_seconds": PER_OBJECT,
    "nbaccess_reconcile_total": ("kind", "result"),
    "nbaccess_reconcile_duration_seconds": ("kind", "le"),
    "nbaccess_netbird_requests_total": ("method", "route", "code"),
    "nbaccess_netbird_request_duration_seconds": ("method", "route", "le"),
    "nbaccess_netbird_errors_total": ("reason",),
    "nbaccess_netbird_retries_total": ("reason",),
    "nbaccess_netbird_rate_limit_wait_seconds_total": (),
    "nbaccess_resources": ("kind", "ready"),
    "nbaccess_leader": (),
    "nbaccess_build_info": ("version",),
    "python_info": ("implementation", "major", "minor", "patchlevel", "version"),
    "python_gc_objects_collected_total": ("generation",),
    "python_gc_objects_uncollectable_total": ("generation",),
    "python_gc_collections_total": ("generation",),
}
# A NetBird id (xid: 20 base32hex characters) or a number in a route means ids leak into labels.
ID_LIKE = re.compile(r"/[0-9a-v]{20}(/|$)|/\d+(/|$)")


@dataclass(frozen=True)
class Populated:
    namespace: str
    stalled: str
    network: str
    key: str


@pytest.fixture(scope="module")
def populated(
    kube_api: k8s.ApiClient, kubectl: Kubectl, netbird: NetBirdApi, operator: OperatorProcess
) -> Iterator[Populated]:
    """One object of each shape the rules and panels read: a Stalled group (its name taken
    by a group made by hand), a network with a routing group, a setup key."""
    namespace = new_namespace(kube_api, "monitoring", prefix=OPERATED_PREFIX)
    stalled, routing, network, key = (unique(p) for p in ("taken", "rp", "net", "key"))
    by_hand = netbird.post("/groups", {"name": stalled})
    kubectl.apply(namespace, manifest("NetBirdGroup", stalled, {"name": stalled}))
    kubectl.apply(namespace, manifest("NetBirdGroup", routing, {"name": routing}))
    kubectl.apply(
        namespace,
        manifest(
            "NetBirdNetwork",
            network,
            {
                "resources": [{"name": f"{network}-db", "address": "10.66.0.0/24"}],
                "routers": [{"name": "primary", "peerGroups": [{"ref": routing}]}],
                "health": {"minConnectedRoutingPeers": 2},
            },
        ),
    )
    kubectl.apply(
        namespace,
        manifest("SetupKey", key, {"type": "reusable", "autoGroups": [{"ref": routing}]}),
    )
    for kind, name in (("netbirdnetwork", network), ("setupkey", key)):
        kubectl.wait_ready(namespace, kind, name)
    eventually(lambda: _assert_stalled(kubectl, namespace, stalled), timeout=60, interval=0.5)
    yield Populated(namespace, stalled, network, key)
    kubectl.ok("delete", "namespace", namespace, "--wait=false")
    netbird.delete(f"/groups/{by_hand['id']}")


def _assert_stalled(kubectl: Kubectl, namespace: str, name: str) -> None:
    stalled = kubectl.condition(namespace, "netbirdgroup", name, "Stalled")
    assert stalled.get("status") == "True", stalled


def scraped_families(url: str) -> set[str]:
    """Every family the operator declares (a `# TYPE` line), with or without samples yet."""
    text = httpx.get(url, timeout=10).text
    return {line.split()[2] for line in text.splitlines() if line.startswith("# TYPE ")}


def family_of(sample: str, families: set[str]) -> str:
    for suffix in ("_bucket", "_count", "_sum", "_created", ""):
        base = sample.removesuffix(suffix) if suffix else sample
        if base in families:
            return base
    return sample


def test_every_alert_and_panel_reads_a_metric_the_operator_exports(
    shared_stack: Stack, operator: OperatorProcess, populated: Populated
) -> None:
    families = scraped_families(operator.metrics_url)
    wanted = {
        f"alert {name}": metric_names(expr)
        for name, expr in alert_exprs(rendered_rule(shared_stack)).items()
    }
    wanted |= {f"panel query {q!r}": metric_names(q) for q in dashboard_queries()}
    assert all(wanted.values()), "every alert and panel reads at least one nbaccess metric"
    missing = {where: names - families for where, names in wanted.items() if names - families}
    assert not missing, f"not in a live scrape: {missing}"


def test_no_series_has_an_unbounded_label(operator: OperatorProcess, populated: Populated) -> None:
    families = scraped_families(operator.metrics_url)
    seen: dict[str, set[str]] = {}
    routes: set[str] = set()
    for sample, labels, _ in metric_samples(operator.metrics_url):
        assert not sample.endswith("_created"), f"{sample}: no _created series"
        family = family_of(sample, families)
        seen.setdefault(family, set()).update(labels)
        routes.update([labels["route"]] if "route" in labels else [])
    print("label names per series:")
    for family in sorted(seen):
        print(f"  {family}: {', '.join(sorted(seen[family])) or '-'}")
    for family, names in seen.items():
        if family.startswith("process_"):
            assert not names, f"{family} has labels {names}"
            continue
        assert family in LABELS, (
            f"{family} is not listed here: decide whether its labels are bounded"
        )
        assert names <= set(LABELS[family]), (
            f"{family}: unexpected labels {names - set(LABELS[family])}"
        )
    assert routes
    assert not [r for r in routes if ID_LIKE.search(r)], routes
    # The per-object series of this module's objects are there, by kind.
    objects = {
        (labels.get("kind"), labels.get("name"))
        for sample, labels, _ in metric_samples(operator.metrics_url)
        if labels.get("namespace") == populated.namespace
    }
    assert {
        ("NetBirdGroup", populated.stalled),
        ("NetBirdNetwork", populated.network),
        ("SetupKey", populated.key),
    } <= objects


def test_a_stalled_object_fires_the_stalled_alert_from_its_scraped_series(
    shared_stack: Stack, operator: OperatorProcess, populated: Populated, tmp_path: Path
) -> None:
    [labels] = [
        labels
        for sample, labels, value in metric_samples(operator.metrics_url)
        if sample == "nbaccess_object_condition"
        and labels["namespace"] == populated.namespace
        and labels["name"] == populated.stalled
        and labels["type"] == "Stalled"
        and value == 1
    ]
    assert (labels["kind"], labels["status"], labels["reason"]) == (
        "NetBirdGroup",
        "True",
        "AlreadyExists",
    )
    # As Prometheus stores it: the scrape's labels plus the job of the chart's metrics Service.
    series = {**labels, "job": JOB}
    selector = ",".join(f'{k}="{v}"' for k, v in sorted(series.items()))
    tests = {
        "rule_files": ["rules.yaml"],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [
                    {"series": f"nbaccess_object_condition{{{selector}}}", "values": "1x30"}
                ],
                "alert_rule_test": [
                    {"eval_time": "14m", "alertname": "NBAccessObjectStalled", "exp_alerts": []},
                    {
                        "eval_time": "16m",
                        "alertname": "NBAccessObjectStalled",
                        "exp_alerts": [
                            {
                                "exp_labels": {**series, "severity": "warning"},
                                "exp_annotations": stalled_annotations(
                                    shared_stack, populated.namespace, populated.stalled
                                ),
                            }
                        ],
                    },
                ],
            }
        ],
    }
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(rule_groups(rendered_rule(shared_stack))))
    (tmp_path / "tests.yaml").write_text(yaml.safe_dump(tests))
    tested = promtool(shared_stack, "test", "rules", "tests.yaml", cwd=tmp_path)
    assert tested.returncode == 0, tested.stdout + tested.stderr


def stalled_annotations(stack: Stack, namespace: str, name: str) -> dict[str, str]:
    [rule] = [
        r
        for g in rendered_rule(stack)["spec"]["groups"]
        for r in g["rules"]
        if r["alert"] == "NBAccessObjectStalled"
    ]
    annotations: dict[str, Any] = dict(rule["annotations"])
    # The description names the object, as the person paged reads it.
    annotations["description"] = (
        f"NetBirdGroup {namespace}/{name} has been Stalled for more than 15 minutes; it needs a "
        "change to its spec or in NetBird."
    )
    return {k: str(v) for k, v in annotations.items()}


def test_setup_key_expires_reads_as_a_date(kubectl: Kubectl, populated: Populated) -> None:
    wide = kubectl.ok("get", "setupkey", populated.key, "-n", populated.namespace, "-o", "wide")
    header, row = wide.splitlines()
    # Columns by their offsets in the header: the Message column has spaces in it.
    starts = [(m.group(), m.start()) for m in re.finditer(r"\S+", header)]
    columns = {
        name: row[start : starts[i + 1][1] if i + 1 < len(starts) else None].strip()
        for i, (name, start) in enumerate(starts)
    }
    expires = columns["EXPIRES"]
    assert expires != "<invalid>"
    when = dt.datetime.fromisoformat(expires.replace("Z", "+00:00"))
    status = kubectl.status(populated.namespace, "setupkey", populated.key)
    assert when == dt.datetime.fromisoformat(status["expiresAt"].replace("Z", "+00:00"))
    assert when > dt.datetime.now(dt.UTC)
