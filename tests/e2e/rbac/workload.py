"""Work that makes the operator use every permission the chart grants it, once."""

from __future__ import annotations

import base64
import json
import secrets
from pathlib import Path
from typing import Any

import yaml

from tests.e2e.harness import eventually, manifest
from tests.e2e.kubectl import ROOT, Kubectl

EXAMPLE = ROOT / "examples/three-tier"
ROTATE = "nbaccess.dev/rotate-requested-at"


def three_tier(suffix: str) -> list[dict[str, Any]]:
    """The guide's example as written, only its NetBird names made unique to this run (the
    NetBird server is shared with the rest of the session)."""
    docs: list[dict[str, Any]] = []
    for path in sorted(EXAMPLE.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                doc["spec"]["name"] = f"{doc['spec']['name']}-{suffix}"
                # Resource names are unique across the account, like group names.
                for resource in doc["spec"].get("resources") or ():
                    resource["name"] = f"{resource['name']}-{suffix}"
                docs.append(doc)
    return docs


def secret_value(kubectl: Kubectl, namespace: str, name: str) -> str:
    done = kubectl.run("get", "secret", "-n", namespace, name, "-o", "json")
    assert done.returncode == 0, f"no Secret {namespace}/{name} yet"
    data = json.loads(done.stdout)["data"]
    return base64.b64decode(next(iter(data.values()))).decode()


def exercise(kubectl: Kubectl, namespaces: list[str], folder: Path) -> set[tuple[str, str]]:
    """Converge the three-tier example in the first namespace and a published, rotated setup
    key in the second, moved to another Secret; then delete all of it, so finalizers and
    Secrets go too. Returns the Secrets (namespace, name) the operator itself deleted."""
    suffix = secrets.token_hex(3)
    example, keys = namespaces[0], namespaces[-1]
    manifest_file = folder / "three-tier.yaml"
    manifest_file.write_text(yaml.safe_dump_all(three_tier(suffix)))
    kubectl.ok("apply", "-n", example, "-f", str(manifest_file))

    group, key = f"enrolled-{suffix}", f"routers-{suffix}"
    kubectl.apply(keys, manifest("NetBirdGroup", group, {"name": group}))
    kubectl.apply(
        keys,
        manifest(
            "SetupKey",
            key,
            {
                "name": key,
                "autoGroups": [{"ref": group}],
                "expiresIn": "24h",
                "rotation": {"before": "1h", "gracePeriod": "10s"},
            },
        ),
    )
    for namespace in (example, keys):
        kubectl.ok(
            "wait", "-n", namespace, "--for=condition=Ready", "netbird", "--all", "--timeout=180s"
        )
    secret = f"{key}-setup-key"
    first = eventually(lambda: secret_value(kubectl, keys, secret), timeout=60)

    kubectl.ok("annotate", "-n", keys, f"setupkey/{key}", f"{ROTATE}=rbac", "--overwrite")

    def rotated() -> str:
        value = secret_value(kubectl, keys, secret)
        assert value != first, "not rotated yet"
        return value

    eventually(rotated, timeout=120)

    # A new secretName: the key moves to the new Secret and the old one is deleted.
    moved = f"{key}-moved"
    kubectl.ok(
        "patch", "-n", keys, f"setupkey/{key}", "--type=merge",
        "-p", json.dumps({"spec": {"secretName": moved}}),
    )  # fmt: skip

    def old_secret_gone() -> None:
        assert kubectl.run("get", "secret", "-n", keys, secret).returncode != 0, "still there"
        secret_value(kubectl, keys, moved)

    eventually(old_secret_gone, timeout=60)

    for namespace in (example, keys):
        kubectl.ok("delete", "-n", namespace, "netbird", "--all", "--timeout=180s")

    def secret_gone() -> None:
        assert kubectl.run("get", "secret", "-n", keys, moved).returncode != 0

    eventually(secret_gone, timeout=60)
    return {(keys, secret), (keys, moved)}
