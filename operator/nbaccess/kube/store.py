"""The operator's copy of every custom resource it watches, as the watch and our writes left it.

Passes read from here, never from the apiserver: the directory that resolves references, the
status a pass starts from and whether a dependency is Ready all come from one place. Our own
status writes are put back as soon as the apiserver answers them, so a pass that follows never
acts on a status from before the last one (the watch may deliver that write later, or an older
event first: the newer resourceVersion wins).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from nbaccess.reconcile.objects import StoredObject
from nbaccess.reconcile.ownership import recorded_id
from nbaccess.reconcile.refs import CrKey, CrState


def _newer(candidate: str, current: str) -> bool:
    """Whether `candidate` is a later resourceVersion than `current`.

    resourceVersions are opaque to clients, but every apiserver backed by etcd hands out its
    revision, a number that only grows; anything else is taken as newer (the watch's order).
    """
    if candidate == current:
        return False
    try:
        return int(candidate) > int(current)
    except ValueError:
        return True


class ObjectStore:
    def __init__(self) -> None:
        # Per kind: the sweep and the monitors read one kind of a thousand objects.
        self._of_kind: dict[str, dict[CrKey, StoredObject]] = {}
        self._states: dict[CrKey, tuple[str, CrState]] = {}
        # (kind, NetBird id) -> the resource whose status recorded it.
        self._holders: dict[tuple[str, str], CrKey] = {}

    def put(self, obj: StoredObject) -> tuple[StoredObject | None, bool]:
        """Store `obj` unless we hold the same or a newer version of it.

        Returns what was stored before and whether `obj` replaced it.
        """
        objects = self._of_kind.setdefault(obj.key.kind, {})
        old = objects.get(obj.key)
        if (
            old is not None
            and old.uid == obj.uid
            and not _newer(obj.resource_version, old.resource_version)
        ):
            return old, False
        objects[obj.key] = obj
        self._index(old, obj)
        return old, True

    def _index(self, old: StoredObject | None, new: StoredObject | None) -> None:
        for obj, present in ((old, False), (new, True)):
            netbird_id = recorded_id(dict(obj.status), obj.uid) if obj is not None else None
            if obj is None or not netbird_id:
                continue
            slot = (obj.key.kind, netbird_id)
            if present:
                self._holders[slot] = obj.key
            elif self._holders.get(slot) == obj.key:
                del self._holders[slot]

    def holder(self, kind: str, netbird_id: str) -> CrKey | None:
        """Which resource of `kind` recorded `netbird_id` for itself (see ownership.py)."""
        return self._holders.get((kind, netbird_id))

    def remove(self, key: CrKey) -> StoredObject | None:
        self._states.pop(key, None)
        old = self._of_kind.get(key.kind, {}).pop(key, None)
        self._index(old, None)
        return old

    def get(self, key: CrKey) -> StoredObject | None:
        return self._of_kind.get(key.kind, {}).get(key)

    def of_kind(self, kind: str) -> list[StoredObject]:
        return list(self._of_kind.get(kind, {}).values())

    def __iter__(self) -> Iterator[StoredObject]:
        return iter([o for objects in self._of_kind.values() for o in objects.values()])

    def __len__(self) -> int:
        return sum(len(objects) for objects in self._of_kind.values())

    def state(
        self, key: CrKey, facts: Callable[[Mapping[str, object]], Mapping[str, str] | None]
    ) -> CrState | None:
        """What a referrer may know of `key`: its NetBird id (from status, which only we
        write), readiness and facts; cached per resourceVersion."""
        obj = self.get(key)
        if obj is None:
            return None
        cached = self._states.get(key)
        if cached is not None and cached[0] == obj.resource_version:
            return cached[1]
        netbird_id = obj.status.get("id")
        state = CrState(
            netbird_id=str(netbird_id) if netbird_id else None,
            ready=obj.ready,
            facts=facts(obj.status),
            uid=obj.uid,
            deleting=obj.deleting,
        )
        self._states[key] = (obj.resource_version, state)
        return state
