"""Wake a waiting referrer by touching an annotation kopf treats as a change.

kopf only re-runs change handlers when the object's essence changes, and it strips every
`nbaccess.dev/` annotation from that essence, so the key lives under `reconcile.nbaccess.dev/`.
People can set the same annotation to ask for an immediate pass (as with Flux's requestedAt).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException

from nbaccess.conditions import timestamp
from nbaccess.reconcile.refs import CrKey
from nbaccess.resources.kinds import GROUP, VERSION

REQUESTED_AT = "reconcile.nbaccess.dev/requested-at"

log = logging.getLogger(__name__)


class Waker:
    def __init__(self, api: k8s.ApiClient, plurals: dict[str, str]) -> None:
        self._objects = k8s.CustomObjectsApi(api)
        self._plurals = plurals  # kind -> plural

    def _patch(self, key: CrKey, reason: str) -> None:
        body = {
            "metadata": {
                "annotations": {
                    REQUESTED_AT: f"{timestamp(dt.datetime.now(dt.UTC))} ({reason})"[:250]
                }
            }
        }
        try:
            self._objects.patch_namespaced_custom_object(
                GROUP, VERSION, key.namespace, self._plurals[key.kind], key.name, body
            )
        except ApiException as exc:
            if exc.status != 404:
                log.warning("could not wake %s: %s %s", key, exc.status, exc.reason)

    async def wake(self, referrers: list[CrKey], reason: str) -> None:
        # The kubernetes client is synchronous: never let it block kopf's event loop.
        await asyncio.gather(*(asyncio.to_thread(self._patch, r, reason) for r in referrers))
