"""What a user sees once the CRDs are installed: kubectl knows the kinds, explains their
fields, lists them under `netbird`, and shows the printer columns and the initial status."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from kubernetes import client as k8s

from nbaccess.reconcile.policy import ports_text
from nbaccess.resources.kinds import API_VERSION, CATEGORY, KINDS, KindInfo, printer_columns
from nbaccess.resources.policy import NetBirdPolicySpec
from tests.cases.valid_objects import VALID_OBJECTS
from tests.e2e.kubectl import CRD_DIR, Kubectl
from tests.e2e.namespaces import new_namespace

pytestmark = pytest.mark.usefixtures("crds")

KIND_IDS = [info.kind for info in KINDS]


def one_line(text: str) -> str:
    """kubectl wraps long descriptions; compare text with whitespace runs collapsed."""
    return " ".join(text.split())


def first_example(kind: str) -> dict[str, Any]:
    return next(c.fresh() for c in VALID_OBJECTS if c.manifest["kind"] == kind)


@pytest.fixture(scope="module")
def one_of_each_kind(kubectl: Kubectl, kube_api: k8s.ApiClient) -> str:
    """A namespace holding one valid object of every kind, freshly created (no operator)."""
    namespace = new_namespace(kube_api, "one-of-each-kind")
    for info in KINDS:
        kubectl.ok("apply", "-n", namespace, "-f", "-", stdin=json.dumps(first_example(info.kind)))
    return namespace


def test_every_committed_crd_is_one_of_our_kinds(crds: list[dict[str, Any]]) -> None:
    committed = {path.name.removesuffix(".yaml") for path in CRD_DIR.glob("*.yaml")}

    assert committed == {info.crd_name for info in KINDS}
    assert {crd["metadata"]["name"] for crd in crds} == committed


@pytest.mark.parametrize("info", KINDS, ids=KIND_IDS)
def test_crd_is_established_and_accepted(info: KindInfo, crds: list[dict[str, Any]]) -> None:
    stored = next(crd for crd in crds if crd["metadata"]["name"] == info.crd_name)
    conditions = {c["type"]: c["status"] for c in stored["status"]["conditions"]}

    assert conditions["Established"] == "True"
    assert conditions["NamesAccepted"] == "True"
    assert stored["status"]["acceptedNames"]["kind"] == info.kind


def test_api_resources_lists_the_five_kinds_with_their_short_names(kubectl: Kubectl) -> None:
    out = kubectl.ok("api-resources", f"--categories={CATEGORY}", "--no-headers")
    rows = [line.split() for line in out.splitlines() if line.strip()]

    listed = {row[0]: (row[1], row[2], row[-1]) for row in rows}

    assert len(rows) == 5
    assert listed == {info.plural: (info.short_name, API_VERSION, info.kind) for info in KINDS}


def test_get_netbird_lists_every_kind(kubectl: Kubectl, one_of_each_kind: str) -> None:
    out = kubectl.ok("get", CATEGORY, "-n", one_of_each_kind)

    for info in KINDS:
        name = first_example(info.kind)["metadata"]["name"]
        assert f"{info.singular}.nbaccess.dev/{name} " in out, out


@pytest.mark.parametrize("info", KINDS, ids=KIND_IDS)
def test_new_object_shows_observed_generation_minus_one(
    info: KindInfo, kubectl: Kubectl, one_of_each_kind: str
) -> None:
    name = first_example(info.kind)["metadata"]["name"]

    stored = kubectl.get_json(one_of_each_kind, info.plural, name)

    assert stored["status"]["observedGeneration"] == -1
    assert stored["metadata"]["generation"] == 1


def test_explain_policy_ports_prints_the_models_description(kubectl: Kubectl) -> None:
    description = NetBirdPolicySpec.model_fields["ports"].description
    assert description

    out = kubectl.ok("explain", "netbirdpolicy.spec.ports")

    assert "FIELD: ports <[]integer>" in out
    assert one_line(description) in one_line(out)


@pytest.mark.parametrize("info", KINDS, ids=KIND_IDS)
def test_explain_describes_every_spec_field(info: KindInfo, kubectl: Kubectl) -> None:
    out = one_line(kubectl.ok("explain", f"{info.singular}.spec"))

    for name, field in info.spec_model.model_fields.items():
        key = field.alias or name
        assert field.description, f"{info.kind}.spec.{key} has no description"
        assert f"{key} <" in out, f"kubectl explain does not list spec.{key}"
        assert one_line(field.description) in out, f"spec.{key}"


def _table(out: str) -> list[list[str]]:
    """kubectl's table output: cells are separated by two or more spaces."""
    return [re.split(r"\s{2,}", line.strip()) for line in out.splitlines() if line.strip()]


@pytest.mark.parametrize("info", KINDS, ids=KIND_IDS)
def test_get_wide_shows_the_kinds_columns(
    info: KindInfo, kubectl: Kubectl, one_of_each_kind: str
) -> None:
    wide = kubectl.ok("get", info.plural, "-n", one_of_each_kind, "-o", "wide")
    narrow = kubectl.ok("get", info.plural, "-n", one_of_each_kind)

    assert wide.splitlines()[0].split() == ["NAME"] + [
        column.name.upper() for column in printer_columns(info)
    ]
    assert narrow.splitlines()[0].split() == ["NAME", "READY", "REASON", "AGE"]


def test_get_policy_wide_shows_readiness_id_and_rule(kubectl: Kubectl, namespace: str) -> None:
    policy = next(c.fresh() for c in VALID_OBJECTS if c.id == "policy-tcp-to-groups")
    name = policy["metadata"]["name"]
    kubectl.ok("apply", "-n", namespace, "-f", "-", stdin=json.dumps(policy))
    # What the operator would write once the policy is in NetBird.
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    ready = {
        "type": "Ready",
        "status": "True",
        "reason": "Synced",
        "message": "in sync with NetBird",
        "lastTransitionTime": now,
    }
    ports = ports_text(NetBirdPolicySpec.model_validate(policy["spec"]))
    status = {"status": {"id": "d2h6tq0hhcjnqoiuec20", "ports": ports, "conditions": [ready]}}
    kubectl.ok(
        "patch", "netbirdpolicy", name, "-n", namespace, "--subresource=status",
        "--type=merge", "-p", json.dumps(status),
    )  # fmt: skip

    wide = _table(kubectl.ok("get", "netbirdpolicy", "-n", namespace, "-o", "wide"))
    narrow = _table(kubectl.ok("get", "netbirdpolicy", "-n", namespace))

    row = dict(zip(wide[0], wide[1], strict=True))
    assert row == {
        "NAME": name,
        "READY": "True",
        "REASON": "Synced",
        "ID": "d2h6tq0hhcjnqoiuec20",
        "ACTION": "accept",
        "PROTOCOL": "tcp",
        "PORTS": "443,8443",
        "MESSAGE": "in sync with NetBird",
        "AGE": row["AGE"],
    }
    assert re.fullmatch(r"\d+[smhd]\w*", row["AGE"])
    assert narrow[0] == ["NAME", "READY", "REASON", "AGE"]
    assert narrow[1][:3] == [name, "True", "Synced"]
