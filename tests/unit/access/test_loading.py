"""Reading manifests as kubectl would, with the line of every field."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from nbaccess.access.loading import InputError, load, parse

MANIFESTS = """\
# a comment
apiVersion: nbaccess.dev/v1alpha1
kind: NetBirdPolicy
metadata: {name: p}
spec:
  expiresAt: 2026-12-01T00:00:00Z
  sources:
    - ref: a
    - ref: b
---
- not a manifest
---
apiVersion: v1
kind: List
items:
  - apiVersion: nbaccess.dev/v1alpha1
    kind: NetBirdGroup
    metadata: {name: g}
"""


def test_documents_lines_timestamps_and_lists() -> None:
    policy, group = parse(MANIFESTS, "x.yaml")
    assert policy.line == 2
    assert policy.line_of("spec.sources[1].ref") == 9
    assert policy.line_of("spec.sources[7]") == 7  # the closest field that exists
    # kubectl sends YAML timestamps to the apiserver as strings; so does the loader.
    assert policy.data["spec"]["expiresAt"] == "2026-12-01T00:00:00Z"
    assert group.data["metadata"] == {"name": "g"}
    assert group.line == 16


def test_bad_yaml_names_the_file_and_line() -> None:
    with pytest.raises(InputError, match=r"^bad\.yaml:3: not valid YAML: [^(]+$"):
        parse("a: 1\nb: 2\nc: d: e\n", "bad.yaml")
    with pytest.raises(InputError, match=r"^chart\.yaml:2: .*render it first: helm template"):
        parse("spec:\n  replicas: {{ .Values.replicas }}\n", "chart.yaml")


def test_folders_are_read_recursively_skipping_hidden_entries(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / ".git").mkdir()
    (tmp_path / "a.yaml").write_text("kind: A\n")
    (tmp_path / "b" / "c.yml").write_text("kind: C\n")
    (tmp_path / "b" / "notes.txt").write_text("kind: Text\n")
    (tmp_path / ".git" / "d.yaml").write_text("kind: Hidden\n")
    (tmp_path / ".nbaccess.yaml").write_text("kind: Config\n")
    kinds = [d.data["kind"] for d in load([str(tmp_path)])]
    assert kinds == ["A", "C"]


def test_stdin_and_missing_files() -> None:
    docs = load(["-"], stdin=io.StringIO("kind: FromStdin\n"))
    assert [(d.source, d.data["kind"]) for d in docs] == [("-", "FromStdin")]
    with pytest.raises(InputError, match=r"^nowhere\.yaml: no such file or directory$"):
        load(["nowhere.yaml"])
