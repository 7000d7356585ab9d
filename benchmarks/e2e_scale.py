"""The operator at scale, as users run it: the real `nbaccess run` process (kopf and all), the
real kube-apiserver and the real netbird-server on loopback.

Per scenario it applies everything at once (`kubectl apply --server-side`), then prints:
apply -> all Ready, per-CR p50/p95 (ADDED to first Ready=True, both from watch events, not
from status), NetBird requests by method to converge, requests and writes over an idle window
(and per resync sweep), CPU seconds over that window, RSS after converging and at its peak,
delete -> all gone. The mixed scenario also audits NetBird by our claims (duplicates, and
leftovers after the delete).

    .venv/bin/python -m benchmarks.e2e_scale                 (make bench-e2e)
    .venv/bin/python -m benchmarks.e2e_scale --sizes 10 --idle 30 --mixed 0

Before each size, the same apply and delete run with no operator at all ("kubectl alone"): the
machine's own floor, printed under the table, so that a slower hour shows as a slower floor.

Scenarios: N groups + N setup keys (each key auto-assigning its group) for every --sizes N,
and a mixed set of about --mixed objects (groups, posture checks, policies, networks with a
resource and a router, setup keys; the chaos suite's tiers).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import statistics
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httpx
import yaml
from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes import watch as k8s_watch

from benchmarks import official_operator as official
from tests.chaos.audit import audit
from tests.chaos.churn import GROUP, PLURALS, VERSION, Tier
from tests.e2e.harness import NetBirdApi
from tests.e2e.kubectl import Kubectl
from tests.e2e.operator_process import OperatorProcess, start_operator
from tests.e2e.stack import Stack, session_stack, stop_session_stack

CLK_TCK = os.sysconf("SC_CLK_TCK")


def group_and_keys(n: int, run: str) -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for i in range(n):
        docs.append(
            {
                "apiVersion": f"{GROUP}/{VERSION}",
                "kind": "NetBirdGroup",
                "metadata": {"name": f"g{i}"},
                "spec": {"name": f"bench-{run}-g{i}"},
            }
        )
        docs.append(
            {
                "apiVersion": f"{GROUP}/{VERSION}",
                "kind": "SetupKey",
                "metadata": {"name": f"k{i}"},
                "spec": {
                    "type": "reusable",
                    "usageLimit": 10,
                    "autoGroups": [{"ref": f"g{i}"}],
                },
            }
        )
    return docs


def mixed(count: int, run: str, namespace: str) -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    index = 0
    while len(docs) < count:
        docs += Tier(run, namespace, index).manifests()
        index += 1
    return docs


class Process(Protocol):
    @property
    def pid(self) -> int: ...

    def stop(self) -> None: ...

    def requests(self) -> Counter[str] | None:
        """NetBird requests so far by method; None where the operator does not count them."""


@dataclass
class OurProcess:
    operator: OperatorProcess

    @property
    def pid(self) -> int:
        return self.operator.process.pid

    def stop(self) -> None:
        self.operator.stop()

    def requests(self) -> Counter[str]:
        return requests_by_method(self.operator.metrics_url)


# start(stack, folder, namespace, cluster, resync) -> the running operator
Starter = Callable[[Stack, Path, str, str, float], Process]


@dataclass(frozen=True)
class Target:
    """The operator a scenario drives, and the kinds it is driven through."""

    name: str
    api_group: str
    version: str
    plurals: Mapping[str, str]
    start: Starter


def _start_ours(stack: Stack, folder: Path, namespace: str, cluster: str, resync: float) -> Process:
    assert stack.kube is not None
    assert stack.netbird is not None
    return OurProcess(
        start_operator(
            stack.kube.kubeconfig,
            stack.netbird.url,
            stack.netbird.token,
            folder,
            args=["--namespace", namespace],
            env={
                "NBACCESS_CLUSTER_NAME": cluster,
                "NBACCESS_RESYNC_SECONDS": str(resync),
                "NBACCESS_RETRY_SECONDS": "10",
                "NBACCESS_LOG_LEVEL": "warning",
                "NBACCESS_HEALTH_SECONDS": None,  # the production default, not the e2e 5 s
            },
        )
    )


OURS = Target("ours", GROUP, VERSION, PLURALS, _start_ours)


def official_target(src: Path, kubectl: Kubectl) -> Target:
    binary = official.build(src)
    official.apply_crds(kubectl, src)

    def start(stack: Stack, folder: Path, namespace: str, cluster: str, resync: float) -> Process:
        assert stack.kube is not None
        assert stack.netbird is not None
        return official.start(
            binary, stack.kube.kubeconfig, stack.netbird.url, stack.netbird.token, folder, namespace
        )

    return Target("official v0.8.0", official.API_GROUP, official.VERSION, official.PLURALS, start)


class ReadyWatch:
    """Watches an operator's kinds in a namespace: when each object was first seen and first
    Ready."""

    def __init__(self, api: k8s.ApiClient, namespace: str, target: Target) -> None:
        self._objects = k8s.CustomObjectsApi(api)
        self.namespace = namespace
        self.target = target
        self.added: dict[tuple[str, str], float] = {}
        self.ready: dict[tuple[str, str], float] = {}
        self.deleted: dict[tuple[str, str], float] = {}
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._follow, args=(kind,), daemon=True)
            for kind in target.plurals
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()
        time.sleep(1.0)  # let every watch connect before anything is applied

    def stop(self) -> None:
        self._stop.set()

    def _follow(self, kind: str) -> None:
        try:
            self._watch(kind)
        except Exception:  # the stack going away at the end
            if not self._stop.is_set():
                raise

    def _watch(self, kind: str) -> None:
        watcher = k8s_watch.Watch()
        while not self._stop.is_set():
            stream = watcher.stream(
                self._objects.list_namespaced_custom_object,
                self.target.api_group,
                self.target.version,
                self.namespace,
                self.target.plurals[kind],
                timeout_seconds=30,
            )
            for event in stream:
                now = time.monotonic()
                obj = event["object"]
                key = (kind, obj["metadata"]["name"])
                if event["type"] == "DELETED":
                    self.deleted.setdefault(key, now)
                    continue
                self.added.setdefault(key, now)
                conditions = (obj.get("status") or {}).get("conditions") or ()
                if any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions):
                    self.ready.setdefault(key, now)
                if self._stop.is_set():
                    break

    def remaining(self) -> int:
        """CRs left in the namespace, listed: a watch that restarts misses the DELETED events
        of its gap, so it cannot say when the last one went. One item per list, and the
        apiserver's count of the rest: a full list of a thousand objects, several times a
        second, would load the apiserver (and this process) the operator is measured on."""
        left = 0
        for plural in self.target.plurals.values():
            listed: Any = self._objects.list_namespaced_custom_object(
                self.target.api_group, self.target.version, self.namespace, plural, limit=1
            )
            left += len(listed["items"]) + (listed["metadata"].get("remainingItemCount") or 0)
        return left

    def all_gone(self, expected: set[tuple[str, str]], timeout: float) -> float | None:
        """When the last of `expected` went (its DELETED event), confirmed by a list; None
        after `timeout`. Listed every 2 s too, should the watch have missed an event."""
        deadline = time.monotonic() + timeout
        listed_at = time.monotonic()
        while time.monotonic() < deadline:
            if expected <= self.deleted.keys() and self.remaining() == 0:
                return max(self.deleted[k] for k in expected)
            if time.monotonic() - listed_at >= 2.0:
                listed_at = time.monotonic()
                if self.remaining() == 0:
                    return listed_at
            time.sleep(0.2)
        return None

    def gone_by_kind(self, expected: set[tuple[str, str]], started: float) -> str:
        """When the first, the median and the last object of each kind went, in seconds from
        `started`: which kind's deletions the time went to."""
        parts = []
        for kind in sorted({k for k, _ in expected}):
            # A watch that restarted misses its gap's DELETED events (`all_gone` lists too).
            of_kind = [e for e in expected if e[0] == kind]
            times = sorted(self.deleted[e] - started for e in of_kind if e in self.deleted)
            seen = "" if len(times) == len(of_kind) else f" ({len(times)} of {len(of_kind)} seen)"
            if times:
                parts.append(
                    f"{kind} gone {times[0]:.1f} / {statistics.median(times):.1f} / "
                    f"{times[-1]:.1f} s (first / median / last){seen}"
                )
        return "; ".join(parts)

    def wait(self, check: Any, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if check():
                return True
            time.sleep(0.2)
        return False


def requests_by_method(metrics_url: str) -> Counter[str]:
    counts: Counter[str] = Counter()
    for line in httpx.get(metrics_url, timeout=5).text.splitlines():
        match = re.match(r"nbaccess_netbird_requests_total\{([^}]*)\} ([0-9.e+]+)", line)
        if match:
            method = re.search(r'method="([A-Z]+)"', match.group(1))
            if method:
                counts[method.group(1)] += int(float(match.group(2)))
    return counts


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_mib(pid: int) -> tuple[float, float]:
    status = Path(f"/proc/{pid}/status").read_text()

    def value(name: str) -> float:
        found = re.search(rf"^{name}:\s+(\d+) kB", status, re.M)
        return int(found.group(1)) / 1024 if found else 0.0

    return value("VmRSS"), value("VmHWM")


@dataclass
class Row:
    name: str
    objects: int
    all_ready: float = 0.0
    p50: float = 0.0
    p95: float = 0.0
    # None: not measured (the official operator has no request metrics).
    converge: Counter[str] | None = field(default_factory=Counter)
    idle_seconds: float = 0.0
    idle_requests: int | None = None
    idle_writes: int = 0
    sweeps: float = 0.0
    idle_cpu: float = 0.0
    rss: float = 0.0
    peak: float = 0.0
    deleted: float = 0.0
    left: int = 0  # CRs still there when the delete timed out
    kubectl_delete: float = 0.0  # how long `kubectl delete` itself took to ask
    duplicates: int | None = None
    leftovers: int | None = None

    def cells(self) -> list[str]:
        if self.idle_requests is None:
            idle_requests = "-"
        else:
            per_resync = f"{self.idle_requests / self.sweeps:.1f}" if self.sweeps else "-"
            idle_requests = f"{self.idle_requests} ({per_resync}/resync), {self.idle_writes} writes"
        converge = (
            "-"
            if self.converge is None
            else " ".join(f"{m} {c}" for m, c in sorted(self.converge.items()))
        )
        return [
            self.name,
            str(self.objects),
            f"{self.all_ready:.1f} s",
            f"{self.p50:.1f} / {self.p95:.1f} s",
            converge,
            idle_requests,
            f"{self.idle_cpu:.2f} s / {self.idle_seconds:.0f} s",
            f"{self.rss:.0f} / {self.peak:.0f} MiB",
            f"{self.deleted:.1f} s (kubectl {self.kubectl_delete:.1f} s)"
            if not self.left
            else f"not finished after {self.deleted:.0f} s ({self.left} CRs left)",
            "-" if self.duplicates is None else str(self.duplicates),
            "-" if self.leftovers is None else str(self.leftovers),
        ]


HEADER = [
    "scenario",
    "CRs",
    "apply -> all Ready",
    "per-CR p50 / p95",
    "NetBird requests to converge",
    "idle requests",
    "idle CPU",
    "RSS after / peak",
    "delete -> gone",
    "duplicates",
    "leftovers",
]


def table(rows: list[Row]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(r.cells()) + " |" for r in rows]
    return "\n".join(lines)


def run_scenario(
    stack: Stack,
    kubectl: Kubectl,
    api: k8s.ApiClient,
    name: str,
    docs_for: Any,
    *,
    idle: float,
    resync: float,
    folder: Path,
    audited: bool,
    target: Target = OURS,
    delete_timeout: float = 300,
) -> Row:
    assert stack.kube is not None
    assert stack.netbird is not None
    run = secrets.token_hex(3)
    namespace = f"bench-{run}"
    k8s.CoreV1Api(api).create_namespace(k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name=namespace)))
    docs = docs_for(run, namespace)
    manifest = folder / f"{name}.yaml"
    manifest.write_text(yaml.safe_dump_all(docs))
    cluster = f"bench-{run}"
    operator = target.start(stack, folder, namespace, cluster, resync)
    pid = operator.pid
    watch = ReadyWatch(api, namespace, target)
    watch.start()
    row = Row(name if target is OURS else f"{name} ({target.name})", len(docs))
    netbird = NetBirdApi(stack.netbird.url, stack.netbird.token)

    requests = operator.requests
    try:
        before = requests()
        started = time.monotonic()
        kubectl.ok("apply", "--server-side", "-n", namespace, "-f", str(manifest))
        expected = {(d["kind"], d["metadata"]["name"]) for d in docs}
        if not watch.wait(lambda: expected <= set(watch.ready), 1800):
            raise RuntimeError(f"{name}: not all Ready: {len(expected - set(watch.ready))} left")
        row.all_ready = max(watch.ready[k] for k in expected) - started
        latencies = sorted(watch.ready[k] - watch.added[k] for k in expected)
        row.p50 = statistics.median(latencies)
        row.p95 = latencies[int(0.95 * (len(latencies) - 1))]
        time.sleep(2)  # the last status writes' watch events, and their requests, are in
        after = requests()
        row.converge = None if after is None or before is None else after - before
        row.rss = rss_mib(pid)[0]

        cpu0, idle0 = cpu_seconds(pid), requests()
        time.sleep(idle)
        cpu1, idle1 = cpu_seconds(pid), requests()
        row.idle_seconds = idle
        row.idle_cpu = cpu1 - cpu0
        if idle0 is not None and idle1 is not None:
            diff = idle1 - idle0
            row.idle_requests = sum(diff.values())
            row.idle_writes = sum(v for m, v in diff.items() if m != "GET")
            row.sweeps = idle / resync
        row.peak = rss_mib(pid)[1]
        if audited:
            found = audit(netbird, api, cluster=cluster, run=run, namespaces=[namespace])
            row.duplicates = len(found.duplicates)

        started = time.monotonic()
        # One command, kinds in a fixed order (groups before the keys that use them, as a
        # namespace deletion may): the same for both operators.
        # Qualified: both operators have a kind whose plural is `setupkeys`.
        plurals = sorted({f"{target.plurals[d['kind']]}.{target.api_group}" for d in docs})
        kubectl.ok("delete", "-n", namespace, ",".join(plurals), "--all", "--wait=false")
        # kubectl deletes one object per request: at N=500 that alone takes a while.
        row.kubectl_delete = time.monotonic() - started
        last_gone = watch.all_gone(expected, delete_timeout)
        if last_gone is not None:
            row.deleted = last_gone - started
            print(f"{row.name}: delete, {watch.gone_by_kind(expected, started)}", flush=True)
        else:
            row.deleted, row.left = delete_timeout, watch.remaining()
        if audited:
            found = audit(netbird, api, cluster=cluster, run=run, namespaces=[namespace])
            row.leftovers = found.objects
    finally:
        watch.stop()
        operator.stop()
        netbird.close()
        kubectl.run("delete", "namespace", namespace, "--wait=false")
    return row


