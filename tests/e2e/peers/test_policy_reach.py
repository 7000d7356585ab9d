"""The guide's "policy exists but the connection is still blocked", as on-call sees it: a
policy whose source group has no peers says so in status and in an event, and stops saying so
once a real peer enrolls into the group through its setup key."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tests.e2e.harness import NetBirdApi, eventually, manifest, unique
from tests.e2e.kubectl import Kubectl
from tests.e2e.operator_process import RESYNC_SECONDS, OperatorProcess
from tests.e2e.peers.conftest import SetupKey
from tests.e2e.stack.peer import PeerProcess

Enroll = Callable[[str, str], PeerProcess]
MakeSetupKey = Callable[..., SetupKey]


def events_of(kubectl: Kubectl, namespace: str, name: str) -> list[dict[str, Any]]:
    listed = kubectl.ok(
        "get",
        "events",
        "-n",
        namespace,
        "--field-selector",
        f"involvedObject.name={name}",
        "-o",
        "json",
    )
    return list(json.loads(listed)["items"])


def test_a_policy_from_an_empty_group_warns_until_a_real_peer_enrolls(
    kubectl: Kubectl,
    netbird: NetBirdApi,
    operator: OperatorProcess,
    namespace: str,
    setup_key: MakeSetupKey,
    enroll: Enroll,
) -> None:
    app, db = unique("app"), unique("db")
    for name in (app, db):
        kubectl.apply(namespace, manifest("NetBirdGroup", name, {"name": name}))
    ids = {g: kubectl.wait_ready(namespace, "netbirdgroup", g)["id"] for g in (app, db)}
    enroll(setup_key(unique("db-key"), auto_groups=[ids[db]]).value, unique("db-host"))

    policy = unique("app-to-db")
    kubectl.apply(
        namespace,
        manifest(
            "NetBirdPolicy",
            policy,
            {
                "action": "accept",
                "protocol": "tcp",
                "ports": [5432],
                "sources": [{"ref": app}],
                "destinations": [{"ref": db}],
            },
        ),
    )
    status = kubectl.wait_ready(namespace, "netbirdpolicy", policy)
    assert status["sourceGroups"] == [{"id": ids[app], "name": app, "peers": 0}]
    assert status["destinationGroups"] == [{"id": ids[db], "name": db, "peers": 1}]
    assert status["warnings"] == [
        f"no peer would match this policy: source group {app!r} has no peers (is the IdP group "
        "synced, did the setup key assign the group?)"
    ]
    [event] = [e for e in events_of(kubectl, namespace, policy) if e["reason"] == "NoPeersMatch"]
    assert event["type"] == "Warning"
    assert event["source"]["component"] == "nbaccess"
    assert f"NetBirdPolicy {namespace}/{policy}" in event["message"]
    assert f"source group {app!r} has no peers" in event["message"]

    # A real laptop enrolls with the app team's key: the warning goes at the next resync.
    laptop = enroll(setup_key(unique("app-key"), auto_groups=[ids[app]]).value, unique("laptop"))
    assert ids[app] in [g["id"] for g in netbird.get(f"/peers/{laptop.netbird_id}")["groups"]]

    def reached() -> dict[str, Any]:
        now = kubectl.status(namespace, "netbirdpolicy", policy)
        assert now["sourceGroups"] == [{"id": ids[app], "name": app, "peers": 1}], now
        return now

    status = eventually(reached, timeout=RESYNC_SECONDS * 3, interval=1)
    assert not status.get("warnings")
