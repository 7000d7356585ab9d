"""The few apiserver calls the operator makes on its own resources, off kopf's event loop.

The kubernetes client is synchronous, so every call runs in a worker thread. Status is written
as a JSON merge patch of the fields we own; finalizers are changed with the resourceVersion as
a precondition, so a finalizer someone else added or removed meanwhile is never clobbered.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import fnmatch
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException

from nbaccess.conditions import timestamp
from nbaccess.reconcile.refs import CrKey
from nbaccess.resources.kinds import GROUP, VERSION

log = logging.getLogger(__name__)
MERGE_PATCH = "application/merge-patch+json"
COMPONENT = "nbaccess"
EVENT_TIMEOUT = (5.0, 10.0)  # seconds to connect, to read the answer


class Gone(Exception):
    """The object no longer exists."""


class Conflict(Exception):
    """The object changed since we read it (resourceVersion precondition failed)."""


def _is_glob(pattern: str) -> bool:
    return any(c in pattern for c in "*?[")


class KubeApi:
    def __init__(self, api: k8s.ApiClient, plurals: Mapping[str, str], instance: str) -> None:
        self._objects = k8s.CustomObjectsApi(api)
        self._core = k8s.CoreV1Api(api)
        self._plurals = dict(plurals)  # kind -> plural
        self._instance = instance

    # ------------------------------------------------------------------ reading

    async def list_kind(self, kind: str, namespaces: Sequence[str]) -> list[dict[str, Any]]:
        """Every object of `kind` in the watched namespaces (all of them when empty)."""
        return await asyncio.to_thread(self._list_kind, kind, list(namespaces))

    def _list_kind(self, kind: str, namespaces: list[str]) -> list[dict[str, Any]]:
        plural = self._plurals[kind]
        if not namespaces or any(_is_glob(n) for n in namespaces):
            listed: Any = self._objects.list_cluster_custom_object(GROUP, VERSION, plural)
            items: list[dict[str, Any]] = listed["items"]
            if namespaces:
                items = [
                    i
                    for i in items
                    if any(
                        fnmatch.fnmatchcase(i["metadata"]["namespace"], pattern)
                        for pattern in namespaces
                    )
                ]
            return list(items)
        found: list[dict[str, Any]] = []
        for namespace in namespaces:
            page: Any = self._objects.list_namespaced_custom_object(
                GROUP, VERSION, namespace, plural
            )
            found += page["items"]
        return found

    # ------------------------------------------------------------------ writing

    async def patch_status(self, key: CrKey, status: Mapping[str, Any]) -> dict[str, Any]:
        """Merge `status` into the object's status; returns the object as stored."""
        return await asyncio.to_thread(self._patch_status, key, dict(status))

    def _patch_status(self, key: CrKey, status: dict[str, Any]) -> dict[str, Any]:
        try:
            result: Any = self._objects.patch_namespaced_custom_object_status(
                GROUP,
                VERSION,
                key.namespace,
                self._plurals[key.kind],
                key.name,
                {"status": status},
                _content_type=MERGE_PATCH,
            )
        except ApiException as exc:
            if exc.status == 404:
                raise Gone(str(key)) from None
            raise
        return dict(result)

    async def set_finalizers(
        self, key: CrKey, finalizers: Sequence[str], resource_version: str
    ) -> dict[str, Any]:
        """Replace the finalizers, provided the object is still at `resource_version`."""
        return await asyncio.to_thread(
            self._set_finalizers, key, list(finalizers), resource_version
        )

    def _set_finalizers(
        self, key: CrKey, finalizers: list[str], resource_version: str
    ) -> dict[str, Any]:
        body = {"metadata": {"finalizers": finalizers, "resourceVersion": resource_version}}
        try:
            result: Any = self._objects.patch_namespaced_custom_object(
                GROUP,
                VERSION,
                key.namespace,
                self._plurals[key.kind],
                key.name,
                body,
                _content_type=MERGE_PATCH,
            )
        except ApiException as exc:
            if exc.status == 404:
                raise Gone(str(key)) from None
            if exc.status == 409:
                raise Conflict(str(key)) from None
            raise
        return dict(result)

    async def post_event(
        self, key: CrKey, uid: str, *, event_type: str, reason: str, message: str
    ) -> None:
        """A core/v1 Event on the object, from `nbaccess` (what `kubectl describe` shows)."""
        try:
            await asyncio.to_thread(self._post_event, key, uid, event_type, reason, message)
        except Exception as exc:  # an event is a courtesy: never fail a pass for it
            log.warning("could not post event %s on %s: %s", reason, key, type(exc).__name__)

    def _post_event(self, key: CrKey, uid: str, etype: str, reason: str, message: str) -> None:
        now = dt.datetime.now(dt.UTC)
        event = k8s.CoreV1Event(
            metadata=k8s.V1ObjectMeta(generate_name=f"{key.name}.", namespace=key.namespace),
            involved_object=k8s.V1ObjectReference(
                api_version=f"{GROUP}/{VERSION}",
                kind=key.kind,
                name=key.name,
                namespace=key.namespace,
                uid=uid,
            ),
            type=etype,
            reason=reason,
            # Named in the message too: event exporters and `kubectl get events -A` readers
            # often see the message alone.
            message=f"{key.kind} {key.namespace}/{key.name}: {message}"[:1024],
            source=k8s.V1EventSource(component=COMPONENT),
            reporting_component=COMPONENT,
            reporting_instance=self._instance,
            first_timestamp=timestamp(now),
            last_timestamp=timestamp(now),
            count=1,
        )
        # Bounded: one sender posts them in turn, so a hung request would hold up the rest.
        self._core.create_namespaced_event(key.namespace, event, _request_timeout=EVENT_TIMEOUT)
