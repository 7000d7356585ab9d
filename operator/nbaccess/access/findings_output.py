"""Findings as people and tools read them: text, JSON, SARIF 2.1.0, GitHub annotations."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from itertools import groupby
from pathlib import Path
from typing import Any

from nbaccess import __version__
from nbaccess.access.catalog import RULES, SEVERITIES, Severity
from nbaccess.access.findings import Finding
from nbaccess.access.loading import STDIN

_SARIF_LEVEL: dict[Severity, str] = {"error": "error", "warning": "warning", "info": "note"}
_GITHUB_LEVEL: dict[Severity, str] = {"error": "error", "warning": "warning", "info": "notice"}


def render(format_name: str, findings: Sequence[Finding], objects: int, files: int) -> str:
    if format_name == "json":
        return as_json(findings)
    if format_name == "sarif":
        return as_sarif(findings)
    if format_name == "github":
        return as_github(findings)
    return as_text(findings, objects, files)


def counts(findings: Iterable[Finding]) -> dict[Severity, int]:
    found = dict.fromkeys(SEVERITIES, 0)
    for item in findings:
        found[item.severity] += 1
    return found


def as_text(findings: Sequence[Finding], objects: int, files: int) -> str:
    """Grouped by object, in file order, with the line of each field and the advice."""
    lines: list[str] = []
    by_object = groupby(findings, key=lambda f: (f.file, f.kind, f.namespace, f.name))
    for (file, kind, namespace, name), group in by_object:
        items = list(group)
        lines.append(f"{file}:{items[0].object_line}: {kind} {namespace}/{name or '(no name)'}")
        for item in items:
            lines.append(f"  {item.severity:<8} {item.rule:<23} {item.field} (line {item.line})")
            lines.append(f"  {'':<8} {'':<23} {item.message}")
            lines.append(f"  {'':<8} {'':<23} advice: {item.advice}")
        lines.append("")
    scope = f"{_count(objects, 'object')} from {_count(files, 'file')}"
    if not findings:
        lines.append(f"no findings in {scope}")
    else:
        n = counts(findings)
        lines.append(
            f"{_count(len(findings), 'finding')} ({_count(n['error'], 'error')}, "
            f"{_count(n['warning'], 'warning')}, {n['info']} info) in {scope}"
        )
    return "\n".join(lines) + "\n"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' * (n != 1)}"


def as_json(findings: Sequence[Finding]) -> str:
    rows = [
        {
            "rule": f.rule,
            "severity": f.severity,
            "kind": f.kind,
            "namespace": f.namespace,
            "name": f.name,
            "field": f.field,
            "message": f.message,
            "file": f.file,
            "line": f.line,
            "advice": f.advice,
        }
        for f in findings
    ]
    return json.dumps({"findings": rows}, indent=2) + "\n"


def _uri(file: str) -> str | None:
    """A repository-relative URI, as code-scanning UIs resolve them; None for stdin."""
    if file in ("", STDIN):
        return None
    path = Path(file)
    try:
        return Path(os.path.relpath(path.resolve(), Path.cwd())).as_posix()
    except ValueError:  # another drive on Windows
        return path.resolve().as_uri()


def as_sarif(findings: Sequence[Finding]) -> str:
    rule_ids = sorted(RULES)
    rules = [
        {
            "id": rule_id,
            "shortDescription": {"text": RULES[rule_id].title},
            "fullDescription": {"text": RULES[rule_id].advice},
            "help": {"text": RULES[rule_id].advice},
            "defaultConfiguration": {"level": _SARIF_LEVEL[RULES[rule_id].severity]},
        }
        for rule_id in rule_ids
    ]
    results = []
    for f in findings:
        location: dict[str, Any] = {
            "logicalLocations": [
                {
                    "fullyQualifiedName": f"{f.kind}/{f.namespace}/{f.name}/{f.field}",
                    "kind": "object",
                }
            ]
        }
        uri = _uri(f.file)
        if uri is not None:
            location["physicalLocation"] = {
                "artifactLocation": {"uri": uri},
                "region": {"startLine": max(f.line, 1)},
            }
        results.append(
            {
                "ruleId": f.rule,
                "ruleIndex": rule_ids.index(f.rule),
                "level": _SARIF_LEVEL[f.severity],
                "message": {"text": f"{f.kind} {f.namespace}/{f.name}: {f.field}: {f.message}"},
                "locations": [location],
            }
        )
    log = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "nbaccess",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": rules,
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2) + "\n"


def escape_data(text: str) -> str:
    """GitHub workflow-command escaping of a message."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(level: str, file: str, line: int, title: str, message: str) -> str:
    where = f"file={escape_property(file)},line={line}," if file not in ("", STDIN) else ""
    return f"::{level} {where}title={escape_property(title)}::{escape_data(message)}"


def as_github(findings: Sequence[Finding]) -> str:
    lines = [
        annotation(
            _GITHUB_LEVEL[f.severity],
            f.file,
            f.line,
            f"nbaccess {f.rule}: {f.kind} {f.namespace}/{f.name}",
            f"{f.field}: {f.message}\nadvice: {f.advice}",
        )
        for f in findings
    ]
    return "".join(line + "\n" for line in lines)
