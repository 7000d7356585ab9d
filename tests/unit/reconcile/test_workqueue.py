"""The work queue on a fake clock: dedup, in-flight keys, due times, backoff, fairness."""

from __future__ import annotations

import asyncio

import pytest

from nbaccess.reconcile.workqueue import Backoff, WorkQueue

Key = tuple[str, str]  # (namespace, name)


def queue(**kwargs: object) -> WorkQueue[Key]:
    return WorkQueue(Backoff(base=10, maximum=300), lane=lambda k: k[0], **kwargs)  # type: ignore[arg-type]


def drain(q: WorkQueue[Key], now: float = 0.0) -> list[Key]:
    taken = []
    while (key := q.pop(now)) is not None:
        taken.append(key)
        q.done(key)
    return taken


def test_a_key_added_many_times_is_processed_once() -> None:
    q = queue()
    for _ in range(5):
        q.add(("a", "web"))
    assert len(q) == 1
    assert drain(q) == [("a", "web")]


def test_a_key_is_never_handed_out_twice_at_once_and_an_add_meanwhile_is_kept() -> None:
    q = queue()
    q.add(("a", "web"))
    assert q.pop(0) == ("a", "web")
    q.add(("a", "web"))  # a watch event during the pass
    assert q.pop(0) is None  # not to a second worker
    q.done(("a", "web"))
    assert q.pop(0) == ("a", "web")  # but once more after the pass


def test_lanes_take_turns_so_one_namespace_cannot_starve_another() -> None:
    q = queue()
    for i in range(4):
        q.add(("big", f"obj{i}"))
    q.add(("small", "only"))
    order = drain(q)
    assert order.index(("small", "only")) == 1
    assert [k for k in order if k[0] == "big"] == [("big", f"obj{i}") for i in range(4)]


def test_lower_priority_numbers_go_first() -> None:
    q: WorkQueue[Key] = WorkQueue(
        Backoff(10, 300), priority=lambda k: 0 if k[1].startswith("group") else 2
    )
    q.add(("a", "policy-1"))
    q.add(("a", "group-1"))
    q.add(("a", "policy-2"))
    q.add(("a", "group-2"))
    assert drain(q) == [("a", "group-1"), ("a", "group-2"), ("a", "policy-1"), ("a", "policy-2")]


def test_a_due_time_queues_the_key_when_it_comes_and_the_earliest_wins() -> None:
    q = queue()
    q.add_at(("a", "policy"), 100)
    q.add_at(("a", "policy"), 40)
    q.add_at(("a", "policy"), 70)
    assert q.next_due() == 40
    assert q.pop(39) is None
    assert q.pop(40) == ("a", "policy")
    q.done(("a", "policy"))
    assert q.pop(1000) is None  # the later due times were superseded


def test_a_key_queued_now_drops_its_due_time_the_pass_decides_the_next() -> None:
    q = queue()
    q.add_at(("a", "key"), 50)
    q.add(("a", "key"))
    assert q.due_at(("a", "key")) is None
    assert drain(q, 0) == [("a", "key")]
    assert drain(q, 60) == []


def test_failures_back_off_exponentially_up_to_the_cap_and_success_resets() -> None:
    q = queue()
    key = ("a", "flaky")
    delays = []
    for _ in range(7):
        delays.append(q.failed(key))
        assert q.pop(0) is None
        due = q.next_due()
        assert due is not None
        assert q.pop(due) == key
        q.done(key)
    assert delays == [10, 20, 40, 80, 160, 300, 300]
    q.forget(key)
    assert q.failed(key) == 10


def test_a_discarded_key_is_gone_from_every_list() -> None:
    q = queue()
    q.add(("a", "gone"))
    q.add_at(("a", "later"), 5)
    q.discard(("a", "gone"))
    q.discard(("a", "later"))
    assert drain(q, 10) == []


@pytest.mark.parametrize("workers", [1, 3])
async def test_get_waits_for_work_and_stops_when_closed(workers: int) -> None:
    q = queue()
    seen: list[Key] = []

    async def worker() -> None:
        while (key := await q.get()) is not None:
            seen.append(key)
            q.done(key)

    tasks = [asyncio.create_task(worker()) for _ in range(workers)]
    await asyncio.sleep(0)
    q.add(("a", "x"))
    q.add(("b", "y"))
    for _ in range(5):
        await asyncio.sleep(0)
    q.close()
    await asyncio.gather(*tasks)
    assert sorted(seen) == [("a", "x"), ("b", "y")]
