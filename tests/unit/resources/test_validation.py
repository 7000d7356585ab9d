"""Offline validation gives the apiserver's verdicts, in messages that name the field."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from nbaccess.resources.base import SpecModel
from nbaccess.resources.common import duration_seconds
from nbaccess.resources.kinds import KINDS
from nbaccess.resources.policy import NetBirdPolicySpec
from nbaccess.resources.validation import validate_object
from tests.cases.invalid_objects import INVALID_OBJECTS, InvalidCase
from tests.cases.valid_objects import VALID_OBJECTS, ValidCase


@pytest.mark.parametrize("case", VALID_OBJECTS, ids=lambda c: c.id)
def test_valid_example_passes(case: ValidCase) -> None:
    assert validate_object(case.manifest) == []


@pytest.mark.parametrize("case", INVALID_OBJECTS, ids=lambda c: c.id)
def test_invalid_example_fails_naming_the_field(case: InvalidCase) -> None:
    problems = validate_object(case.manifest, case.before)
    assert any(p.startswith(f"{case.field}: ") for p in problems), problems
    # A person reads these: no validator jargon.
    assert not any("Input should" in p or "pydantic" in p for p in problems)


@pytest.mark.parametrize(
    "case", [c for c in INVALID_OBJECTS if c.before is not None], ids=lambda c: c.id
)
def test_a_change_case_is_invalid_only_as_a_change(case: InvalidCase) -> None:
    assert case.before is not None
    assert validate_object(case.before) == []
    assert validate_object(case.manifest) == []


def test_the_table_is_big_enough_and_covers_every_kind() -> None:
    assert len(INVALID_OBJECTS) >= 30
    ids = [c.id for c in INVALID_OBJECTS]
    assert len(ids) == len(set(ids))
    kinds = {c.manifest["kind"] for c in INVALID_OBJECTS}
    assert kinds == {info.kind for info in KINDS}
    assert {c.manifest["kind"] for c in VALID_OBJECTS} == kinds
    # Names are case ids, so the e2e tests can apply every entry into one namespace.
    assert all(c.manifest["metadata"]["name"] == c.id for c in INVALID_OBJECTS)


def _spec_models() -> list[type[SpecModel]]:
    found: list[type[SpecModel]] = []
    pending: list[type[SpecModel]] = [SpecModel]
    while pending:
        for sub in pending.pop().__subclasses__():
            found.append(sub)
            pending.append(sub)
    return found


def test_every_rule_is_exercised_by_the_invalid_table() -> None:
    """So the e2e run of the same table tries every CEL rule on the real apiserver."""
    messages = {p for c in INVALID_OBJECTS for p in validate_object(c.manifest, c.before)}
    untried = [
        (model.__name__, rule.message)
        for model in _spec_models()
        for rule in model.__rules__
        if not any(m.endswith(f": {rule.message}") for m in messages)
    ]
    assert untried == []


POLICY = {
    "apiVersion": "nbaccess.dev/v1alpha1",
    "kind": "NetBirdPolicy",
    "metadata": {"name": "web"},
    "spec": {"protocol": "tcp", "sources": [{"name": "Support"}], "destinations": [{"id": "x1"}]},
}


def _policy(**changes: Any) -> dict[str, Any]:
    obj = copy.deepcopy(POLICY)
    obj.update(changes)
    return obj


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        (
            "policy",
            ["(root): a manifest must be a mapping with apiVersion, kind, metadata and spec"],
        ),
        (_policy(apiVersion="nbaccess.dev/v1"), ["apiVersion: must be nbaccess.dev/v1alpha1"]),
        (
            _policy(kind="NetworkPolicy"),
            [
                "kind: must be one of NetBirdGroup, NetBirdPolicy, NetBirdNetwork, SetupKey, "
                "PostureCheck"
            ],
        ),
        (_policy(metadata={}), ["metadata.name: required"]),
        (_policy(metadata={"generateName": "web-"}), []),
        (
            _policy(metadata={"name": "Web"}),
            [
                "metadata.name: must be a Kubernetes object name (lowercase letters, digits, '-' "
                "and '.'), at most 253 characters"
            ],
        ),
        (_policy(specs={}), ["specs: unknown field"]),
        ({k: v for k, v in POLICY.items() if k != "spec"}, ["spec: required"]),
    ],
)
def test_manifest_level_problems(obj: Any, expected: list[str]) -> None:
    assert validate_object(obj) == expected


def test_every_problem_is_reported_not_just_the_first() -> None:
    obj = _policy()
    obj["spec"] = {**obj["spec"], "action": "allow", "ports": [0]}
    problems = validate_object(obj)
    assert [p.split(":")[0] for p in problems] == ["spec.action", "spec.ports[0]"]


def test_a_manifest_read_from_yaml_with_an_unquoted_timestamp_is_valid() -> None:
    text = """
apiVersion: nbaccess.dev/v1alpha1
kind: NetBirdPolicy
metadata: {name: temp-access}
spec:
  protocol: tcp
  ports: [22]
  sources: [{name: Contractors}]
  destinations: [{ref: bastion}]
  expiresAt: 2030-01-31T18:00:00Z
"""
    assert validate_object(yaml.safe_load(text)) == []


def test_a_change_from_an_invalid_stored_object_reports_only_the_new_one() -> None:
    before = {**POLICY, "kind": "SetupKey", "spec": {"type": "multi"}}
    after = {**POLICY, "kind": "SetupKey", "spec": {"type": "one-off"}}
    assert validate_object(after, before) == []


def test_parsed_spec_carries_the_defaults_the_crd_applies() -> None:
    spec = NetBirdPolicySpec.model_validate(POLICY["spec"])
    assert (spec.action, spec.enabled, spec.bidirectional) == ("accept", True, False)
    assert (spec.adopt, spec.deletion_policy) == (False, "Delete")
    assert spec.sources[0].name == "Support"
    assert spec.ports is None


@pytest.mark.parametrize(
    ("text", "seconds"), [("720h", 2592000), ("1h30m", 5400), ("90s", 90), ("0s", 0)]
)
def test_duration_seconds(text: str, seconds: int) -> None:
    assert duration_seconds(text) == seconds


def _network(address: str) -> dict[str, Any]:
    return {
        "apiVersion": "nbaccess.dev/v1alpha1",
        "kind": "NetBirdNetwork",
        "metadata": {"name": "n"},
        "spec": {"resources": [{"name": "r", "address": address}]},
    }


@pytest.mark.parametrize(
    "address",
    [
        "10.0.0.1",
        "10.0.0.0/8",
        "0.0.0.0/0",
        "db.example.com",
        "*.example.com",
        "localhost",
        "2001:db8::1",
        "2001:db8::/32",
        "::1",
    ],
)
def test_network_addresses_netbird_accepts(address: str) -> None:
    assert validate_object(_network(address)) == []


@pytest.mark.parametrize(
    "address",
    [
        "256.1.1.1",
        "10.0.0.0/33",
        "999.1.1.1",
        "*.",
        "-bad.example.com",
        "http://x.example.com",
        "10.0.0.0/8 ",
        "",
    ],
)
def test_network_addresses_netbird_would_refuse(address: str) -> None:
    (problem,) = validate_object(_network(address))
    assert problem.startswith("spec.resources[0].address: ")
