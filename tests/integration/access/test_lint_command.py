"""`nbaccess lint` end to end: exit codes, formats, stdin, --previous, what is never printed."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from nbaccess.cli import main

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "three-tier"
LINT_CASES = ROOT / "tests" / "cases" / "lint"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_three_tier_example_is_clean_with_its_naming_scheme(
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = str(EXAMPLE / "access" / "nbaccess.yaml")
    code, out, _ = run(
        capsys, "lint", str(EXAMPLE), "-n", "orders-prod", "--config", config, "--format", "json"
    )
    assert (code, json.loads(out)) == (0, {"findings": []})
    code, out, _ = run(capsys, "lint", str(EXAMPLE), "--config", config)
    assert code == 0
    assert out == "no findings in 18 objects from 4 files\n"


def test_errors_fail_warnings_fail_only_when_asked(capsys: pytest.CaptureFixture[str]) -> None:
    error_case = str(LINT_CASES / "unresolved-ref" / "triggers.yaml")
    warning_case = str(LINT_CASES / "all-protocol" / "triggers.yaml")
    assert run(capsys, "lint", error_case)[0] == 1
    assert run(capsys, "lint", warning_case)[0] == 0
    assert run(capsys, "lint", warning_case, "--fail-on", "warning")[0] == 1
    assert (
        run(
            capsys,
            "lint",
            str(LINT_CASES / "unused-group" / "triggers.yaml"),
            "--fail-on",
            "warning",
        )[0]
        == 0
    )


def test_json_findings_have_the_documented_shape(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "lint", str(LINT_CASES / "invalid-spec" / "triggers.yaml"), "--format", "json"
    )
    assert code == 1
    [invalid] = [f for f in json.loads(out)["findings"] if f["rule"] == "invalid-spec"]
    assert {k: invalid[k] for k in ("rule", "severity", "kind", "namespace", "name", "field")} == {
        "rule": "invalid-spec",
        "severity": "error",
        "kind": "NetBirdPolicy",
        "namespace": "default",
        "name": "support-to-web-prod",
        "field": "spec.ports[0]",
    }
    assert invalid["message"] == "must be less than or equal to 65535 (got 70000)"
    assert (
        invalid["line"]
        == (LINT_CASES / "invalid-spec" / "triggers.yaml")
        .read_text()
        .splitlines()
        .index("  ports: [70000]")
        + 1
    )


def test_sarif_for_code_scanning(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    code, out, _ = run(
        capsys, "lint", "tests/cases/lint/portless-rule/triggers.yaml", "--format", "sarif"
    )
    log = json.loads(out)
    assert (code, log["version"]) == (0, "2.1.0")
    [run_log] = log["runs"]
    rule_ids = [r["id"] for r in run_log["tool"]["driver"]["rules"]]
    [result] = run_log["results"]
    assert rule_ids[result["ruleIndex"]] == result["ruleId"] == "portless-rule"
    assert result["level"] == "warning"
    physical = result["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == "tests/cases/lint/portless-rule/triggers.yaml"
    assert physical["region"]["startLine"] > 1


def test_github_annotations(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(LINT_CASES / "unlimited-reusable-key" / "triggers.yaml")
    code, out, _ = run(capsys, "lint", path, "--format", "github")
    assert code == 0
    [line] = out.splitlines()
    assert line.startswith(f"::warning file={path},line=")
    assert "title=nbaccess unlimited-reusable-key%3A SetupKey default/routing-peers-prod::" in line
    assert "%0Aadvice:" in line  # a newline in the message is escaped, its colon is not


def test_stdin_with_namespaces_from_kustomize_and_other_kinds_ignored(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    rendered = """\
apiVersion: v1
kind: Secret
metadata: {name: netbird-api-token, namespace: nbaccess}
stringData: {token: nbp_TopSecretValue}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: orders-prod}
spec: {replicas: 2}
---
apiVersion: nbaccess.dev/v1alpha1
kind: SetupKey
metadata: {name: ci-runners, namespace: ci}
spec: {type: reusable}
"""
    monkeypatch.setattr("sys.stdin", io.StringIO(rendered))
    code, out, _ = run(capsys, "lint", "-")
    assert code == 0
    assert "-:11: SetupKey ci/ci-runners" in out
    assert "unlimited-reusable-key" in out
    assert "TopSecretValue" not in out
    assert "Deployment" not in out


def test_unreadable_input_is_exit_2_naming_file_and_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: nbaccess.dev/v1alpha1\nkind: NetBirdGroup\nmetadata: {name: [}\n")
    code, out, err = run(capsys, "lint", str(bad))
    assert (code, out) == (2, "")
    assert err.startswith(f"nbaccess lint: {bad}:3: not valid YAML")
    code, _, err = run(capsys, "lint", str(tmp_path / "missing"))
    assert code == 2
    assert "missing: no such file or directory" in err
    with pytest.raises(SystemExit) as usage:
        main(["lint", str(bad), "--format", "xml"])
    assert usage.value.code == 2


def test_previous_checks_changes_as_updates(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    key = (
        "apiVersion: nbaccess.dev/v1alpha1\nkind: SetupKey\nmetadata: {{name: k}}\n"
        "spec: {{type: {0}, usageLimit: 1}}\n"
    )
    (tmp_path / "before").mkdir()
    (tmp_path / "after").mkdir()
    (tmp_path / "before" / "key.yaml").write_text(key.format("reusable"))
    (tmp_path / "after" / "key.yaml").write_text(key.format("one-off"))
    assert run(capsys, "lint", str(tmp_path / "after"))[0] == 0
    code, out, _ = run(
        capsys,
        "lint",
        str(tmp_path / "after"),
        "--previous",
        str(tmp_path / "before"),
        "--format",
        "json",
    )
    [finding] = json.loads(out)["findings"]
    assert (code, finding["rule"], finding["field"]) == (1, "invalid-spec", "spec.type")
    assert "immutable" in finding["message"]


def test_an_object_can_accept_a_finding_by_annotation(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    text = (LINT_CASES / "all-protocol" / "triggers.yaml").read_text()
    annotated = text.replace(
        "metadata: {name: support-to-web-prod}",
        "metadata:\n  name: support-to-web-prod\n"
        "  annotations: {nbaccess.dev/lint-ignore: all-protocol}",
    )
    assert annotated != text
    (tmp_path / "p.yaml").write_text(annotated)
    code, out, _ = run(capsys, "lint", str(tmp_path / "p.yaml"), "--format", "json")
    assert (code, json.loads(out)["findings"]) == (0, [])
