"""The chart's RBAC is what the operator uses: nothing refused, nothing granted in vain.

The operator runs as the chart's ServiceAccount, with the arguments and settings of the
chart's Deployment, under each rendering of its RBAC (all namespaces; a list of namespaces);
the apiserver's audit log then says which verbs it used, where, and what it was refused.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.helm import FULLNAME, only, operator_settings, render
from tests.e2e.kubectl import Kubectl
from tests.e2e.operator_process import chart_kubeconfig, start_operator
from tests.e2e.rbac.audit import calls, granted, table
from tests.e2e.rbac.workload import exercise
from tests.e2e.stack import Stack


@pytest.mark.parametrize("scope", ["all-namespaces", "watch-namespaces"])
def test_the_operator_is_refused_nothing_and_uses_every_verb_it_is_granted(
    scope: str,
    own_cluster: Stack,
    own_kubectl: Kubectl,
    own_crds: list[dict[str, Any]],
    netbird_url: str,
    netbird_token: str,
    tmp_path: Path,
) -> None:
    tag = secrets.token_hex(3)
    release_namespace = f"nbaccess-{tag}"
    watched = [f"team-a-{tag}", f"team-b-{tag}"]
    for namespace in watched:
        own_kubectl.ok("create", "namespace", namespace)
    values = ["--set", f"operator.watchNamespaces={{{','.join(watched)}}}"]
    if scope == "all-namespaces":
        values = []
    docs = render(own_cluster, release_namespace, *values)
    kubeconfig = chart_kubeconfig(
        own_cluster, own_kubectl, tmp_path, *values, namespace=release_namespace
    )
    chart = operator_settings(docs, release_namespace)
    operator = start_operator(
        kubeconfig, netbird_url, netbird_token, tmp_path, args=chart["args"], env=chart["env"]
    )
    try:
        deleted_by_us = exercise(own_kubectl, watched, tmp_path)
    finally:
        operator.stop()

    assert own_cluster.kube is not None
    assert own_cluster.kube.audit_log is not None
    user = f"system:serviceaccount:{release_namespace}:{FULLNAME}"
    seen = list(calls(own_cluster.kube.audit_log, user))
    assert seen, f"the audit log has nothing from {user}"
    refused = sorted({(c.permission, c.namespace) for c in seen if c.code == 403})
    # The old Secret of a changed secretName, and the Secret of a deleted SetupKey: the
    # operator deletes both itself, not leaving the second to the garbage collector.
    deletes = {(c.namespace, c.name) for c in seen if c.verb == "delete" and c.code == 200}
    assert deleted_by_us <= deletes, f"not deleted by the operator: {deleted_by_us - deletes}"
    assert refused == [], f"refused:\n{refused}\n{operator.log_tail()}"

    grants = granted(docs)
    used = {c.permission for c in seen}
    print(f"\n{scope}: granted and used ({len(used)} permissions)\n{table(used)}")
    assert set(grants) - used == set(), f"granted, never used:\n{table(set(grants) - used)}"
    assert used - set(grants) == set(), f"used, not granted:\n{table(used - set(grants))}"

    if scope == "watch-namespaces":
        assert not only(docs, "ClusterRole")
        assert not only(docs, "ClusterRoleBinding")
        places = {c.namespace for c in seen}
        assert places <= {*watched, release_namespace}, "a call outside the watched namespaces"
