"""Resolving a spec's references to NetBird ids: our CRs through the directory, the rest
through NetBird. Anything missing is `DependencyNotReady`, so the referrer waits."""

from __future__ import annotations

from collections.abc import Sequence

from nbaccess.netbird.client import NetBirdClient
from nbaccess.netbird.errors import NetBirdError
from nbaccess.netbird.models import Group
from nbaccess.reconcile.engine import classify
from nbaccess.reconcile.outcome import DependencyNotReady, Permanent
from nbaccess.reconcile.refs import CrDirectory, CrKey
from nbaccess.resources.common import GroupRef, PeerRef, PostureCheckRef

GROUP_KIND = "NetBirdGroup"
POSTURE_KIND = "PostureCheck"
NETWORK_KIND = "NetBirdNetwork"
POLICY_KIND = "NetBirdPolicy"


def group_keys(namespace: str, refs: Sequence[GroupRef] | None) -> list[CrKey]:
    return [CrKey(GROUP_KIND, namespace, r.ref) for r in refs or () if r.ref]


def posture_keys(namespace: str, refs: Sequence[PostureCheckRef] | None) -> list[CrKey]:
    return [CrKey(POSTURE_KIND, namespace, r.ref) for r in refs or () if r.ref]


async def group_ids(
    nb: NetBirdClient, directory: CrDirectory, namespace: str, refs: Sequence[GroupRef]
) -> list[str]:
    ids: list[str] = []
    for ref in refs:
        if ref.ref:
            ids.append(directory.ready_id(CrKey(GROUP_KIND, namespace, ref.ref)))
        elif ref.name:
            ids.append(await group_id_by_name(nb, ref.name))
        elif ref.id:
            ids.append(await _known_group_id(nb, ref.id))
    return sorted(set(ids))


async def _groups(nb: NetBirdClient, doing: str) -> list[Group]:
    # The cached list: resolving every reference of every object costs one GET per interval.
    try:
        return await nb.list_groups()
    except NetBirdError as exc:
        raise classify(exc, doing) from exc


async def _known_group_id(nb: NetBirdClient, group_id: str) -> str:
    # NetBird silently drops unknown ids from a policy; checking first means a typo waits
    # here instead of a PUT on every pass that NetBird keeps "accepting".
    if not any(g.id == group_id for g in await _groups(nb, f"looking up group {group_id}")):
        raise DependencyNotReady(f"NetBird has no group with id {group_id!r}")
    return group_id


async def known_posture_ids(nb: NetBirdClient, ids: Sequence[str]) -> None:
    """DependencyNotReady unless NetBird knows every posture-check id (see _known_group_id)."""
    if not ids:
        return
    try:
        checks = {c.id for c in await nb.list_posture_checks()}
    except NetBirdError as exc:
        raise classify(exc, "listing posture checks") from exc
    missing = sorted(set(ids) - checks)
    if missing:
        raise DependencyNotReady(f"NetBird has no posture check with id {', '.join(missing)}")


async def group_id_by_name(nb: NetBirdClient, name: str) -> str:
    found = await _groups(nb, f"looking up group {name!r}")
    exact = [g for g in found if g.name == name]
    if not exact:
        # An IdP-synced group appears once a member logs in: wait rather than fail.
        raise DependencyNotReady(f"NetBird has no group named {name!r} yet")
    return exact[0].id


def posture_ids(
    directory: CrDirectory, namespace: str, refs: Sequence[PostureCheckRef] | None
) -> list[str]:
    ids: list[str] = []
    for ref in refs or ():
        if ref.ref:
            ids.append(directory.ready_id(CrKey(POSTURE_KIND, namespace, ref.ref)))
        elif ref.id:
            ids.append(ref.id)
    return sorted(set(ids))


async def peer_ids(nb: NetBirdClient, refs: Sequence[PeerRef]) -> list[str]:
    try:
        peers = await nb.list_peers()
    except NetBirdError as exc:
        raise classify(exc, "listing peers") from exc
    by_name: dict[str, list[str]] = {}
    known = set()
    for peer in peers:
        by_name.setdefault(peer.name, []).append(peer.id)
        known.add(peer.id)
    ids: list[str] = []
    for ref in refs:
        if ref.id:
            if ref.id not in known:
                raise DependencyNotReady(f"NetBird has no peer with id {ref.id!r} yet")
            ids.append(ref.id)
        elif ref.name:
            matches = by_name.get(ref.name, [])
            if not matches:
                raise DependencyNotReady(f"NetBird has no peer named {ref.name!r} yet")
            if len(matches) > 1:
                # Peer names are hostnames people choose: a second device with the same name
                # must not join the group (and its access) silently.
                raise Permanent(
                    "AmbiguousPeer",
                    f"{len(matches)} peers are named {ref.name!r} ({', '.join(sorted(matches))}); "
                    "refer to the one you mean by id",
                )
            ids.extend(matches)
    return sorted(set(ids))
