"""NetBird drops unknown group and posture-check ids from a policy without an error."""

from __future__ import annotations

import json

import httpx

from nbaccess.netbird.client import policy_dropped_ids
from nbaccess.netbird.models import Policy, PolicyRequest, PolicyRuleRequest

KNOWN_GROUPS = {"g-devs": "devs", "g-db": "db"}
KNOWN_CHECKS = {"pc-1"}


def netbird_like_policy_store(request: httpx.Request) -> httpx.Response:
    """Stores a policy the way NetBird answers it: unknown ids simply vanish."""
    body = json.loads(request.content)
    rule = body["rules"][0]

    def groups(ids: list[str] | None) -> list[dict[str, str]] | None:
        if ids is None:
            return None
        return [{"id": i, "name": KNOWN_GROUPS[i]} for i in ids if i in KNOWN_GROUPS]

    stored_rule = {
        **rule,
        "id": "rule-1",
        "sources": groups(rule.get("sources")),
        "destinations": groups(rule.get("destinations")),
    }
    return httpx.Response(
        200,
        json={
            **body,
            "id": "pol-1",
            "source_posture_checks": [
                c for c in body["source_posture_checks"] if c in KNOWN_CHECKS
            ],
            "rules": [stored_rule],
        },
    )


def _request(sources: list[str], checks: list[str] | None = None) -> PolicyRequest:
    return PolicyRequest(
        name="devs-to-db",
        source_posture_checks=checks or [],
        rules=[PolicyRuleRequest(name="devs-to-db", sources=sources, destinations=["g-db"])],
    )


async def test_a_dropped_group_id_is_detected_after_create(harness):
    h = harness(netbird_like_policy_store)
    sent = _request(["g-devs", "g-deleted-meanwhile"])
    stored = await h.client.create_policy(sent)
    assert policy_dropped_ids(sent, stored) == {"sources": ["g-deleted-meanwhile"]}


async def test_a_dropped_posture_check_is_detected(harness):
    h = harness(netbird_like_policy_store)
    sent = _request(["g-devs"], checks=["pc-1", "pc-gone"])
    stored = await h.client.create_policy(sent)
    assert policy_dropped_ids(sent, stored) == {"source_posture_checks": ["pc-gone"]}


async def test_nothing_is_reported_when_everything_was_kept(harness):
    h = harness(netbird_like_policy_store)
    sent = _request(["g-devs"], checks=["pc-1"])
    stored = await h.client.create_policy(sent)
    assert policy_dropped_ids(sent, stored) == {}


def test_a_dropped_destination_resource_is_detected():
    sent = PolicyRequest(
        name="p",
        rules=[
            PolicyRuleRequest(
                name="r", sources=["g-devs"], destination_resource={"id": "res-9", "type": "host"}
            )
        ],
    )
    stored = Policy.model_validate(
        {
            "id": "p",
            "name": "p",
            "enabled": True,
            "rules": [{"id": "r", "name": "r", "sources": [{"id": "g-devs", "name": "devs"}]}],
        }
    )
    assert policy_dropped_ids(sent, stored) == {"destination_resource": ["res-9"]}


def test_a_policy_stored_without_rules_lost_every_reference():
    sent = _request(["g-devs"])
    stored = Policy.model_validate({"id": "p", "name": "p", "enabled": True, "rules": None})
    assert policy_dropped_ids(sent, stored) == {"sources": ["g-devs"], "destinations": ["g-db"]}
