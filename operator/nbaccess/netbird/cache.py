"""A short-lived cache of list responses, per kind of object.

Reconciling N objects of one kind would cost N GETs per resync; with this cache it costs one
list call per TTL, and `get_x(id)` is answered from the fresh list. Our own writes update the
cached list of their kind in place (write-through) and drop the lists of other kinds they
change, so we never read our own writes stale and N creates cost no list reads. Concurrent
lookups of an empty entry share one load instead of each listing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from nbaccess.netbird.models import Identified

T = TypeVar("T", bound=Identified)


@dataclass
class _Entry:
    # By NetBird id, in the order NetBird listed them: a write-through of one object is one
    # dict operation, not a pass over the list (a bulk delete does one per object).
    items: dict[str, Any]
    loaded_at: float


class ListCache:
    """Lists keyed by (kind, scope), where scope is e.g. a network id or "*" for all."""

    def __init__(self, ttl_seconds: float, clock: Callable[[], float]) -> None:
        self._ttl = ttl_seconds
        self._clock = clock
        self._entries: dict[tuple[str, Hashable], _Entry] = {}
        self._locks: dict[tuple[str, Hashable], asyncio.Lock] = {}
        # Bumped on every invalidation, so a load that raced with a write is not stored.
        self._generation: dict[str, int] = {}

    @property
    def enabled(self) -> bool:
        return self._ttl > 0

    def fresh(
        self, kind: str, scope: Hashable = "*", max_age: float | None = None
    ) -> list[Any] | None:
        """The cached list if it is younger than the TTL (and than `max_age`), else None."""
        entry = self._entries.get((kind, scope))
        limit = self._ttl if max_age is None else min(self._ttl, max_age)
        if entry is None or self._clock() - entry.loaded_at >= limit:
            return None
        return list(entry.items.values())

    async def get_or_load(
        self,
        kind: str,
        load: Callable[[], Awaitable[list[T]]],
        scope: Hashable = "*",
        *,
        fresh: bool = False,
        max_age: float | None = None,
    ) -> list[T]:
        """The fresh cached list, or the result of `load()` (which is then cached).

        `fresh=True` always loads (NetBird's word, e.g. before a deletion), and caches it.
        `max_age`: a list loaded at most that many seconds ago will do. Nearly NetBird's word,
        but many callers at once share one load: those waiting for it take its result.
        """
        if not self.enabled:
            return await load()
        key = (kind, scope)
        cached = None if fresh else self.fresh(kind, scope, max_age)
        if cached is not None:
            return cached
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            # Someone else may have loaded it while we waited for the lock.
            cached = None if fresh else self.fresh(kind, scope, max_age)
            if cached is not None:
                return cached
            generation = self._generation.get(kind, 0)
            started = self._clock()
            items = await load()
            if self._generation.get(kind, 0) == generation:
                by_id: dict[str, Any] = {}
                for item in items:
                    by_id.setdefault(item.id, item)  # as a pass over the list finds it: first
                self._entries[key] = _Entry(by_id, started)
            return items

    def upsert(self, kind: str, item: Any, scopes: Iterable[Hashable]) -> None:
        """Our write of `item` (which has an `id`), shown in the cached lists of those scopes
        at once: N creates cost N writes, not N writes and N list reads."""
        self._bump(kind)
        for scope in scopes:
            entry = self._entries.get((kind, scope))
            if entry is not None:
                entry.items[item.id] = item  # in its place when listed, else at the end

    def discard(self, kind: str, item_id: str) -> None:
        """Our delete of `item_id`, gone from every cached list of the kind."""
        self._bump(kind)
        for key, entry in self._entries.items():
            if key[0] == kind:
                entry.items.pop(item_id, None)

    def _bump(self, kind: str) -> None:
        # A load under way read the list before this write: it must not be stored over it.
        self._generation[kind] = self._generation.get(kind, 0) + 1

    def invalidate(self, kinds: Iterable[str]) -> None:
        """Drop every cached list of these kinds (all scopes)."""
        for kind in set(kinds):
            self._bump(kind)
            for key in [k for k in self._entries if k[0] == kind]:
                del self._entries[key]
