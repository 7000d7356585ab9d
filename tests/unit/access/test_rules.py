"""Every lint rule has a fixture that triggers it and one that must not; lint and the
apiserver agree on what is invalid; the operator warns with lint's own words."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from nbaccess.access import inventory, model
from nbaccess.access.catalog import RULES
from nbaccess.access.config import LintConfig
from nbaccess.access.lint import SHAPE_RULES, lint
from nbaccess.access.loading import parse
from nbaccess.reconcile.policy import Resolved, risk_warnings
from nbaccess.resources.policy import NetBirdPolicySpec
from tests.cases.invalid_objects import INVALID_OBJECTS, InvalidCase
from tests.unit.access.helpers import NOW, lint_paths

FIXTURES = Path(__file__).resolve().parents[2] / "cases" / "lint"


def test_every_rule_has_a_fixture_folder_and_every_folder_a_rule() -> None:
    folders = {p.name for p in FIXTURES.iterdir() if p.is_dir()}
    assert folders == set(RULES)
    for folder in folders:
        inputs = {p.name for p in (FIXTURES / folder).glob("*.yaml") if p.name != ".nbaccess.yaml"}
        assert inputs == {
            "triggers.yaml",
            "passes.yaml",
        }


@pytest.mark.parametrize("rule", sorted(RULES))
def test_the_fixture_triggers_the_rule(rule: str) -> None:
    found = [f for f in lint_paths(str(FIXTURES / rule / "triggers.yaml")) if f.rule == rule]
    assert found, f"{rule}: triggers.yaml reports nothing"
    for item in found:
        assert item.severity == RULES[rule].severity
        assert item.kind
        assert item.name
        assert item.field
        assert item.message
        assert item.line > 1
        assert item.file.endswith("triggers.yaml")


@pytest.mark.parametrize("rule", sorted(RULES))
def test_the_near_miss_does_not(rule: str) -> None:
    found = [f for f in lint_paths(str(FIXTURES / rule / "passes.yaml")) if f.rule == rule]
    assert found == []


def _documents(*manifests: dict[str, Any]) -> list[Any]:
    text = "---\n".join(yaml.safe_dump(m, sort_keys=False) for m in manifests)
    return parse(text, "case.yaml")


@pytest.mark.parametrize("case", INVALID_OBJECTS, ids=lambda c: c.id)
def test_lint_names_the_field_the_apiserver_names(case: InvalidCase) -> None:
    before = _documents(case.before) if case.before is not None else []
    declared = inventory.build(_documents(case.fresh()), "default", before)
    found = lint(declared, model.build(declared, NOW), LintConfig(), NOW)
    assert any(f.rule == "invalid-spec" and f.field == case.field for f in found), found
    assert all(f.severity == "error" for f in found if f.rule == "invalid-spec")


@pytest.mark.parametrize("rule", sorted(SHAPE_RULES), ids=lambda r: r)
def test_the_operator_warns_in_the_words_lint_uses(rule: str) -> None:
    path = FIXTURES / rule / "triggers.yaml"
    found = lint_paths(str(path))
    declared = inventory.build(parse(path.read_text(), str(path)))
    for obj, spec in declared.of_kind(NetBirdPolicySpec):
        # As the operator resolves it: group ids, and the id NetBird gives its All group.
        ids = {
            r: declared.group_name("default", r) or "?"
            for r in (*spec.sources, *(spec.destinations or ()))
        }
        resolved = Resolved(
            sorted(ids[r] for r in spec.sources),
            sorted(ids[r] for r in spec.destinations or ()),
            None,
            [],
        )
        status_warnings = risk_warnings(spec, obj.netbird_name, resolved, all_id="All")
        lint_messages = [
            f.message for f in found if f.name == obj.key.name and f.rule in SHAPE_RULES
        ]
        assert sorted(status_warnings) == sorted(lint_messages)
    assert any(f.rule == rule for f in found)


def test_a_disabled_policy_keeps_its_shape_findings_as_info_only() -> None:
    found = lint_paths(str(FIXTURES / "default-policy-enabled" / "passes.yaml"))
    shapes = [f for f in found if f.rule in SHAPE_RULES]
    assert {f.rule for f in shapes} == {"all-protocol", "all-group"}
    assert all(
        f.severity == "info" and f.message.endswith("(the policy is disabled)") for f in shapes
    )
