"""Fresh namespaces: a deleted namespace lingers while its objects are finalized, so tests
never delete and re-use one; each gets a new name instead."""

from __future__ import annotations

import re
import secrets

from kubernetes import client as k8s


def new_namespace(kube_api: k8s.ApiClient, purpose: str, prefix: str = "e2e-") -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", purpose.lower()).strip("-")[:40].strip("-")
    name = f"{prefix}{slug}-{secrets.token_hex(3)}"
    k8s.CoreV1Api(kube_api).create_namespace(k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name=name)))
    return name
