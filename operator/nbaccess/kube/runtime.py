"""What every handler shares during one operator run: the NetBird client, metrics, locks."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from nbaccess.config import Settings
from nbaccess.kube.tracker import Tracker
from nbaccess.metrics import Liveness, Metrics
from nbaccess.netbird.client import NetBirdClient
from nbaccess.reconcile.kinds import KindReconciler
from nbaccess.reconcile.refs import CrKey


@dataclass
class Runtime:
    settings: Settings
    kinds: Sequence[KindReconciler[Any]]
    metrics: Metrics
    liveness: Liveness
    tracker: Tracker = field(default_factory=Tracker)
    # The status each object's last pass wrote, for passes that run before the watch shows it.
    written: dict[CrKey, dict[str, Any]] = field(default_factory=dict)
    netbird: NetBirdClient | None = None
    # One pass at a time per object: the drift timer and a change handler must not interleave.
    locks: defaultdict[CrKey, asyncio.Lock] = field(
        default_factory=lambda: defaultdict(asyncio.Lock)
    )

    @property
    def plurals(self) -> list[str]:
        return [k.plural for k in self.kinds]

    def client(self) -> NetBirdClient:
        if self.netbird is None:
            raise RuntimeError("the NetBird client is not open yet (startup has not run)")
        return self.netbird
