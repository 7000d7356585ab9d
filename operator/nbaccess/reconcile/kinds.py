"""The contract between the kube layer and each kind's reconciler.

The kube layer knows nothing about NetBird payloads; a reconciler knows nothing about kopf.
This module is the seam: what one pass gets as input (`Pass`) and what a kind must provide.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from nbaccess.netbird.client import NetBirdClient
from nbaccess.reconcile.outcome import Outcome
from nbaccess.reconcile.refs import CrDirectory, CrKey
from nbaccess.resources.kinds import GROUP

SpecT = TypeVar("SpecT")

ID_ANNOTATION = f"{GROUP}/netbird-id"


@dataclass(frozen=True)
class Pass:
    """Everything a reconciler may know about the CR it is converging, as plain data."""

    namespace: str
    name: str
    generation: int
    known_id: str | None
    directory: CrDirectory
    now: dt.datetime
    previous_status: Mapping[str, Any] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    uid: str = ""

    @property
    def owner(self) -> str:
        return f"{self.namespace}/{self.name}"


class KindReconciler(Protocol[SpecT]):
    """One custom resource kind: how to read its spec, converge it and let it go."""

    kind: str
    plural: str

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
