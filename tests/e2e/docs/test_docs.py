"""docs/install.md and docs/gitops.md: every block runs, renders or applies as written."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client as k8s

from tests.e2e.chart.monitoring import MONITORING_APIS, install_stand_ins, stand_in_crd
from tests.e2e.clusters import cluster_of_its_own
from tests.e2e.docs.snippets import Snippet, snippets, unmarked_blocks
from tests.e2e.helm import CHART, only, render
from tests.e2e.kubectl import ROOT, Kubectl
from tests.e2e.namespaces import new_namespace
from tests.e2e.stack import Stack

INSTALL = ROOT / "docs/install.md"
GITOPS = ROOT / "docs/gitops.md"
# Stand-ins for the GitOps tools' CRDs (not installable here): group, version, kind, plural.
GITOPS_KINDS = [
    ("argoproj.io", "v1alpha1", "Application", "applications"),
    ("source.toolkit.fluxcd.io", "v1", "GitRepository", "gitrepositories"),
    ("helm.toolkit.fluxcd.io", "v2", "HelmRelease", "helmreleases"),
    ("kustomize.toolkit.fluxcd.io", "v1", "Kustomization", "kustomizations"),
]


@pytest.mark.parametrize("page", [INSTALL, GITOPS], ids=lambda p: p.name)
def test_every_block_on_the_page_is_tested(page: Path) -> None:
    assert snippets(page), f"{page.name} has no tested block"
    assert unmarked_blocks(page) == 0, f"{page.name} has a block without <!-- docs-test: -->"


@pytest.mark.parametrize(
    "snippet", snippets(INSTALL, "values"), ids=lambda s: f"install.md:{s.line}"
)
def test_install_values_pass_a_server_side_dry_run(
    snippet: Snippet, shared_stack: Stack, kubectl: Kubectl, kube_api: k8s.ApiClient, tmp_path: Path
) -> None:
    values = yaml.safe_load(snippet.text)
    for namespace in values.get("operator", {}).get("watchNamespaces", []):
        kubectl.run("create", "namespace", namespace)  # may exist from an earlier block
    release_namespace = new_namespace(kube_api, "docs-values")
    (tmp_path / "values.yaml").write_text(snippet.text)
    docs = render(
        shared_stack, release_namespace, "--values", str(tmp_path / "values.yaml"), *MONITORING_APIS
    )
    install_stand_ins(kubectl)
    (tmp_path / "rendered.yaml").write_text(yaml.safe_dump_all(docs))
    kubectl.ok("apply", "--dry-run=server", "-f", str(tmp_path / "rendered.yaml"))
    env = {
        e["name"]
        for e in only(docs, "Deployment")[0]["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    assert {e["name"] for e in values.get("extraEnv", [])} <= env


def gitops_manifests() -> list[dict[str, Any]]:
    return [d for s in snippets(GITOPS, "manifest") for d in yaml.safe_load_all(s.text) if d]


def test_gitops_manifests_apply_and_say_what_the_page_relies_on(
    shared_stack: Stack,
    kubectl: Kubectl,
    kube_api: k8s.ApiClient,
    crds: list[dict[str, Any]],
    tmp_path: Path,
) -> None:
    install_stand_ins(kubectl, [stand_in_crd(k, p, g, v) for g, v, k, p in GITOPS_KINDS])
    for namespace in ("argocd", "flux-system"):
        kubectl.run("create", "namespace", namespace)
    access = new_namespace(kube_api, "docs-gitops")
    docs = gitops_manifests()
    placed = [{**d, "metadata": {"namespace": access, **d["metadata"]}} for d in docs]
    (tmp_path / "gitops.yaml").write_text(yaml.safe_dump_all(placed))
    kubectl.ok("apply", "--dry-run=server", "-f", str(tmp_path / "gitops.yaml"))

    by_name = {(d["kind"], d["metadata"]["name"]): d for d in docs}
    operator_app = by_name[("Application", "netbird-access-operator")]
    access_app = by_name[("Application", "orders-prod-access")]
    waves = [
        a["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"]
        for a in (operator_app, access_app)
    ]
    assert [int(w) for w in waves] == sorted(int(w) for w in waves)
    assert int(waves[0]) < int(waves[1])
    assert "SkipDryRunOnMissingResource=true" in access_app["spec"]["syncPolicy"]["syncOptions"]
    assert operator_app["spec"]["source"]["path"] == "charts/netbird-access-operator"

    policy = by_name[("NetBirdPolicy", "users-to-orders-web-prod")]
    assert policy["spec"]["deletionPolicy"] == "Orphan"
    assert policy["metadata"]["annotations"]["argocd.argoproj.io/sync-options"] == "Prune=false"

    release = by_name[("HelmRelease", "netbird-access-operator")]
    assert (
        release["spec"]["install"]["crds"] == release["spec"]["upgrade"]["crds"] == "CreateReplace"
    )
    access_ks = by_name[("Kustomization", "orders-prod-access")]
    wrapper = by_name[("Kustomization", "netbird-access-operator")]
    assert access_ks["spec"]["dependsOn"] == [{"name": wrapper["metadata"]["name"]}]
    assert access_ks["spec"]["wait"] is True
    assert {"kind": "HelmRelease", "name": release["metadata"]["name"]}.items() <= wrapper["spec"][
        "healthChecks"
    ][0].items()

    # The values both tools hand the chart render and pass the apiserver too.
    for values in (
        operator_app["spec"]["source"]["helm"]["valuesObject"],
        release["spec"]["values"],
    ):
        for namespace in values["operator"]["watchNamespaces"]:
            kubectl.run("create", "namespace", namespace)
        (tmp_path / "values.yaml").write_text(yaml.safe_dump(values))
        rendered = render(
            shared_stack,
            new_namespace(kube_api, "docs-gitops-release"),
            "--values",
            str(tmp_path / "values.yaml"),
        )
        (tmp_path / "rendered.yaml").write_text(yaml.safe_dump_all(rendered))
        kubectl.ok("apply", "--dry-run=server", "-f", str(tmp_path / "rendered.yaml"))


# ---- the shell blocks, run for real in a cluster of their own --------------------------------


@pytest.fixture
def fresh_cluster(shared_stack: Stack) -> Iterator[Stack]:
    with cluster_of_its_own() as cluster:
        yield cluster


def shell(cluster: Stack, folder: Path, script: str) -> subprocess.CompletedProcess[str]:
    """Run a block as a reader would: helm and kubectl on PATH, at a checkout's root."""
    assert cluster.kube is not None
    tools = f"{cluster.binaries.helm.parent}:{cluster.binaries.kubectl.parent}"
    env = {
        "PATH": f"{tools}:/usr/bin:/bin",
        "HOME": str(folder),
        "KUBECONFIG": str(cluster.kube.kubeconfig),
    }
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


