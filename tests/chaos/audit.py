"""What a person auditing the NetBird account after a storm would count, by our claims.

Everything of a chaos run carries the run's cluster name in its claim (policies, posture
checks, networks: the description marker; setup keys: their default name) or a run-unique
name (groups), so objects of the run are found whatever happened to the CRs.
"""

from __future__ import annotations

import base64
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException

from tests.chaos.churn import GROUP, PLURALS, VERSION
from tests.e2e.harness import NetBirdApi

MARKER = "managed by nbaccess: "


@dataclass
class Audit:
    duplicates: list[str] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)
    stuck: list[str] = field(default_factory=list)
    leaked_keys: list[str] = field(default_factory=list)
    lost_keys: list[str] = field(default_factory=list)
    objects: int = 0

    @property
    def clean(self) -> bool:
        return not (
            self.duplicates or self.orphans or self.stuck or self.leaked_keys or self.lost_keys
        )

    def summary(self) -> str:
        parts = [
            f"{len(getattr(self, name))} {name.replace('_', ' ')}"
            for name in ("duplicates", "orphans", "stuck", "leaked_keys", "lost_keys")
        ]
        details = self.duplicates + self.orphans + self.stuck + self.leaked_keys + self.lost_keys
        return ", ".join(parts) + (": " + "; ".join(details[:20]) if details else "")


def claimant(description: str | None) -> str | None:
    for line in reversed((description or "").splitlines()):
        if line.startswith(MARKER):
            return line[len(MARKER) :].strip()
    return None


def crs(api: k8s.ApiClient, namespaces: list[str]) -> dict[tuple[str, str, str], dict[str, Any]]:
    """(kind, namespace, name) -> the CR, for every CR of ours in those namespaces."""
    objects = k8s.CustomObjectsApi(api)
    found: dict[tuple[str, str, str], dict[str, Any]] = {}
    for kind, plural in PLURALS.items():
        for namespace in namespaces:
            listed: Any = objects.list_namespaced_custom_object(GROUP, VERSION, namespace, plural)
            for item in listed["items"]:
                found[(kind, namespace, item["metadata"]["name"])] = item
    return found


def _condition(cr: dict[str, Any], ctype: str) -> dict[str, Any]:
    for cond in (cr.get("status") or {}).get("conditions") or ():
        if cond.get("type") == ctype:
            return dict(cond)
    return {}


def audit(
    netbird: NetBirdApi,
    api: k8s.ApiClient,
    *,
    cluster: str,
    run: str,
    namespaces: list[str],
) -> Audit:
    result = Audit()
    declared = crs(api, namespaces)
    for (kind, ns, name), cr in sorted(declared.items()):
        if cr["metadata"].get("deletionTimestamp"):
            result.stuck.append(f"{kind} {ns}/{name} Terminating")
        elif _condition(cr, "Ready").get("status") != "True":
            ready = _condition(cr, "Ready")
            result.stuck.append(f"{kind} {ns}/{name} {ready.get('reason')}: {ready.get('message')}")
    alive = {(ns, name) for (_, ns, name) in declared}

    claimed: Counter[tuple[str, str]] = Counter()
    for collection in ("policies", "posture-checks", "networks"):
        for obj in netbird.get(collection):
            who = claimant(obj.get("description"))
            if who is None or not who.startswith(f"{cluster}/"):
                continue
            result.objects += 1
            claimed[(collection, who)] += 1
            _, ns, name = who.split("/")
            if (ns, name) not in alive:
                result.orphans.append(f"{collection} {obj['id']} claimed by {who}")
    result.duplicates += [f"{n} {c} claimed by {w}" for (c, w), n in claimed.items() if n > 1]

    group_names = {
        cr["spec"]["name"]: (ns, name)
        for (kind, ns, name), cr in declared.items()
        if kind == "NetBirdGroup"
    }
    seen: Counter[str] = Counter()
    for group in netbird.get("groups"):
        if not group["name"].startswith(f"{run}-"):
            continue
        result.objects += 1
        seen[group["name"]] += 1
        if group["name"] not in group_names:
            result.orphans.append(f"group {group['id']} {group['name']}")
    result.duplicates += [f"{n} groups named {g}" for g, n in seen.items() if n > 1]

    for network in netbird.get("networks"):
        who = claimant(network.get("description"))
        if who is None or not who.startswith(f"{cluster}/"):
            continue
        routers = netbird.get(f"networks/{network['id']}/routers")
        targets = Counter(
            tuple(sorted(r.get("peer_groups") or [])) or r.get("peer") for r in routers
        )
        result.duplicates += [
            f"{n} routers with one target in network {network['id']}"
            for n in targets.values()
            if n > 1
        ]

    _audit_keys(netbird, api, declared, cluster, result)
    return result


def _audit_keys(
    netbird: NetBirdApi,
    api: k8s.ApiClient,
    declared: dict[tuple[str, str, str], dict[str, Any]],
    cluster: str,
    result: Audit,
) -> None:
    core = k8s.CoreV1Api(api)
    valid = {
        k["id"]: k
        for k in netbird.get("setup-keys")
        if k["name"].startswith(f"{cluster}/") and k["state"] == "valid"
    }
    result.objects += len(valid)
    expected: set[str] = set()
    for (kind, ns, name), cr in declared.items():
        if kind != "SetupKey" or cr["metadata"].get("deletionTimestamp"):
            continue
        status = cr.get("status") or {}
        current = status.get("id")
        expected |= {current, (status.get("previousKey") or {}).get("id")} - {None}
        try:
            secret = core.read_namespaced_secret(f"{name}-setup-key", ns)
        except ApiException as exc:
            if exc.status != 404:
                raise
            result.lost_keys.append(f"SetupKey {ns}/{name}: no Secret")
            continue
        value = base64.b64decode((secret.data or {}).get("setupKey") or b"").decode()
        key = valid.get(current or "")
        if key is None or not value or not key["key"].startswith(value[:5]):
            result.lost_keys.append(f"SetupKey {ns}/{name}: its Secret holds no valid key")
    result.leaked_keys += [
        f"setup key {k['id']} {k['name']} is valid and in no SetupKey's status"
        for kid, k in valid.items()
        if kid not in expected
    ]
