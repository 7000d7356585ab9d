"""The resources of a NetBirdNetwork: matched by name inside our own network, diffed, applied.

Resource names are unique per NetBird account, so a declared resource found by name in our
network is that resource (an earlier pass created it, or the network was adopted with it).
A resource we no longer declare is deleted only when it is provably ours: its id is in our
status, or its description carries our marker. Anything else in the network is left alone.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from nbaccess.netbird import errors as nb_errors
from nbaccess.netbird.client import NetBirdClient
from nbaccess.netbird.models import NetworkResource, NetworkResourceRequest, normalise_address
from nbaccess.reconcile import engine
from nbaccess.reconcile.outcome import Permanent, ReconcileError
from nbaccess.reconcile.ownership import Claim, read_claim


def canonical_address(address: str) -> str:
    """An address as NetBird prints it: bare IPs as /32 or /128, IPv6 in canonical form."""
    text = normalise_address(address)
    try:
        return str(ipaddress.ip_interface(text))
    except ValueError:
        return text


def resource_diff(want: NetworkResourceRequest, have: NetworkResource) -> list[str]:
    """Fields of one resource that differ; empty means no write."""
    changed = [
        name
        for name in ("name", "description", "enabled")
        if getattr(want, name) != getattr(have, name)
    ]
    if canonical_address(want.address) != canonical_address(have.address):
        changed.append("address")
    if sorted(want.groups) != sorted(have.groups):
        changed.append("groups")
    return changed


@dataclass(frozen=True)
class Update:
    resource_id: str
    desired: NetworkResourceRequest
    fields: list[str]


@dataclass
class ResourcePlan:
    """What one pass must do to the resources of our network."""

    create: list[NetworkResourceRequest] = field(default_factory=list)
    update: list[Update] = field(default_factory=list)
    delete: list[NetworkResource] = field(default_factory=list)
    # Declared resources that already match, by name.
    unchanged: list[NetworkResource] = field(default_factory=list)


def plan_resources(
    desired: Sequence[NetworkResourceRequest],
    observed: Sequence[NetworkResource],
    recorded_ids: set[str],
    claim: Claim,
) -> ResourcePlan:
    """Match declared to observed by name; delete only undeclared resources that are ours."""
    plan = ResourcePlan()
    by_name = {r.name: r for r in observed}
    declared = {d.name for d in desired}
    for want in desired:
        have = by_name.get(want.name)
        if have is None:
            plan.create.append(want)
            continue
        fields = resource_diff(want, have)
        if fields:
            plan.update.append(Update(have.id, want, fields))
        else:
            plan.unchanged.append(have)
    for have in observed:
        if have.name not in declared and is_ours(have, recorded_ids, claim):
            plan.delete.append(have)
    return plan


def _rejected(exc: nb_errors.NetBirdError, doing: str) -> ReconcileError:
    error = engine.classify(exc, doing)
    if isinstance(exc, nb_errors.Invalid) and "already exists" in exc.message.lower():
        # Names are unique per account: another network (or a person) holds this one.
        return Permanent(
            "AlreadyExists",
            f"{doing}: NetBird answered {exc.status}: {exc.message}; resource names are unique "
            "across all networks of the account: rename it here or remove the other one",
        )
    return error


def is_ours(resource: NetworkResource, recorded_ids: set[str], claim: Claim) -> bool:
    """Provably ours: status recorded its id, or its description carries our claim."""
    return resource.id in recorded_ids or read_claim(resource.description) == claim


async def delete_resource(nb: NetBirdClient, network_id: str, resource: NetworkResource) -> None:
    """Delete one resource of the network; gone already is fine, in use (e.g. by a reverse
    proxy service) waits."""

    async def delete(object_id: str) -> None:
        await nb.delete_network_resource(network_id, object_id)

    await engine.remove_with(f"resource {resource.name!r}", delete, resource.id)


class ResourceApplier:
    """Carries out a plan, telling `record` about every id it creates or removes as it goes,
    so a failure half-way still leaves status knowing what exists."""

    def __init__(
        self,
        nb: NetBirdClient,
        network_id: str,
        record: Callable[[str, NetworkResource | None], None],
    ) -> None:
        self.nb = nb
        self.network_id = network_id
        self.record = record
        self.changes: list[str] = []

    async def apply(self, plan: ResourcePlan) -> list[NetworkResource]:
        """The declared resources as NetBird stores them after the plan (deletes run first, so
        a name freed by one entry can be taken by another)."""
        for gone in plan.delete:
            await self._delete(gone)
        result = list(plan.unchanged)
        for update in plan.update:
            result.append(await self._update(update))
        for want in plan.create:
            result.append(await self._create(want))
        return result

    async def _delete(self, resource: NetworkResource) -> None:
        await delete_resource(self.nb, self.network_id, resource)
        self.record(resource.name, None)
        self.changes.append(f"deleted resource {resource.name}")

    async def _update(self, update: Update) -> NetworkResource:
        doing = f"updating resource {update.desired.name!r}"
        try:
            stored = await self.nb.update_network_resource(
                self.network_id, update.resource_id, update.desired
            )
        except nb_errors.NetBirdError as exc:
            raise _rejected(exc, doing) from exc
        self.record(stored.name, stored)
        self.changes.append(f"updated resource {stored.name}: {', '.join(update.fields)}")
        return stored

    async def _create(self, want: NetworkResourceRequest) -> NetworkResource:
        doing = f"creating resource {want.name!r}"
        try:
            stored = await self.nb.create_network_resource(self.network_id, want)
        except nb_errors.NetBirdError as exc:
            raise _rejected(exc, doing) from exc
        self.record(stored.name, stored)
        self.changes.append(f"created resource {stored.name}")
        return stored


def resources_status(
    declared: Sequence[str], stored: Mapping[str, NetworkResource]
) -> list[dict[str, str]]:
    """status.resources in spec order."""
    return [
        {"name": name, "id": stored[name].id, "type": stored[name].type}
        for name in declared
        if name in stored
    ]
