"""The controller (queue, store, workers' pass, finalizer, status writes) without kopf or an
apiserver: an in-memory apiserver that answers as the real one does, the fake NetBird, and
a hand-cranked watch. What the runner does around each pass is tested here; the real
apiserver and kopf are in e2e."""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import itertools
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from nbaccess.kube.apiserver import Conflict, Gone
from nbaccess.kube.controller import Controller
from nbaccess.kube.store import ObjectStore
from nbaccess.kube.tracker import Tracker
from nbaccess.metrics import Liveness, Metrics
from nbaccess.netbird.client import ClientOptions, NetBirdClient
from nbaccess.reconcile.refs import CrKey
from nbaccess.reconcile.registry import all_kinds
from nbaccess.reconcile.schedule import queue_priority
from nbaccess.reconcile.workqueue import Backoff, WorkQueue
from tests.fakes import FAKE_BASE_URL, FakeNetBird


@dataclass
class Event:
    key: CrKey
    type: str
    reason: str
    message: str


@dataclass
class FakeApiserver:
    """Our custom resources as the apiserver keeps them: merge-patched status, finalizers
    with a resourceVersion precondition, deletion held by finalizers."""

    objects: dict[CrKey, dict[str, Any]] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    status_writes: int = 0
    _versions: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    # The watch: (kind, type, body) in order, for the test to hand to the controller.
    pending: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    def _bump(self, key: CrKey, event: str = "MODIFIED") -> dict[str, Any]:
        body = self.objects[key]
        body["metadata"]["resourceVersion"] = str(next(self._versions))
        self.pending.append((key.kind, event, copy.deepcopy(body)))
        return copy.deepcopy(body)

    def apply(
        self, kind: str, name: str, spec: Mapping[str, Any], namespace: str = "team"
    ) -> CrKey:
        key = CrKey(kind, namespace, name)
        old = self.objects.get(key)
        if old is None:
            self.objects[key] = {
                "metadata": {
                    "namespace": namespace,
                    "name": name,
                    "uid": f"uid-{name}-{next(self._versions)}",
                    "generation": 1,
                    "finalizers": [],
                },
                "spec": dict(spec),
                "status": {},
            }
            self._bump(key, "ADDED")
        elif old["spec"] != dict(spec):
            old["spec"] = dict(spec)
            old["metadata"]["generation"] += 1
            self._bump(key)
        return key

    def delete(self, key: CrKey) -> None:
        body = self.objects[key]
        if not body["metadata"]["finalizers"]:
            self.pending.append((key.kind, "DELETED", self.objects.pop(key)))
            return
        body["metadata"]["deletionTimestamp"] = "2026-12-01T00:00:00Z"
        self._bump(key)

    # ---- what the controller calls (KubeApi's interface)

    async def list_kind(self, kind: str, namespaces: Sequence[str]) -> list[dict[str, Any]]:
        return [copy.deepcopy(b) for k, b in self.objects.items() if k.kind == kind]

    async def patch_status(self, key: CrKey, status: Mapping[str, Any]) -> dict[str, Any]:
        if key not in self.objects:
            raise Gone(str(key))
        merged = {**self.objects[key]["status"], **status}
        self.objects[key]["status"] = {k: v for k, v in merged.items() if v is not None}
        self.status_writes += 1
        return self._bump(key)

    async def set_finalizers(
        self, key: CrKey, finalizers: Sequence[str], resource_version: str
    ) -> dict[str, Any]:
        body = self.objects.get(key)
        if body is None:
            raise Gone(str(key))
        if body["metadata"]["resourceVersion"] != resource_version:
            raise Conflict(str(key))
        body["metadata"]["finalizers"] = list(finalizers)
        if body["metadata"].get("deletionTimestamp") and not finalizers:
            self.pending.append((key.kind, "DELETED", self.objects.pop(key)))
            return copy.deepcopy(body)
        return self._bump(key)

    async def post_event(
        self, key: CrKey, uid: str, *, event_type: str, reason: str, message: str
    ) -> None:
        self.events.append(Event(key, event_type, reason, message))


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Harness:
    controller: Controller
    api: FakeApiserver
    fake: FakeNetBird
    clock: Clock

    def watch(self) -> None:
        """Deliver every pending watch event to the controller, in order."""
        while self.api.pending:
            kind, event, body = self.api.pending.pop(0)
            self.controller.observe(kind, event, body)

    async def settle(self, *, advance: float = 0.0, rounds: int = 200) -> int:
        """Run passes (and let time pass by `advance` whenever the queue is idle) until
        nothing is ready; returns how many passes ran."""
        passes = 0
        for _ in range(rounds):
            self.watch()
            key = self.controller.queue.pop(self.clock())
            if key is None:
                due = self.controller.queue.next_due()
                if not advance or due is None:
                    return passes
                self.clock.now = max(self.clock.now + advance, due)
                continue
            try:
                await self.controller.process(key)
            finally:
                self.controller.queue.done(key)
            await asyncio.sleep(0)  # the events the pass posted, in the background
            passes += 1
        raise AssertionError("the queue never went quiet")


async def _no_sleep(_: float) -> None:
    return None


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    fake = FakeNetBird()
    api = FakeApiserver()
    clock = Clock()
    async with NetBirdClient(
        FAKE_BASE_URL,
        fake.token,
        options=ClientOptions(list_cache_ttl=10.0),
        transport=fake.transport(),
        sleep=_no_sleep,
    ) as nb:
        tracker = Tracker()
        controller = Controller(
            kinds=all_kinds(),
            store=ObjectStore(),
            queue=WorkQueue(Backoff(1, 10), priority=queue_priority, clock=clock),
            tracker=tracker,
            api=api,  # type: ignore[arg-type]
            netbird=lambda: nb,
            metrics=Metrics(),
            liveness=Liveness(),
            create_grace=dt.timedelta(seconds=60),
        )
        yield Harness(controller, api, fake, clock)
