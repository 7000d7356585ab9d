"""`nbaccess test` results: one line per check (text), JSON, or GitHub annotations."""

from __future__ import annotations

import json
from collections.abc import Sequence

from nbaccess.access.assertions import Result
from nbaccess.access.findings_output import annotation


def render(format_name: str, results: Sequence[Result]) -> str:
    failed = [r for r in results if not r.passed]
    summary = f"{len(results) - len(failed)} passed, {len(failed)} failed\n"
    if format_name == "json":
        return as_json(results)
    if format_name == "github":
        lines = [
            annotation(
                "error",
                r.assertion.file,
                r.assertion.line,
                f"nbaccess test: {r.summary}",
                r.detail,
            )
            for r in failed
        ]
        return "".join(f"{line}\n" for line in lines) + summary
    out = []
    for r in results:
        out.append(
            f"{'PASS' if r.passed else 'FAIL'}  {r.assertion.file}:{r.assertion.line}  {r.summary}"
        )
        if not r.passed:
            out.append(f"      {r.detail}")
    return "".join(f"{line}\n" for line in out) + summary


def as_json(results: Sequence[Result]) -> str:
    rows = [
        {
            "file": r.assertion.file,
            "line": r.assertion.line,
            "from": r.assertion.source,
            "to": r.assertion.target,
            "expect": r.verb,
            "item": r.item.text,
            "passed": r.passed,
            "detail": r.detail,
        }
        for r in results
    ]
    failed = sum(not r.passed for r in results)
    report = {"results": rows, "passed": len(results) - failed, "failed": failed}
    return json.dumps(report, indent=2) + "\n"
