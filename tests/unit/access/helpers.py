"""Small builders for access tests: manifests in, inventory and access model out."""

from __future__ import annotations

import datetime as dt
from typing import Any

import yaml

from nbaccess.access import config, inventory, lint, model
from nbaccess.access.findings import Finding
from nbaccess.access.loading import load, parse

NOW = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


def group(name: str, **spec: Any) -> dict[str, Any]:
    return {"kind": "NetBirdGroup", "metadata": {"name": name}, "spec": spec}


def policy(name: str, sources: list[str], destinations: list[str], **spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "description": "test flow",
        "protocol": "tcp",
        "ports": [443],
        "sources": [{"ref": s} for s in sources],
        "destinations": [{"ref": d} for d in destinations],
    }
    body.update(spec)
    return {"kind": "NetBirdPolicy", "metadata": {"name": name}, "spec": body}


def network(name: str, resources: list[dict[str, Any]], **spec: Any) -> dict[str, Any]:
    return {
        "kind": "NetBirdNetwork",
        "metadata": {"name": name},
        "spec": {"resources": resources, **spec},
    }


def declared(*objects: dict[str, Any]) -> inventory.Inventory:
    text = "---\n".join(
        yaml.safe_dump({"apiVersion": "nbaccess.dev/v1alpha1", **o}, sort_keys=False)
        for o in objects
    )
    return inventory.build(parse(text, "test.yaml"), "ns")


def access(*objects: dict[str, Any], now: dt.datetime = NOW) -> model.AccessModel:
    return model.build(declared(*objects), now)


def lint_paths(
    *paths: str, now: dt.datetime = NOW, previous: tuple[str, ...] = ()
) -> list[Finding]:
    """What `nbaccess lint PATH...` reports, config found as the command finds it."""
    settings = config.load_config(config.find_config(list(paths)))
    found = inventory.build(load(list(paths)), "default", load(list(previous)) if previous else [])
    return lint.lint(found, model.build(found, now), settings, now)
