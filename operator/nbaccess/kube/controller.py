"""The operator's loop: the watch fills the store and the queue, workers run passes.

kopf's watch handlers only record what they see (`observe`); everything else happens here,
in a bounded number of workers taking keys from one queue:
- a pass for an object that needs one (`converge`): our finalizer first, then the kind's pass
  (which may record an intent in status before it creates anything), then one status write,
  the events and the metrics, then what the queue should do next;
- a deletion (`finalize`): the kind cleans up NetBird, or says why it cannot yet
  (Ready=False `DeletionBlocked`), and the finalizer goes once it has.

The runner owns status: a kind returns data, this module writes it and puts the apiserver's
answer back into the store, so the next pass starts from what was written.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from nbaccess.conditions import Phase
from nbaccess.kube.apiserver import Conflict, Gone, KubeApi
from nbaccess.kube.store import ObjectStore
from nbaccess.kube.tracker import Tracker
from nbaccess.metrics import Liveness, Metrics
from nbaccess.netbird.client import NetBirdClient
from nbaccess.reconcile import drift
from nbaccess.reconcile.events import EventSpec
from nbaccess.reconcile.kinds import KindReconciler, Pass, StatusRecorder, Watched
from nbaccess.reconcile.objects import StoredObject
from nbaccess.reconcile.outcome import ReconcileError, Transient
from nbaccess.reconcile.ownership import DEFAULT_CLUSTER, recorded_id
from nbaccess.reconcile.passes import PassResult, blocked, converge_once, finalize_once, utcnow
from nbaccess.reconcile.refs import CrDirectory, CrKey, CrState
from nbaccess.reconcile.schedule import (
    FINALIZER,
    after_pass,
    dependants,
    needs_pass,
)
from nbaccess.reconcile.workqueue import WorkQueue

log = logging.getLogger(__name__)

# How long a new resource waits for its dependencies, or a deletion for the resources still
# using it, before it says so in status: 5 s after the last resource arrived (or began to be
# deleted) in its namespace, and at most 20 s. Applying or deleting a folder of manifests at
# once settles that way (kubectl sends one object at a time, Argo CD and Flux likewise); a
# status write and an event per waiting object would only slow the apiserver down meanwhile.
QUIET_SECONDS = 5.0
QUIET_AT_MOST_SECONDS = 20.0
# A bulk delete (kubectl delete -f, an Argo CD prune) sends one delete at a time, each waiting
# for the apiserver. Our work for each deletion (a NetBird delete, the Secret, the finalizer)
# competes with the next of them for the same two cores and the same apiserver: at N = 500
# kubectl took 18 s beside us, against 5 s alone, and all was gone after 30 s. From the
# BURST-th deletion of a burst on (each began within SETTLE_SECONDS of the one before, in one
# namespace), a deletion waits until SETTLE_SECONDS after the last one began, within the 20 s
# that bound every quiet wait. kubectl and Argo CD send one every few tens of milliseconds; a
# handful of deletions goes at once, where a second's wait would buy nothing.
SETTLE_SECONDS = 1.0
BURST = 50
# Events not yet posted beyond which new ones are dropped (client-go keeps 1000).
EVENT_BACKLOG = 1000


class StoreDirectory(CrDirectory):
    """The directory a pass resolves references with, read live from the store."""

    def __init__(self, store: ObjectStore, kinds: Mapping[str, KindReconciler[Any]]) -> None:
        super().__init__({})
        self._store = store
        self._kinds = kinds

    def state(self, key: CrKey) -> CrState | None:
        kind = self._kinds.get(key.kind)
        return None if kind is None else self._store.state(key, kind.facts)

    def holder(self, kind: str, netbird_id: str) -> CrKey | None:
        return self._store.holder(kind, netbird_id)

    def of_kind(self, kind: str) -> list[tuple[CrKey, CrState]]:
        found = []
        for obj in self._store.of_kind(kind):
            state = self.state(obj.key)
            if state is not None:
                found.append((obj.key, state))
        return found


class Controller:
    def __init__(
        self,
        *,
        kinds: Sequence[KindReconciler[Any]],
        store: ObjectStore,
        queue: WorkQueue[CrKey],
        tracker: Tracker,
        api: KubeApi,
        netbird: Callable[[], NetBirdClient],
        metrics: Metrics,
        liveness: Liveness,
        cluster: str = DEFAULT_CLUSTER,
        create_grace: dt.timedelta = dt.timedelta(seconds=60),
    ) -> None:
        self.cluster = cluster
        self.create_grace = create_grace
        self.kinds = {k.kind: k for k in kinds}
        self.store = store
        self.queue = queue
        self.tracker = tracker
        self.api = api
        self.netbird = netbird
        self.metrics = metrics
        self.liveness = liveness
        self.directory = StoreDirectory(store, self.kinds)
        # Events wait here for one sender, as client-go's recorder posts them: a courtesy
        # that never competes with the status writes of a thousand objects at once.
        self._outbox: asyncio.Queue[tuple[StoredObject, EventSpec]] = asyncio.Queue(
            maxsize=EVENT_BACKLOG
        )
        self._sender: asyncio.Task[None] | None = None
        self._dropped = 0
        # What each object's last pass saw in NetBird (drift.py): the sweep's reference.
        self.observed: dict[CrKey, dict[str, str]] = {}
        # Dependencies a referrer's new spec dropped: NetBird still links them until that
        # referrer's next pass has run, so deletions waiting for them are woken again then.
        self._released: dict[CrKey, set[CrKey]] = {}
        # Resources waiting without a word (new ones for dependencies, deletions for their
        # users, for the rest of a bulk delete or for its referrers): since when (queue clock).
        self._quiet_since: dict[CrKey, float] = {}
        # Per namespace, when a resource last arrived; per (namespace, kind), when one of ours
        # last began to be deleted, and those on their way out (begun, not ended or blocked).
        self._arrived: dict[str, float] = {}
        self._deleted: dict[tuple[str, str], float] = {}
        self._deleting: dict[tuple[str, str], set[CrKey]] = {}
        # Per namespace, how many deletions the burst under way has had so far, and the
        # deletions waiting for their referrers' (`_after_referrers`).
        self._burst: dict[str, int] = {}
        self._held: dict[str, set[CrKey]] = {}
        # Kind -> the kinds whose resources have referenced one of it (from their specs).
        self._referrer_kinds: defaultdict[str, set[str]] = defaultdict(set)
        tracker.wake = self._wake

    # ------------------------------------------------------------------ the watch

    def observe(self, kind: str, event_type: str | None, body: Mapping[str, Any]) -> None:
        """A watch event (or a start-up listing entry): keep it, queue a pass if it matters."""
        if kind not in self.kinds:
            return
        if event_type == "DELETED":
            meta = body.get("metadata") or {}
            self.gone(CrKey(kind, str(meta.get("namespace") or ""), str(meta.get("name") or "")))
            return
        obj = StoredObject.of(kind, body)
        old, replaced = self.store.put(obj)
        if replaced:
            self._took(old, obj)

    def _took(self, old: StoredObject | None, obj: StoredObject) -> None:
        """`obj` replaced `old` in the store, from the watch or from the answer to one of our
        writes (which may be the first to show a deletion or a new spec: the watch event for
        that version then changes nothing)."""
        if old is None or old.generation != obj.generation or old.uid != obj.uid:
            self._track_references(obj)
        if old is None:
            self._arrived[obj.key.namespace] = self.queue.now()
        ours = FINALIZER in obj.finalizers
        if obj.deleting and ours and (old is None or not old.deleting or old.uid != obj.uid):
            self._began_deletion(obj.key)
        elif obj.deleting and not ours:
            self._left(obj.key)  # released (or never ours): nothing of it is left to wait for
        elif not obj.deleting and old is not None and old.deleting:
            # Recreated under the same name (its DELETED missed): that deletion has ended, and
            # what waited for it to go has a user again.
            self._left(obj.key)
            self._wake_deletions(self.tracker.dependencies(obj.key))
        if needs_pass(old, obj):
            self.queue.add(obj.key)
        self._seen(obj)

    def _began_deletion(self, key: CrKey) -> None:
        now = self.queue.now()
        last = self._last_deletion(key.namespace, self.kinds)
        in_burst = last is not None and now - last <= SETTLE_SECONDS
        self._burst[key.namespace] = self._burst.get(key.namespace, 0) + 1 if in_burst else 1
        self._deleted[(key.namespace, key.kind)] = now
        self._deleting.setdefault((key.namespace, key.kind), set()).add(key)
        self._quiet_since.pop(key, None)  # a deletion's quiet starts now

    def _left(self, key: CrKey) -> None:
        """`key` is no longer on its way out (gone, released or blocked); when it was the last
        of its kind in its namespace, the deletions waiting for their referrers' there are
        looked at again."""
        leaving = self._deleting.get((key.namespace, key.kind))
        if leaving is None or key not in leaving:
            return
        leaving.discard(key)
        if leaving:
            return
        del self._deleting[(key.namespace, key.kind)]
        for held in self._held.pop(key.namespace, set()):
            self.queue.add(held)

    def gone(self, key: CrKey) -> None:
        self._left(key)
        self._held.get(key.namespace, set()).discard(key)
        released = self.tracker.dependencies(key)
        self.store.remove(key)
        self.queue.discard(key)
        self.observed.pop(key, None)
        self.tracker.forget(key)
        self._released.pop(key, None)
        self._quiet_since.pop(key, None)
        self.metrics.forget_object(key.kind, key.namespace, key.name)
        self._wake_deletions(released)

    def _wake_deletions(self, dependencies: set[CrKey]) -> None:
        # A dependency being deleted waited for its dependants; one of them let go of it.
        # What it waits for from here on is counted afresh.
        for dep in dependencies:
            stored = self.store.get(dep)
            if stored is not None and stored.deleting:
                self._quiet_since.pop(dep, None)
                self.queue.add(dep)

    def _track_references(self, obj: StoredObject) -> None:
        kind = self.kinds[obj.key.kind]
        try:
            parsed = kind.parse(obj.spec)
        except ReconcileError:
            self._wake_deletions(self.tracker.references(obj.key, []))
            return
        deps = list(kind.references(obj.key.namespace, parsed))
        for dep in deps:
            self._referrer_kinds[dep.kind].add(obj.key.kind)
        dropped = self.tracker.references(obj.key, deps)
        if dropped:
            self._released.setdefault(obj.key, set()).update(dropped)
        self._wake_deletions(dropped)

    def _seen(self, obj: StoredObject) -> None:
        self.tracker.seen(obj.key, obj.ready, obj.reason)
        key = obj.key
        self.metrics.set_conditions(
            key.kind, key.namespace, key.name, obj.status.get("conditions") or ()
        )

    def _in_sync(self, key: CrKey) -> None:
        self.metrics.set_object_gauge("last_sync", key.kind, key.namespace, key.name, time.time())

    def _wake(self, referrers: list[CrKey], reason: str) -> None:
        for key in referrers:
            log.debug("%s: woken (%s)", key, reason)
            self.queue.add(key)

    # ------------------------------------------------------------------ the workers

    async def work(self) -> None:
        """One worker: take keys from the queue until it closes."""
        while True:
            key = await self.queue.get()
            if key is None:
                return
            try:
                await self.process(key)
            except Exception:
                # Never lose a worker: the object is retried after its backoff.
                log.exception("%s: pass failed unexpectedly", key)
                self.queue.failed(key)
            finally:
                self.queue.done(key)
                self.liveness.beat()

    async def process(self, key: CrKey) -> None:
        obj = self.store.get(key)
        if obj is None:
            return
        if obj.deleting:
            await self.finalize(obj)
        else:
            await self.converge(obj)

    def _pass(self, obj: StoredObject) -> Pass:
        status = dict(obj.status)

        async def write(fields: Mapping[str, Any]) -> None:
            await self._write_status(obj.key, fields)

        return Pass(
            namespace=obj.key.namespace,
            name=obj.key.name,
            generation=obj.generation,
            known_id=recorded_id(status, obj.uid),
            directory=self.directory,
            now=utcnow(),
            previous_status=status,
            annotations=obj.annotations,
            uid=obj.uid,
            recorder=StatusRecorder(write),
            cluster=self.cluster,
            create_grace=self.create_grace,
        )

    async def converge(self, obj: StoredObject) -> None:
        kind = self.kinds[obj.key.kind]
        if FINALIZER not in obj.finalizers:
            added = await self._set_finalizers(obj, [*obj.finalizers, FINALIZER])
            if added is None:
                return  # gone, or changed meanwhile: the newer version is queued
            obj = added
        started = time.monotonic()
        current = self._pass(obj)
        result = await converge_once(kind, self.netbird(), current, obj.spec)
        self.metrics.observe_reconcile(
            kind.kind,
            "error" if result.internal_error else result.outcome.phase.value,
            time.monotonic() - started,
        )
        if self._waits_for_dependencies(obj, result) and self._quietly(
            obj.key, self._arrived.get(obj.key.namespace)
        ):
            return  # a dependency applied with it, woken when it is Ready
        self._quiet_since.pop(obj.key, None)
        await self._write_status(obj.key, result.status)
        self._wake_deletions(self._released.pop(obj.key, set()))
        self.observed[obj.key] = result.outcome.observed
        if result.outcome.phase is Phase.READY:
            self._in_sync(obj.key)
        self._log(kind, current, result)
        self._post(obj, result.events)
        for name, value in result.outcome.measurements.items():
            self.metrics.set_object_gauge(name, kind.kind, obj.key.namespace, obj.key.name, value)
        self._schedule(obj.key, result)

    def _quietly(self, key: CrKey, last: float | None) -> bool:
        """Whether `key` is still in its quiet seconds of waiting, counted from the `last`
        arrival or deletion in its namespace."""
        since = self._quiet_since.get(key, self.queue.now())
        return self._hold(key, max(since, last or since) + QUIET_SECONDS)

    def _settling(self, key: CrKey) -> bool:
        """Whether the deletion of `key` waits for the burst of deletions it came in to end
        (see SETTLE_SECONDS)."""
        if self._burst.get(key.namespace, 0) < BURST:
            return False
        last = self._last_deletion(key.namespace, self.kinds)
        return last is not None and self._hold(key, last + SETTLE_SECONDS)

    def _after_referrers(self, key: CrKey) -> bool:
        """Whether the deletion of `key` (a group, a posture check, a network) waits for the
        deletions of kinds that reference its kind, on their way out in its namespace, to end
        (within QUIET_AT_MOST_SECONDS).

        NetBird checks every setup key, policy, route and user in the account on each group
        delete, under its account lock: with 500 keys left a group costs it 34 ms of CPU,
        with none 12 to 18 ms, and it holds up every other delete meanwhile. `_left` looks
        at it again when the last of them has gone."""
        kinds = self._referrer_kinds.get(key.kind, ())
        if not any((key.namespace, kind) in self._deleting for kind in kinds):
            return False
        if not self._hold(key, self.queue.now() + QUIET_AT_MOST_SECONDS):
            return False
        self._held.setdefault(key.namespace, set()).add(key)
        return True

    def _last_deletion(self, namespace: str, kinds: Iterable[str]) -> float | None:
        """When a resource of one of `kinds` last began to be deleted in `namespace`."""
        began = [self._deleted[(namespace, k)] for k in kinds if (namespace, k) in self._deleted]
        return max(began, default=None)

    def _hold(self, key: CrKey, until: float) -> bool:
        """Look at `key` again at `until` (or when woken before), unless that is past or it
        has waited quietly for QUIET_AT_MOST_SECONDS already; whether it waits."""
        now = self.queue.now()
        since = self._quiet_since.setdefault(key, now)
        left = min(until, since + QUIET_AT_MOST_SECONDS) - now
        if left <= 0:
            return False
        self.queue.add_after(key, left)
        return True

    @staticmethod
    def _waits_for_dependencies(obj: StoredObject, result: PassResult) -> bool:
        """A resource that has never had a verdict, waiting for a dependency, having done
        and recorded nothing: the pass that finds the dependency Ready writes its status."""
        outcome = result.outcome
        return (
            outcome.reason == "DependencyNotReady"
            and not outcome.changes
            and not result.recorded
            and not any(c.get("type") == "Ready" for c in obj.status.get("conditions") or ())
        )

    def _schedule(self, key: CrKey, result: PassResult) -> None:
        after = after_pass(result.outcome, result.recheck_at, internal=result.internal_error)
        if after.retry:
            self.queue.failed(key)
        else:
            self.queue.forget(key)
        if after.at is not None:
            self.queue.add_after(key, (after.at - dt.datetime.now(dt.UTC)).total_seconds())

    async def finalize(self, obj: StoredObject) -> None:
        if FINALIZER not in obj.finalizers:
            return  # not ours to hold up (or already released)
        kind = self.kinds[obj.key.kind]
        waits = dependants(obj.key, self.tracker.referrers(obj.key), self.store.get)
        going, holding = waits.going, waits.holding
        if going:
            # NetBird would refuse ("linked to ..."): wait for them to go, without asking it.
            # `gone()` queues this deletion again when the last of them is gone. Nothing is
            # written: they are on their way out, and a status write per waiting object would
            # cost more than the wait. Waits after it are counted from when they have gone.
            log.debug("%s: deletion waits for %s", obj.key, ", ".join(map(str, going)))
            self._quiet_since.pop(obj.key, None)
            # Looked at again now and then, should a wake-up be missed (a DELETED lost in a
            # re-list): the check costs no request.
            self.queue.add_after(obj.key, QUIET_AT_MOST_SECONDS)
            return
        if not holding and (self._settling(obj.key) or self._after_referrers(obj.key)):
            return  # the rest of a bulk delete first: both go faster that way
        current = self._pass(obj)
        if not holding:
            self._quiet_since.pop(obj.key, None)
            result = await finalize_once(kind, self.netbird(), current, obj.spec)
        else:
            self._left(obj.key)  # held up by users that stay: nothing to wait for
            if self._quietly(obj.key, self._last_deletion(obj.key.namespace, self.kinds)):
                return  # a bulk delete takes the users away within seconds
            # Woken when one goes or drops the reference; retried with backoff meanwhile.
            users = ", ".join(map(str, holding))
            result = blocked(
                Transient("InUse", f"still used by {users}: delete those or drop the reference"),
                current,
            )
        if result.done:
            remaining = [f for f in obj.finalizers if f != FINALIZER]
            if await self._set_finalizers(obj, remaining) is not None:
                log.info("%s %s: deleted", kind.kind, current.owner)
            return
        self._left(obj.key)  # blocked, or retried after a backoff: not on its way out
        assert result.outcome is not None
        if result.repeated and not current.recorder.fields:
            # Status says so already: a retry that learnt nothing new writes nothing.
            log.debug("%s %s: %s", kind.kind, current.owner, result.outcome.message)
        else:
            await self._write_status(obj.key, result.status)
            self._post(obj, result.events)
            log.warning("%s %s: %s", kind.kind, current.owner, result.outcome.message)
        if result.outcome.phase is Phase.PROGRESSING:
            self.queue.failed(obj.key)
        if result.outcome.retry_at is not None:
            self.queue.add_after(
                obj.key, (result.outcome.retry_at - dt.datetime.now(dt.UTC)).total_seconds()
            )

    # ------------------------------------------------------------------ the sweep

    async def sweep(self) -> int:
        """Compare every object with one fresh list per NetBird collection any of their
        passes observed; queue those that drifted, are not Ready, or have a twin. Returns
        how many were queued."""
        active = [k for k in self.kinds.values() if self.store.of_kind(k.kind)]
        collections = sorted({c for kind in active for c in kind.surveyed})
        if not collections:
            return 0  # nothing to compare: no request
        found = await drift.survey(self.netbird(), collections)
        queued: set[CrKey] = set()
        for kind in active:
            queued |= await self._drifted(kind, found)
        for key in queued:
            self.queue.add(key)
        return len(queued)

    async def _drifted(self, kind: KindReconciler[Any], found: drift.Survey) -> set[CrKey]:
        queued: set[CrKey] = set()
        unchanged: list[StoredObject] = []
        for obj in self.store.of_kind(kind.kind):
            if obj.deleting:
                continue
            if not obj.ready or drift.drifted(self.observed.get(obj.key), found):
                queued.add(obj.key)
            else:
                unchanged.append(obj)
        elsewhere = await kind.drift_elsewhere([Watched(self._pass(o), o.spec) for o in unchanged])
        for obj, moved in zip(unchanged, elsewhere, strict=True):
            if moved:
                queued.add(obj.key)
            else:
                self._in_sync(obj.key)
        for object_id, claim in (found.claims.get(kind.claimed_in or "") or {}).items():
            # Ours by claim but recorded by nobody: a twin its claimant's pass removes.
            stored = self.store.get(CrKey(kind.kind, claim.namespace, claim.name))
            if claim.cluster != self.cluster or stored is None or stored.deleting:
                continue
            if recorded_id(dict(stored.status), stored.uid) != object_id:
                queued.add(stored.key)
        return queued

    # ------------------------------------------------------------------ monitors

    async def monitor(self, kind: KindReconciler[Any]) -> None:
        """Read what changes on its own (routing peers) for every object of `kind` at once;
        write status only where it says something new, and keep the gauges current."""
        watched = [
            Watched(self._pass(obj), obj.spec)
            for obj in self.store.of_kind(kind.kind)
            if obj.ready and not obj.deleting
        ]
        if not watched:
            return
        for reading in await kind.monitor(self.netbird(), watched):
            for name, value in reading.measurements.items():
                self.metrics.set_object_gauge(
                    name, kind.kind, reading.key.namespace, reading.key.name, value
                )
            stored = self.store.get(reading.key)
            if reading.patch is None or stored is None:
                continue
            await self._write_status(reading.key, reading.patch)
            self._post(stored, reading.events)
            for event in reading.events:
                log.log(
                    logging.INFO if event.type == "Normal" else logging.WARNING,
                    "%s %s/%s: %s",
                    kind.kind,
                    reading.key.namespace,
                    reading.key.name,
                    event.message,
                )

    # ------------------------------------------------------------------ writing

    async def _write_status(self, key: CrKey, fields: Mapping[str, Any]) -> None:
        try:
            body = await self.api.patch_status(key, fields)
        except Gone:
            return
        self._stored(key.kind, body)

    async def _set_finalizers(
        self, obj: StoredObject, finalizers: list[str]
    ) -> StoredObject | None:
        try:
            body = await self.api.set_finalizers(obj.key, finalizers, obj.resource_version)
        except Gone:
            # Its DELETED may never come (missed across a re-list): forget it now.
            stored = self.store.get(obj.key)
            if stored is not None and stored.uid == obj.uid:
                self.gone(obj.key)
            return None
        except Conflict:
            # Someone changed it since the watch showed it; its newer version will be here
            # shortly (or is already): look again then.
            self.queue.add_after(obj.key, 0.5)
            return None
        return self._stored(obj.key.kind, body)

    def _stored(self, kind: str, body: Mapping[str, Any]) -> StoredObject:
        obj = StoredObject.of(kind, body)
        if obj.deleting and not obj.finalizers:
            # Our answer to removing the last finalizer: the apiserver deletes it now, and the
            # watch may have said DELETED already. Stored again, it would haunt the store (and
            # every referrer reading it) until the next start.
            stored = self.store.get(obj.key)
            if stored is None or stored.uid == obj.uid:
                self.gone(obj.key)
            return obj
        old, replaced = self.store.put(obj)
        if replaced:
            self._took(old, obj)
        return self.store.get(obj.key) or obj

    def _post(self, obj: StoredObject, events: Sequence[EventSpec]) -> None:
        for event in events:
            try:
                self._outbox.put_nowait((obj, event))
            except asyncio.QueueFull:
                # As client-go does when its queue is full; status says it all anyway.
                self._dropped += 1
                if self._dropped == 1:
                    log.warning(
                        "%d events wait for the apiserver: new ones are dropped", EVENT_BACKLOG
                    )
        if events and (self._sender is None or self._sender.done()):
            self._sender = asyncio.get_running_loop().create_task(self._send_events())

    async def _send_events(self) -> None:
        while not self._outbox.empty():
            obj, event = self._outbox.get_nowait()
            await self.api.post_event(
                obj.key, obj.uid, event_type=event.type, reason=event.reason, message=event.message
            )
        if self._dropped:
            log.warning("events caught up; %d were dropped meanwhile", self._dropped)
            self._dropped = 0

    def background(self) -> list[asyncio.Task[None]]:
        """What is still running on its own (the event sender), for the runner to stop."""
        return [t for t in (self._sender,) if t is not None and not t.done()]

    @staticmethod
    def _log(kind: KindReconciler[Any], current: Pass, result: PassResult) -> None:
        for change in result.outcome.changes:
            log.info("%s %s: %s", kind.kind, current.owner, change)
        for event in result.events:
            if event.type == "Warning" and event.reason == result.outcome.reason:
                log.warning("%s %s: %s: %s", kind.kind, current.owner, event.reason, event.message)
