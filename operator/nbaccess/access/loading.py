"""Reading manifests the way `kubectl apply -f` would, keeping where each field was written.

Inputs are files, folders (recursively: every *.yaml and *.yml, hidden entries skipped) or `-`
for stdin, so `kustomize build overlays/prod | nbaccess lint -` works. Every document keeps its
YAML node, so a finding can name the line of the field it is about. YAML timestamps stay
strings, as kubectl sends them to the apiserver as JSON strings.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import yaml

STDIN = "-"
_SUFFIXES = (".yaml", ".yml")
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_FIELD_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")

_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: 10x faster


class _Loader(_Base):  # type: ignore[misc]
    """Safe loading without YAML 1.1 timestamps (the apiserver receives them as strings)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP]
    for first, resolvers in _Base.yaml_implicit_resolvers.items()
}


class InputError(Exception):
    """Input that cannot be read; the message names the file (and line) and what is wrong."""


@dataclass(frozen=True)
class Document:
    """One YAML mapping from the input, with where it came from."""

    source: str
    data: Mapping[str, Any]
    node: yaml.Node

    @property
    def line(self) -> int:
        return int(self.node.start_mark.line) + 1

    def line_of(self, field: str) -> int:
        """The line of `field` (e.g. `spec.sources[1].ref`), or of its closest ancestor: the
        line of its key, where a person reads the field's name."""
        node = self.node
        line = int(node.start_mark.line) + 1
        for key, index in _FIELD_PART.findall(field):
            found = _entry(node, key, int(index) if index else None)
            if found is None:
                break
            node, line = found
        return line


def _entry(node: yaml.Node, key: str, index: int | None) -> tuple[yaml.Node, int] | None:
    """The child at `key` (or `index`) and the line it is written at."""
    if index is not None:
        if isinstance(node, yaml.SequenceNode) and index < len(node.value):
            item: yaml.Node = node.value[index]
            return item, int(item.start_mark.line) + 1
        return None
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if key_node.value == key:
                return value_node, int(key_node.start_mark.line) + 1
    return None


def _child(node: yaml.Node, key: str, index: int | None) -> yaml.Node | None:
    found = _entry(node, key, index)
    return found[0] if found is not None else None


def parse(text: str, source: str) -> list[Document]:
    """The mappings in a multi-document YAML text; `kind: List` is unpacked into its items."""
    loader = _Loader(text)
    documents: list[Document] = []
    with _yaml_errors(source, template="{{" in text):
        try:
            while loader.check_node():
                node = loader.get_node()
                data = loader.construct_document(node)
                documents.extend(_mappings(source, data, node))
        finally:
            loader.dispose()
    return documents


def compose(text: str, source: str) -> yaml.Node | None:
    """The node of a single-document YAML text (None when empty), for callers that need
    lines inside a top-level list."""
    with _yaml_errors(source):
        node: yaml.Node | None = yaml.compose(text, Loader=_Loader)
    return node


@contextlib.contextmanager
def _yaml_errors(source: str, template: bool = False) -> Iterator[None]:
    try:
        yield
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        hint = (
            " (a template? render it first: helm template ... | nbaccess lint -)"
            if template
            else ""
        )
        raise InputError(f"{where}: not valid YAML: {exc.problem or exc.context}{hint}") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{source}: not valid YAML: {exc}") from None


def construct(node: yaml.Node) -> Any:
    """The Python value of one node (e.g. an entry of a list read with `yaml.compose`)."""
    loader = _Loader("")
    try:
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _mappings(source: str, data: Any, node: yaml.Node) -> Iterator[Document]:
    # Documents that are not mappings (a list of assertions, an Ansible play) are not
    # manifests; kinds that are not ours are filtered later, by apiVersion.
    if not isinstance(data, Mapping):
        return
    items = data.get("items")
    if str(data.get("kind", "")).endswith("List") and isinstance(items, list):
        items_node = _child(node, "items", None)
        for index, item in enumerate(items):
            item_node = _child(items_node, "", index) if items_node is not None else None
            if isinstance(item, Mapping) and item_node is not None:
                yield Document(source, item, item_node)
        return
    yield Document(source, data, node)


def read_text(path: str, stdin: IO[str] | None = None) -> str:
    if path == STDIN:
        return (stdin or sys.stdin).read()
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file or directory") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None


def expand(paths: Sequence[str]) -> list[str]:
    """Files to read for `paths`: files as given, folders walked in a stable order."""
    files: list[str] = []
    for path in paths:
        if path != STDIN and Path(path).is_dir():
            files.extend(_walk(path))
        else:
            files.append(path)
    return files


def _walk(folder: str) -> Iterator[str]:
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            if name.endswith(_SUFFIXES) and not name.startswith("."):
                yield os.path.join(root, name)


def load(paths: Sequence[str], stdin: IO[str] | None = None) -> list[Document]:
    """Every mapping document in `paths`, in order."""
    if not paths:
        raise InputError("no input: give files, folders or - for stdin")
    if list(paths).count(STDIN) > 1:
        raise InputError("- (stdin) can be given only once")
    documents: list[Document] = []
    for path in expand(paths):
        documents.extend(parse(read_text(path, stdin), path))
    return documents
