"""The CI examples people copy (docs/pull-requests.md, `nbaccess lint --help`) are valid:
the YAML parses, every command in it is one `nbaccess` accepts, every rule is documented."""

from __future__ import annotations

import re
import shlex
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from nbaccess.access.catalog import RULES
from nbaccess.cli import _build_parser

PAGE = Path(__file__).resolve().parents[3] / "docs" / "pull-requests.md"


def yaml_blocks(text: str) -> list[Any]:
    return [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", text, flags=re.S)]


def commands(value: Any) -> Iterator[str]:
    """Every `nbaccess ...` invocation in a workflow, a GitLab job or a pre-commit hook."""
    if isinstance(value, dict):
        if "entry" in value:  # a pre-commit hook: the image, then the arguments
            if "nbaccess" in str(value["entry"]):
                words = [*str(value["entry"]).split()[1:], *value.get("args", [])]
                yield " ".join(["nbaccess", *words])
            return
        for key, item in value.items():
            if key not in ("name", "id"):
                yield from commands(item)
    elif isinstance(value, list):
        for item in value:
            yield from commands(item)
    elif isinstance(value, str):
        for line in value.splitlines():
            line = line.replace("$NBACCESS", "nbaccess").strip()
            if line.startswith("nbaccess "):
                yield line


def parses(command: str) -> None:
    words = shlex.split(command.split(" > ")[0].split(" >> ")[0].split(" || ")[0])
    args = _build_parser().parse_args(words[1:])  # exits (SystemExit) on a usage error
    assert args.command in ("lint", "matrix", "test")


def test_every_yaml_block_on_the_page_parses_and_its_commands_are_valid() -> None:
    blocks = yaml_blocks(PAGE.read_text())
    found = [c for block in blocks for c in commands(block)]
    assert len(found) >= 10
    for command in found:
        parses(command)
    assert {c.split()[1] for c in found} == {"lint", "matrix", "test"}


def test_the_page_lists_every_rule_with_its_default_severity() -> None:
    rows = dict(re.findall(r"^\| `([a-z-]+)` \| (error|warning|info) \|", PAGE.read_text(), re.M))
    assert rows == {rule.id: rule.severity for rule in RULES.values()}


def test_lint_help_holds_a_complete_github_actions_job(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        _build_parser().parse_args(["lint", "--help"])
    help_text = capsys.readouterr().out
    example = help_text.split("Example:")[1].split("Exit status:")[0]
    workflow = yaml.safe_load(textwrap.dedent(example.split("\n", 2)[2]))
    steps = workflow["jobs"]["access"]["steps"]
    uses = [s.get("uses", "") for s in steps]
    assert any(u.startswith("github/codeql-action/upload-sarif") for u in uses)
    assert any(u.startswith("actions/upload-artifact") for u in uses)
    found = list(commands(workflow))
    assert {c.split()[1] for c in found} == {"lint", "matrix", "test"}
    for command in found:
        parses(command)
    assert all(rule in help_text for rule in RULES)
