"""Reconcilers driven directly (no kopf) against the fake NetBird, for faults on demand."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from nbaccess.conditions import Phase
from nbaccess.netbird.client import ClientOptions, NetBirdClient
from nbaccess.reconcile.kinds import KindReconciler, Pass
from nbaccess.reconcile.outcome import Outcome, ReconcileError
from nbaccess.reconcile.refs import CrDirectory, CrKey, CrState
from nbaccess.reconcile.registry import all_kinds
from nbaccess.reconcile.status import build_status
from tests.fakes import FAKE_BASE_URL, FakeNetBird

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)


async def _no_sleep(_: float) -> None:
    return None


@dataclass
class Cluster:
    """Just enough of Kubernetes to run passes: CRs with status, and the directory."""

    nb: NetBirdClient
    kinds: dict[str, KindReconciler[Any]]
    objects: dict[CrKey, dict[str, Any]] = field(default_factory=dict)
    now: dt.datetime = NOW

    def apply(
        self, kind: str, name: str, spec: Mapping[str, Any], namespace: str = "team"
    ) -> CrKey:
        key = CrKey(kind, namespace, name)
        old = self.objects.get(key)
        generation = 1 if old is None else old["generation"] + (old["spec"] != dict(spec))
        self.objects[key] = {
            "spec": dict(spec),
            "status": old["status"] if old else {},
            "generation": generation,
        }
        return key

    def directory(self) -> CrDirectory:
        entries = {}
        for key, obj in self.objects.items():
            status = obj["status"]
            ready = any(
                c["type"] == "Ready" and c["status"] == "True" for c in status.get("conditions", [])
            )
            facts = self.kinds[key.kind].facts(status)
            entries[key] = CrState(status.get("id"), ready, facts)
        return CrDirectory(entries)

    def current(self, key: CrKey) -> Pass:
        obj = self.objects[key]
        return Pass(
            key.namespace,
            key.name,
            obj["generation"],
            obj["status"].get("id"),
            self.directory(),
            self.now,
            previous_status=obj["status"],
        )

    async def reconcile(self, key: CrKey) -> Outcome:
        kind = self.kinds[key.kind]
        current = self.current(key)
        try:
            outcome = await kind.reconcile(self.nb, current, kind.parse(self.objects[key]["spec"]))
        except ReconcileError as err:
            outcome = Outcome.failed(err, netbird_id=current.known_id)
        obj = self.objects[key]
        # Applied as kopf applies it: a JSON merge patch (None deletes a key).
        patch = build_status(outcome, obj["status"], generation=obj["generation"], now=self.now)
        merged = {**obj["status"], **patch}
        obj["status"] = {k: v for k, v in merged.items() if v is not None}
        return outcome

    async def converge(self, *keys: CrKey, passes: int = 5) -> None:
        for _ in range(passes):
            outcomes = [await self.reconcile(k) for k in keys]
            if all(o.phase is Phase.READY for o in outcomes):
                return
        raise AssertionError(f"not converged: {[(o.reason, o.message) for o in outcomes]}")

    async def delete(self, key: CrKey) -> None:
        kind = self.kinds[key.kind]
        await kind.finalize(self.nb, self.current(key), kind.parse(self.objects[key]["spec"]))
        del self.objects[key]


@pytest.fixture
def fake() -> FakeNetBird:
    return FakeNetBird()


class Clock:
    """The client's clock: the list cache expires only when a test lets time pass."""

    def __init__(self) -> None:
        self.value = 1000.0

    def __call__(self) -> float:
        return self.value

    def advance(self, seconds: float) -> None:
        self.value += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def cluster(fake: FakeNetBird, clock: Clock) -> AsyncIterator[Cluster]:
    options = ClientOptions(list_cache_ttl=10.0)
    async with NetBirdClient(
        FAKE_BASE_URL,
        fake.token,
        options=options,
        transport=fake.transport(),
        clock=clock,
        sleep=_no_sleep,
    ) as nb:
        yield Cluster(nb, {k.kind: k for k in all_kinds()})
