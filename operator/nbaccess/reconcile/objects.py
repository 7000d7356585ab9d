"""A custom resource as the operator holds it: the parts of its body a pass needs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from nbaccess.reconcile.refs import CrKey
from nbaccess.reconcile.status import is_ready, ready_reason


@dataclass(frozen=True)
class StoredObject:
    """One custom resource: the parts of its body a pass needs."""

    key: CrKey
    uid: str
    generation: int
    resource_version: str
    deleting: bool
    finalizers: tuple[str, ...]
    annotations: Mapping[str, str]
    spec: Mapping[str, Any]
    status: Mapping[str, Any]

    @classmethod
    def of(cls, kind: str, body: Mapping[str, Any]) -> StoredObject:
        meta = body.get("metadata") or {}
        return cls(
            key=CrKey(kind, str(meta.get("namespace") or ""), str(meta.get("name") or "")),
            uid=str(meta.get("uid") or ""),
            generation=int(meta.get("generation") or 0),
            resource_version=str(meta.get("resourceVersion") or ""),
            deleting=bool(meta.get("deletionTimestamp")),
            finalizers=tuple(meta.get("finalizers") or ()),
            annotations=dict(meta.get("annotations") or {}),
            spec=dict(body.get("spec") or {}),
            status=dict(body.get("status") or {}),
        )

    @property
    def ready(self) -> bool:
        return is_ready(self.status)

    @property
    def reason(self) -> str | None:
        return ready_reason(self.status)
