"""One chaos run: the real operator, kube-apiserver and netbird-server, a fault proxy between
the operator and NetBird, churn, SIGKILLs; then settle, audit, delete everything, audit again.

`python -m tests.chaos.run` (what `make chaos` runs) does the large runs and prints a table;
the test command runs a bounded one (tests/chaos/test_chaos.py).
"""

from __future__ import annotations

import argparse
import random
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from kubernetes import client as k8s
from kubernetes import config as k8s_config

from tests.chaos.audit import Audit, audit, crs
from tests.chaos.churn import Driver, Tier
from tests.chaos.proxy import FaultMix, FaultProxy
from tests.e2e.harness import NetBirdApi
from tests.e2e.kubectl import Kubectl
from tests.e2e.operator_process import OperatorProcess, start_operator
from tests.e2e.stack import Stack

CLIENT_TIMEOUT = 2.0  # seconds; late writes land after it, within the operator's grace
CREATE_GRACE = 8.0


@dataclass(frozen=True)
class Scenario:
    name: str
    tiers: int
    churn_seconds: float
    # Seconds between SIGKILLs (uniform in the range); None: the operator is never killed.
    kill_every: tuple[float, float] | None
    mix: FaultMix = field(default_factory=FaultMix)
    namespaces: int = 2
    seed: int = 1


@dataclass
class Report:
    scenario: Scenario
    crs: int = 0
    operations: int = 0
    kills: int = 0
    requests: int = 0
    faults: int = 0
    fault_kinds: dict[str, int] = field(default_factory=dict)
    settle_seconds: float = 0.0
    delete_seconds: float = 0.0
    converged: Audit = field(default_factory=Audit)
    after_delete: Audit = field(default_factory=Audit)
    leftover_crs: int = 0

    @property
    def fault_rate(self) -> float:
        return self.faults / self.requests if self.requests else 0.0

    @property
    def passed(self) -> bool:
        return (
            self.converged.clean
            and self.after_delete.clean
            and self.after_delete.objects == 0
            and not self.leftover_crs
        )


def _wait(check: Callable[[], bool], timeout: float, interval: float = 2.0) -> float:
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            break
        time.sleep(interval)
    return time.monotonic() - started


@contextmanager
def _proxy(upstream: str, mix: FaultMix, seed: int) -> Iterator[FaultProxy]:
    proxy = FaultProxy(upstream, mix, seed=seed, client_timeout=CLIENT_TIMEOUT)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()


class Operators:
    """The operator process, restarted after every SIGKILL."""

    def __init__(self, stack: Stack, url: str, folder: Path, cluster: str, namespaces: list[str]):
        assert stack.kube is not None
        assert stack.netbird is not None
        self._start = lambda: start_operator(
            stack.kube.kubeconfig,  # type: ignore[union-attr]
            url,
            stack.netbird.token,  # type: ignore[union-attr]
            folder,
            args=[arg for ns in namespaces for arg in ("--namespace", ns)],
            env={
                "NBACCESS_CLUSTER_NAME": cluster,
                "NETBIRD_TIMEOUT_SECONDS": str(CLIENT_TIMEOUT),
                "NBACCESS_CREATE_GRACE_SECONDS": str(CREATE_GRACE),
                "NBACCESS_RETRY_SECONDS": "1",
                "NBACCESS_RETRY_MAX_SECONDS": "10",
                "NBACCESS_RESYNC_SECONDS": "15",
                "NETBIRD_LIST_CACHE_TTL_SECONDS": "3",
                "NBACCESS_LOG_LEVEL": "info",
            },
        )
        self.current: OperatorProcess = self._start()
        self.kills = 0

    def kill(self) -> None:
        self.current.process.kill()  # SIGKILL: no cleanup, no final status write
        self.current.process.wait()
        self.kills += 1
        self.current = self._start()

    def stop(self) -> None:
        self.current.stop()


