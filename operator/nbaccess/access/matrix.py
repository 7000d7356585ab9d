"""The access matrix: one cell per (from, to, protocol), merged over every policy.

A cell is what its source may open to its target, from every policy in effect: flows from
or to All count for every group, drops are subtracted. Without filters the rows and columns
are the pairs the policies name (All is its own row); `--from`/`--to` show a group's access
through every policy that applies to it, All's included.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from nbaccess.access.model import AccessModel, Reach, covers, is_resource, through
from nbaccess.access.ports import PortSet


@dataclass(frozen=True)
class Cell:
    source: str
    target: str
    protocol: str
    ports: PortSet
    bidirectional: bool
    policies: tuple[str, ...]
    posture_checks: tuple[str, ...]
    # For protocol all: narrower drops that carve something out of it (e.g. "tcp/22").
    carved_out: tuple[str, ...] = ()


def cell_reach(model: AccessModel, source: str, target: str, protocol: str) -> Reach:
    """Exactly `protocol` (an `all` flow has its own cell), minus the drops that apply."""
    flows = model.between(source, target)
    drops = [f for f in flows if not f.accept]
    if protocol != "all":
        drops = [f for f in drops if f.protocol in (protocol, "all")]
    return through([f for f in flows if f.accept and f.protocol == protocol], drops, protocol)


def cells(
    model: AccessModel,
    sources: Collection[str] | None = None,
    targets: Collection[str] | None = None,
) -> list[Cell]:
    """The matrix, optionally only from `sources` and/or to `targets`."""
    wanted: set[tuple[str, str, str]] = set()
    for flow in model.flows:
        if flow.accept:
            for source in _viewed(flow.source, sources):
                for target in _viewed(flow.target, targets):
                    wanted.add((source, target, flow.protocol))
    found = []
    for source, target, protocol in sorted(wanted):
        reach = cell_reach(model, source, target, protocol)
        if reach.ports.is_empty:
            continue
        found.append(
            Cell(
                source,
                target,
                protocol,
                reach.ports,
                _both_ways(model, source, target, protocol, reach.ports),
                reach.policies,
                reach.posture_checks,
                reach.carved_out,
            )
        )
    return found


def _viewed(endpoint: str, wanted: Collection[str] | None) -> list[str]:
    if wanted is None:
        return [endpoint]
    return [w for w in wanted if covers(endpoint, w)]


def _both_ways(model: AccessModel, source: str, target: str, protocol: str, ports: PortSet) -> bool:
    if is_resource(target) or is_resource(source):
        return False
    return cell_reach(model, target, source, protocol).ports.covers(ports)
