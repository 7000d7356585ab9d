"""Every reason the operator can put on a condition or a Warning event is in
docs/troubleshooting.md, so a person who sees one can search for it."""

from __future__ import annotations

import ast
from pathlib import Path

from nbaccess.netbird import errors

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "operator/nbaccess"
DOC = ROOT / "docs/troubleshooting.md"
# Which positional argument is the reason, per constructor.
REASON_ARG = {
    "Permanent": 0,
    "Transient": 0,
    "ReconcileError": 0,
    "DependencyNotReady": 0,
    "Outcome": 1,
    "Condition": 2,
    "EventSpec": 1,
}
# Reasons of conditions and events that say all is well.
HEALTHY = {
    "Synced",
    "RoutingPeersConnected",
    "EnoughRoutingPeersConnected",
    "RoutingPeersStable",
}


def _name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def literal_reasons() -> dict[str, str]:
    """Every reason written as a string literal in the package: reason -> where."""
    found: dict[str, str] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call) or (pos := REASON_ARG.get(_name(node) or "")) is None:
                continue
            values = [node.args[pos]] if len(node.args) > pos else []
            values += [k.value for k in node.keywords if k.arg == "reason"]
            for value in values:
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    found.setdefault(value.value, f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_the_scan_finds_the_reasons_it_should() -> None:
    # Guards the scan itself: if these go missing, it is looking in the wrong place.
    assert {"InvalidSpec", "NotOurs", "NoRoutingPeerConnected", "DeletionBlocked"} <= set(
        literal_reasons()
    )


def test_every_reason_is_in_the_troubleshooting_doc() -> None:
    doc = DOC.read_text()
    missing = {
        reason: where
        for reason, where in literal_reasons().items()
        if reason not in HEALTHY and f"`{reason}`" not in doc
    }
    assert not missing, f"reasons not explained in docs/troubleshooting.md: {missing}"


def test_every_netbird_error_class_is_in_the_troubleshooting_doc() -> None:
    # Retryable NetBird errors surface under their class name (engine.classify).
    doc = DOC.read_text()
    classes = [
        c.__name__
        for c in vars(errors).values()
        if isinstance(c, type)
        and issubclass(c, errors.NetBirdError)
        and c is not errors.NetBirdError
    ]
    mapped = {"Invalid": "NetBirdRejected", "Conflict": "AlreadyExists"}
    assert not [c for c in classes if f"`{mapped.get(c, c)}`" not in doc]
