"""Leader election on a coordination.k8s.io/v1 Lease, so only one replica writes.

The rules are client-go's (and so controller-runtime's), which people running operators
already know:

- A candidate takes the Lease when it is free (no holder) or when its record has not changed
  for `leaseDurationSeconds` *as observed on this candidate's own clock*: judging expiry by
  the renewTime written by another machine would trust that machine's clock.
- The leader renews every retry period. If it cannot renew for `renew_deadline` (shorter than
  the lease duration) it has lost: it stops, and the process exits non-zero so its pod
  restarts as a standby. The gap between the two timings is the margin in which it must stop
  writing before another replica may start; a hard exit at the end of that margin makes sure.
- On a clean shutdown the leader releases the Lease (holder cleared), so a standby takes over
  at its next retry instead of waiting out the lease duration.

Writes use the Lease's resourceVersion, so two candidates racing for one free Lease cannot
both win: the apiserver answers the loser with 409 Conflict.

A standby does nothing but read the Lease every retry period: kopf is not started, no watch
is opened and nothing is written, to Kubernetes or to NetBird.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Literal

from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException

from nbaccess.config import ConfigError, Settings

log = logging.getLogger(__name__)

# Where a pod finds its own namespace (the ServiceAccount volume every pod gets).
POD_NAMESPACE_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"

Role = Literal["standby", "leading", "lost"]


class LeadershipLost(RuntimeError):
    """The Lease could not be renewed in time; another replica may be leading now."""


@dataclass(frozen=True)
class LeaseTiming:
    lease_duration: float
    renew_deadline: float
    retry_period: float


@dataclass(frozen=True)
class LeaseRecord:
    """The part of a Lease that election decisions read."""

    holder: str | None
    duration_seconds: float
    renew_time: str | None
    transitions: int


def may_take(record: LeaseRecord | None, me: str, observed_at: float, now: float) -> bool:
    """Whether `me` may write itself into the Lease now.

    `observed_at` is this candidate's monotonic time when the record last changed (holder or
    renewTime): a leader that keeps renewing keeps moving it, one that died stops moving it.
    """
    if record is None or not record.holder or record.holder == me:
        return True
    return now - observed_at >= record.duration_seconds


def _read_record(lease: k8s.V1Lease) -> LeaseRecord:
    spec = lease.spec or k8s.V1LeaseSpec()
    renew = spec.renew_time
    return LeaseRecord(
        holder=spec.holder_identity or None,
        duration_seconds=float(spec.lease_duration_seconds or 0),
        renew_time=renew.isoformat() if isinstance(renew, dt.datetime) else renew,
        transitions=int(spec.lease_transitions or 0),
    )


def default_identity() -> str:
    """The pod name (its hostname) plus a random part, so a restarted pod is a new candidate."""
    return f"{socket.gethostname()}_{uuid.uuid4().hex[:8]}"


def pod_namespace() -> str | None:
    try:
        with open(POD_NAMESPACE_FILE, encoding="utf-8") as f:
            return f.read().strip() or None
    except OSError:
        return None


@dataclass
class LeaderState:
    """What /readyz and the metrics report about this replica's part in the election."""

    role: Role = "standby"
    # Monotonic time of the last successful read or write of the Lease.
    last_contact: float | None = None
    last_error: str | None = None
    on_change: Callable[[Role], None] | None = field(default=None, repr=False)

    def become(self, role: Role) -> None:
        if role != self.role:
            self.role = role
            if self.on_change is not None:
                self.on_change(role)


def readiness(state: LeaderState, timing: LeaseTiming, now: float) -> tuple[bool, str]:
    """/readyz: a leader is ready; so is a standby that can still read the Lease.

    A standby counts as ready on purpose: with two replicas, a NotReady standby would hold a
    rolling update at maxUnavailable and make the PodDisruptionBudget refuse every drain,
    although it is doing exactly its job. One that has not reached the apiserver for a lease
    duration could not take over, and says so.
    """
    if state.role == "leading":
        return True, "leading"
    if state.role == "lost":
        return False, "lost the Lease; exiting"
    if state.last_contact is not None and now - state.last_contact <= timing.lease_duration:
        return True, "standby"
    return False, f"standby, cannot read the Lease: {state.last_error or 'no answer yet'}"


