"""NetBirdNetwork: a NetBird Network, its resources and routers, and its routing peers' health.

One pass: resolve every reference first (so nothing is created for a spec that must wait),
converge the network itself through the engine, then its resources and routers by diff, then
read routing-peer health. Health is reported beside Ready, never in it, and is read again
every few seconds (`status.recheckAfter`) with zero writes when nothing else changed.

Status knows which NetBird ids are ours (routers have no name in NetBird) and whether the
network was adopted, so it must survive a failed pass: a failure returns what is known so far
instead of letting status be emptied.

NetBird deletes a network's resources and routers with it. So the network is deleted only when
everything in it is ours; otherwise only our parts go and the network stays with the rest.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from nbaccess.access import object_rules
from nbaccess.conditions import Condition, Phase
from nbaccess.netbird import errors as nb_errors
from nbaccess.netbird.client import NetBirdClient
from nbaccess.netbird.models import (
    Identified,
    Network,
    NetworkRequest,
    NetworkResource,
    NetworkResourceRequest,
    NetworkRouterRequest,
)
from nbaccess.reconcile import drift, engine
from nbaccess.reconcile.events import condition_flips
from nbaccess.reconcile.kinds import Pass, Reading, Watched
from nbaccess.reconcile.network_health import (
    HEALTH_CONDITIONS,
    FlapWatch,
    Health,
    health_patch,
    read_source,
    routing_peers,
)
from nbaccess.reconcile.network_resources import (
    ResourceApplier,
    delete_resource,
    is_ours,
    plan_resources,
    resources_status,
)
from nbaccess.reconcile.network_routers import RouterApplier, delete_router, plan_routers
from nbaccess.reconcile.outcome import Outcome, Permanent, ReconcileError
from nbaccess.reconcile.ownership import Identity, read_claim, with_claim, without_claim
from nbaccess.reconcile.refs import CrKey
from nbaccess.reconcile.resolve import NETWORK_KIND, group_ids, group_keys, peer_ids
from nbaccess.reconcile.specs import parse_spec
from nbaccess.resources.network import NetBirdNetworkSpec, NetworkRouter

NETWORK_IDENTITY: Identity[Network] = Identity(
    kind="network",
    object_id=lambda n: n.id,
    name=lambda n: n.name,
    claim=lambda n: read_claim(n.description),
    unique_names=False,
)


class NetworkOps:
    identity = NETWORK_IDENTITY
    cr_kind = NETWORK_KIND

    def __init__(self, nb: NetBirdClient) -> None:
        self.nb = nb

    async def list_all(self, *, fresh: bool = False) -> Sequence[Network]:
        return await self.nb.list_networks(fresh=fresh)

    async def get(self, object_id: str) -> Network | None:
        return await self.nb.get_network(object_id)

    def diff(self, desired: NetworkRequest, observed: Network) -> list[str]:
        return [f for f in ("name", "description") if getattr(desired, f) != getattr(observed, f)]

    async def create(self, desired: NetworkRequest) -> Network:
        return await self.nb.create_network(desired)

    async def update(self, object_id: str, desired: NetworkRequest, observed: Network) -> Network:
        return await self.nb.update_network(object_id, desired)

    async def delete(self, object_id: str) -> None:
        await self.nb.delete_network(object_id)

    async def release(self, observed: Network) -> None:
        await self.nb.update_network(
            observed.id,
            NetworkRequest(name=observed.name, description=without_claim(observed.description)),
        )


@dataclass
class Known:
    """The ids status records for resources (by name) and routers (by local name), and
    whether the network was adopted, kept current while a pass writes, so even a failed pass
    reports everything that exists."""

    resources: dict[str, dict[str, str]] = field(default_factory=dict)
    routers: dict[str, str] = field(default_factory=dict)
    adopted: bool = False

    @classmethod
    def from_status(cls, status: Mapping[str, Any]) -> Known:
        known = cls(adopted=status.get("adopted") is True)
        for entry in _entries(status.get("resources")):
            known.resources[entry["name"]] = dict(entry)
        for entry in _entries(status.get("routers")):
            known.routers[entry["name"]] = entry["id"]
        return known

    def record_resource(self, name: str, stored: NetworkResource | None) -> None:
        if stored is None:
            self.resources.pop(name, None)
        else:
            self.resources[name] = {"name": name, "id": stored.id, "type": stored.type}

    def record_router(self, name: str, router_id: str | None) -> None:
        # One router has one local name: a router taken over under a new name loses the old.
        self.routers = {n: i for n, i in self.routers.items() if i != router_id and n != name}
        if router_id is not None:
            self.routers[name] = router_id

    def status(self) -> dict[str, Any]:
        return {
            "resources": list(self.resources.values()) or None,
            "routers": [{"name": n, "id": i} for n, i in self.routers.items()] or None,
            "adopted": self.adopted or None,
        }


def _entries(value: object) -> list[dict[str, str]]:
    if not isinstance(value, list):
        return []
    return [
        {k: str(v) for k, v in item.items() if v is not None}
        for item in value
        if isinstance(item, Mapping) and item.get("name") and item.get("id")
    ]


@dataclass(frozen=True)
class Resolved:
    """The spec with every reference turned into NetBird ids."""

    resources: list[NetworkResourceRequest]
    routers: dict[str, NetworkRouterRequest]


async def _router_request(
    nb: NetBirdClient, current: Pass, router: NetworkRouter
) -> NetworkRouterRequest:
    peer: str | None = None
    groups: list[str] | None = None
    if router.peer is not None:
        matches = await peer_ids(nb, [router.peer])
        if len(matches) > 1:
            raise Permanent(
                "AmbiguousPeer",
                f"router {router.name!r}: {len(matches)} peers are named "
                f"{router.peer.name!r}; refer to the routing peer by id",
            )
        peer = matches[0]
    else:
        groups = await group_ids(nb, current.directory, current.namespace, router.peer_groups or [])
    return NetworkRouterRequest(
        peer=peer,
        peer_groups=groups,
        metric=router.metric,
        masquerade=router.masquerade,
        enabled=router.enabled,
    )


async def resolve(nb: NetBirdClient, current: Pass, spec: NetBirdNetworkSpec) -> Resolved:
    resources = [
        NetworkResourceRequest(
            name=r.name,
            description=with_claim(r.description, current.claim),
            address=r.address,
            enabled=r.enabled,
            groups=await group_ids(nb, current.directory, current.namespace, r.groups or []),
        )
        for r in spec.resources or ()
    ]
    routers = {r.name: await _router_request(nb, current, r) for r in spec.routers or ()}
    return Resolved(resources, routers)


async def read_health(nb: NetBirdClient, network_id: str) -> Health:
    """Every enabled router of the network (ours or not: all of them route) and its peers."""
    try:
        routers = await nb.list_network_routers(network_id)
        peers = await nb.list_peers()
    except nb_errors.NetBirdError as exc:
        raise engine.classify(exc, "reading routing peers") from exc
    return Health(routing_peers(routers, peers))


def carried_health(previous: Mapping[str, Any]) -> tuple[list[Condition], dict[str, Any]]:
    """The last health reported, for a pass that could not read it: stale beats vanished."""
    conditions = [
        Condition(str(c["type"]), c["status"], str(c["reason"]), str(c.get("message") or ""))
        for c in previous.get("conditions") or ()
        if isinstance(c, Mapping) and c.get("type") in HEALTH_CONDITIONS and c.get("reason")
    ]
    fields = {
        key: previous.get(key)
        for key in ("routingPeers", "connectedRoutingPeers")
        if previous.get(key) is not None
    }
    return conditions, fields


class NetworkReconciler:
    kind = NETWORK_KIND
    plural = "netbirdnetworks"
    surveyed: tuple[str, ...] = ("networks", "network_resources", "network_routers")
    claimed_in: str | None = "networks"
    monitor_seconds: float | None = 30.0

    def __init__(self, flap_window_seconds: float = 600.0) -> None:
        self._flap_window = dt.timedelta(seconds=flap_window_seconds)
        # Per network: its routing peers' connects and disconnects seen so far.
        self._flaps: dict[CrKey, FlapWatch] = {}

    def _flap_watch(self, key: CrKey) -> FlapWatch:
        return self._flaps.setdefault(key, FlapWatch(self._flap_window))

    def _reported(
        self, key: CrKey, health: Health, spec: NetBirdNetworkSpec, now: dt.datetime
    ) -> tuple[list[Condition], dict[str, Any], dict[str, float]]:
        """Conditions, status fields and gauges of a health read, flaps included."""
        flaps = self._flap_watch(key)
        flaps.observe(health.peers, now)
        wanted = _min_connected(spec)
        conditions = [*health.conditions(wanted), flaps.condition()]
        status = {**health.status(wanted), "routingPeerFlaps": flaps.count}
        measured = {**health.measurements(wanted), "routing_peer_flaps": float(flaps.count)}
        return conditions, status, measured

    async def drift_elsewhere(self, watched: Sequence[Watched]) -> list[bool]:
        return [False for _ in watched]

    async def monitor(self, nb: NetBirdClient, watched: Sequence[Watched]) -> list[Reading]:
        """Routing-peer health of every network at once, from three lists."""
        try:
            source = await read_source(nb)
        except nb_errors.NetBirdError as exc:
            raise engine.classify(exc, "reading routing peers") from exc
        readings = []
        for item in watched:
            current = item.current
            health = source.health(current.known_id) if current.known_id else None
            if health is None:
                continue  # not created yet, or deleted outside Git: its pass says so
            try:
                spec = self.parse(item.spec)
            except ReconcileError:
                continue
            key = CrKey(self.kind, current.namespace, current.name)
            now = current.clock()
            conditions, _, measured = self._reported(key, health, spec, now)
            readings.append(
                Reading(
                    key,
                    health_patch(
                        current.previous_status,
                        health,
                        _min_connected(spec),
                        flaps=self._flap_watch(key),
                        generation=current.generation,
                        now=now,
                    ),
                    condition_flips(current.previous_status, conditions),
                    measured,
                )
            )
        # Networks gone since: their flap history goes too.
        keep = {CrKey(self.kind, w.current.namespace, w.current.name) for w in watched}
        self._flaps = {k: v for k, v in self._flaps.items() if k in keep}
        return readings

    def parse(self, spec: Mapping[str, Any]) -> NetBirdNetworkSpec:
        return parse_spec(NetBirdNetworkSpec, spec)

    def references(self, namespace: str, spec: NetBirdNetworkSpec) -> Sequence[CrKey]:
        keys: list[CrKey] = []
        for resource in spec.resources or ():
            keys += group_keys(namespace, resource.groups)
        for router in spec.routers or ():
            keys += group_keys(namespace, router.peer_groups)
        return keys

    def facts(self, status: Mapping[str, Any]) -> Mapping[str, str] | None:
        """`resource/<name>` and `resourceType/<name>`: what a policy's destinationResource
        needs from this network."""
        facts: dict[str, str] = {}
        for entry in _entries(status.get("resources")):
            facts[f"resource/{entry['name']}"] = entry["id"]
            if entry.get("type"):
                facts[f"resourceType/{entry['name']}"] = entry["type"]
        return facts or None

    async def reconcile(
        self, nb: NetBirdClient, current: Pass, spec: NetBirdNetworkSpec
    ) -> Outcome:
        known = Known.from_status(current.previous_status)
        network_id = current.known_id
        changes: list[str] = []
        try:
            resolved = await resolve(nb, current, spec)
            name = spec.name or current.name
            result = await engine.converge(
                NetworkOps(nb),
                NetworkRequest(name=name, description=with_claim(spec.description, current.claim)),
                current,
                name=name,
                adopt=spec.adopt,
            )
            if result.object_id != network_id:
                # A new network (first pass, or the old one was deleted outside Git): ids
                # recorded for the old one mean nothing here.
                known = Known()
            if result.object_id != current.previous_status.get("id"):
                # Not the network status recorded: created, adopted, or found by the id
                # annotation alone. Status decides from then on.
                known.adopted = result.action == "adopted"
            network_id = result.object_id
            changes += engine.describe_changes(result)
            listed = result.observed
            stored = await self._resources(
                nb, current, network_id, listed.resources, resolved, known, changes
            )
            await self._routers(nb, network_id, listed.routers, resolved, known, changes)
            health = await read_health(nb, network_id)
            seen = await self._seen(nb, result.observed, network_id)
            me = CrKey(self.kind, current.namespace, current.name)
            health_conditions, health_status, measured = self._reported(
                me, health, spec, current.clock()
            )
        except ReconcileError as err:
            return await self._failed(nb, current, spec, err, network_id, known, changes)
        status = {
            "resources": resources_status([r.name for r in resolved.resources], stored) or None,
            "routers": [{"name": n, "id": known.routers[n]} for n in resolved.routers] or None,
            "adopted": known.adopted or None,
            **health_status,
            "recheckAfter": None,
        }
        return Outcome(
            Phase.READY,
            "Synced",
            f"network {name!r} ({network_id}) in sync: {len(resolved.resources)} resources, "
            f"{len(resolved.routers)} routers",
            netbird_id=network_id,
            status=status,
            conditions=health_conditions,
            changes=changes,
            measurements=measured,
            warnings=[f.message for f in object_rules.network_risks(spec)] + result.warnings,
            observed=seen,
        )

    @staticmethod
    async def _seen(nb: NetBirdClient, network: Network, network_id: str) -> dict[str, str]:
        """The network and everything in it, as the sweep will read them (from the cache:
        our writes are in it already)."""
        try:
            # Again: the network lists its resources' and routers' ids, which this pass
            # may have just changed.
            network = await nb.get_network(network_id)
            resources = await nb.list_network_resources(network_id)
            routers = await nb.list_network_routers(network_id)
        except nb_errors.NetBirdError:
            return {}  # no record: the next sweep passes it again
        return {
            **drift.observed("networks", network),
            **drift.observed("network_resources", *resources),
            **drift.observed("network_routers", *routers),
        }

    async def _resources(
        self,
        nb: NetBirdClient,
        current: Pass,
        network_id: str,
        listed: Sequence[str],
        resolved: Resolved,
        known: Known,
        changes: list[str],
    ) -> dict[str, NetworkResource]:
        try:
            observed = await _consistent(
                lambda fresh: nb.list_network_resources(network_id, fresh=fresh), listed
            )
        except nb_errors.NetBirdError as exc:
            raise engine.classify(exc, "listing the network's resources") from exc
        recorded = {entry["id"] for entry in known.resources.values()}
        plan = plan_resources(resolved.resources, observed, recorded, current.claim)
        applier = ResourceApplier(nb, network_id, known.record_resource)
        try:
            stored = await applier.apply(plan)
        finally:
            changes += applier.changes
        for resource in stored:
            known.record_resource(resource.name, resource)
        return {r.name: r for r in stored}

    async def _routers(
        self,
        nb: NetBirdClient,
        network_id: str,
        listed: Sequence[str],
        resolved: Resolved,
        known: Known,
        changes: list[str],
    ) -> None:
        try:
            observed = await _consistent(
                lambda fresh: nb.list_network_routers(network_id, fresh=fresh), listed
            )
        except nb_errors.NetBirdError as exc:
            raise engine.classify(exc, "listing the network's routers") from exc
        plan = plan_routers(
            resolved.routers, observed, dict(known.routers), take_unrecorded=not known.adopted
        )
        applier = RouterApplier(nb, network_id, known.record_router)
        try:
            await applier.apply(plan)
        finally:
            changes += applier.changes

    async def _failed(
        self,
        nb: NetBirdClient,
        current: Pass,
        spec: NetBirdNetworkSpec,
        err: ReconcileError,
        network_id: str | None,
        known: Known,
        changes: list[str],
    ) -> Outcome:
        outcome = Outcome(
            err.phase,
            err.reason,
            err.message,
            netbird_id=network_id,
            status=known.status(),
            changes=changes,
        )
        health = None
        if network_id:
            try:
                health = await read_health(nb, network_id)
            except ReconcileError:
                health = None
        if health is not None:
            me = CrKey(self.kind, current.namespace, current.name)
            outcome.conditions, status, outcome.measurements = self._reported(
                me, health, spec, current.clock()
            )
            outcome.status.update(status)
        else:
            outcome.conditions, carried = carried_health(current.previous_status)
            outcome.status.update(carried)
        return outcome

    async def finalize(self, nb: NetBirdClient, current: Pass, spec: NetBirdNetworkSpec) -> None:
        ops = NetworkOps(nb)
        engine.wait_for_unconfirmed_create(current)
        verdict = await engine.gather(
            ops,
            current,
            name=spec.name or current.name,
            adopt=False,
            fresh=engine.unconfirmed_create(current),
        )
        for twin in verdict.twins:
            await engine.remove(ops, twin.id)  # made by a create that landed late: all ours
        network = verdict.primary if verdict.conflict is None else None
        if network is None:
            return
        try:
            # NetBird's word, not the cache's: what is in the network decides what goes.
            resources = await nb.list_network_resources(network.id, fresh=True)
            routers = await nb.list_network_routers(network.id, fresh=True)
        except nb_errors.NotFound:
            return
        except nb_errors.NetBirdError as exc:
            raise engine.classify(exc, "listing the network's resources and routers") from exc
        known = Known.from_status(current.previous_status)
        recorded = {entry["id"] for entry in known.resources.values()}
        our_resources = [r for r in resources if is_ours(r, recorded, current.claim)]
        if spec.deletion_policy == "Orphan":
            await release_network(nb, ops, network, our_resources)
            return
        # Routers have no description. In a network we created, a router we never recorded
        # was made by a pass that died before recording it (a person adding routers to a
        # network declared in Git is rarer than a crash); in an adopted one only a recorded
        # id proves a router is ours. Resources carry our claim, so a hand-made one is known.
        created = not (known.adopted or spec.adopt)
        our_routers = [r for r in routers if created or r.id in known.routers.values()]
        if len(our_resources) == len(resources) and len(our_routers) == len(routers):
            await engine.remove(ops, network.id)
            return
        # Someone else's resource or router is in the network: deleting the network would
        # delete theirs too, so only ours go and the network stays.
        for router in our_routers:
            await delete_router(nb, network.id, router.id, "router")
        for resource in our_resources:
            await delete_resource(nb, network.id, resource)


Item = TypeVar("Item", bound=Identified)


async def _consistent(
    load: Callable[[bool], Awaitable[list[Item]]], listed: Sequence[str]
) -> list[Item]:
    """A network's resources or routers, from the cache unless the network itself lists
    other ids: then something was added or removed since the cached list was read (a create
    of ours that landed late, or a router made by hand) and only NetBird's list will do."""
    items = await load(False)
    if {item.id for item in items} != set(listed):
        items = await load(True)
    return items


async def release_network(
    nb: NetBirdClient, ops: NetworkOps, network: Network, resources: Sequence[NetworkResource]
) -> None:
    """deletionPolicy Orphan: the network and our resources stay, without our claim."""
    await engine.call(f"releasing network {network.id}", lambda: ops.release(network))
    for resource in resources:
        if read_claim(resource.description) is None:
            continue
        request = NetworkResourceRequest(
            name=resource.name,
            description=without_claim(resource.description),
            address=resource.address,
            enabled=resource.enabled,
            groups=resource.groups,
        )
        try:
            await nb.update_network_resource(network.id, resource.id, request)
        except nb_errors.NetBirdError as exc:
            raise engine.classify(exc, f"releasing resource {resource.name!r}") from exc


def _min_connected(spec: NetBirdNetworkSpec) -> int | None:
    return spec.health.min_connected_routing_peers if spec.health is not None else None
