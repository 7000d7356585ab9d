"""The matrix as JSON, a terminal table, Markdown, CSV, and one self-contained HTML page."""

from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Sequence
from typing import Any

from nbaccess import __version__
from nbaccess.access.matrix import Cell
from nbaccess.access.model import is_resource
from nbaccess.resources.policy import PORT_PROTOCOLS

_COLUMNS = ("from", "to", "protocol", "ports", "direction", "posture checks", "policies")


def render(format_name: str, cells: Sequence[Cell], title: str) -> str:
    if format_name == "json":
        return as_json(cells)
    if format_name == "markdown":
        return as_markdown(cells)
    if format_name == "csv":
        return as_csv(cells)
    if format_name == "html":
        return as_html(cells, title)
    return as_text(cells)


def as_dict(cell: Cell) -> dict[str, Any]:
    return {
        "from": cell.source,
        "to": cell.target,
        "protocol": cell.protocol,
        "ports": cell.ports.labels(),
        "bidirectional": cell.bidirectional,
        "policies": list(cell.policies),
        "postureChecks": list(cell.posture_checks),
        "except": list(cell.carved_out),
    }


def as_json(cells: Sequence[Cell]) -> str:
    return json.dumps({"cells": [as_dict(c) for c in cells]}, indent=2) + "\n"


def _what(cell: Cell) -> str:
    """`tcp 443,8443`, `udp all ports`, `all except tcp/22`."""
    text = cell.protocol
    if cell.protocol in PORT_PROTOCOLS:
        text += f" {cell.ports}"
    if cell.carved_out:
        text += f" except {', '.join(cell.carved_out)}"
    return text


def _row(cell: Cell) -> tuple[str, ...]:
    ports = ", ".join(cell.ports.labels()) or "all"
    if cell.carved_out:
        ports += f" except {', '.join(cell.carved_out)}"
    return (
        cell.source,
        cell.target,
        cell.protocol,
        ports,
        "both ways" if cell.bidirectional else "one way",
        ", ".join(cell.posture_checks) or "-",
        ", ".join(cell.policies),
    )