def readiness_probe(
    state: LeaderState, elector: LeaseElector | None, alive: Callable[[], bool]
) -> Callable[[], tuple[bool, str]]:
    """What /readyz calls: not ready while the event loop is stuck, else as readiness()."""

    def probe() -> tuple[bool, str]:
        if not alive():
            return False, "stuck"
        if elector is None:
            return True, "leading (leader election off)"
        return readiness(state, elector.timing, time.monotonic())

    return probe


class LeaseElector:
    """Acquires, renews and releases one Lease; the kubernetes client runs off the loop."""

    def __init__(
        self,
        api: k8s.ApiClient,
        *,
        namespace: str,
        name: str,
        identity: str,
        timing: LeaseTiming,
        state: LeaderState | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._leases = k8s.CoordinationV1Api(api)
        self.namespace = namespace
        self.name = name
        self.identity = identity
        self.timing = timing
        self.state = state or LeaderState()
        self._clock = clock
        self._observed: tuple[str | None, str | None] | None = None
        self._observed_at = clock()

    def _observe(self, record: LeaseRecord | None) -> None:
        seen = (record.holder, record.renew_time) if record else None
        if seen != self._observed:
            self._observed = seen
            self._observed_at = self._clock()

    def _now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def _spec(self, previous: LeaseRecord | None) -> k8s.V1LeaseSpec:
        now = self._now()
        taking_over = previous is None or previous.holder != self.identity
        transitions = previous.transitions if previous else 0
        spec = k8s.V1LeaseSpec(
            holder_identity=self.identity,
            lease_duration_seconds=max(1, round(self.timing.lease_duration)),
            renew_time=now,
            lease_transitions=transitions + 1 if taking_over and previous else transitions,
        )
        if taking_over:
            spec.acquire_time = now
        return spec

    def _try_once(self) -> bool:
        """One acquire-or-renew attempt (blocking); True when we hold the Lease after it."""
        try:
            lease = self._leases.read_namespaced_lease(self.name, self.namespace)
        except ApiException as exc:
            if exc.status != 404:
                raise
            body = k8s.V1Lease(
                metadata=k8s.V1ObjectMeta(name=self.name, namespace=self.namespace),
                spec=self._spec(None),
            )
            try:
                self._leases.create_namespaced_lease(self.namespace, body)
            except ApiException as exc:
                if exc.status == 409:  # another candidate created it first
                    return False
                raise
            return True
        record = _read_record(lease)
        self._observe(record)
        if not may_take(record, self.identity, self._observed_at, self._clock()):
            return False
        old_spec = lease.spec or k8s.V1LeaseSpec()
        lease.spec = self._spec(record)
        if record.holder == self.identity and old_spec.acquire_time is not None:
            lease.spec.acquire_time = old_spec.acquire_time
        try:
            # resourceVersion travels in lease.metadata: a concurrent writer makes this 409.
            self._leases.replace_namespaced_lease(self.name, self.namespace, lease)
        except ApiException as exc:
            if exc.status == 409:
                return False
            raise
        return True

    async def try_acquire_or_renew(self) -> bool:
        try:
            held = await asyncio.to_thread(self._try_once)
        except ApiException as exc:
            self.state.last_error = f"Lease {self.namespace}/{self.name}: {exc.status} {exc.reason}"
            log.warning("leader election: %s", self.state.last_error)
            return False
        except Exception as exc:  # the apiserver unreachable: a standby keeps trying
            self.state.last_error = f"Lease {self.namespace}/{self.name}: {type(exc).__name__}"
            log.warning("leader election: %s: %s", self.state.last_error, exc)
            return False
        self.state.last_contact = self._clock()
        self.state.last_error = None
        return held

    async def acquire(self) -> None:
        """Wait, as a standby, until this replica holds the Lease."""
        log.info(
            "leader election: %s is standing by for Lease %s/%s",
            self.identity,
            self.namespace,
            self.name,
        )
        while True:
            if await self.try_acquire_or_renew():
                break
            await asyncio.sleep(self.timing.retry_period)
        self.state.become("leading")
        log.info(
            "leader election: %s now leads (Lease %s/%s)", self.identity, self.namespace, self.name
        )

    async def keep_renewing(self) -> None:
        """Renew every retry period; return only when the renew deadline has passed."""
        last_renewed = self._clock()
        while True:
            await asyncio.sleep(self.timing.retry_period)
            if await self.try_acquire_or_renew():
                last_renewed = self._clock()
            elif self._clock() - last_renewed >= self.timing.renew_deadline:
                self.state.become("lost")
                return

    def _release(self) -> None:
        lease = self._leases.read_namespaced_lease(self.name, self.namespace)
        spec = lease.spec or k8s.V1LeaseSpec()
        if spec.holder_identity != self.identity:
            return
        # client-go's release: no holder, a one-second duration, so standbys take over at once.
        spec.holder_identity = None
        spec.lease_duration_seconds = 1
        spec.renew_time = self._now()
        lease.spec = spec
        self._leases.replace_namespaced_lease(self.name, self.namespace, lease)

    async def release(self) -> None:
        try:
            await asyncio.to_thread(self._release)
        except Exception as exc:
            # Not fatal: the Lease then expires after its duration instead.
            log.warning("leader election: could not release the Lease: %s", exc)
        else:
            log.info("leader election: %s released the Lease", self.identity)


def _hard_exit() -> None:
    log.critical("leader election: still running after losing the Lease; exiting now")
    logging.shutdown()
    os._exit(1)


@contextlib.asynccontextmanager
async def leadership(elector: LeaseElector | None) -> AsyncIterator[None]:
    """Run the body only while this replica leads; raise LeadershipLost if it stops leading.

    With `elector=None` (leader election off) the body simply runs.
    """
    if elector is None:
        yield
        return
    await elector.acquire()
    body = asyncio.current_task()
    assert body is not None
    lost = False

    async def watch() -> None:
        nonlocal lost
        await elector.keep_renewing()
        lost = True
        log.error(
            "leader election: could not renew Lease %s/%s for %.0fs; stopping",
            elector.namespace,
            elector.name,
            elector.timing.renew_deadline,
        )
        # The others may take the Lease once its duration has passed: be gone by then.
        margin = elector.timing.lease_duration - elector.timing.renew_deadline
        asyncio.get_running_loop().call_later(max(margin, 0.0), _hard_exit)
        body.cancel()

    renewer = asyncio.create_task(watch(), name="nbaccess-lease-renewer")
    try:
        yield
    except asyncio.CancelledError:
        if lost:
            raise LeadershipLost(
                f"lost Lease {elector.namespace}/{elector.name}; another replica may lead now"
            ) from None
        raise
    finally:
        renewer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await renewer
        if not lost:
            await elector.release()
    if lost:
        # The body returned by itself after the cancel was requested (it swallowed it).
        raise LeadershipLost(f"lost Lease {elector.namespace}/{elector.name}")


def elector_from_settings(
    settings: Settings, api: k8s.ApiClient, state: LeaderState
) -> LeaseElector | None:
    """The elector the settings ask for; None when leader election is off (this replica
    then simply leads)."""
    if not settings.nbaccess_leader_election:
        state.become("leading")
        return None
    namespace = settings.nbaccess_leader_election_namespace or pod_namespace()
    if not namespace:
        raise ConfigError(
            "NBACCESS_LEADER_ELECTION_NAMESPACE: not set, and this is not a pod that knows its "
            "namespace; name the namespace the Lease lives in"
        )
    return LeaseElector(
        api,
        namespace=namespace,
        name=settings.nbaccess_leader_election_lease_name,
        identity=default_identity(),
        timing=timing_from_settings(settings),
        state=state,
    )


def timing_from_settings(settings: Settings) -> LeaseTiming:
    return LeaseTiming(
        lease_duration=settings.nbaccess_lease_duration_seconds,
        renew_deadline=settings.nbaccess_renew_deadline_seconds,
        retry_period=settings.nbaccess_retry_period_seconds,
    )
