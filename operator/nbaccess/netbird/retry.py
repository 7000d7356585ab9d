"""Exponential backoff with full jitter for the failures that retrying can fix.

Full jitter (a uniform delay between 0 and the exponential cap) spreads the retries of many
concurrent reconciles so they do not hit NetBird's rate limit again in lockstep. Both the
number of attempts and the total time are bounded, so a reconcile never hangs on NetBird.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from nbaccess.netbird.errors import NetBirdError

T = TypeVar("T")


class Uniform(Protocol):
    """The part of `random.Random` we use, so tests can pass a deterministic source."""

    def uniform(self, a: float, b: float) -> float: ...


def jitter_source() -> Uniform:
    """A pseudo-random source for jitter (spreading retries needs no cryptographic quality)."""
    return random.Random()


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    # Seconds from the first attempt after which no new attempt starts.
    max_total: float = 120.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_delay < 0 or self.max_delay < 0 or self.max_total < 0:
            raise ValueError("delays must not be negative")

    def backoff(self, failed_attempts: int, rng: Uniform) -> float:
        """Delay before the next attempt after `failed_attempts` (1-based) failures."""
        cap = min(self.max_delay, self.base_delay * (2 ** (failed_attempts - 1)))
        return rng.uniform(0.0, cap)


async def call_with_retry(
    attempt_fn: Callable[[int], Awaitable[T]],
    policy: RetryPolicy,
    *,
    clock: Callable[[], float],
    sleep: Callable[[float], Awaitable[None]],
    rng: Uniform | None = None,
    may_retry: Callable[[NetBirdError], bool] = lambda exc: exc.retryable,
    on_retry: Callable[[NetBirdError, int, float], None] | None = None,
) -> T:
    """Run `attempt_fn(attempt)` until it succeeds, fails for good, or the budget is spent.

    Only `NetBirdError`s for which `may_retry` is true are retried; anything else propagates
    at once. The last error is raised when attempts or time run out.
    """
    source: Uniform = rng if rng is not None else jitter_source()
    started = clock()
    attempt = 1
    while True:
        try:
            return await attempt_fn(attempt)
        except NetBirdError as exc:
            if not may_retry(exc) or attempt >= policy.max_attempts:
                raise
            delay = policy.backoff(attempt, source)
            if clock() - started + delay > policy.max_total:
                raise
            if on_retry is not None:
                on_retry(exc, attempt, delay)
            await sleep(delay)
            attempt += 1
