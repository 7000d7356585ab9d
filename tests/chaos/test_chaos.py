"""A bounded storm in the test command: faults between the operator and NetBird (late writes
included), SIGKILLs during churn, then what a person auditing the account would count.

The large runs (hundreds of CRs, dozens of kills) are `make chaos`, which prints a table.
"""

from __future__ import annotations

from pathlib import Path

from tests.chaos.run import Scenario, run
from tests.e2e.kubectl import Kubectl
from tests.e2e.stack import Stack


def test_a_storm_of_faults_and_kills_leaves_no_duplicate_orphan_or_lost_key(
    chaos_stack: Stack, tmp_path: Path
) -> None:
    assert chaos_stack.kube is not None
    Kubectl(chaos_stack.binaries.kubectl, chaos_stack.kube.kubeconfig).apply_crds()
    scenario = Scenario("bounded", tiers=8, churn_seconds=45, kill_every=(4.0, 9.0), seed=7)
    report = run(chaos_stack, scenario, tmp_path)
    print(
        f"chaos: {report.crs} CRs, {report.operations} churn operations, {report.kills} "
        f"SIGKILLs, {report.faults}/{report.requests} requests faulted "
        f"({report.fault_rate:.0%}: {report.fault_kinds}); settled in "
        f"{report.settle_seconds:.0f} s, deleted in {report.delete_seconds:.0f} s"
    )
    print("converged:", report.converged.summary())
    print("after delete:", report.after_delete.summary())
    assert report.fault_rate >= 0.25
    assert report.kills >= 3
    assert report.converged.clean, report.converged.summary()
    assert report.after_delete.clean, report.after_delete.summary()
    assert report.after_delete.objects == 0, report.after_delete.summary()
    assert report.leftover_crs == 0
