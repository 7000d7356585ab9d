"""The real stack answers the way the operator needs: Kubernetes objects, CEL-validated custom
resources, and NetBird groups, policies and setup keys."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import httpx
import pytest
from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException

T = TypeVar("T")


def eventually(attempt: Callable[[], T], timeout: float = 30.0, interval: float = 0.2) -> T:
    """Retry attempt until it stops raising, for state the apiserver settles asynchronously
    (a new CRD's endpoints); re-raises the last error when the deadline passes."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return attempt()
        except Exception:
            if time.monotonic() >= deadline:
                raise
            time.sleep(interval)


def test_configmap_round_trips_through_the_apiserver(
    kube_api: k8s.ApiClient, namespace: str
) -> None:
    core = k8s.CoreV1Api(kube_api)
    core.create_namespaced_config_map(
        namespace,
        k8s.V1ConfigMap(metadata=k8s.V1ObjectMeta(name="greeting"), data={"hello": "world"}),
    )

    stored = core.read_namespaced_config_map("greeting", namespace)

    assert stored.data == {"hello": "world"}


def widget_crd(group: str) -> dict[str, Any]:
    """A throwaway CRD whose schema carries one CEL rule."""
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"widgets.{group}"},
        "spec": {
            "group": group,
            "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {
                                "spec": {
                                    "type": "object",
                                    "properties": {
                                        "min": {"type": "integer"},
                                        "max": {"type": "integer"},
                                    },
                                    "x-kubernetes-validations": [
                                        {
                                            "rule": "self.min <= self.max",
                                            "message": "min must not exceed max",
                                        }
                                    ],
                                }
                            },
                        }
                    },
                }
            ],
        },
    }


def widget(name: str, group: str, low: int, high: int) -> dict[str, Any]:
    return {
        "apiVersion": f"{group}/v1",
        "kind": "Widget",
        "metadata": {"name": name},
        "spec": {"min": low, "max": high},
    }


def test_cel_rule_in_a_crd_rejects_a_violating_object(
    kube_api: k8s.ApiClient, namespace: str
) -> None:
    group = f"smoke{secrets.token_hex(4)}.e2e.nbaccess.test"
    # The client accepts plain dicts as bodies; its type hints name only its model classes.
    crds = k8s.ApiextensionsV1Api(kube_api)
    crds.create_custom_resource_definition(widget_crd(group))  # type: ignore[arg-type]
    objects = k8s.CustomObjectsApi(kube_api)

    # The first create waits out the moment between the CRD's creation and its endpoint.
    eventually(
        lambda: objects.create_namespaced_custom_object(
            group, "v1", namespace, "widgets", widget("fine", group, 1, 2)
        )
    )
    with pytest.raises(ApiException) as rejected:
        objects.create_namespaced_custom_object(
            group, "v1", namespace, "widgets", widget("inverted", group, 5, 2)
        )

    assert rejected.value.status == 422
    assert "min must not exceed max" in str(rejected.value.body)
    stored: dict[str, Any] = objects.list_namespaced_custom_object(
        group, "v1", namespace, "widgets"
    )  # type: ignore[assignment]
    assert [item["metadata"]["name"] for item in stored["items"]] == ["fine"]


@pytest.fixture
def netbird(netbird_url: str, netbird_token: str) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=f"{netbird_url}/api",
        headers={"Authorization": f"Token {netbird_token}"},
        timeout=30,
    ) as client:
        yield client


def ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, f"{response.request.method} {response.url}: " + (
        f"{response.status_code} {response.text}"
    )
    return response.json()


def test_group_policy_and_setup_key_lifecycle_in_netbird(netbird: httpx.Client) -> None:
    suffix = secrets.token_hex(3)

    group = ok(netbird.post("/groups", json={"name": f"smoke-{suffix}"}))
    ok(netbird.put(f"/groups/{group['id']}", json={"name": f"smoke-renamed-{suffix}"}))
    assert ok(netbird.get(f"/groups/{group['id']}"))["name"] == f"smoke-renamed-{suffix}"

    rule = {
        "name": "web",
        "enabled": True,
        "action": "accept",
        "bidirectional": False,
        "protocol": "tcp",
        "ports": ["443"],
        "sources": [group["id"]],
        "destinations": [group["id"]],
    }
    policy_body = {"name": f"smoke-{suffix}", "description": "", "enabled": True, "rules": [rule]}
    policy = ok(netbird.post("/policies", json=policy_body))
    stored_rule = ok(netbird.get(f"/policies/{policy['id']}"))["rules"][0]
    assert [g["id"] for g in stored_rule["sources"]] == [group["id"]]
    assert stored_rule["ports"] == ["443"]
    updated_rule = {**rule, "id": stored_rule["id"], "ports": ["8443"]}
    ok(netbird.put(f"/policies/{policy['id']}", json={**policy_body, "rules": [updated_rule]}))
    assert ok(netbird.get(f"/policies/{policy['id']}"))["rules"][0]["ports"] == ["8443"]

    created_key = ok(
        netbird.post(
            "/setup-keys",
            json={
                "name": f"smoke-{suffix}",
                "type": "reusable",
                "expires_in": 86400,
                "auto_groups": [group["id"]],
                "usage_limit": 0,
                "ephemeral": False,
            },
        )
    )
    key_id = created_key["id"]
    assert created_key["auto_groups"] == [group["id"]]
    assert created_key["state"] == "valid"
    # Only the create response carries the usable key; reads show a masked prefix.
    assert ok(netbird.get(f"/setup-keys/{key_id}"))["key"] != created_key["key"]
    ok(netbird.put(f"/setup-keys/{key_id}", json={"revoked": True, "auto_groups": [group["id"]]}))
    assert ok(netbird.get(f"/setup-keys/{key_id}"))["state"] == "revoked"

    ok(netbird.delete(f"/setup-keys/{key_id}"))
    ok(netbird.delete(f"/policies/{policy['id']}"))
    ok(netbird.delete(f"/groups/{group['id']}"))
    assert netbird.get(f"/setup-keys/{key_id}").status_code == 404
    assert netbird.get(f"/policies/{policy['id']}").status_code == 404
    assert netbird.get(f"/groups/{group['id']}").status_code == 404
