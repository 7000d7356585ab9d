"""Secrets the operator publishes (setup keys), written with the kubernetes client off-loop.

A Secret is ours only when its controller owner reference is the very resource (by uid) that
publishes into it; a label anyone can copy proves nothing. Anything else is never read,
changed or deleted (Stalled `SecretNotOwned`). A SetupKey claims its Secret (creates it empty,
owned by it) before it creates a key in NetBird, so of two SetupKeys naming one Secret the
second stops before it has a key nobody could use.
Writes are merge patches of our own fields only, so labels and annotations other tools put
on the Secret (replication, backups) survive a rotation.

The store remembers the version at which it last saw each Secret as ours (its create, read or
write answered it), so a write needs no read first: it is conditional on that version, and if
anything moved the Secret since, the apiserver refuses and the store reads and judges it. A
write or a delete after a read is conditional on the version read. `discard` (a deleted
SetupKey's Secret) deletes only on the remembered version, and otherwise leaves the Secret to
the garbage collector.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlsplit

import urllib3
from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException
from pydantic import SecretStr

from nbaccess.reconcile.outcome import Permanent
from nbaccess.reconcile.ports import SecretReading, SecretRef
from nbaccess.resources.kinds import GROUP, VERSION

MANAGED_BY = "app.kubernetes.io/managed-by"
# A sweep reads hundreds in turn: one hung request must not hold up the rest for long.
READ_TIMEOUT = urllib3.Timeout(connect=5.0, read=15.0)
# Secrets remembered as ours at a version; beyond this many the longest unused is forgotten
# (its next write reads first, as after a restart).
VERSIONS_REMEMBERED = 4096


def not_owned(ref: SecretRef, secret: k8s.V1Secret | None = None) -> Permanent:
    meta = secret.metadata if secret is not None else None
    owners = (meta.owner_references if meta is not None else None) or ()
    return _refused(ref, [(o.kind, o.name) for o in owners if o.controller])


def _refused(ref: SecretRef, controllers: Sequence[tuple[str, str]]) -> Permanent:
    holder = "".join(f" (it belongs to {kind} {name})" for kind, name in controllers[-1:])
    return Permanent(
        "SecretNotOwned",
        f"Secret {ref.namespace}/{ref.name} exists and is not managed by this resource"
        f"{holder}; choose another spec.secretName or remove that Secret",
    )


def _version(secret: k8s.V1Secret) -> str:
    return (secret.metadata.resource_version if secret.metadata else None) or ""


def _is_ours(secret: k8s.V1Secret, ref: SecretRef) -> bool:
    if not ref.owner_uid:
        return True  # a detach: the caller read it as ours a moment ago
    meta = secret.metadata or k8s.V1ObjectMeta()
    controllers = [o for o in meta.owner_references or () if o.controller]
    return any(o.uid == ref.owner_uid for o in controllers)


class _Reader:
    """GETs Secrets over the kubernetes client's own connection pool, TLS and credentials,
    without the generated method's layers: its argument validation, credential refresh and
    header assembly per call were about a third of the CPU of a sweep, which reads every
    Secret in turn. Credentials are taken once per batch, as the client would take them for
    its first request, so a refreshed token is used from the next batch on."""

    def __init__(self, api: k8s.ApiClient) -> None:
        host = api.configuration.host
        self._headers: dict[str, str] = {**api.default_headers, "Accept": "application/json"}
        api.update_params_for_auth(self._headers, [], ["BearerToken"], "", "GET", None)
        manager = api.rest_client.pool_manager
        self._urlopen: Callable[..., Any]
        if isinstance(manager, urllib3.ProxyManager) and urlsplit(host).scheme == "http":
            # A proxy forwards plain http only when asked for the whole URL, which only the
            # manager adds (https is tunnelled, so the pool below works through one).
            self._base, self._urlopen = host.rstrip("/"), manager.urlopen
        else:
            self._base = urlsplit(host).path.rstrip("/")  # an apiserver behind a path prefix
            self._urlopen = manager.connection_from_url(host).urlopen

    def get(self, ref: SecretRef) -> dict[str, Any] | None:
        """The Secret as JSON; None when it does not exist."""
        path = f"{self._base}/api/v1/namespaces/{quote(ref.namespace)}/secrets/{quote(ref.name)}"
        response = self._urlopen(
            "GET", path, headers=self._headers, timeout=READ_TIMEOUT, preload_content=True
        )
        if response.status == 404:
            return None
        if response.status != 200:
            raise ApiException(status=response.status, reason=response.reason)
        secret: dict[str, Any] = json.loads(response.data)
        return secret


class KubeSecretStore:
    def __init__(self, api: k8s.ApiClient) -> None:
        self._api = api
        self._core = k8s.CoreV1Api(api)
        # By (namespace, name): the owner uid and resourceVersion at which this process last
        # saw the Secret owned by that resource.
        self._seen: dict[tuple[str, str], tuple[str, str]] = {}

    async def read(self, ref: SecretRef) -> Mapping[str, SecretStr] | None:
        return await asyncio.to_thread(self._read, ref)

    async def read_each(self, refs: Sequence[SecretRef]) -> list[SecretReading]:
        return await asyncio.to_thread(self._read_each, list(refs))

    async def write(self, ref: SecretRef, data: Mapping[str, SecretStr]) -> None:
        await asyncio.to_thread(self._write, ref, data)

    async def delete(self, ref: SecretRef) -> None:
        await asyncio.to_thread(self._delete, ref)

    async def discard(self, ref: SecretRef) -> None:
        await asyncio.to_thread(self._discard, ref)

    async def claim(self, ref: SecretRef) -> None:
        await asyncio.to_thread(self._claim, ref)

    def _remember(self, ref: SecretRef, version: str | None) -> None:
        """Ours at `version`; None (or a ref without an owner) forgets the Secret."""
        key = (ref.namespace, ref.name)
        self._seen.pop(key, None)  # then back at the end of the order: the most recently used
        if not ref.owner_uid or not version:
            return  # detached, or no version to hold a request to
        if len(self._seen) >= VERSIONS_REMEMBERED:
            del self._seen[next(iter(self._seen))]
        self._seen[key] = (ref.owner_uid, version)

    def _seen_version(self, ref: SecretRef) -> str | None:
        seen = self._seen.get((ref.namespace, ref.name))
        return seen[1] if seen is not None and ref.owner_uid and seen[0] == ref.owner_uid else None

    def _get(self, ref: SecretRef) -> k8s.V1Secret | None:
        try:
            secret: k8s.V1Secret = self._core.read_namespaced_secret(ref.name, ref.namespace)
        except ApiException as exc:
            if exc.status == 404:
                self._remember(ref, None)
                return None
            raise
        self._remember(ref, _version(secret) if _is_ours(secret, ref) else None)
        return secret

    def _read_each(self, refs: list[SecretRef]) -> list[SecretReading]:
        """One after the other in this thread: no hop off the event loop per Secret."""
        if not refs:
            return []
        try:
            reader = _Reader(self._api)
        except Exception as exc:  # credentials that cannot be refreshed: as `read` would fail
            return [exc for _ in refs]
        found: list[SecretReading] = []
        for ref in refs:
            try:
                found.append(self._read(ref, reader))
            except Exception as exc:  # the caller counts it as drift: a pass will say what
                found.append(exc)
        return found

    def _read(
        self, ref: SecretRef, reader: _Reader | None = None
    ) -> Mapping[str, SecretStr] | None:
        secret = (reader or _Reader(self._api)).get(ref)
        if secret is None:
            self._remember(ref, None)
            return None
        meta = secret.get("metadata") or {}
        controllers = [o for o in meta.get("ownerReferences") or () if o.get("controller")]
        if ref.owner_uid and not any(o.get("uid") == ref.owner_uid for o in controllers):
            self._remember(ref, None)
            raise _refused(ref, [(o.get("kind", ""), o.get("name", "")) for o in controllers])
        self._remember(ref, meta.get("resourceVersion"))
        return {
            key: SecretStr(base64.b64decode(value).decode())
            for key, value in (secret.get("data") or {}).items()
        }

    def _owners(self, ref: SecretRef) -> list[dict[str, Any]]:
        if not ref.owner_uid:
            return []
        return [
            {
                "apiVersion": f"{GROUP}/{VERSION}",
                "kind": ref.owner_kind,
                "name": ref.owner_name,
                "uid": ref.owner_uid,
                "controller": True,
                "blockOwnerDeletion": False,
            }
        ]

    def _create(self, ref: SecretRef, encoded: dict[str, str]) -> bool:
        """Create the Secret owned by `ref`'s resource; False when one exists already."""
        body = k8s.V1Secret(
            metadata=k8s.V1ObjectMeta(
                name=ref.name,
                namespace=ref.namespace,
                labels={MANAGED_BY: "nbaccess"},
                owner_references=[
                    k8s.V1OwnerReference(
                        api_version=o["apiVersion"],
                        kind=o["kind"],
                        name=o["name"],
                        uid=o["uid"],
                        controller=True,
                        block_owner_deletion=False,
                    )
                    for o in self._owners(ref)
                ]
                or None,
            ),
            type="Opaque",
            data=encoded or None,
        )
        try:
            created: k8s.V1Secret = self._core.create_namespaced_secret(ref.namespace, body)
        except ApiException as exc:
            if exc.status == 409:
                return False
            raise
        self._remember(ref, _version(created))
        return True

    def _claim(self, ref: SecretRef) -> None:
        if self._create(ref, {}):
            return
        existing = self._get(ref)
        if existing is not None and not _is_ours(existing, ref):
            raise not_owned(ref, existing)

    def _write(self, ref: SecretRef, data: Mapping[str, SecretStr]) -> None:
        encoded = {
            key: base64.b64encode(value.get_secret_value().encode()).decode()
            for key, value in data.items()
        }
        version = self._seen_version(ref)
        if version is not None:
            try:
                self._patch(ref, encoded, resource_version=version)
                return
            except ApiException as exc:
                if exc.status not in (404, 409):
                    raise
                # Changed or deleted since we saw it: decide from what is there now.
        existing = self._get(ref)
        if existing is None and self._create(ref, encoded):
            return
        existing = existing or self._get(ref)
        if existing is None or not _is_ours(existing, ref):
            raise not_owned(ref, existing)
        # Conditional on what was judged: a takeover in between is a 409 (retried, re-read),
        # never an owner reference written back over someone else's.
        self._patch(ref, encoded, resource_version=_version(existing))

    def _patch(self, ref: SecretRef, encoded: dict[str, str], resource_version: str = "") -> None:
        meta: dict[str, Any] = {
            "labels": {MANAGED_BY: "nbaccess"},
            # A merge patch replaces the list: [] detaches the Secret from its CR.
            "ownerReferences": self._owners(ref),
        }
        if resource_version:
            meta["resourceVersion"] = resource_version  # a precondition: 409 if it moved
        patched: k8s.V1Secret = self._core.patch_namespaced_secret(
            ref.name,
            ref.namespace,
            {"metadata": meta, "data": encoded},
            _content_type="application/merge-patch+json",
        )
        self._remember(ref, _version(patched))

    def _delete(self, ref: SecretRef) -> None:
        existing = self._get(ref)
        if existing is None or not _is_ours(existing, ref):
            return  # gone already, or someone else's: never delete it
        self._delete_at(ref, _version(existing))  # moved since the read: 409, retried

    def _delete_at(self, ref: SecretRef, version: str) -> None:
        self._remember(ref, None)
        try:
            self._core.delete_namespaced_secret(
                ref.name,
                ref.namespace,
                body=k8s.V1DeleteOptions(
                    preconditions=k8s.V1Preconditions(resource_version=version or None)
                ),
            )
        except ApiException as exc:
            if exc.status != 404:
                raise

    def _discard(self, ref: SecretRef) -> None:
        version = self._seen_version(ref)
        if version is None:
            return  # not seen as ours by this process: the garbage collector's to judge
        try:
            self._delete_at(ref, version)
        except ApiException as exc:
            if exc.status != 409:
                raise
            # Moved since we saw it as ours: the garbage collector judges that one.
