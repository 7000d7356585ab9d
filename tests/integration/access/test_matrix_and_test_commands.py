"""`nbaccess matrix` and `nbaccess test` end to end, on the guide's three-tier example."""

from __future__ import annotations

import csv
import io
import json
from html.parser import HTMLParser
from pathlib import Path

import pytest

from nbaccess.cli import main

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "three-tier"
TESTS = EXAMPLE / "access" / "access-tests.yaml"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def matrix(capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    code, out, err = run(capsys, "matrix", str(EXAMPLE), "-n", "orders-prod", *extra)
    assert (code, err) == (0, "")
    return out


def test_the_matrix_is_the_checked_in_one(capsys: pytest.CaptureFixture[str]) -> None:
    expected = json.loads((EXAMPLE / "access" / "expected-matrix.json").read_text())
    assert json.loads(matrix(capsys, "--format", "json")) == expected


def test_from_and_to_filter_and_merge(capsys: pytest.CaptureFixture[str]) -> None:
    cells = json.loads(matrix(capsys, "--format", "json", "--from", "usr-support"))["cells"]
    assert {(c["to"], c["protocol"], tuple(c["ports"])) for c in cells} == {
        ("svc-orders-web-prod", "tcp", ("443",)),
        ("svc-dns-prod", "udp", ("53",)),
        ("svc-dns-prod", "tcp", ("53",)),
    }
    cells = json.loads(
        matrix(capsys, "--format", "json", "--to", "resource:orders-db-prod-subnet")
    )["cells"]
    assert {(c["from"], tuple(c["ports"])) for c in cells} == {
        ("svc-orders-app-prod", ("5432",)),
        ("svc-monitoring-prod", ("9100", "9200")),
    }
    code, _, err = run(capsys, "matrix", str(EXAMPLE), "--from", "usr-suport")
    assert code == 2
    assert "--from usr-suport: no group or resource of that name in the input" in err


def test_text_markdown_and_csv_show_the_same_cells(capsys: pytest.CaptureFixture[str]) -> None:
    expected = json.loads((EXAMPLE / "access" / "expected-matrix.json").read_text())["cells"]
    rows = list(csv.DictReader(io.StringIO(matrix(capsys, "--format", "csv"))))
    assert [(r["from"], r["to"], r["protocol"], r["ports"].split()) for r in rows] == [
        (c["from"], c["to"], c["protocol"], c["ports"]) for c in expected
    ]
    markdown = matrix(capsys, "--format", "markdown").splitlines()
    assert len(markdown) == 2 + len(expected)
    text = matrix(capsys).splitlines()
    assert text[0].split()[:3] == ["FROM", "TO", "PROTOCOL"]
    assert len(text) == 1 + len(expected)


class _Grid(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[str] = []
        self.columns: list[str] = []
        self.cells: list[tuple[str, str]] = []  # (class, title)
        self.external: list[str] = []
        self._th: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "th":
            self._th = found.get("class") or ""
        if tag == "td" and found.get("title"):
            self.cells.append((found.get("class") or "", found.get("title") or ""))
        self.external += [v for k, v in attrs if k in ("src", "href") and v]

    def handle_data(self, data: str) -> None:
        if self._th == "row" and data.strip() != "from \\ to":
            self.rows.append(data.strip())
        elif self._th == "col":
            self.columns.append(data.strip())
        self._th = None


def test_the_html_page_is_a_self_contained_grid(capsys: pytest.CaptureFixture[str]) -> None:
    grid = _Grid()
    grid.feed(matrix(capsys, "--format", "html"))
    assert grid.external == []
    assert grid.rows == [
        "svc-monitoring-prod",
        "svc-orders-app-prod",
        "svc-orders-web-prod",
        "usr-engineering",
        "usr-support",
    ]
    assert grid.columns[-1] == "resource:orders-db-prod-subnet"
    support_to_web = next(
        t for _, t in grid.cells if t.startswith("usr-support -> svc-orders-web-prod")
    )
    assert "orders-prod/users-to-orders-web-prod" in support_to_web
    assert "min-client-version, supported-os-versions" in support_to_web
    assert {c for c, _ in grid.cells} == {"narrow"}  # the example grants exact ports only


def test_wide_access_is_coloured_as_such(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "matrix",
        str(ROOT / "tests/cases/lint/all-protocol/triggers.yaml"),
        "--format",
        "html",
    )
    grid = _Grid()
    grid.feed(out)
    assert code == 0
    colours = {c for c, t in grid.cells if t.startswith("usr-support -> svc-web-prod")}
    assert colours == {"open"}


def test_the_example_access_tests_pass(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "test", str(EXAMPLE), "-n", "orders-prod", "--assertions", str(TESTS)
    )
    lines = out.splitlines()
    assert code == 0, out
    assert lines[-1].endswith(" passed, 0 failed")
    assert all(line.startswith("PASS  ") for line in lines[:-1])
    # Every 'explicitly not allowed' flow of the guide is among them.
    for flow in (
        "usr-support -> svc-orders-db-prod deny all",
        "usr-support -> resource:orders-db-prod-subnet deny all",
        "svc-orders-db-prod -> svc-orders-app-prod deny all",
        "usr-support -> svc-orders-app-prod deny all",
    ):
        assert any(line.endswith(flow) for line in lines), flow


def test_a_wrong_assertion_fails_naming_the_granting_policy(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text("- {from: usr-support, to: svc-orders-web-prod, deny: [tcp/443]}\n")
    code, out, _ = run(
        capsys,
        "test",
        str(EXAMPLE),
        "-n",
        "orders-prod",
        "--assertions",
        str(wrong),
        "--format",
        "json",
    )
    report = json.loads(out)
    assert (code, report["failed"]) == (1, 1)
    [result] = report["results"]
    assert result["detail"] == (
        "allowed by orders-prod/users-to-orders-web-prod "
        "(tcp/443 from usr-support to svc-orders-web-prod)"
    )
    assert (result["file"], result["line"]) == (str(wrong), 1)
