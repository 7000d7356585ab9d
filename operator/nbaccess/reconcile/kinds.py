"""The contract between the kube layer and each kind's reconciler.

The kube layer knows nothing about NetBird payloads; a reconciler knows nothing about kopf.
This module is the seam: what one pass gets as input (`Pass`) and what a kind must provide.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from nbaccess.netbird.client import NetBirdClient
from nbaccess.reconcile.events import EventSpec
from nbaccess.reconcile.outcome import Outcome
from nbaccess.reconcile.ownership import DEFAULT_CLUSTER, Claim
from nbaccess.reconcile.refs import CrDirectory, CrKey
from nbaccess.resources.kinds import GROUP

SpecT = TypeVar("SpecT")

ID_ANNOTATION = f"{GROUP}/netbird-id"


class StatusRecorder:
    """Status fields a pass must persist before it goes on, e.g. the intent to create.

    A NetBird create whose answer is lost (a crash, a timeout) leaves an object we cannot
    otherwise tell from someone else's; writing "about to create, at T" to status first is
    what lets the next pass, or the deletion, recognise it. `write` is the kube layer's status
    patch; without one (tests) the fields are only kept here.
    """

    def __init__(self, write: Callable[[Mapping[str, Any]], Awaitable[None]] | None = None) -> None:
        self.fields: dict[str, Any] = {}
        self._write = write
        # Noted since the last write: persisted by the next `record`, or the final write.
        self._unwritten: dict[str, Any] = {}

    async def record(self, fields: Mapping[str, Any]) -> None:
        """Persist `fields` now (None clears one), with anything noted before, before the
        pass goes on."""
        self.fields.update(fields)
        pending = {**self._unwritten, **fields}
        if self._write is not None:
            await self._write(pending)
        self._unwritten.clear()  # only once written: a failed write leaves them to the next

    def note(self, fields: Mapping[str, Any]) -> None:
        """Keep `fields` for the pass's final status write, whatever its outcome (a new id
        must not be lost because a later step failed); a `record` before then writes them
        too."""
        self.fields.update(fields)
        self._unwritten.update(fields)


@dataclass(frozen=True)
class Pass:
    """Everything a reconciler may know about the CR it is converging, as plain data."""

    namespace: str
    name: str
    generation: int
    # The NetBird id status recorded for this resource (see ownership.recorded_id).
    known_id: str | None
    directory: CrDirectory
    now: dt.datetime
    previous_status: Mapping[str, Any] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    uid: str = ""
    recorder: StatusRecorder = field(default_factory=StatusRecorder)
    cluster: str = DEFAULT_CLUSTER
    # How long an unanswered create may still land in NetBird (a few client timeouts).
    create_grace: dt.timedelta = dt.timedelta(seconds=60)
    # The time now, later in the pass (`now` is when it began): what status says happened at
    # a moment is read after the write, not before the wait for the rate limiter.
    clock: Callable[[], dt.datetime] = field(default=lambda: dt.datetime.now(dt.UTC))

    @property
    def owner(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def claim(self) -> Claim:
        return Claim(self.cluster, self.namespace, self.name)

    @property
    def annotated_id(self) -> str | None:
        """The id annotation: a pointer anyone can copy, honoured only by the ownership rule."""
        value = self.annotations.get(ID_ANNOTATION)
        return str(value) if value else None


@dataclass(frozen=True)
class Watched:
    """One object a monitor reads: its pass inputs (status, id) and its raw spec."""

    current: Pass
    spec: Mapping[str, Any]


@dataclass
class Reading:
    """What one monitor read found for one object."""

    key: CrKey
    # Status fields to merge, or None when nothing worth a write changed.
    patch: dict[str, Any] | None
    events: list[EventSpec] = field(default_factory=list)
    measurements: dict[str, float] = field(default_factory=dict)


class KindReconciler(Protocol[SpecT]):
    """One custom resource kind: how to read its spec, converge it and let it go."""

    kind: str
    plural: str
    # The NetBird collections its passes observe: what the resync sweep lists for it.
    surveyed: tuple[str, ...]
    # The collection whose objects carry this kind's claim, if any (twins are found there).
    claimed_in: str | None

    # Seconds between reads of what changes on its own (routing peers); None: nothing does.
    monitor_seconds: float | None

    async def drift_elsewhere(self, watched: Sequence[Watched]) -> list[bool]:
        """For each of these objects, drift the NetBird survey cannot see (a setup key's
        Secret); read only, all at once."""
        ...

    async def monitor(self, nb: NetBirdClient, watched: Sequence[Watched]) -> list[Reading]:
        """Read, for all these objects at once, what changes on its own; no NetBird writes."""
        ...

    def parse(self, spec: Mapping[str, Any]) -> SpecT:
        """The typed spec; raises Permanent("InvalidSpec", ...) naming the field."""
        ...

    def references(self, namespace: str, spec: SpecT) -> Sequence[CrKey]:
        """The CRs this one waits for; they wake it up when they turn Ready."""
        ...

    def facts(self, status: Mapping[str, Any]) -> Mapping[str, str] | None:
        """Facts referrers may need beyond the id (e.g. a network's resource ids)."""
        ...

    async def reconcile(self, nb: NetBirdClient, current: Pass, spec: SpecT) -> Outcome: ...

    async def finalize(self, nb: NetBirdClient, current: Pass, spec: SpecT) -> None:
        """Honour deletionPolicy; raise a ReconcileError when it must be retried later."""
        ...
