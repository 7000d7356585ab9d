"""Resolving references between our custom resources, without knowing where the facts live.

The kube layer fills a `CrDirectory` from kopf indexes (one entry per CR: its NetBird id and
whether it is Ready); reconcilers ask it for ids and get `DependencyNotReady` for anything
missing or not Ready, which keeps the referrer waiting instead of failing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from nbaccess.reconcile.outcome import DependencyNotReady


@dataclass(frozen=True)
class CrKey:
    """A custom resource by kind, namespace and name (references never cross namespaces)."""

    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}"


@dataclass(frozen=True)
class CrState:
    """What a referrer needs to know about a referenced CR."""

    netbird_id: str | None
    ready: bool
    # Kind-specific facts a referrer may need, e.g. a network's resource ids by name.
    facts: Mapping[str, str] | None = None
    uid: str = ""
    # Being deleted (a finalizer is still running): dependants of it wait for it to go.
    deleting: bool = False


class CrDirectory:
    """Read-only view of our CRs' NetBird ids and readiness."""

    def __init__(self, entries: Mapping[CrKey, CrState]) -> None:
        self._entries = entries

    def of_kind(self, kind: str) -> list[tuple[CrKey, CrState]]:
        return [(key, state) for key, state in self._entries.items() if key.kind == kind]

    def state(self, key: CrKey) -> CrState | None:
        return self._entries.get(key)

    def holder(self, kind: str, netbird_id: str) -> CrKey | None:
        """The resource of `kind` whose status recorded `netbird_id`, if any."""
        for key, state in self.of_kind(kind):
            if state.netbird_id == netbird_id:
                return key
        return None

    def ready_id(self, key: CrKey) -> str:
        """The NetBird id of a Ready CR, or DependencyNotReady saying what is missing."""
        state = self.state(key)
        if state is None:
            raise DependencyNotReady(f"{key} does not exist")
        if state.deleting:
            # Linking it now would hold up its deletion for as long as the link lives; once
            # it is gone, a new one of that name (Git applying it again) is waited for.
            raise DependencyNotReady(f"{key} is being deleted")
        if not state.ready or not state.netbird_id:
            raise DependencyNotReady(f"{key} is not Ready yet")
        return state.netbird_id

    def ready_fact(self, key: CrKey, fact: str) -> str:
        """A named fact of a Ready CR (e.g. `resource/web` of a NetBirdNetwork)."""
        self.ready_id(key)
        state = self.state(key)
        value = (state.facts or {}).get(fact) if state is not None else None
        if value is None:
            raise DependencyNotReady(f"{key} has no {fact}")
        return value
