"""The Helm chart, as `helm install` would hand it to a real apiserver."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client as k8s

from nbaccess.config import Settings
from tests.e2e.chart.monitoring import MONITORING_APIS, install_stand_ins
from tests.e2e.helm import CHART, helm, helm_run, only, render
from tests.e2e.kubectl import ROOT, Kubectl
from tests.e2e.namespaces import new_namespace
from tests.e2e.stack import Stack


def container(docs: list[dict[str, Any]]) -> dict[str, Any]:
    return dict(only(docs, "Deployment")[0]["spec"]["template"]["spec"]["containers"][0])


def dry_run(kubectl: Kubectl, docs: list[dict[str, Any]], folder: Path) -> str:
    manifest = folder / "rendered.yaml"
    manifest.write_text(yaml.safe_dump_all(docs))
    return kubectl.ok("apply", "--dry-run=server", "-f", str(manifest))


def everything_on(watched: list[str], monitoring: str) -> dict[str, Any]:
    """Every value the chart offers, set to something other than its default."""
    values = {
        "replicaCount": 2,
        "image": {"digest": "sha256:" + "a" * 64, "pullPolicy": "Always"},
        "imagePullSecrets": [{"name": "registry"}],
        "crds": {"install": True, "keep": False},
        "netbird": {"apiUrl": "https://netbird.example.internal", "rateLimitPerMinute": 60},
        "operator": {"watchNamespaces": watched, "logLevel": "debug", "resyncSeconds": 120},
        "leaderElection": {"leaseDuration": 20, "renewDeadline": 15, "retryPeriod": 3},
        "podDisruptionBudget": {"maxUnavailable": 1},
        "metrics": {
            "port": 9090,
            "serviceMonitor": {
                "enabled": True,
                "namespace": monitoring,
                "labels": {"release": "kube-prometheus-stack"},
                "interval": "15s",
                "scrapeTimeout": "10s",
            },
            "prometheusRule": {
                "enabled": True,
                "namespace": monitoring,
                "labels": {"release": "kube-prometheus-stack"},
            },
            "grafanaDashboard": {"enabled": True, "namespace": monitoring},
        },
        "extraEnv": [{"name": "HTTPS_PROXY", "value": "http://proxy.internal:3128"}],
        "extraVolumes": [{"name": "ca", "configMap": {"name": "netbird-ca"}}],
        "extraVolumeMounts": [{"name": "ca", "mountPath": "/etc/netbird-ca", "readOnly": True}],
        "podAnnotations": {"example.com/team": "platform"},
        "podLabels": {"example.com/cost-centre": "42"},
        "priorityClassName": "system-cluster-critical",
        "nodeSelector": {"kubernetes.io/os": "linux"},
        "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "ops"}],
        "topologySpreadConstraints": [
            {
                "maxSkew": 1,
                "topologyKey": "kubernetes.io/hostname",
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": {"matchLabels": {"app.kubernetes.io/name": "x"}},
            }
        ],
    }
    return values


def values_file(folder: Path, values: dict[str, Any]) -> list[str]:
    path = folder / "values.yaml"
    path.write_text(yaml.safe_dump(values))
    return ["--values", str(path)]


def test_helm_lint_is_clean(shared_stack: Stack) -> None:
    out = helm(shared_stack, "lint", "--strict", str(CHART), "--kube-version", "1.30.0")
    assert "0 chart(s) failed" in out
    assert "[WARNING]" not in out, out
    assert "[ERROR]" not in out, out


def test_every_variable_the_chart_sets_is_one_the_operator_reads(shared_stack: Stack) -> None:
    env = container(render(shared_stack, "nbaccess-system"))["env"]
    known = {name.upper() for name in Settings.model_fields}
    assert {e["name"] for e in env} <= known


@pytest.mark.parametrize(
    ("setting", "names"),
    [
        (["--set", "metrics.port=notaport"], "/metrics/port"),
        (["--set", "netbird.tokenSecret.name="], "/netbird/tokenSecret/name"),
        (["--set", "replicaCount=two"], "/replicaCount"),
        (["--set", "operator.watchNamespaces={team-*}"], "/operator/watchNamespaces/0"),
        (["--set", "operator.logLevel=loud"], "/operator/logLevel"),
        (["--set", "image.digest=latest"], "/image/digest"),
        (["--set", "netbird.apiUrl=https://netbird.example/api"], "/netbird/apiUrl"),
        (["--set", "metrics.serviceMonitor.interval=often"], "/metrics/serviceMonitor/interval"),
        (["--set", "operater.logLevel=debug"], "'operater'"),
    ],
)
def test_the_schema_rejects_a_wrong_value_naming_the_key(
    shared_stack: Stack, setting: list[str], names: str
) -> None:
    done = helm_run(shared_stack, "template", "x", str(CHART), *setting)
    assert done.returncode != 0
    assert names in done.stderr, done.stderr


def test_the_chart_refuses_a_kubernetes_older_than_its_crds_need(shared_stack: Stack) -> None:
    done = helm_run(shared_stack, "template", "x", str(CHART), "--kube-version", "1.27.9")
    assert done.returncode != 0
    assert "kubeVersion" in done.stderr


def test_the_default_rendering_passes_a_server_side_dry_run(
    shared_stack: Stack, kubectl: Kubectl, kube_api: k8s.ApiClient, tmp_path: Path
) -> None:
    namespace = new_namespace(kube_api, "chart-defaults")
    docs = render(shared_stack, namespace)
    assert container(docs)["args"] == ["run", "--all-namespaces"]
    assert {d["kind"] for d in docs} == {
        "CustomResourceDefinition",
        "ServiceAccount",
        "ClusterRole",
        "ClusterRoleBinding",
        "Role",
        "RoleBinding",
        "Service",
        "Deployment",
    }
    out = dry_run(kubectl, docs, tmp_path)
    assert "deployment.apps/nbaccess-netbird-access-operator created (server dry run)" in out


def test_every_option_on_passes_a_server_side_dry_run(
    shared_stack: Stack, kubectl: Kubectl, kube_api: k8s.ApiClient, tmp_path: Path
) -> None:
    namespace = new_namespace(kube_api, "chart-all")
    watched = [new_namespace(kube_api, "team-a"), new_namespace(kube_api, "team-b")]
    monitoring = new_namespace(kube_api, "monitoring")
    install_stand_ins(kubectl)
    values = everything_on(watched, monitoring)
    docs = render(shared_stack, namespace, *values_file(tmp_path, values), *MONITORING_APIS)

    kinds = sorted(d["kind"] for d in docs)
    assert kinds.count("Role") == len(watched) + 1  # one per namespace, one for the Lease
    assert "ClusterRole" not in kinds
    assert "ClusterRoleBinding" not in kinds
    for kind in ("PodDisruptionBudget", "ServiceMonitor", "PrometheusRule", "ConfigMap"):
        assert kind in kinds
    operator = container(docs)
    assert operator["image"] == "ghcr.io/nbaccess/netbird-access-operator@sha256:" + "a" * 64
    assert {"name": "HTTPS_PROXY", "value": "http://proxy.internal:3128"} in operator["env"]
    monitor = only(docs, "ServiceMonitor")[0]
    assert monitor["metadata"]["namespace"] == monitoring
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    assert monitor["spec"]["endpoints"][0]["interval"] == "15s"
    assert monitor["spec"]["namespaceSelector"] == {"matchNames": [namespace]}
    for crd in only(docs, "CustomResourceDefinition"):
        assert "helm.sh/resource-policy" not in crd["metadata"].get("annotations", {})

    dry_run(kubectl, docs, tmp_path)


def test_monitoring_objects_appear_only_where_their_api_exists_or_when_forced(
    shared_stack: Stack,
) -> None:
    asked = ["--set", "metrics.serviceMonitor.enabled=true"]
    asked += ["--set", "metrics.prometheusRule.enabled=true"]
    missing = render(shared_stack, "ns", *asked)
    assert not only(missing, "ServiceMonitor")
    assert not only(missing, "PrometheusRule")
    present = render(shared_stack, "ns", *asked, *MONITORING_APIS)
    assert only(present, "ServiceMonitor")
    assert only(present, "PrometheusRule")
    forced = render(
        shared_stack,
        "ns",
        *asked,
        "--set",
        "metrics.serviceMonitor.force=true",
        "--set",
        "metrics.prometheusRule.force=true",
    )
    assert only(forced, "ServiceMonitor")
    assert only(forced, "PrometheusRule")


def test_every_alert_names_its_object_and_links_its_runbook(shared_stack: Stack) -> None:
    docs = render(
        shared_stack,
        "ns",
        "--set",
        "replicaCount=2",
        "--set",
        "metrics.prometheusRule.enabled=true",
        *MONITORING_APIS,
    )
    rules = only(docs, "PrometheusRule")[0]["spec"]["groups"][0]["rules"]
    runbook = (ROOT / "docs/troubleshooting.md").read_text().lower()
    assert {r["alert"] for r in rules} == {
        "NBAccessRoutingPeersDown",
        "NBAccessNetworkNotHighlyAvailable",
        "NBAccessRoutingPeersFlapping",
        "NBAccessNoLeader",
        "NBAccessHALost",
        "NBAccessObjectFlapping",
        "NBAccessSetupKeyNotRotated",
        "NBAccessObjectStalled",
        "NBAccessNetBirdUnavailable",
        "NBAccessTokenRejected",
        "NBAccessReconcileErrors",
        "NBAccessDefaultInterlockEngaged",
    }
    for rule in rules:
        notes = rule["annotations"]
        assert notes["summary"], rule["alert"]
        assert notes["description"], rule["alert"]
        anchor = notes["runbook_url"].split("#")[1]
        assert f"## {anchor}" in runbook, f"docs/troubleshooting.md lacks ## {rule['alert']}"
        assert 'job="nbaccess-netbird-access-operator-metrics"' in rule["expr"]


def test_the_pdb_comes_with_a_second_replica(shared_stack: Stack) -> None:
    assert not only(render(shared_stack, "ns"), "PodDisruptionBudget")
    (pdb,) = only(render(shared_stack, "ns", "--set", "replicaCount=2"), "PodDisruptionBudget")
    assert pdb["spec"]["maxUnavailable"] == 1


def test_the_crds_are_templates_kept_on_uninstall_by_default(shared_stack: Stack) -> None:
    crds = only(render(shared_stack, "ns"), "CustomResourceDefinition")
    generated = {
        p.name.removesuffix(".yaml"): yaml.safe_load(p.read_text())
        for p in (ROOT / "crds").glob("*.yaml")
    }
    assert {c["metadata"]["name"] for c in crds} == set(generated)
    for crd in crds:
        assert crd["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
        assert crd["metadata"]["annotations"]["argocd.argoproj.io/sync-options"] == "Delete=false"
        assert crd["spec"] == generated[crd["metadata"]["name"]]["spec"]
    assert not only(
        render(shared_stack, "ns", "--set", "crds.install=false"), "CustomResourceDefinition"
    )


def test_the_chart_renders_the_generated_crds_from_its_files() -> None:
    shipped = sorted(p.name for p in (CHART / "files/crds").glob("*.yaml"))
    generated = sorted(p.name for p in (ROOT / "crds").glob("*.yaml"))
    assert shipped == generated
    for name in shipped:
        assert (CHART / "files/crds" / name).read_text() == (ROOT / "crds" / name).read_text()
    assert not (CHART / "crds").exists(), "crds/ is never upgraded by Helm: use files/crds"


def test_install_dry_run_prints_the_notes(shared_stack: Stack, kubeconfig_path: Path) -> None:
    out = helm(
        shared_stack,
        "install",
        "nbaccess",
        str(CHART),
        "--namespace",
        "ops",
        "--dry-run=server",
        "--kubeconfig",
        str(kubeconfig_path),
        "--set",
        "crds.keep=false",
        # The session's CRDs were applied by kubectl: no release may take them over here.
        "--set",
        "crds.install=false",
    )
    notes = out.split("NOTES:", 1)[1]
    assert "kubectl -n ops create secret generic netbird-api-token" in notes
    assert "kubectl -n ops get lease nbaccess-netbird-access-operator-leader" in notes
    assert "crds.keep=false" in notes