def checkout(folder: Path) -> Path:
    """A folder that looks like a checkout to the blocks: the chart, crds/ and a CA file."""
    (folder / "charts").mkdir()
    (folder / "charts" / CHART.name).symlink_to(CHART)
    (folder / "crds").symlink_to(ROOT / "crds")
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=docs-ca",
            "-keyout",
            str(folder / "my-ca.key"),
            "-out",
            str(folder / "my-ca.crt"),
        ],
        check=True,
        capture_output=True,
    )
    return folder


def run_block(cluster: Stack, folder: Path, snippet: Snippet) -> str:
    # The token line is the reader's to fill in; the rest runs as written.
    script = snippet.text.replace(
        "export NETBIRD_TOKEN=nbp_...",
        "export NETBIRD_TOKEN=nbp_docs_test_token_000000000000000000",
    )
    done = shell(cluster, folder, script)
    assert done.returncode == 0, f"install.md:{snippet.line} failed:\n{script}\n{done.stderr}"
    return done.stdout


def test_install_upgrade_uninstall_run_as_written(fresh_cluster: Stack, tmp_path: Path) -> None:
    folder = checkout(tmp_path)
    assert fresh_cluster.kube is not None
    kubectl = Kubectl(fresh_cluster.binaries.kubectl, fresh_cluster.kube.kubeconfig)
    blocks = [s for s in snippets(INSTALL, "shell") if "meta.helm.sh/release-name" not in s.text]
    for snippet in blocks:
        if "deletionPolicy" in snippet.text:
            # Something to uninstall: a declared group (no operator runs here, so no finalizer).
            kubectl.ok("create", "namespace", "orders-prod")
            kubectl.ok(
                "apply", "-n", "orders-prod", "-f", str(ROOT / "examples/three-tier/groups.yaml")
            )
        out = run_block(fresh_cluster, folder, snippet)
        if "helm install" in snippet.text:
            assert "netbirdgroups.nbaccess.dev" in out
            kubectl.ok(
                "get", "-n", "nbaccess-system", "deployment/nbaccess-netbird-access-operator"
            )
            kubectl.ok("get", "-n", "nbaccess-system", "secret/netbird-api-token")
        if "helm upgrade" in snippet.text:
            status = json.loads(
                run_block(
                    fresh_cluster,
                    folder,
                    Snippet(
                        "shell", "helm status nbaccess -n nbaccess-system -o json", snippet.line
                    ),
                )
            )
            assert status["version"] == 2
        if "deletionPolicy" in snippet.text:
            groups = json.loads(
                kubectl.ok("get", "netbirdgroups", "-n", "orders-prod", "-o", "json")
            )["items"]
            assert groups
            assert {g["spec"]["deletionPolicy"] for g in groups} == {"Orphan"}
        if "kubectl delete netbird" in snippet.text:
            assert kubectl.ok("get", "netbird", "-A", "-o", "name").strip() == ""
    assert kubectl.ok("get", "crd", "-o", "name").strip() == ""
    assert "nbaccess" not in shell(fresh_cluster, folder, "helm list -A").stdout


def test_crds_from_chart_0_1_are_handed_to_the_release_and_upgraded(
    fresh_cluster: Stack, tmp_path: Path
) -> None:
    folder = checkout(tmp_path)
    assert fresh_cluster.kube is not None
    kubectl = Kubectl(fresh_cluster.binaries.kubectl, fresh_cluster.kube.kubeconfig)
    # What chart 0.1.x left behind: the CRDs, applied from its crds/ folder, owned by no release.
    kubectl.ok("apply", "--server-side", "-f", str(ROOT / "crds"))
    install = next(s for s in snippets(INSTALL, "shell") if "helm install" in s.text)
    refused = shell(
        fresh_cluster,
        folder,
        install.text.replace("export NETBIRD_TOKEN=nbp_...", "export NETBIRD_TOKEN=x"),
    )
    assert refused.returncode != 0
    assert "invalid ownership metadata" in refused.stderr

    run_block(
        fresh_cluster,
        folder,
        next(s for s in snippets(INSTALL, "shell") if "meta.helm.sh/release-name" in s.text),
    )
    run_block(
        fresh_cluster,
        folder,
        Snippet(
            "shell",
            "helm install nbaccess ./charts/netbird-access-operator --namespace nbaccess-system",
            install.line,
        ),
    )
    for crd in json.loads(kubectl.ok("get", "crd", "-o", "json"))["items"]:
        assert crd["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
        assert crd["metadata"]["annotations"]["meta.helm.sh/release-name"] == "nbaccess"
