"""Helpers for NetBird client tests: a fake clock and a client over an inline MockTransport."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from nbaccess.netbird.client import ClientOptions, NetBirdClient, RequestRecord

BASE_URL = "https://netbird.test"
TOKEN = "nbp_Q2xpZW50VGVzdFRva2VuVGhhdE11c3ROZXZlckxlYWs"

Handler = Callable[[httpx.Request], httpx.Response]


class FakeClock:
    """Monotonic time that only moves when someone sleeps on it."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)  # still let other tasks run, as a real sleep would


class MaxJitter:
    """Jitter source that always picks the largest delay, so bounds are reached predictably."""

    def uniform(self, a: float, b: float) -> float:
        return b


def error(status: int, message: str) -> httpx.Response:
    """An error the way NetBird writes it."""
    return httpx.Response(status, json={"message": message, "code": status})


class Harness:
    """A client plus what it did: the requests NetBird saw and the metrics records."""

    def __init__(self, handler: Handler, **options: Any) -> None:
        self.clock = FakeClock()
        self.requests: list[httpx.Request] = []
        self.sent_at: list[float] = []  # fake-clock time of each request NetBird saw
        self.records: list[RequestRecord] = []

        def recording(request: httpx.Request) -> httpx.Response:
            self.requests.append(request)
            self.sent_at.append(self.clock.now)
            return handler(request)

        self.client = NetBirdClient(
            BASE_URL,
            TOKEN,
            options=ClientOptions(**options),
            transport=httpx.MockTransport(recording),
            on_request=self.records.append,
            clock=self.clock,
            sleep=self.clock.sleep,
            rng=MaxJitter(),
        )

    def seen(self) -> list[tuple[str, str]]:
        return [(r.method, r.url.path) for r in self.requests]


@pytest.fixture
async def harness() -> AsyncIterator[Callable[..., Harness]]:
    """Build harnesses with `harness(handler, **client_options)`; all are closed afterwards."""
    made: list[Harness] = []

    def make(handler: Handler, **options: Any) -> Harness:
        built = Harness(handler, **options)
        made.append(built)
        return built

    yield make
    for built in made:
        await built.client.aclose()