def as_text(cells: Sequence[Cell]) -> str:
    if not cells:
        return "no access: no enabled accept policy in the input grants anything\n"
    rows = [tuple(c.upper() for c in _COLUMNS), *(_row(c) for c in cells)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_COLUMNS))]
    lines = [
        "  ".join(value.ljust(w) for value, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    return "\n".join(lines) + "\n"


def _md(value: str) -> str:
    return value.replace("|", "\\|")


def as_markdown(cells: Sequence[Cell]) -> str:
    lines = [
        "| " + " | ".join(c.capitalize() for c in _COLUMNS) + " |",
        "|" + "---|" * len(_COLUMNS),
    ]
    lines += ["| " + " | ".join(_md(v) for v in _row(c)) + " |" for c in cells]
    return "\n".join(lines) + "\n"


def as_csv(cells: Sequence[Cell]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["from", "to", "protocol", "ports", "bidirectional", "policies", "postureChecks", "except"]
    )
    for cell in cells:
        row = as_dict(cell)
        writer.writerow(
            [
                row["from"],
                row["to"],
                row["protocol"],
                " ".join(row["ports"]),
                str(row["bidirectional"]).lower(),
                " ".join(row["policies"]),
                " ".join(row["postureChecks"]),
                " ".join(row["except"]),
            ]
        )
    return out.getvalue()


# How wide a grid cell is, from narrowest to widest: the colour a reviewer scans for.
WIDTHS = (
    ("narrow", "a few exact ports (at most 3)"),
    ("some", "up to 100 ports"),
    ("wide", "more than 100 ports"),
    ("open", "every port of a protocol, or protocol all"),
)


def width(cells: Sequence[Cell]) -> str:
    """The width class of one grid position, from all its cells."""
    ports = 0
    for cell in cells:
        if cell.protocol == "all" or (cell.protocol in PORT_PROTOCOLS and cell.ports.is_every_port):
            return "open"
        ports += cell.ports.count() if cell.protocol in PORT_PROTOCOLS else 1
    if ports > 100:
        return "wide"
    return "narrow" if ports <= 3 else "some"


def _tooltip(cells: Sequence[Cell]) -> str:
    parts = []
    for cell in cells:
        direction = "both ways" if cell.bidirectional else "one way"
        checks = ", ".join(cell.posture_checks) or "none"
        parts.append(
            f"{_what(cell)} ({direction})\n  policies: {', '.join(cell.policies)}\n"
            f"  posture checks: {checks}"
        )
    return f"{cells[0].source} -> {cells[0].target}\n" + "\n".join(parts)


_STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #1f2328; }
h1 { font-size: 1.3rem; } p.note { color: #57606a; max-width: 60rem; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid #d0d7de; padding: .3rem .5rem; vertical-align: top; }
table.grid th { background: #f6f8fa; position: sticky; top: 0; }
table.grid th.row { position: sticky; left: 0; text-align: left; }
table.grid th.col { writing-mode: vertical-rl; transform: rotate(180deg); white-space: nowrap; }
table.grid td { min-width: 4rem; font-size: 12px; cursor: help; white-space: nowrap; }
td.narrow, span.narrow { background: #dafbe1; } td.some, span.some { background: #fff8c5; }
td.wide, span.wide { background: #ffe2b3; } td.open, span.open { background: #ffcecb; }
span.swatch { display: inline-block; padding: 0 .5rem; margin-right: .3rem;
  border: 1px solid #d0d7de; }
.both { font-weight: bold; }
"""


def as_html(cells: Sequence[Cell], title: str) -> str:
    esc = html.escape
    sources = sorted({c.source for c in cells})
    targets = sorted({c.target for c in cells}, key=lambda t: (is_resource(t), t))
    at: dict[tuple[str, str], list[Cell]] = {}
    for cell in cells:
        at.setdefault((cell.source, cell.target), []).append(cell)
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{esc(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
        '<p class="note">Sources down, destinations across: what the peers of a source may open '
        "to a destination, from every enabled policy, with NetBird's semantics (drop wins, "
        "protocol all and bidirectional rules go both ways, network resources one way). "
        "Hover a cell for its policies and posture checks; <b>&#8644;</b> marks access that "
        "goes both ways. Group membership is in NetBird, not Git: All stands for every "
        f"peer. Generated by nbaccess {esc(__version__)}.</p>",
        "<p>"
        + " ".join(f'<span class="swatch {k}">{esc(k)}</span>{esc(v)} ' for k, v in WIDTHS)
        + "</p>",
    ]
    if not cells:
        out.append("<p>No enabled accept policy in the input grants anything.</p>")
    else:
        out.append('<table class="grid"><thead><tr><th class="row">from \\ to</th>')
        out += [f'<th class="col">{esc(t)}</th>' for t in targets]
        out.append("</tr></thead><tbody>")
        for source in sources:
            out.append(f'<tr><th class="row">{esc(source)}</th>')
            for target in targets:
                here = at.get((source, target))
                if not here:
                    out.append("<td></td>")
                    continue
                lines = "<br>".join(
                    ('<span class="both">&#8644; ' if c.bidirectional else "<span>")
                    + f"{esc(_what(c))}</span>"
                    for c in here
                )
                out.append(f'<td class="{width(here)}" title="{esc(_tooltip(here))}">{lines}</td>')
            out.append("</tr>")
        out.append("</tbody></table>")
        out.append("<h2>Every cell</h2><table><thead><tr>")
        out += [f"<th>{esc(c)}</th>" for c in _COLUMNS]
        out.append("</tr></thead><tbody>")
        for cell in cells:
            out.append("<tr>" + "".join(f"<td>{esc(v)}</td>" for v in _row(cell)) + "</tr>")
        out.append("</tbody></table>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"