def run(stack: Stack, scenario: Scenario, folder: Path) -> Report:
    assert stack.kube is not None
    assert stack.netbird is not None
    report = Report(scenario)
    run_id = secrets.token_hex(3)
    cluster = f"chaos-{run_id}"
    namespaces = [f"chaos-{run_id}-{i}" for i in range(scenario.namespaces)]
    api: k8s.ApiClient = k8s_config.new_client_from_config(  # type: ignore[no-untyped-call]
        config_file=str(stack.kube.kubeconfig)
    )
    netbird = NetBirdApi(stack.netbird.url, stack.netbird.token)
    core = k8s.CoreV1Api(api)
    for namespace in namespaces:
        core.create_namespace(k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name=namespace)))
    rng = random.Random(scenario.seed)
    tiers = [Tier(run_id, namespaces[i % len(namespaces)], i) for i in range(scenario.tiers)]
    driver = Driver(api, tiers, rng)

    def audited() -> Audit:
        return audit(netbird, api, cluster=cluster, run=run_id, namespaces=namespaces)

    with _proxy(stack.netbird.url, scenario.mix, scenario.seed) as proxy:
        proxy.enabled = True
        operators = Operators(stack, proxy.url, folder, cluster, namespaces)
        try:
            for tier in tiers:
                driver.create(tier)
            report.crs = sum(1 for _ in driver.declared())
            _churn(driver, operators, scenario, rng)
            for tier in tiers:
                if tier not in driver.live:
                    driver.create(tier)  # everything declared at the end: all must converge
            report.crs = max(report.crs, sum(1 for _ in driver.declared()))
            proxy.settle()

            def settled() -> bool:
                if driver.sync(set(crs(api, namespaces))):
                    return False
                return audited().clean

            report.settle_seconds = _wait(settled, 300)
            report.converged = audited()

            # Deleting everything, through the same storm.
            proxy.enabled = True
            started = time.monotonic()
            for tier in list(driver.live):
                driver.remove(tier)
            time.sleep(min(20.0, scenario.churn_seconds / 3))
            proxy.settle()
            _wait(lambda: not crs(api, namespaces), 300)
            report.delete_seconds = time.monotonic() - started
            report.leftover_crs = len(crs(api, namespaces))
            report.after_delete = audited()
        finally:
            operators.stop()
            report.kills = operators.kills
            report.operations = driver.operations
            report.requests = sum(proxy.counts.values())
            report.faults = proxy.faults
            report.fault_kinds = dict(proxy.counts)
            netbird.close()
            for namespace in namespaces:
                core.delete_namespace(namespace)
            api.close()  # type: ignore[no-untyped-call]
    return report


def _churn(driver: Driver, operators: Operators, scenario: Scenario, rng: random.Random) -> None:
    deadline = time.monotonic() + scenario.churn_seconds
    next_kill = _next(rng, scenario.kill_every)
    while time.monotonic() < deadline:
        driver.step()
        time.sleep(rng.uniform(0.05, 0.4))
        if next_kill is not None and time.monotonic() >= next_kill:
            operators.kill()
            next_kill = _next(rng, scenario.kill_every)


def _next(rng: random.Random, every: tuple[float, float] | None) -> float | None:
    return None if every is None else time.monotonic() + rng.uniform(*every)


# ---------------------------------------------------------------- the large runs, as a table

LARGE = (
    Scenario("faults", tiers=30, churn_seconds=90, kill_every=None, seed=11),
    Scenario("faults+kills+churn", tiers=40, churn_seconds=300, kill_every=(2.0, 8.0), seed=12),
)


def table(reports: list[Report]) -> str:
    rows = [
        "| scenario | CRs | churn ops | SIGKILLs | requests | faults | settle | delete "
        "| duplicates | orphans | stuck | leaked keys | lost keys | left after delete |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in reports:
        c = r.converged
        rows.append(
            f"| {r.scenario.name} | {r.crs} | {r.operations} | {r.kills} | {r.requests} "
            f"| {r.faults} ({r.fault_rate:.0%}) | {r.settle_seconds:.0f} s "
            f"| {r.delete_seconds:.0f} s | {len(c.duplicates)} | {len(c.orphans)} "
            f"| {len(c.stuck)} | {len(c.leaked_keys)} | {len(c.lost_keys)} "
            f"| {r.after_delete.objects} objects, {r.leftover_crs} CRs |"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", help="run just the scenario of this name")
    args = parser.parse_args(argv)
    from tests.e2e.stack import session_stack, stop_session_stack

    stack = session_stack()
    stack.start()
    assert stack.kube is not None
    Kubectl(stack.binaries.kubectl, stack.kube.kubeconfig).apply_crds()
    folder = Path(stack.workdir) / "chaos"
    folder.mkdir(exist_ok=True)
    reports = []
    try:
        for scenario in LARGE:
            if args.only and scenario.name != args.only:
                continue
            report = run(stack, scenario, folder)
            reports.append(report)
            print(table([report]).splitlines()[-1], flush=True)
            for problem in report.converged.summary(), report.after_delete.summary():
                print("  ", problem)
    finally:
        stop_session_stack()
    print(table(reports))
    print("fault kinds:", {r.scenario.name: r.fault_kinds for r in reports})
    return 0 if all(r.passed for r in reports) else 1


if __name__ == "__main__":
    raise SystemExit(main())
