"""One queue for every object's passes: deduplicated, fair, with due times and backoff.

In the spirit of controller-runtime's workqueue: a key is queued at most once however often
it is added; a key being processed is never handed to a second worker, and an add during its
pass queues it again once that pass is done; failures back off per key; "look again at T"
(a policy's expiry, a key's rotation, a routing-peer health check) is a due time in one heap
instead of a timer per object.

The decisions are synchronous and take the time as an argument, so ordering, dedup, backoff,
fairness and due times are tested with a fake clock; `get()` is the thin async wrapper the
workers await.

Order: lower `priority` first (groups before the policies and keys that wait for them), then
round-robin over `lane`s (namespaces), so one team's thousand objects cannot starve another
team's one; first in, first out within a lane.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import time
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Backoff:
    """Per-key delays after consecutive failures: base, 2 x base, ... up to `maximum`."""

    base: float
    maximum: float

    def delay(self, failures: int) -> float:
        if failures <= 0:
            return 0.0
        return float(min(self.maximum, self.base * 2 ** min(failures - 1, 30)))


class WorkQueue(Generic[K]):
    def __init__(
        self,
        backoff: Backoff,
        *,
        priority: Callable[[K], int] = lambda _: 0,
        lane: Callable[[K], Hashable] = lambda _: None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._backoff = backoff
        self._priority = priority
        self._lane = lane
        self._clock = clock
        # priority -> lane -> keys in arrival order; and the lanes' round-robin order.
        self._ready: dict[int, dict[Hashable, deque[K]]] = {}
        self._turns: dict[int, deque[Hashable]] = {}
        self._queued: set[K] = set()
        self._active: set[K] = set()
        self._dirty: set[K] = set()
        self._due: dict[K, float] = {}
        self._heap: list[tuple[float, int, K]] = []
        self._seq = itertools.count()
        self._failures: dict[K, int] = {}
        self._wakeup = asyncio.Event()
        self._closed = False

    # ------------------------------------------------------------------ adding

    def add(self, key: K) -> None:
        """Queue `key` now (a no-op when it is already queued)."""
        if self._closed:
            return
        if key in self._active:
            self._dirty.add(key)  # queued again as soon as its current pass ends
            return
        if key in self._queued:
            return
        self._due.pop(key, None)  # it runs now; its pass decides the next due time
        self._queued.add(key)
        prio = self._priority(key)
        lane = self._lane(key)
        lanes = self._ready.setdefault(prio, {})
        if lane not in lanes:
            lanes[lane] = deque()
            self._turns.setdefault(prio, deque()).append(lane)
        lanes[lane].append(key)
        self._wakeup.set()

    def add_at(self, key: K, when: float) -> None:
        """Queue `key` at `when` (clock time); an earlier due time for it wins."""
        if self._closed or key in self._queued:
            return
        current = self._due.get(key)
        if current is not None and current <= when:
            return
        self._due[key] = when
        heapq.heappush(self._heap, (when, next(self._seq), key))
        self._wakeup.set()

    def now(self) -> float:
        """The queue's clock (a fake one in tests)."""
        return self._clock()

    def add_after(self, key: K, delay: float) -> None:
        self.add_at(key, self._clock() + max(0.0, delay))

    def failed(self, key: K) -> float:
        """Count a failed pass and queue the key after its backoff; returns the delay."""
        self._failures[key] = self._failures.get(key, 0) + 1
        delay = self._backoff.delay(self._failures[key])
        self.add_after(key, delay)
        return delay

    def failures(self, key: K) -> int:
        return self._failures.get(key, 0)

    def forget(self, key: K) -> None:
        """A pass succeeded: the next failure starts from the base delay again."""
        self._failures.pop(key, None)

    def discard(self, key: K) -> None:
        """The object is gone: drop everything queued or due for it."""
        self._failures.pop(key, None)
        self._due.pop(key, None)
        self._dirty.discard(key)
        if key in self._queued:
            self._queued.discard(key)
            for lanes in self._ready.values():
                for keys in lanes.values():
                    if key in keys:
                        keys.remove(key)

    # ------------------------------------------------------------------ taking

    def promote(self, now: float) -> None:
        """Move every key whose due time has come into the ready queue."""
        while self._heap and self._heap[0][0] <= now:
            when, _, key = heapq.heappop(self._heap)
            if self._due.get(key) == when:
                del self._due[key]
                self.add(key)

    def pop(self, now: float) -> K | None:
        """The next key to work on, or None when nothing is ready at `now`."""
        self.promote(now)
        for prio in sorted(self._turns):
            turns = self._turns[prio]
            lanes = self._ready[prio]
            while turns:
                lane = turns.popleft()
                keys = lanes[lane]
                if not keys:
                    del lanes[lane]
                    continue
                key = keys.popleft()
                if keys:
                    turns.append(lane)  # its next key waits for the other lanes' turn
                else:
                    del lanes[lane]
                self._queued.discard(key)
                self._active.add(key)
                return key
        return None

    def done(self, key: K) -> None:
        """The pass over `key` has ended (successfully or not)."""
        self._active.discard(key)
        if key in self._dirty:
            self._dirty.discard(key)
            self.add(key)

    def next_due(self) -> float | None:
        while self._heap and self._due.get(self._heap[0][2]) != self._heap[0][0]:
            heapq.heappop(self._heap)  # superseded entries
        return self._heap[0][0] if self._heap else None

    def due_at(self, key: K) -> float | None:
        return self._due.get(key)

    def __len__(self) -> int:
        return len(self._queued)

    @property
    def active(self) -> int:
        return len(self._active)

    def close(self) -> None:
        self._closed = True
        self._wakeup.set()

    async def get(self) -> K | None:
        """Wait for the next key (None once the queue is closed)."""
        while not self._closed:
            key = self.pop(self._clock())
            if key is not None:
                return key
            self._wakeup.clear()
            due = self.next_due()
            timeout = None if due is None else max(0.0, due - self._clock())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout)
        return None
