"""The blocks of a docs page marked `<!-- docs-test: KIND -->`, in page order."""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

_BLOCK = re.compile(
    r"^(?P<indent>[ ]*)<!-- docs-test: (?P<kind>\w+) -->\n[ ]*```\w*\n(?P<body>.*?)\n[ ]*```",
    re.M | re.S,
)


@dataclass(frozen=True)
class Snippet:
    kind: str
    text: str
    line: int


def snippets(page: Path, kind: str | None = None) -> list[Snippet]:
    source = page.read_text()
    found = [
        Snippet(m["kind"], textwrap.dedent(m["body"]) + "\n", source[: m.start()].count("\n") + 1)
        for m in _BLOCK.finditer(source)
    ]
    return [s for s in found if kind is None or s.kind == kind]


def unmarked_blocks(page: Path) -> int:
    """Fenced blocks without a docs-test mark (every block on a tested page needs one)."""
    fences = len(re.findall(r"^[ ]*```\w+\n", page.read_text(), re.M))
    return fences - len(snippets(page))
