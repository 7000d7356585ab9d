"""A client-side token bucket, so we stay under NetBird's per-token rate limit.

NetBird answers 429 without Retry-After once its own bucket is empty; spacing our requests
on our side avoids burning retries on that. Time comes from injected callables so tests run
on a fake clock and never sleep.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


class TokenBucket:
    """`burst` requests at once, then `rate_per_minute` on average; waiters are served FIFO."""

    def __init__(
        self,
        rate_per_minute: float,
        burst: int,
        clock: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]],
    ) -> None:
        if rate_per_minute <= 0:
            raise ValueError("rate_per_minute must be positive")
        if burst < 1:
            raise ValueError("burst must be at least 1")
        self._rate_per_second = rate_per_minute / 60.0
        self._capacity = float(burst)
        self._tokens = float(burst)
        self._clock = clock
        self._sleep = sleep
        self._updated = clock()
        # asyncio.Lock wakes waiters in arrival order, which keeps the wait fair.
        self._lock = asyncio.Lock()

    def _refill(self) -> None:
        now = self._clock()
        elapsed = max(0.0, now - self._updated)
        self._tokens = min(self._capacity, self._tokens + elapsed * self._rate_per_second)
        self._updated = now

    async def acquire(self) -> float:
        """Wait (without blocking the event loop) until one request may go out; returns how
        long it waited."""
        started = self._clock()
        async with self._lock:
            self._refill()
            while self._tokens < 1.0:
                await self._sleep((1.0 - self._tokens) / self._rate_per_second)
                self._refill()
            self._tokens -= 1.0
        return max(0.0, self._clock() - started)
