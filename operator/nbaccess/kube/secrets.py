"""Secrets the operator publishes (setup keys), written with the kubernetes client off-loop."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Mapping

from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException
from pydantic import SecretStr

from nbaccess.reconcile.kinds import GROUP, VERSION
from nbaccess.reconcile.outcome import Permanent
from nbaccess.reconcile.ports import SecretRef

MANAGED_BY = "app.kubernetes.io/managed-by"


class KubeSecretStore:
    def __init__(self, api: k8s.ApiClient) -> None:
        self._core = k8s.CoreV1Api(api)

    async def read(self, ref: SecretRef) -> Mapping[str, SecretStr] | None:
        return await asyncio.to_thread(self._read, ref)

    async def write(self, ref: SecretRef, data: Mapping[str, SecretStr]) -> None:
        await asyncio.to_thread(self._write, ref, data)

    async def delete(self, ref: SecretRef) -> None:
        await asyncio.to_thread(self._delete, ref)

    def _read(self, ref: SecretRef) -> Mapping[str, SecretStr] | None:
        try:
            secret = self._core.read_namespaced_secret(ref.name, ref.namespace)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise
        return {
            key: SecretStr(base64.b64decode(value).decode())
            for key, value in (secret.data or {}).items()
        }

    def _write(self, ref: SecretRef, data: Mapping[str, SecretStr]) -> None:
        owners = None
        if ref.owner_uid:
            owners = [
                k8s.V1OwnerReference(
                    api_version=f"{GROUP}/{VERSION}",
                    kind=ref.owner_kind,
                    name=ref.owner_name,
                    uid=ref.owner_uid,
                    controller=True,
                    block_owner_deletion=False,
                )
            ]
        body = k8s.V1Secret(
            metadata=k8s.V1ObjectMeta(
                name=ref.name,
                namespace=ref.namespace,
                labels={MANAGED_BY: "nbaccess"},
                owner_references=owners,
            ),
            type="Opaque",
            string_data={key: value.get_secret_value() for key, value in data.items()},
        )
        try:
            existing = self._core.read_namespaced_secret(ref.name, ref.namespace)
        except ApiException as exc:
            if exc.status != 404:
                raise
            self._core.create_namespaced_secret(ref.namespace, body)
            return
        labels = (existing.metadata.labels if existing.metadata else None) or {}
        if labels.get(MANAGED_BY) != "nbaccess":
            # Someone else's Secret: overwriting it could break whatever reads it.
            raise Permanent(
                "SecretNotOwned",
                f"Secret {ref.namespace}/{ref.name} exists and is not managed by nbaccess; "
                "choose another spec.secretName or remove that Secret",
            )
        self._core.replace_namespaced_secret(ref.name, ref.namespace, body)

    def _delete(self, ref: SecretRef) -> None:
        try:
            self._core.delete_namespaced_secret(ref.name, ref.namespace)
        except ApiException as exc:
            if exc.status != 404:
                raise
