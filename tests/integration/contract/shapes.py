"""Small builders and checks shared by the contract tests."""

from __future__ import annotations

import re
from typing import Any

import httpx

XID = re.compile(r"^[0-9a-v]{20}$")
UNKNOWN_ID = "d0000000000000000000"  # well-formed xid that no server will have issued


def assert_error(response: httpx.Response, status: int, *fragments: str) -> str:
    """NetBird's error shape: JSON {"message", "code"} with the HTTP status as code."""
    assert response.status_code == status, (response.status_code, response.text)
    body = response.json()
    assert set(body) == {"message", "code"}, body
    assert body["code"] == status
    message: str = body["message"]
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    return message


def rule(
    sources: list[str] | None,
    destinations: list[str] | None,
    *,
    name: str = "rule",
    protocol: str = "all",
    ports: list[str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": name,
        "enabled": True,
        "action": "accept",
        "bidirectional": True,
        "protocol": protocol,
        "sources": sources,
        "destinations": destinations,
    }
    if ports is not None:
        body["ports"] = ports
    body.update(extra)
    return body


def policy(name: str, *rules: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"name": name, "description": "", "enabled": True, "rules": list(rules), **extra}


def ids(objects: list[dict[str, Any]] | None) -> list[str]:
    return [item["id"] for item in objects or []]