def kubectl_alone(
    kubectl: Kubectl, api: k8s.ApiClient, name: str, docs: list[dict[str, Any]], folder: Path
) -> str:
    """The same apply and delete with no operator running: what this machine takes for
    kubectl and the apiserver alone, printed beside the rows so that runs an hour apart (or
    on another machine) can be told apart from changes in the operators."""
    namespace = f"bench-alone-{secrets.token_hex(3)}"
    k8s.CoreV1Api(api).create_namespace(k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name=namespace)))
    manifest = folder / f"{name}-alone.yaml"
    manifest.write_text(yaml.safe_dump_all(docs))
    plurals = sorted({f"{PLURALS[d['kind']]}.{GROUP}" for d in docs})
    try:
        started = time.monotonic()
        kubectl.ok("apply", "--server-side", "-n", namespace, "-f", str(manifest))
        applied = time.monotonic() - started
        started = time.monotonic()
        kubectl.ok("delete", "-n", namespace, ",".join(plurals), "--all", "--wait=false")
        deleted = time.monotonic() - started
    finally:
        kubectl.run("delete", "namespace", namespace, "--wait=false")
    return f"{name}, kubectl alone (no operator): apply {applied:.1f} s, delete {deleted:.1f} s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="*", default=[10, 100, 500])
    parser.add_argument("--mixed", type=int, default=2000, help="objects in the mixed set; 0: none")
    parser.add_argument(
        "--idle", type=float, default=600, help="idle window after converging, seconds"
    )
    parser.add_argument("--resync", type=float, default=300, help="NBACCESS_RESYNC_SECONDS")
    parser.add_argument(
        "--official-src",
        type=Path,
        help="a checkout of netbirdio/kubernetes-operator: each size is also run through it, "
        "alone on the machine after ours (groups + keys only)",
    )
    args = parser.parse_args(argv)

    stack = session_stack()
    stack.start()
    assert stack.kube is not None
    kubectl = Kubectl(stack.binaries.kubectl, stack.kube.kubeconfig)
    kubectl.apply_crds()
    api: k8s.ApiClient = k8s_config.new_client_from_config(  # type: ignore[no-untyped-call]
        config_file=str(stack.kube.kubeconfig)
    )
    rows: list[Row] = []
    alone: list[str] = []
    folder = Path(tempfile.mkdtemp(prefix="nbaccess-bench-"))
    try:
        other = official_target(args.official_src, kubectl) if args.official_src else None
        for n in args.sizes:
            alone.append(
                kubectl_alone(
                    kubectl, api, f"{n} groups + {n} keys", group_and_keys(n, "alone"), folder
                )
            )
            print(alone[-1], flush=True)
            row = run_scenario(
                stack,
                kubectl,
                api,
                f"{n} groups + {n} keys",
                lambda run, ns, n=n: group_and_keys(n, run),
                idle=args.idle,
                resync=args.resync,
                folder=folder,
                audited=False,
            )
            rows.append(row)
            print(table([row]).splitlines()[-1], flush=True)
            if other is not None:
                row = run_scenario(
                    stack,
                    kubectl,
                    api,
                    f"{n} groups + {n} keys",
                    lambda run, ns, n=n: official.group_and_keys(n, run),
                    idle=args.idle,
                    resync=args.resync,
                    folder=folder,
                    audited=False,
                    target=other,
                )
                rows.append(row)
                print(table([row]).splitlines()[-1], flush=True)
        if args.mixed:
            row = run_scenario(
                stack,
                kubectl,
                api,
                f"mixed {args.mixed}",
                lambda run, ns: mixed(args.mixed, run, ns),
                idle=min(args.idle, 120),
                resync=args.resync,
                folder=folder,
                audited=True,
            )
            rows.append(row)
            print(table([row]).splitlines()[-1], flush=True)
    finally:
        api.close()  # type: ignore[no-untyped-call]
        stop_session_stack()
    print()
    print(table(rows))
    print()
    print("\n".join(alone))
    print(f"operator logs: {folder}")
    print(json.dumps([r.cells() for r in rows]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
