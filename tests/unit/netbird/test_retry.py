"""Retries: transient failures are retried with backoff, within bounds; mistakes are not."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from nbaccess.netbird import errors
from nbaccess.netbird.models import GroupRequest
from nbaccess.netbird.retry import RetryPolicy

from .conftest import error

GROUPS = [{"id": "g1", "name": "devs", "peers": [], "resources": []}]


def failing_then_ok(*failures: Callable[[httpx.Request], httpx.Response]):
    """A handler that plays the given failures in order, then answers the groups list."""
    queue = list(failures)

    def handler(request: httpx.Request) -> httpx.Response:
        if queue:
            return queue.pop(0)(request)
        return httpx.Response(200, json=GROUPS)

    return handler


def status(code: int, message: str = "boom") -> Callable[[httpx.Request], httpx.Response]:
    return lambda request: error(code, message)


def read_timeout(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("timed out", request=request)


def connection_reset(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadError("connection reset by peer", request=request)


def connection_refused(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


@pytest.mark.parametrize(
    "failure",
    [
        status(429, "too many requests"),
        status(500),
        status(502),
        status(503),
        read_timeout,
        connection_reset,
        connection_refused,
    ],
    ids=["429", "500", "502", "503", "read-timeout", "reset", "refused"],
)
async def test_transient_failures_are_retried_until_success(harness, failure):
    h = harness(failing_then_ok(failure, failure), list_cache_ttl=0)
    groups = await h.client.list_groups()
    assert [g.id for g in groups] == ["g1"]
    assert len(h.requests) == 3
    assert [r.attempt for r in h.records] == [1, 2, 3]


@pytest.mark.parametrize("code", [400, 401, 403, 404, 409, 412, 422])
async def test_client_errors_are_not_retried(harness, code):
    h = harness(failing_then_ok(status(code)), list_cache_ttl=0)
    with pytest.raises(errors.NetBirdError) as caught:
        await h.client.list_groups()
    assert caught.value.status == code
    assert len(h.requests) == 1
    assert h.clock.sleeps == []


async def test_attempts_are_bounded(harness):
    h = harness(lambda request: error(503, "unavailable"), max_attempts=4, list_cache_ttl=0)
    with pytest.raises(errors.ServerError):
        await h.client.list_groups()
    assert len(h.requests) == 4


async def test_backoff_grows_exponentially_up_to_the_cap(harness):
    h = harness(
        lambda request: error(500, "x"),
        max_attempts=6,
        backoff_base=1.0,
        backoff_max=5.0,
        retry_max_total=1000,
        list_cache_ttl=0,
    )
    with pytest.raises(errors.ServerError):
        await h.client.list_groups()
    # MaxJitter picks the top of each full-jitter range: 1, 2, 4, then capped at 5.
    assert h.clock.sleeps == [1.0, 2.0, 4.0, 5.0, 5.0]


async def test_total_retry_time_is_bounded(harness):
    h = harness(
        lambda request: error(429, "too many requests"),
        max_attempts=100,
        backoff_base=1.0,
        backoff_max=8.0,
        retry_max_total=20.0,
        list_cache_ttl=0,
    )
    with pytest.raises(errors.RateLimited):
        await h.client.list_groups()
    # 1 + 2 + 4 + 8 = 15 s; the next 8 s would exceed 20 s, so it gives up instead.
    assert sum(h.clock.sleeps) == 15.0
    assert len(h.requests) == 5


async def test_post_is_not_repeated_when_it_may_have_been_applied(harness):
    # A timeout after sending could mean the group exists now; a second POST would duplicate.
    h = harness(failing_then_ok(read_timeout))
    with pytest.raises(errors.TransportError) as caught:
        await h.client.create_group(GroupRequest(name="devs", peers=[], resources=[]))
    assert caught.value.retryable  # the next reconcile may try again, after looking first
    assert len(h.requests) == 1


@pytest.mark.parametrize(
    "failure", [status(429, "too many requests"), connection_refused], ids=["429", "refused"]
)
async def test_post_is_retried_when_it_certainly_was_not_applied(harness, failure):
    created = {"id": "g1", "name": "devs", "peers": [], "resources": []}
    queue = [failure]

    def handler(request: httpx.Request) -> httpx.Response:
        return queue.pop(0)(request) if queue else httpx.Response(200, json=created)

    h = harness(handler)
    group = await h.client.create_group(GroupRequest(name="devs", peers=[], resources=[]))
    assert group.id == "g1"
    assert len(h.requests) == 2


async def test_every_attempt_is_recorded_with_code_zero_for_transport_failures(harness):
    h = harness(failing_then_ok(read_timeout, status(503)), list_cache_ttl=0)
    await h.client.list_groups()
    assert [(r.route, r.code, r.attempt) for r in h.records] == [
        ("/api/groups", 0, 1),
        ("/api/groups", 503, 2),
        ("/api/groups", 200, 3),
    ]


def test_retry_policy_rejects_nonsense():
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
