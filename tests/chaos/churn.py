"""What the chaos runs declare, and a driver that applies, edits and deletes it continuously.

A tier is what one team declares for one flow: two groups, a posture check, the policy between
the groups, a setup key enrolling into the source group and, for every third tier, a network
with a resource and a routing-peer group. Edits change what a person would change (ports, the
posture version, the key's auto group, the resource's subnet); deletions take a whole tier in
random order, so dependants and dependencies go in every order; a deleted tier comes back
later under the same names (a new uid for the same namespace/name).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException

GROUP, VERSION = "nbaccess.dev", "v1alpha1"
PLURALS = {
    "NetBirdGroup": "netbirdgroups",
    "PostureCheck": "posturechecks",
    "NetBirdPolicy": "netbirdpolicies",
    "SetupKey": "setupkeys",
    "NetBirdNetwork": "netbirdnetworks",
}
ROTATE = "nbaccess.dev/rotate-requested-at"


def _cr(kind: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": kind,
        "metadata": {"name": name},
        "spec": spec,
    }


@dataclass(frozen=True)
class Tier:
    run: str
    namespace: str
    index: int

    @property
    def prefix(self) -> str:
        return f"t{self.index}"

    def manifests(self, variant: int = 0) -> list[dict[str, Any]]:
        """The tier's CRs; `variant` changes the fields an edit changes."""
        p, unique = self.prefix, f"{self.run}-{self.namespace}-{self.prefix}"
        src, dst, check = f"{p}-src", f"{p}-dst", f"{p}-version"
        docs = [
            _cr("NetBirdGroup", src, {"name": f"{unique}-src"}),
            _cr("NetBirdGroup", dst, {"name": f"{unique}-dst"}),
            _cr(
                "PostureCheck",
                check,
                {
                    "name": f"{unique}-version",
                    "description": "chaos: a minimum client version",
                    "checks": {"nbVersion": {"minVersion": f"0.{50 + variant % 5}.0"}},
                },
            ),
            _cr(
                "NetBirdPolicy",
                f"{p}-flow",
                {
                    "description": "chaos flow. Owner: chaos",
                    "action": "accept",
                    "protocol": "tcp",
                    "ports": [8000 + variant % 50],
                    "sources": [{"ref": src}],
                    "destinations": [{"ref": dst}],
                    "postureChecks": [{"ref": check}],
                },
            ),
            _cr(
                "SetupKey",
                f"{p}-key",
                {
                    "type": "reusable",
                    "usageLimit": 10,
                    "autoGroups": [{"ref": src if variant % 2 == 0 else dst}],
                    "rotation": {"before": "168h", "gracePeriod": "10s"},
                },
            ),
        ]
        if self.index % 3 == 0:
            docs.append(
                _cr(
                    "NetBirdNetwork",
                    f"{p}-net",
                    {
                        "description": "chaos network",
                        "resources": [
                            {
                                "name": f"{unique}-db",
                                "address": f"10.{self.index % 250}.{variant % 250}.0/24",
                                "groups": [{"ref": dst}],
                            }
                        ],
                        "routers": [
                            {"name": "primary", "peerGroups": [{"ref": src}], "metric": 100}
                        ],
                    },
                )
            )
        return docs


@dataclass
class Driver:
    """Applies and removes tiers through the apiserver, as GitOps tools and people would."""

    api: k8s.ApiClient
    tiers: list[Tier]
    rng: random.Random
    live: dict[Tier, int] = field(default_factory=dict)  # tier -> variant
    operations: int = 0

    def __post_init__(self) -> None:
        self._objects = k8s.CustomObjectsApi(self.api)

    def apply(self, namespace: str, doc: dict[str, Any]) -> None:
        self._objects.patch_namespaced_custom_object(
            GROUP,
            VERSION,
            namespace,
            PLURALS[doc["kind"]],
            doc["metadata"]["name"],
            doc,
            field_manager="chaos",
            force=True,
            _content_type="application/apply-patch+yaml",
        )
        self.operations += 1

    def delete(self, namespace: str, doc: dict[str, Any]) -> None:
        try:
            self._objects.delete_namespaced_custom_object(
                GROUP, VERSION, namespace, PLURALS[doc["kind"]], doc["metadata"]["name"]
            )
        except ApiException as exc:
            if exc.status != 404:
                raise
        self.operations += 1

    def create(self, tier: Tier, variant: int = 0) -> None:
        docs = tier.manifests(variant)
        self.rng.shuffle(docs)  # dependants before dependencies, as often as not
        for doc in docs:
            self.apply(tier.namespace, doc)
        self.live[tier] = variant

    def remove(self, tier: Tier) -> None:
        docs = tier.manifests(self.live.pop(tier, 0))
        self.rng.shuffle(docs)
        for doc in docs:
            self.delete(tier.namespace, doc)

    def edit(self, tier: Tier) -> None:
        variant = self.live[tier] + 1
        doc = self.rng.choice(tier.manifests(variant))
        self.apply(tier.namespace, doc)
        self.live[tier] = variant
        # Only the edited document moved on; the others keep the fields they had, which the
        # next full create of this tier restores.

    def rotate(self, tier: Tier) -> None:
        self._objects.patch_namespaced_custom_object(
            GROUP,
            VERSION,
            tier.namespace,
            "setupkeys",
            f"{tier.prefix}-key",
            {"metadata": {"annotations": {ROTATE: f"chaos-{self.operations}"}}},
        )
        self.operations += 1

    def step(self) -> str:
        """One random operation on a random tier; returns what it did."""
        tier = self.rng.choice(self.tiers)
        if tier not in self.live:
            self.create(tier, self.rng.randrange(3))
            return "create"
        roll = self.rng.random()
        if roll < 0.25:
            self.remove(tier)
            return "delete"
        if roll < 0.35:
            try:
                self.rotate(tier)
            except ApiException as exc:
                if exc.status != 404:
                    raise
            return "rotate"
        self.edit(tier)
        return "edit"

    def sync(self, existing: set[tuple[str, str, str]]) -> int:
        """Apply what is declared but missing, as a GitOps tool's periodic sync does (an
        apply that raced a deletion still in progress changed the old object, which then
        went away). `existing`: (kind, namespace, name) of the CRs there now, Terminating
        ones included: those are waited for. Returns how many were applied."""
        applied = 0
        for namespace, doc in self.declared():
            if (doc["kind"], namespace, doc["metadata"]["name"]) not in existing:
                self.apply(namespace, doc)
                applied += 1
        return applied

    def declared(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """(namespace, manifest) of everything that should exist now."""
        for tier, variant in self.live.items():
            for doc in tier.manifests(variant):
                yield tier.namespace, doc
