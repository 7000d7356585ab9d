"""The routers of a NetBirdNetwork: NetBird routers have no name, so status maps ours.

`status.routers` maps each local name in spec to the NetBird router id. A declared router
without a recorded id first takes over a router of our network that no declared entry claims
and that routes through the same peer or peer groups (one created by a pass that failed
before recording it, or one renamed locally), so a lost answer never leaves a duplicate.
Only in a network the operator created: in an adopted one an unrecorded router may have been
made by hand, and claiming it would later delete it. In a network the operator created, an
unrecorded router that routes exactly like a declared one is a twin (a create that landed after
its answer was lost) and goes; other routers we never recorded are left alone; recorded ones no
longer declared go.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from nbaccess.netbird.client import NetBirdClient
from nbaccess.netbird.models import NetworkRouter, NetworkRouterRequest
from nbaccess.reconcile import engine


def router_diff(want: NetworkRouterRequest, have: NetworkRouter) -> list[str]:
    """Fields of one router that differ; empty means no write."""
    pairs = {
        "peer": (want.peer, have.peer),
        "peerGroups": (sorted(want.peer_groups or []), sorted(have.peer_groups or [])),
        "metric": (want.metric, have.metric),
        "masquerade": (want.masquerade, have.masquerade),
        "enabled": (want.enabled, have.enabled),
    }
    return [name for name, (a, b) in pairs.items() if a != b]


def _same_target(want: NetworkRouterRequest, have: NetworkRouter) -> bool:
    return want.peer == have.peer and sorted(want.peer_groups or []) == sorted(
        have.peer_groups or []
    )


@dataclass(frozen=True)
class RouterStep:
    name: str
    desired: NetworkRouterRequest
    # None: create it; otherwise the router this entry is (maybe after an update).
    observed: NetworkRouter | None
    fields: list[str] = field(default_factory=list)


@dataclass
class RouterPlan:
    steps: list[RouterStep] = field(default_factory=list)
    delete: list[tuple[str, NetworkRouter]] = field(default_factory=list)


def plan_routers(
    desired: Mapping[str, NetworkRouterRequest],
    observed: Sequence[NetworkRouter],
    recorded: Mapping[str, str],
    *,
    take_unrecorded: bool,
) -> RouterPlan:
    """Pair each declared router with its NetBird router (by recorded id, then by target).

    `take_unrecorded`: whether a router status never recorded may be taken by target (true
    only in a network the operator created).
    """
    by_id = {r.id: r for r in observed}
    ours = set(recorded.values())
    plan = RouterPlan()
    taken: set[str] = set()
    pending: list[tuple[str, NetworkRouterRequest]] = []
    for name, want in desired.items():
        have = by_id.get(recorded.get(name, ""))
        if have is None:
            pending.append((name, want))
        else:
            taken.add(have.id)
            plan.steps.append(RouterStep(name, want, have, router_diff(want, have)))
    # Still-declared entries own their ids; anything else recorded or unrecorded may be taken.
    for name, want in pending:
        match = next(
            (
                r
                for r in observed
                if r.id not in taken and (take_unrecorded or r.id in ours) and _same_target(want, r)
            ),
            None,
        )
        if match is not None:
            taken.add(match.id)
            plan.steps.append(RouterStep(name, want, match, router_diff(want, match)))
        else:
            plan.steps.append(RouterStep(name, want, None))
    for name, router_id in recorded.items():
        router = by_id.get(router_id)
        if router is not None and router_id not in taken:
            plan.delete.append((name, router))
    if take_unrecorded:
        # In a network we created, a router nobody recorded that routes exactly like one of
        # ours is a twin left by a create whose answer was lost (routers have no name to
        # refuse a second one): it goes.
        targets = [s.desired for s in plan.steps if s.observed is not None]
        deleting = {r.id for _, r in plan.delete}
        for router in observed:
            if router.id in taken or router.id in deleting or router.id in ours:
                continue
            if any(_same_target(want, router) for want in targets):
                plan.delete.append(("(duplicate)", router))
    order = list(desired)
    plan.steps.sort(key=lambda s: order.index(s.name))
    return plan


class RouterApplier:
    """Carries out a plan; `record(name, id or None)` learns every id as soon as it exists."""

    def __init__(
        self, nb: NetBirdClient, network_id: str, record: Callable[[str, str | None], None]
    ) -> None:
        self.nb = nb
        self.network_id = network_id
        self.record = record
        self.changes: list[str] = []

    async def apply(self, plan: RouterPlan) -> list[NetworkRouter]:
        """Creates and updates first, deletes last: routing never pauses for a replacement."""
        routers = [await self._converge(step) for step in plan.steps]
        for name, router in plan.delete:
            await self._delete(name, router)
        return routers

    async def _converge(self, step: RouterStep) -> NetworkRouter:
        have = step.observed
        fields = step.fields
        if have is None:
            have = await engine.call(
                f"creating router {step.name!r}",
                lambda: self.nb.create_network_router(self.network_id, step.desired),
            )
            self.record(step.name, have.id)
            self.changes.append(f"created router {step.name}")
            # NetBird creates every router enabled, whatever was sent: what still differs
            # (enabled: false) takes a PUT.
            fields = router_diff(step.desired, have)
        else:
            self.record(step.name, have.id)
        if not fields:
            return have
        router_id = have.id
        updated = await engine.call(
            f"updating router {step.name!r}",
            lambda: self.nb.update_network_router(self.network_id, router_id, step.desired),
        )
        self.changes.append(f"updated router {step.name}: {', '.join(fields)}")
        return updated

    async def _delete(self, name: str, router: NetworkRouter) -> None:
        await delete_router(self.nb, self.network_id, router.id, f"router {name!r}")
        self.record(name, None)
        self.changes.append(f"deleted router {name}")


async def delete_router(nb: NetBirdClient, network_id: str, router_id: str, what: str) -> None:
    """Delete one router of the network; gone already is fine, in use waits."""

    async def delete(object_id: str) -> None:
        await nb.delete_network_router(network_id, object_id)

    await engine.remove_with(what, delete, router_id)
