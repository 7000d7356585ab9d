"""Who waits for whom, and the moment a dependency is seen Ready.

The store tells the tracker every version of an object it keeps, including the answer to our
own status write, so a referrer is queued the moment its dependency's Ready status is in the
store its pass will read: never before (it would find the dependency still not Ready), and
without waiting for the watch to deliver that write.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable

from nbaccess.reconcile.refs import CrKey

log = logging.getLogger(__name__)

Wake = Callable[[list[CrKey], str], None]


class Tracker:
    def __init__(self) -> None:
        self._ready: dict[CrKey, bool] = {}
        # (kind, ready) -> how many: kept as readiness changes, so a change costs O(1), not
        # a scan of every object of the kind.
        self._counts: defaultdict[tuple[str, bool], int] = defaultdict(int)
        self._reason: dict[CrKey, str | None] = {}
        self._referrers: defaultdict[CrKey, set[CrKey]] = defaultdict(set)
        self._references: dict[CrKey, set[CrKey]] = {}
        self.wake: Wake | None = None
        # Told the kind whenever a readiness changes, e.g. to refresh nbaccess_resources.
        self.on_readiness: Callable[[str], None] | None = None

    def references(self, referrer: CrKey, dependencies: list[CrKey]) -> set[CrKey]:
        """Record what `referrer` references now; returns the dependencies it dropped."""
        dropped = self._references.get(referrer, set()) - set(dependencies)
        for old in dropped:
            self._referrers[old].discard(referrer)
        self._references[referrer] = set(dependencies)
        for dep in dependencies:
            self._referrers[dep].add(referrer)
        return dropped

    def referrers(self, dependency: CrKey) -> list[CrKey]:
        return sorted(self._referrers.get(dependency, ()), key=str)

    def dependencies(self, referrer: CrKey) -> set[CrKey]:
        return set(self._references.get(referrer, ()))

    def waiting_for(self, dependency: CrKey) -> list[CrKey]:
        """Referrers with no verdict yet or waiting on a dependency."""
        return sorted(
            (
                r
                for r in self._referrers.get(dependency, ())
                if self._reason.get(r) in (None, "DependencyNotReady")
            ),
            key=str,
        )

    def seen(self, key: CrKey, ready: bool, reason: str | None) -> None:
        """Record what the watch shows; on a turn to Ready, wake whoever waits for `key`."""
        was_ready = self._ready.get(key)
        self._ready[key] = ready
        if was_ready is not None:
            self._counts[(key.kind, was_ready)] -= 1
        self._counts[(key.kind, ready)] += 1
        self._reason[key] = reason
        if was_ready is not ready and self.on_readiness is not None:
            self.on_readiness(key.kind)
        if ready and not was_ready and self.wake is not None:
            waiting = self.waiting_for(key)
            if waiting:
                self.wake(waiting, f"{key} is Ready")

    def counts(self, kind: str) -> tuple[int, int]:
        """How many objects of `kind` are (Ready, not Ready)."""
        return self._counts[(kind, True)], self._counts[(kind, False)]

    def forget(self, key: CrKey) -> None:
        was_ready = self._ready.pop(key, None)
        known = was_ready is not None
        if was_ready is not None:
            self._counts[(key.kind, was_ready)] -= 1
        self._reason.pop(key, None)
        if known and self.on_readiness is not None:
            self.on_readiness(key.kind)
        self.references(key, [])
        self._references.pop(key, None)
