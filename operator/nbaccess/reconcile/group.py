"""NetBirdGroup: a NetBird group whose membership we touch only when told to.

A group PUT replaces both `peers` and `resources`, so every write re-reads the group right
before it and re-sends what is there, except the peers when `spec.peers` makes them ours.
Groups carry no description, so which group is ours is what status recorded, or, after an
interrupted create, the group of our name made since (see ownership.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from nbaccess.conditions import Phase
from nbaccess.netbird.client import NetBirdClient
from nbaccess.netbird.errors import NetBirdError
from nbaccess.netbird.models import Group, GroupRequest
from nbaccess.reconcile import drift, engine
from nbaccess.reconcile.kinds import Pass, Reading, Watched
from nbaccess.reconcile.outcome import Outcome, Permanent
from nbaccess.reconcile.ownership import Identity
from nbaccess.reconcile.refs import CrKey
from nbaccess.reconcile.resolve import GROUP_KIND, peer_ids
from nbaccess.reconcile.specs import parse_spec
from nbaccess.resources.group import NetBirdGroupSpec


@dataclass(frozen=True)
class DesiredGroup:
    name: str
    peers: list[str] | None  # None: membership is not ours


GROUP_IDENTITY: Identity[Group] = Identity(
    kind="group",
    object_id=lambda g: g.id,
    name=lambda g: g.name,
    claim=None,  # no description to carry our marker: see ownership.py
    unique_names=True,
)


class GroupOps:
    identity = GROUP_IDENTITY
    cr_kind = GROUP_KIND

    def __init__(self, nb: NetBirdClient) -> None:
        self.nb = nb

    async def list_all(self, *, fresh: bool = False) -> Sequence[Group]:
        return await self.nb.list_groups(fresh=fresh)

    async def get(self, object_id: str) -> Group | None:
        return await self.nb.get_group(object_id)

    def diff(self, desired: DesiredGroup, observed: Group) -> list[str]:
        changed = []
        if desired.name != observed.name:
            changed.append("name")
        if desired.peers is not None and desired.peers != observed.peers:
            changed.append("peers")
        return changed

    async def create(self, desired: DesiredGroup) -> Group:
        return await self.nb.create_group(
            GroupRequest(name=desired.name, peers=desired.peers or [], resources=[])
        )

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

    async def release(self, observed: Group) -> None:
        return None  # nothing of ours is written on a group


async def _observe(nb: NetBirdClient, name: str) -> Group:
    """The group of that name, read only (an IdP group): never created or written."""
    try:
        found = [g for g in await nb.list_groups() if g.name == name]
    except NetBirdError as exc:
        raise engine.classify(exc, f"looking up group {name!r}") from exc
    if not found:
        raise Permanent("NotFound", f"no group named {name!r} exists in NetBird to observe")
    return found[0]


class GroupReconciler:
    kind = GROUP_KIND
    plural = "netbirdgroups"
    surveyed: tuple[str, ...] = ("groups",)
    claimed_in: str | None = None
    monitor_seconds: float | None = None

    async def monitor(self, nb: NetBirdClient, watched: Sequence[Watched]) -> list[Reading]:
        return []

    async def drift_elsewhere(self, watched: Sequence[Watched]) -> list[bool]:
        return [False for _ in watched]

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
        if spec.management_policy == "Observe":
            group = await _observe(nb, name)
            return self._outcome(group, "Observed", observed=True, changes=[])
        members = await peer_ids(nb, spec.peers) if spec.peers is not None else None
        # A new list of peers is compared with the membership of now: peers join groups on
        # their own (a setup key's auto-groups), so a list cached seconds ago can miss one.
        new_members = (
            members is not None
            and bool(current.known_id)
            and current.generation != current.previous_status.get("observedGeneration")
        )
        result = await engine.converge(
            GroupOps(nb),
            DesiredGroup(name, members),
            current,
            name=name,
            adopt=spec.adopt,
            fresh=new_members,
        )
        outcome = self._outcome(
            result.observed, "Synced", observed=False, changes=engine.describe_changes(result)
        )
        outcome.warnings = result.warnings
        return outcome

    @staticmethod
    def _outcome(group: Group, reason: str, *, observed: bool, changes: list[str]) -> Outcome:
        return Outcome(
            Phase.READY,
            reason,
            f"group {group.name!r} ({group.id}): {len(group.peers)} peers, "
            f"{len(group.resources)} resources",
            netbird_id=group.id,
            status={
                "peersCount": len(group.peers),
                "resourcesCount": len(group.resources),
                "observedOnly": True if observed else None,
            },
            changes=changes,
            observed=drift.observed("groups", group),
        )

    async def finalize(self, nb: NetBirdClient, current: Pass, spec: NetBirdGroupSpec) -> None:
        observed = bool(current.previous_status.get("observedOnly"))
        if spec.deletion_policy == "Orphan" or spec.management_policy == "Observe" or observed:
            return  # a group carries no claim of ours: there is nothing to release
        await engine.finalize(GroupOps(nb), current, name=spec.name or current.name, orphan=False)
