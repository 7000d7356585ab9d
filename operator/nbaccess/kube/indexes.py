"""kopf indexes that let a reconciler resolve references without asking the apiserver.

Two per kind: `<plural>_state` (each CR's NetBird id, readiness and facts) and `<plural>_refs`
(which CRs each CR references, inverted, so a dependency can find who waits for it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import kopf

from nbaccess.kube.tracker import Tracker
from nbaccess.reconcile.kinds import ID_ANNOTATION, KindReconciler
from nbaccess.reconcile.outcome import ReconcileError
from nbaccess.reconcile.refs import CrDirectory, CrKey, CrState
from nbaccess.reconcile.status import is_ready, ready_reason
from nbaccess.resources.kinds import GROUP, VERSION


@dataclass(frozen=True)
class IndexedState:
    state: CrState
    reason: str | None


def state_index_name(plural: str) -> str:
    return f"{plural}_state"


def refs_index_name(plural: str) -> str:
    return f"{plural}_refs"


def register_indexes(
    registry: kopf.OperatorRegistry, kind: KindReconciler[Any], tracker: Tracker
) -> None:
    # async: kopf runs sync callbacks in threads, and the tracker schedules wake-ups on the loop.
    @kopf.index(GROUP, VERSION, kind.plural, registry=registry, id=state_index_name(kind.plural))
    async def _state(
        *,
        namespace: str | None,
        name: str,
        status: kopf.Status,
        annotations: kopf.Annotations,
        **_: Any,
    ) -> dict[CrKey, IndexedState]:
        netbird_id = status.get("id") or annotations.get(ID_ANNOTATION) or None
        state = CrState(
            netbird_id=str(netbird_id) if netbird_id else None,
            ready=is_ready(status),
            facts=kind.facts(status),
        )
        key = CrKey(kind.kind, namespace or "", name)
        reason = ready_reason(status)
        tracker.seen(key, state.ready, reason)
        return {key: IndexedState(state, reason)}

    # async: kopf runs sync callbacks in threads, and the tracker schedules wake-ups on the loop.
    @kopf.index(GROUP, VERSION, kind.plural, registry=registry, id=refs_index_name(kind.plural))
    async def _refs(
        *, namespace: str | None, name: str, spec: kopf.Spec, **_: Any
    ) -> dict[CrKey, CrKey]:
        me = CrKey(kind.kind, namespace or "", name)
        try:
            parsed = kind.parse(spec)
        except ReconcileError:
            tracker.references(me, [])
            return {}
        dependencies = list(kind.references(namespace or "", parsed))
        tracker.references(me, dependencies)
        return {dep: me for dep in dependencies}


def _stores(indexes: Mapping[str, Any], names: Iterable[str]) -> Iterable[tuple[Any, Any]]:
    for name in names:
        index = indexes.get(name)
        if index is None:
            continue
        for key in index:
            yield key, index[key]


def directory(indexes: Mapping[str, Any], plurals: Iterable[str]) -> CrDirectory:
    """A snapshot of every CR's id and readiness, from the state indexes."""
    entries: dict[CrKey, CrState] = {}
    for key, store in _stores(indexes, [state_index_name(p) for p in plurals]):
        for value in store:
            entries[key] = value.state
    return CrDirectory(entries)
