"""NetBirdGroup: a NetBird group whose membership we touch only when told to.

A group PUT replaces both `peers` and `resources`, so every write re-reads the group right
before it and re-sends what is there, except the peers when `spec.peers` makes them ours.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from nbaccess.conditions import Phase
from nbaccess.netbird.client import NetBirdClient
from nbaccess.netbird.errors import NetBirdError
from nbaccess.netbird.models import Group, GroupRequest
from nbaccess.reconcile import engine
from nbaccess.reconcile.kinds import Pass
from nbaccess.reconcile.outcome import Outcome, Permanent
from nbaccess.reconcile.refs import CrKey
from nbaccess.reconcile.resolve import GROUP_KIND, peer_ids
from nbaccess.reconcile.specs import parse_spec
from nbaccess.resources.group import NetBirdGroupSpec


@dataclass(frozen=True)
class DesiredGroup:
    name: str
    peers: list[str] | None  # None: membership is not ours


class GroupOps:
    kind = "group"
    unique_names = True

    def __init__(
        self,
        nb: NetBirdClient,
        unconfirmed: set[tuple[str, str]] | None = None,
        owner: str = "",
    ) -> None:
        self.nb = nb
        self._unconfirmed = unconfirmed if unconfirmed is not None else set()
        self._owner = owner

    def object_id(self, observed: Group) -> str:
        return observed.id

    async def get(self, object_id: str) -> Group | None:
        return await self.nb.get_group(object_id)

    async def find_by_name(self, name: str) -> Sequence[Group]:
        return [g for g in await self.nb.find_groups(name) if g.name == name]

    def claimed_by(self, observed: Group) -> str | None:
        return None  # groups have no description to carry our marker

    def diff(self, desired: DesiredGroup, observed: Group) -> list[str]:
        changed = []
        if desired.name != observed.name:
            changed.append("name")
        if desired.peers is not None and desired.peers != observed.peers:
            changed.append("peers")
        return changed

    async def create(self, desired: DesiredGroup) -> Group:
        attempt = (self._owner, desired.name)
        self._unconfirmed.add(attempt)
        try:
            created = await self.nb.create_group(
                GroupRequest(name=desired.name, peers=desired.peers or [], resources=[])
            )
        except NetBirdError as exc:
            if not exc.retryable:
                # A definite "no" (409, 422): nothing was created, so nothing may be adopted.
                self._unconfirmed.discard(attempt)
            raise
        self._unconfirmed.discard(attempt)
        return created

    async def update(self, object_id: str, desired: DesiredGroup, observed: Group) -> Group:
        # Re-read, not the cached copy: a peer enrolled or a resource attached since the
        # observation must survive this PUT.
        fresh = await self.nb.get_group(object_id, fresh=True)
        return await self.nb.update_group(
            object_id,
            GroupRequest(
                name=desired.name,
                peers=desired.peers if desired.peers is not None else fresh.peers,
                resources=fresh.resources,
            ),
        )

    async def delete(self, object_id: str) -> None:
        await self.nb.delete_group(object_id)


class GroupReconciler:
    kind = GROUP_KIND
    plural = "netbirdgroups"

    def __init__(self) -> None:
        # Creates whose answer we never saw (a dropped connection): the next pass takes the
        # same-named group as ours instead of stalling on AlreadyExists. Process-local; a crash
        # in that window still needs `adopt: true` (groups have no marker to prove ownership).
        self._unconfirmed: set[tuple[str, str]] = set()

    def parse(self, spec: Mapping[str, Any]) -> NetBirdGroupSpec:
        return parse_spec(NetBirdGroupSpec, spec)

    def references(self, namespace: str, spec: NetBirdGroupSpec) -> Sequence[CrKey]:
        return []

    def facts(self, status: Mapping[str, Any]) -> Mapping[str, str] | None:
        return None

    async def reconcile(self, nb: NetBirdClient, current: Pass, spec: NetBirdGroupSpec) -> Outcome:
        name = spec.name or current.name
        only_observed = bool(current.previous_status.get("observedOnly"))
        if spec.management_policy == "Manage" and only_observed and not spec.adopt:
            # Observe -> Manage would write (and on deletion, delete) a group someone else
            # owns, e.g. one synced from the IdP: that takes an explicit adoption.
            raise Permanent(
                "AdoptionRequired",
                f"group {name!r} was only observed; set spec.adopt: true to let the operator "
                "manage (and, with deletionPolicy Delete, delete) it",
            )
        members = await peer_ids(nb, spec.peers) if spec.peers is not None else None
        attempt = (current.owner, name)
        adopt = spec.adopt or attempt in self._unconfirmed
        result = await engine.converge(
            GroupOps(nb, self._unconfirmed, current.owner),
            DesiredGroup(name, members),
            name=name,
            owner=current.owner,
            known_id=current.known_id,
            adopt=adopt,
            observe_only=spec.management_policy == "Observe",
        )
        self._unconfirmed.discard(attempt)
        group = result.observed
        return Outcome(
            Phase.READY,
            "Observed" if result.action == "observed" else "Synced",
            f"group {group.name!r} ({group.id}): {len(group.peers)} peers, "
            f"{len(group.resources)} resources",
            netbird_id=group.id,
            status={
                "peersCount": len(group.peers),
                "resourcesCount": len(group.resources),
                "observedOnly": True if result.action == "observed" else None,
            },
            changes=engine.describe_changes(result),
        )

    async def finalize(self, nb: NetBirdClient, current: Pass, spec: NetBirdGroupSpec) -> None:
        observed = bool(current.previous_status.get("observedOnly"))
        if spec.deletion_policy == "Orphan" or spec.management_policy == "Observe" or observed:
            return
        await engine.remove(GroupOps(nb), current.known_id)
