"""What a reconcile pass returns, and the error classes that decide its status.

A reconciler never lets an exception decide the status: every failure becomes one of three
classes, because that is the only thing status (and kstatus) distinguishes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from nbaccess.conditions import Condition, Phase


class ReconcileError(Exception):
    """A classified failure: `phase` says whether a person must act (Stalled) or we wait."""

    phase: Phase = Phase.STALLED

    def __init__(self, reason: str, message: str, *, retry_at: dt.datetime | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        # When trying again can first help (e.g. once an unconfirmed create could have landed).
        self.retry_at = retry_at


class DependencyNotReady(ReconcileError):
    """A referenced CR is missing or not Ready yet: wait for it, never Stalled."""

    phase = Phase.PROGRESSING

    def __init__(self, message: str) -> None:
        super().__init__("DependencyNotReady", message)


class Transient(ReconcileError):
    """A failure retrying can fix (NetBird 429/5xx, timeouts, an object still in use)."""

    phase = Phase.PROGRESSING


class Permanent(ReconcileError):
    """A failure only a person can fix (invalid spec, NetBird rejected it, a name clash)."""

    phase = Phase.STALLED


@dataclass
class Outcome:
    """The result of one pass, everything the kube layer needs to write status once."""

    phase: Phase
    reason: str
    message: str = ""
    netbird_id: str | None = None
    # Kind-specific status fields (camelCase, as they appear in the CR status).
    status: dict[str, Any] = field(default_factory=dict)
    # Extra conditions beyond the kstatus ones (e.g. RoutingPeersHealthy).
    conditions: list[Condition] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # What changed in NetBird, for events ("created", "updated: ports", ...); empty = no writes.
    changes: list[str] = field(default_factory=list)
    # Per-object gauges for /metrics, e.g. {"routing_peers_connected": 1, "routing_peers": 2}.
    measurements: dict[str, float] = field(default_factory=dict)
    # Look again no later than this (besides whatever status.recheckAfter says).
    retry_at: dt.datetime | None = None
    # What the pass saw in NetBird, `<collection>/<id>` -> fingerprint (see drift.py): the
    # sweep passes the object again only when one of these has changed.
    observed: dict[str, str] = field(default_factory=dict)

    @classmethod
    def failed(cls, error: ReconcileError, netbird_id: str | None = None) -> Outcome:
        return cls(
            error.phase, error.reason, error.message, netbird_id=netbird_id, retry_at=error.retry_at
        )
