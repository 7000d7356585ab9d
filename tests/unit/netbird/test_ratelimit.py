"""The client-side token bucket keeps us under NetBird's per-token rate limit."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from nbaccess.netbird.ratelimit import TokenBucket

from .conftest import FakeClock


def count_in_window(times: list[float], start: float, length: float) -> int:
    return sum(1 for t in times if start <= t < start + length)


async def test_bucket_allows_the_burst_then_the_configured_rate():
    clock = FakeClock()
    bucket = TokenBucket(rate_per_minute=60, burst=5, clock=clock, sleep=clock.sleep)
    granted: list[float] = []
    for _ in range(35):
        await bucket.acquire()
        granted.append(clock.now)
    assert granted[:5] == [0.0] * 5  # the burst goes out at once
    # Afterwards one per second: 60/minute.
    assert granted[5:] == pytest.approx([float(i) for i in range(1, 31)])
    # Windows start between grants, so float rounding cannot move one across an edge.
    for start in range(1, 20):
        assert count_in_window(granted, start + 0.5, 10.0) == 10


async def test_bucket_refills_while_idle_but_never_above_the_burst():
    clock = FakeClock()
    bucket = TokenBucket(rate_per_minute=120, burst=3, clock=clock, sleep=clock.sleep)
    for _ in range(3):
        await bucket.acquire()
    clock.now += 3600  # an idle hour refills to the burst, not to 7200 tokens
    granted = []
    for _ in range(5):
        await bucket.acquire()
        granted.append(clock.now - 3600)
    assert granted == pytest.approx([0.0, 0.0, 0.0, 0.5, 1.0])


async def test_concurrent_waiters_share_the_rate():
    clock = FakeClock()
    bucket = TokenBucket(rate_per_minute=30, burst=2, clock=clock, sleep=clock.sleep)
    granted: list[float] = []

    async def one() -> None:
        await bucket.acquire()
        granted.append(clock.now)

    await asyncio.gather(*(one() for _ in range(12)))
    assert len(granted) == 12
    # 2 at once, then one every 2 s: no window of 10 s holds more than 2 + 5.
    for start in range(20):
        assert count_in_window(granted, float(start), 10.0) <= 7
    assert max(granted) == pytest.approx(20.0)


async def test_client_requests_hold_the_configured_rate(harness):
    h = harness(
        lambda request: httpx.Response(200, json=[]),
        rate_per_minute=30,
        burst=4,
        list_cache_ttl=0,
    )
    for _ in range(24):
        await h.client.list_peers()
    sent_at = h.sent_at
    assert len(sent_at) == 24
    # Burst of 4, then one every 2 s: each minute-long window holds at most 4 + 30.
    for start in range(0, 40):
        assert count_in_window(sent_at, float(start), 60.0) <= 34
    assert sent_at[-1] == pytest.approx(40.0)  # (24 - 4) requests at 2 s each


@pytest.mark.parametrize(
    ("rate", "burst", "complaint"), [(0, 1, "rate_per_minute"), (60, 0, "burst")]
)
def test_bucket_rejects_nonsense(rate, burst, complaint):
    clock = FakeClock()
    with pytest.raises(ValueError, match=complaint):
        TokenBucket(rate_per_minute=rate, burst=burst, clock=clock, sleep=clock.sleep)
