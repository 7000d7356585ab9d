"""Reconcilers driven directly (no kopf) against the fake NetBird, for faults on demand."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from nbaccess.conditions import Phase
from nbaccess.netbird.client import ClientOptions, NetBirdClient
from nbaccess.reconcile.kinds import KindReconciler, Pass, StatusRecorder
from nbaccess.reconcile.outcome import Outcome
from nbaccess.reconcile.ownership import recorded_id
from nbaccess.reconcile.passes import converge_once, finalize_once
from nbaccess.reconcile.refs import CrDirectory, CrKey, CrState
from nbaccess.reconcile.registry import all_kinds
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
    created: dict[CrKey, int] = field(default_factory=dict)
    cluster_name: str = "default"
    # Status as each pass's recorder left it before the final write (what a crash leaves).
    recorded: dict[CrKey, dict[str, Any]] = field(default_factory=dict)

    def apply(
        self,
        kind: str,
        name: str,
        spec: Mapping[str, Any],
        namespace: str = "team",
        *,
        annotations: Mapping[str, str] | None = None,
    ) -> CrKey:
        key = CrKey(kind, namespace, name)
        old = self.objects.get(key)
        generation = 1 if old is None else old["generation"] + (old["spec"] != dict(spec))
        self.objects[key] = {
            "spec": dict(spec),
            "status": old["status"] if old else {},
            "generation": generation,
            "annotations": dict(annotations or (old or {}).get("annotations") or {}),
            # A new object gets a new uid, as the apiserver gives it.
            "uid": old["uid"] if old else self._new_uid(key),
        }
        return key

    def _new_uid(self, key: CrKey) -> str:
        self.created[key] = self.created.get(key, 0) + 1
        count = self.created[key]
        return f"uid-{key.name}" if count == 1 else f"uid-{key.name}-{count}"

    def directory(self) -> CrDirectory:
        entries = {}
        for key, obj in self.objects.items():
            status = obj["status"]
            ready = any(
                c["type"] == "Ready" and c["status"] == "True" for c in status.get("conditions", [])
            )
            facts = self.kinds[key.kind].facts(status)
            netbird_id = recorded_id(status, obj["uid"])
            entries[key] = CrState(netbird_id, ready, facts, uid=obj["uid"])
        return CrDirectory(entries)

    def current(self, key: CrKey) -> Pass:
        obj = self.objects[key]

        async def write(fields: Mapping[str, Any]) -> None:
            self._merge(key, fields)
            self.recorded[key] = dict(self.objects[key]["status"])

        return Pass(
            key.namespace,
            key.name,
            obj["generation"],
            recorded_id(obj["status"], obj["uid"]),
            self.directory(),
            self.now,
            previous_status=obj["status"],
            annotations=obj["annotations"],
            uid=obj["uid"],
            recorder=StatusRecorder(write),
            clock=lambda: self.now,
            cluster=self.cluster_name,
        )

    def _merge(self, key: CrKey, patch: Mapping[str, Any]) -> None:
        # Applied as the apiserver applies our status writes: a JSON merge patch (None deletes).
        obj = self.objects[key]
        merged = {**obj["status"], **patch}
        obj["status"] = {k: v for k, v in merged.items() if v is not None}

    async def reconcile(self, key: CrKey, *, crash: bool = False) -> Outcome:
        """One pass. `crash`: the operator dies after NetBird answered, before the final
        status write: status keeps only what the pass recorded on its way."""
        kind = self.kinds[key.kind]
        before = dict(self.objects[key]["status"])
        self.recorded.pop(key, None)
        result = await converge_once(
            kind, self.nb, self.current(key), self.objects[key]["spec"], clock=lambda: self.now
        )
        if crash:
            self.objects[key]["status"] = self.recorded.get(key, before)
        else:
            self._merge(key, result.status)
        return result.outcome

    async def converge(self, *keys: CrKey, passes: int = 5) -> None:
        for _ in range(passes):
            outcomes = [await self.reconcile(k) for k in keys]
            if all(o.phase is Phase.READY for o in outcomes):
                return
        raise AssertionError(f"not converged: {[(o.reason, o.message) for o in outcomes]}")

    async def delete(self, key: CrKey) -> None:
        """Finalize and forget the CR; raises AssertionError when the deletion is blocked."""
        kind = self.kinds[key.kind]
        result = await finalize_once(
            kind, self.nb, self.current(key), self.objects[key]["spec"], clock=lambda: self.now
        )
        if not result.done:
            self._merge(key, result.status)
            assert result.outcome is not None
            raise DeletionBlocked(result.outcome.message)
        del self.objects[key]


class DeletionBlocked(AssertionError):
    """The finalizer could not finish (NetBird still uses the object, or a spec is unreadable)."""


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
        made = Cluster(nb, {k.kind: k for k in all_kinds()})
        # One clock for both sides, as NetBird's and ours agree: xids carry NetBird's time.
        fake.account.clock = lambda: made.now
        yield made
