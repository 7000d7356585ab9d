"""The Argo CD health check, run by a Lua 5.1 interpreter (Argo CD's gopher-lua is 5.1)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import lupa.lua51 as lua51
import pytest
import yaml

from nbaccess.conditions import Condition, Phase
from nbaccess.reconcile.outcome import DependencyNotReady, Outcome, Permanent, Transient
from nbaccess.reconcile.status import build_status

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = (ROOT / "deploy/argocd/health.lua").read_text()
KINDS = ("NetBirdGroup", "NetBirdPolicy", "NetBirdNetwork", "SetupKey", "PostureCheck")
NOW = dt.datetime(2026, 11, 25, tzinfo=dt.UTC)


def health(obj: dict[str, Any]) -> tuple[str, str]:
    runtime = lua51.LuaRuntime(unpack_returned_tuples=True)

    def to_lua(value: Any) -> Any:
        if isinstance(value, dict):
            return runtime.table_from({k: to_lua(v) for k, v in value.items() if v is not None})
        if isinstance(value, list):
            return runtime.table_from([to_lua(v) for v in value])
        return value

    check = runtime.eval(f"function(obj) {SCRIPT} end")
    result = check(to_lua(obj))
    return str(result["status"]), str(result["message"])


def cr(status: dict[str, Any] | None, generation: int = 2) -> dict[str, Any]:
    obj: dict[str, Any] = {"metadata": {"name": "x", "generation": generation}}
    if status is not None:
        obj["status"] = status
    return obj


def status_of(outcome: Outcome, generation: int = 2) -> dict[str, Any]:
    return build_status(outcome, None, generation=generation, now=NOW)


def test_a_new_object_is_progressing() -> None:
    assert health(cr(None))[0] == "Progressing"
    assert health(cr({"observedGeneration": -1}))[0] == "Progressing"


def test_ready_for_the_current_generation_is_healthy() -> None:
    assert health(cr(status_of(Outcome(Phase.READY, "Synced", "in sync")))) == (
        "Healthy",
        "in sync",
    )


def test_ready_for_an_older_generation_is_still_progressing() -> None:
    old = status_of(Outcome(Phase.READY, "Synced", "in sync"), generation=1)
    assert health(cr(old, generation=2))[0] == "Progressing"


@pytest.mark.parametrize(
    "error",
    [DependencyNotReady("NetBirdGroup ns/web does not exist"), Transient("RateLimited", "429")],
)
def test_waiting_is_progressing_with_the_reason(error: Exception) -> None:
    state, message = health(cr(status_of(Outcome.failed(error))))  # type: ignore[arg-type]
    assert state == "Progressing"
    assert error.reason in message  # type: ignore[attr-defined]


def test_stalled_is_degraded_with_the_message() -> None:
    outcome = Outcome.failed(Permanent("NetBirdRejected", "port 70000 is out of range"))
    assert health(cr(status_of(outcome))) == (
        "Degraded",
        "NetBirdRejected: port 70000 is out of range",
    )


def test_offline_routing_peers_do_not_block_a_sync_wave() -> None:
    outcome = Outcome(
        Phase.READY,
        "Synced",
        "in sync",
        conditions=[Condition("RoutingPeersHealthy", "False", "NoneConnected", "0 of 2 connected")],
    )
    state, message = health(cr(status_of(outcome)))
    assert state == "Healthy"
    assert "0 of 2 connected" in message


def test_the_argocd_configmap_carries_the_same_script_for_every_kind() -> None:
    cm = yaml.safe_load((ROOT / "deploy/argocd/argocd-cm.yaml").read_text())
    for kind in KINDS:
        assert cm["data"][f"resource.customizations.health.nbaccess.dev_{kind}"] == SCRIPT
