"""Noticing drift without a pass per object: fingerprints of what each pass saw in NetBird.

A pass reports, for every NetBird object it based its outcome on, a fingerprint of the object
as NetBird served it (`Outcome.observed`, keyed `<collection>/<id>`). The resync sweep reads
each collection once, fingerprints everything in it the same way, and queues only the objects
whose fingerprints moved (someone edited or deleted them in the dashboard), those without a
clean record (not Ready, never passed since start-up) and the claimants of objects carrying
our claim that nobody recorded (a twin from a late write). An unchanged world of any size
costs one list per collection and no pass.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field

from pydantic import BaseModel

from nbaccess.netbird.client import NetBirdClient
from nbaccess.netbird.models import Identified
from nbaccess.reconcile.ownership import Claim, read_claim

Lister = Callable[[NetBirdClient], Awaitable[list[Identified]]]


# Fields NetBird derives from other objects, which no pass of this object acts on: a policy
# that starts to apply to a network's resources shows on the network, for instance.
DERIVED: Mapping[str, frozenset[str]] = {
    "networks": frozenset({"policies", "routing_peers_count"}),
}


def fingerprint(collection: str, obj: BaseModel) -> str:
    """Short and stable: the same object as NetBird serves it gives the same text."""
    text = obj.model_dump_json(exclude=set(DERIVED.get(collection, ())))
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def observed(collection: str, *objects: Identified | None) -> dict[str, str]:
    """What a pass saw, for `Outcome.observed`."""
    return {f"{collection}/{o.id}": fingerprint(collection, o) for o in objects if o is not None}


async def _groups(nb: NetBirdClient) -> list[Identified]:
    return list(await nb.list_groups(fresh=True))


async def _policies(nb: NetBirdClient) -> list[Identified]:
    return list(await nb.list_policies(fresh=True))


async def _posture_checks(nb: NetBirdClient) -> list[Identified]:
    return list(await nb.list_posture_checks(fresh=True))


async def _setup_keys(nb: NetBirdClient) -> list[Identified]:
    return list(await nb.list_setup_keys(fresh=True))


async def _networks(nb: NetBirdClient) -> list[Identified]:
    return list(await nb.list_networks(fresh=True))


async def _resources(nb: NetBirdClient) -> list[Identified]:
    return list(await nb.list_all_network_resources(fresh=True))


async def _routers(nb: NetBirdClient) -> list[Identified]:
    return list(await nb.list_all_network_routers(fresh=True))


LISTERS: Mapping[str, Lister] = {
    "groups": _groups,
    "policies": _policies,
    "posture_checks": _posture_checks,
    "setup_keys": _setup_keys,
    "networks": _networks,
    "network_resources": _resources,
    "network_routers": _routers,
}


@dataclass
class Survey:
    """Collections as NetBird holds them right now."""

    fingerprints: dict[str, str] = field(default_factory=dict)
    # collection -> NetBird id -> our claim on it, for objects with a description.
    claims: dict[str, dict[str, Claim]] = field(default_factory=dict)


async def survey(nb: NetBirdClient, collections: Iterable[str]) -> Survey:
    """One fresh list per collection (the sweep's only NetBird requests)."""
    found = Survey()
    for collection in collections:
        for obj in await LISTERS[collection](nb):
            found.fingerprints[f"{collection}/{obj.id}"] = fingerprint(collection, obj)
            claim = read_claim(str(getattr(obj, "description", "") or ""))
            if claim is not None:
                found.claims.setdefault(collection, {})[obj.id] = claim
    return found


def drifted(seen: Mapping[str, str] | None, now: Survey) -> bool:
    """Whether anything a pass based its outcome on has changed (or gone) since."""
    if not seen:
        return True
    return any(now.fingerprints.get(ref) != value for ref, value in seen.items())
