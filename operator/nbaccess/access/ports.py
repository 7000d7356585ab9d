"""Sets of ports as sorted, disjoint, inclusive ranges: what a flow lets through on tcp/udp."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

MIN_PORT = 1
MAX_PORT = 65535


@dataclass(frozen=True)
class PortSet:
    """Ports 1..65535 as merged `(start, end)` ranges; `EVERY_PORT` when a rule names none."""

    ranges: tuple[tuple[int, int], ...] = ()

    @staticmethod
    def of(ranges: Iterable[tuple[int, int]]) -> PortSet:
        merged: list[tuple[int, int]] = []
        for start, end in sorted(ranges):
            if merged and start <= merged[-1][1] + 1:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        return PortSet(tuple(merged))

    @property
    def is_empty(self) -> bool:
        return not self.ranges

    @property
    def is_every_port(self) -> bool:
        return self.ranges == EVERY_PORT.ranges

    def count(self) -> int:
        return sum(end - start + 1 for start, end in self.ranges)

    def union(self, other: PortSet) -> PortSet:
        return PortSet.of((*self.ranges, *other.ranges))

    def minus(self, other: PortSet) -> PortSet:
        left: list[tuple[int, int]] = []
        for start, end in self.ranges:
            pieces = [(start, end)]
            for cut_start, cut_end in other.ranges:
                pieces = [
                    part
                    for piece_start, piece_end in pieces
                    for part in (
                        (piece_start, min(piece_end, cut_start - 1)),
                        (max(piece_start, cut_end + 1), piece_end),
                    )
                    if part[0] <= part[1]
                ]
            left.extend(pieces)
        return PortSet.of(left)

    def intersection(self, other: PortSet) -> PortSet:
        return self.minus(self.minus(other))

    def covers(self, other: PortSet) -> bool:
        return other.minus(self).is_empty

    def overlaps(self, other: PortSet) -> bool:
        return self.minus(other) != self

    def labels(self) -> list[str]:
        """`["443", "8000-8100"]`; empty for every port, as NetBird shows a portless rule."""
        if self.is_every_port:
            return []
        return [str(s) if s == e else f"{s}-{e}" for s, e in self.ranges]

    def __str__(self) -> str:
        return ",".join(self.labels()) or "all ports"


EVERY_PORT = PortSet(((MIN_PORT, MAX_PORT),))
NO_PORT = PortSet()
