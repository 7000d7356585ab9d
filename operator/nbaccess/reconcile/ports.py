"""What reconcilers need from Kubernetes besides status, as protocols the kube layer fills.

Setup keys publish their value in a Secret; the reconciler decides what and when (publish the
new key before the old one is revoked), the kube layer only carries it out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from pydantic import SecretStr

from nbaccess.reconcile.outcome import Permanent


@dataclass(frozen=True)
class SecretRef:
    namespace: str
    name: str
    # The CR that owns the Secret: the garbage collector deletes it with the CR, if the
    # operator did not.
    owner_kind: str = ""
    owner_name: str = ""
    owner_uid: str = ""


# One Secret as a sweep reads it: its data, None when it does not exist, or why it could
# not be read (Permanent("SecretNotOwned") for one that is not ours).
SecretReading = Mapping[str, SecretStr] | None | Exception


class SecretStore(Protocol):
    async def read(self, ref: SecretRef) -> Mapping[str, SecretStr] | None:
        """The Secret's data, or None when it does not exist."""
        ...

    async def read_each(self, refs: Sequence[SecretRef]) -> list[SecretReading]:
        """Each of these Secrets, as `read` would answer, in order: one call for a whole
        sweep, so hundreds of reads cost no hop off the event loop each."""
        ...

    async def write(self, ref: SecretRef, data: Mapping[str, SecretStr]) -> None:
        """Create or replace the Secret's data (and labels marking it as ours).

        Raises Permanent("SecretNotOwned") when a Secret of that name is not ours.
        """
        ...

    async def claim(self, ref: SecretRef) -> None:
        """Create the Secret, empty and owned by `ref.owner_uid`, unless it is ours already.

        Raises Permanent("SecretNotOwned") when a Secret of that name is someone else's
        (also when it appears between the check and the create).
        """
        ...

    async def delete(self, ref: SecretRef) -> None:
        """Delete the Secret if it is ours; a Secret that is not is left as it is."""
        ...

    async def discard(self, ref: SecretRef) -> None:
        """Delete the Secret if it is still exactly as this store last saw it, ours.

        For a Secret whose owner is being deleted: anything else (unseen since a restart,
        changed since, gone) is left to the garbage collector, which judges it by its owner.
        """
        ...


class MemorySecretStore:
    """A SecretStore in memory with the kube store's ownership rule, for tests."""

    def __init__(self) -> None:
        self.secrets: dict[tuple[str, str], dict[str, SecretStr]] = {}
        self.owners: dict[tuple[str, str], str] = {}
        self.writes = 0
        # Secrets that exist but belong to someone else (no managed-by label).
        self.foreign: set[tuple[str, str]] = set()

    def _check(self, ref: SecretRef) -> tuple[str, str]:
        key = (ref.namespace, ref.name)
        owner = self.owners.get(key, "")
        # Ours only with our resource as owner; an existing Secret without one is not ours.
        taken = key in self.secrets and owner != ref.owner_uid
        if key in self.foreign or (ref.owner_uid and taken):
            raise Permanent(
                "SecretNotOwned",
                f"Secret {ref.namespace}/{ref.name} exists and is not managed by this resource",
            )
        return key

    async def read(self, ref: SecretRef) -> Mapping[str, SecretStr] | None:
        key = (ref.namespace, ref.name)
        if key not in self.secrets and key not in self.foreign:
            return None
        return self.secrets.get(self._check(ref))

    async def read_each(self, refs: Sequence[SecretRef]) -> list[SecretReading]:
        found: list[SecretReading] = []
        for ref in refs:
            try:
                found.append(await self.read(ref))
            except Exception as exc:
                found.append(exc)
        return found

    async def write(self, ref: SecretRef, data: Mapping[str, SecretStr]) -> None:
        key = self._check(ref)
        self.writes += 1
        self.secrets[key] = dict(data)
        self.owners[key] = ref.owner_uid

    async def claim(self, ref: SecretRef) -> None:
        key = self._check(ref)
        if key not in self.secrets:
            self.secrets[key] = {}
            self.owners[key] = ref.owner_uid

    async def delete(self, ref: SecretRef) -> None:
        key = (ref.namespace, ref.name)
        if key in self.foreign or (ref.owner_uid and self.owners.get(key, "") != ref.owner_uid):
            return  # never delete a Secret that is not ours (someone else's, or released)
        self.secrets.pop(key, None)
        self.owners.pop(key, None)

    async def discard(self, ref: SecretRef) -> None:
        if ref.owner_uid:  # no versions here: ours is as close to "as last seen" as it gets
            await self.delete(ref)
