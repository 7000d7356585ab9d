"""PostureCheck: a NetBird posture check with any of its five check types."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from nbaccess.access import object_rules
from nbaccess.conditions import Phase
from nbaccess.netbird import models as nbm
from nbaccess.netbird.client import NetBirdClient
from nbaccess.reconcile import drift, engine
from nbaccess.reconcile.kinds import Pass, Reading, Watched
from nbaccess.reconcile.outcome import Outcome
from nbaccess.reconcile.ownership import Identity, read_claim, with_claim, without_claim
from nbaccess.reconcile.refs import CrKey
from nbaccess.reconcile.resolve import POSTURE_KIND
from nbaccess.reconcile.specs import parse_spec
from nbaccess.resources import posture_check as cr


def to_checks(checks: cr.Checks) -> nbm.Checks:
    """The spec's camelCase checks as NetBird's `checks` object."""
    os = checks.os_version
    geo = checks.geo_location
    ranges = checks.peer_network_range
    process = checks.process
    return nbm.Checks(
        nb_version_check=(
            nbm.MinVersion(min_version=checks.nb_version.min_version) if checks.nb_version else None
        ),
        os_version_check=(
            nbm.OsVersionCheck(
                android=_min(os.android),
                darwin=_min(os.darwin),
                ios=_min(os.ios),
                linux=_kernel(os.linux),
                windows=_kernel(os.windows),
            )
            if os
            else None
        ),
        geo_location_check=(
            nbm.GeoLocationCheck(
                action=geo.action,
                locations=[
                    nbm.Location(country_code=loc.country_code, city_name=loc.city_name or "")
                    for loc in geo.locations
                ],
            )
            if geo
            else None
        ),
        peer_network_range_check=(
            nbm.PeerNetworkRangeCheck(action=ranges.action, ranges=list(ranges.ranges))
            if ranges
            else None
        ),
        process_check=(
            nbm.ProcessCheck(
                processes=[
                    nbm.Process(
                        linux_path=p.linux_path or "",
                        mac_path=p.mac_path or "",
                        windows_path=p.windows_path or "",
                    )
                    for p in process.processes
                ]
            )
            if process
            else None
        ),
    )


def _min(part: cr.MinVersion | None) -> nbm.MinVersion | None:
    return nbm.MinVersion(min_version=part.min_version) if part else None


def _kernel(part: cr.MinKernelVersion | None) -> nbm.MinKernelVersion | None:
    return nbm.MinKernelVersion(min_kernel_version=part.min_kernel_version) if part else None


POSTURE_IDENTITY: Identity[nbm.PostureCheck] = Identity(
    kind="posture check",
    object_id=lambda c: c.id,
    name=lambda c: c.name,
    claim=lambda c: read_claim(c.description),
    unique_names=True,
)


class PostureOps:
    identity = POSTURE_IDENTITY
    cr_kind = POSTURE_KIND

    def __init__(self, nb: NetBirdClient) -> None:
        self.nb = nb

    async def list_all(self, *, fresh: bool = False) -> Sequence[nbm.PostureCheck]:
        return await self.nb.list_posture_checks(fresh=fresh)

    async def get(self, object_id: str) -> nbm.PostureCheck | None:
        return await self.nb.get_posture_check(object_id)

    def diff(self, desired: nbm.PostureCheckRequest, observed: nbm.PostureCheck) -> list[str]:
        changed = [
            field
            for field in ("name", "description")
            if getattr(desired, field) != getattr(observed, field)
        ]
        if desired.checks.model_dump() != observed.checks.model_dump():
            changed.append("checks")
        return changed

    async def create(self, desired: nbm.PostureCheckRequest) -> nbm.PostureCheck:
        return await self.nb.create_posture_check(desired)

    async def update(
        self, object_id: str, desired: nbm.PostureCheckRequest, observed: nbm.PostureCheck
    ) -> nbm.PostureCheck:
        return await self.nb.update_posture_check(object_id, desired)

    async def delete(self, object_id: str) -> None:
        await self.nb.delete_posture_check(object_id)

    async def release(self, observed: nbm.PostureCheck) -> None:
        await self.nb.update_posture_check(
            observed.id,
            nbm.PostureCheckRequest(
                name=observed.name,
                description=without_claim(observed.description),
                checks=observed.checks,
            ),
        )


class PostureCheckReconciler:
    kind = POSTURE_KIND
    plural = "posturechecks"
    surveyed: tuple[str, ...] = ("posture_checks",)
    monitor_seconds: float | None = None
    claimed_in: str | None = "posture_checks"

    async def drift_elsewhere(self, watched: Sequence[Watched]) -> list[bool]:
        return [False for _ in watched]

    async def monitor(self, nb: NetBirdClient, watched: Sequence[Watched]) -> list[Reading]:
        return []

    def parse(self, spec: Mapping[str, Any]) -> cr.PostureCheckSpec:
        return parse_spec(cr.PostureCheckSpec, spec)

    def references(self, namespace: str, spec: cr.PostureCheckSpec) -> Sequence[CrKey]:
        return []

    def facts(self, status: Mapping[str, Any]) -> Mapping[str, str] | None:
        return None

    async def reconcile(
        self, nb: NetBirdClient, current: Pass, spec: cr.PostureCheckSpec
    ) -> Outcome:
        name = spec.name or current.name
        desired = nbm.PostureCheckRequest(
            name=name,
            description=with_claim(spec.description, current.claim),
            checks=to_checks(spec.checks),
        )
        result = await engine.converge(
            PostureOps(nb), desired, current, name=name, adopt=spec.adopt
        )
        kinds = [k for k, v in result.observed.checks.model_dump().items() if v is not None]
        return Outcome(
            Phase.READY,
            "Synced",
            f"posture check {name!r} ({result.object_id}) in sync: {', '.join(kinds)}",
            netbird_id=result.object_id,
            changes=engine.describe_changes(result),
            warnings=[f.message for f in object_rules.posture_check_risks(spec)] + result.warnings,
            observed=drift.observed("posture_checks", result.observed),
        )

    async def finalize(self, nb: NetBirdClient, current: Pass, spec: cr.PostureCheckSpec) -> None:
        await engine.finalize(
            PostureOps(nb),
            current,
            name=spec.name or current.name,
            orphan=spec.deletion_policy == "Orphan",
        )
