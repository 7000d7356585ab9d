"""What reconcilers need from Kubernetes besides status, as protocols the kube layer fills.

Setup keys publish their value in a Secret; the reconciler decides what and when (publish the
new key before the old one is revoked), the kube layer only carries it out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from pydantic import SecretStr

from nbaccess.reconcile.outcome import Permanent


@dataclass(frozen=True)
class SecretRef:
    namespace: str
    name: str
    # The CR that owns the Secret (deleted with it by Kubernetes' garbage collector).
    owner_kind: str = ""
    owner_name: str = ""
    owner_uid: str = ""


class SecretStore(Protocol):
    async def read(self, ref: SecretRef) -> Mapping[str, SecretStr] | None:
        """The Secret's data, or None when it does not exist."""
        ...

    async def write(self, ref: SecretRef, data: Mapping[str, SecretStr]) -> None:
        """Create or replace the Secret's data (and labels marking it as ours).

        Raises Permanent("SecretNotOwned") when a Secret of that name is not ours.
        """
        ...

    async def delete(self, ref: SecretRef) -> None: ...


class MemorySecretStore:
    """A SecretStore in memory, for tests and for running reconcilers without a cluster."""

    def __init__(self) -> None:
        self.secrets: dict[tuple[str, str], dict[str, SecretStr]] = {}
        self.writes = 0
        # Secrets that exist but belong to someone else (the kube store checks a label).
        self.foreign: set[tuple[str, str]] = set()

    async def read(self, ref: SecretRef) -> Mapping[str, SecretStr] | None:
        return self.secrets.get((ref.namespace, ref.name))

    async def write(self, ref: SecretRef, data: Mapping[str, SecretStr]) -> None:
        if (ref.namespace, ref.name) in self.foreign:
            raise Permanent(
                "SecretNotOwned",
                f"Secret {ref.namespace}/{ref.name} exists and is not managed by nbaccess",
            )
        self.writes += 1
        self.secrets[(ref.namespace, ref.name)] = dict(data)

    async def delete(self, ref: SecretRef) -> None:
        self.secrets.pop((ref.namespace, ref.name), None)
