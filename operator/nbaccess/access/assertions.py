"""Access assertions, in the guide's terms, checked against the access model.

```yaml
- from: usr-support
  to: svc-orders-web-prod
  allow: [tcp/443]
  deny: [tcp/8443, udp/53]
- {from: usr-support, to: resource:orders-db-prod-subnet, deny: [all]}
```

An item is `tcp/443`, `udp/8000-8100`, `tcp` (every tcp port), `icmp`, `netbird-ssh` or `all`.
`allow` passes when every port of the item gets through; `deny` when none does (`deny: [all]`:
nothing at all). Access from All counts for every group, so a deny fails on it too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Literal

import yaml

from nbaccess.access.loading import Document, InputError, compose, construct, read_text
from nbaccess.access.model import PROTOCOLS, AccessModel, Flow, Reach
from nbaccess.access.ports import EVERY_PORT, MAX_PORT, MIN_PORT, PortSet

_ITEM = re.compile(r"^(tcp|udp)(?:/(\d{1,5})(?:-(\d{1,5}))?)?$|^(icmp|netbird-ssh|all)$")
_KEYS = ("from", "to", "allow", "deny")

Verb = Literal["allow", "deny"]


@dataclass(frozen=True)
class Item:
    """One thing an assertion expects to get through, or not."""

    protocol: str
    ports: PortSet
    text: str


@dataclass(frozen=True)
class Assertion:
    source: str
    target: str
    allow: tuple[Item, ...]
    deny: tuple[Item, ...]
    file: str
    line: int


@dataclass(frozen=True)
class Result:
    assertion: Assertion
    verb: Verb
    item: Item
    passed: bool
    detail: str = ""

    @property
    def summary(self) -> str:
        a = self.assertion
        return f"{a.source} -> {a.target} {self.verb} {self.item.text}"


def parse_item(text: object, where: str) -> Item:
    match = _ITEM.match(text) if isinstance(text, str) else None
    if match is None:
        raise InputError(
            f"{where}: {text!r} is not an item: use tcp/443, udp/8000-8100, tcp, udp, icmp, "
            "netbird-ssh or all"
        )
    protocol = match.group(1) or match.group(4)
    if match.group(2) is None:
        return Item(protocol, EVERY_PORT, str(text))
    start = int(match.group(2))
    end = int(match.group(3) or start)
    if not MIN_PORT <= start <= end <= MAX_PORT:
        raise InputError(f"{where}: {text!r}: ports are 1..65535, a range's start first")
    return Item(protocol, PortSet(((start, end),)), str(text))


def load(path: str) -> list[Assertion]:
    """The assertions in a YAML file (a list of mappings), or InputError naming the line."""
    node = compose(read_text(path), path)
    if node is None:
        return []
    if not isinstance(node, yaml.SequenceNode):
        raise InputError(f"{path}:{node.start_mark.line + 1}: must be a list of assertions")
    found = []
    for entry in node.value:
        document = Document(path, construct(entry), entry)
        found.append(_assertion(document))
    return found


def _assertion(document: Document) -> Assertion:
    where = f"{document.source}:{document.line}"
    data = document.data
    if not isinstance(data, Mapping):
        raise InputError(f"{where}: an assertion is a mapping with from, to, allow and/or deny")
    unknown = sorted(str(k) for k in data if k not in _KEYS)
    if unknown:
        raise InputError(f"{where}: unknown key {', '.join(unknown)} (use {', '.join(_KEYS)})")
    for key in ("from", "to"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise InputError(f"{where}: {key} must name a group, or resource:<name>")
    items: dict[str, tuple[Item, ...]] = {}
    for key in ("allow", "deny"):
        value = data.get(key, [])
        if not isinstance(value, list):
            raise InputError(f"{document.source}:{document.line_of(key)}: {key} must be a list")
        items[key] = tuple(
            parse_item(v, f"{document.source}:{document.line_of(f'{key}[{i}]')}")
            for i, v in enumerate(value)
        )
    if not items["allow"] and not items["deny"]:
        raise InputError(f"{where}: give allow, deny or both")
    return Assertion(
        data["from"], data["to"], items["allow"], items["deny"], document.source, document.line
    )


def check(model: AccessModel, assertion: Assertion) -> list[Result]:
    where = f"{assertion.file}:{assertion.line}"
    for side, endpoint in (("from", assertion.source), ("to", assertion.target)):
        if endpoint not in model.endpoints:
            raise InputError(
                f"{where}: {side} {endpoint!r}: no group or network resource of that name in "
                "the input"
            )
    results = [_allowed(model, assertion, item) for item in assertion.allow]
    return results + [_denied(model, assertion, item) for item in assertion.deny]


def _allowed(model: AccessModel, assertion: Assertion, item: Item) -> Result:
    reach = model.reach(assertion.source, assertion.target, item.protocol)
    if item.protocol == "all":
        if not reach.ports.is_empty and not reach.carved_out:
            return Result(assertion, "allow", item, True)
        detail = _why_not(reach, "no enabled accept policy of protocol all")
        if reach.carved_out:
            detail = f"drop rules carve out {', '.join(reach.carved_out)} ({_names(reach)})"
        return Result(assertion, "allow", item, False, detail)
    missing = item.ports.minus(reach.ports)
    if missing.is_empty:
        return Result(assertion, "allow", item, True)
    text = f"{item.protocol}/{missing}" if not missing.is_every_port else item.protocol
    return Result(
        assertion,
        "allow",
        item,
        False,
        _why_not(reach, f"no enabled accept policy grants {text}"),
    )


def _why_not(reach: Reach, nothing: str) -> str:
    if reach.dropped_by:
        return f"dropped by {_names(reach)}"
    if reach.granted_by:
        return f"{nothing}; only {reach.ports} is granted, by {', '.join(reach.policies)}"
    return nothing


def _names(reach: Reach) -> str:
    return ", ".join(sorted({f.policy for f in reach.dropped_by}))


def _denied(model: AccessModel, assertion: Assertion, item: Item) -> Result:
    protocols = PROTOCOLS if item.protocol == "all" else (item.protocol,)
    # dict.fromkeys: an `all` flow grants every protocol, so it is found once per protocol.
    grants = list(dict.fromkeys(_grants(model, assertion, item, protocols)))
    if not grants:
        return Result(assertion, "deny", item, True)
    return Result(assertion, "deny", item, False, "allowed by " + "; ".join(grants))


def _grants(
    model: AccessModel, assertion: Assertion, item: Item, protocols: tuple[str, ...]
) -> Iterator[str]:
    for protocol in protocols:
        reach = model.reach(assertion.source, assertion.target, protocol)
        open_ports = reach.ports.intersection(item.ports)
        if open_ports.is_empty:
            continue
        for flow in reach.granted_by:
            if flow.ports.overlaps(open_ports):
                yield _describe(flow, flow.ports.intersection(open_ports))


def _describe(flow: Flow, ports: PortSet) -> str:
    what = flow.protocol if ports.is_every_port else f"{flow.protocol}/{ports}"
    return f"{flow.policy} ({what} from {flow.source} to {flow.target})"
