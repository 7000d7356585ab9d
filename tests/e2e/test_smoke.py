"""The real stack answers the way the operator needs: Kubernetes objects, CEL-validated custom
resources, and NetBird groups, policies and setup keys."""

from __future__ import annotations

import secrets
import time
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import pytest
from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException

from nbaccess.netbird.client import ClientOptions, NetBirdClient
from nbaccess.netbird.errors import NotFound
from nbaccess.netbird.models import (
    GroupRequest,
    PolicyRequest,
    PolicyRuleRequest,
    SetupKeyCreate,
    SetupKeyUpdate,
)

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
async def netbird(netbird_url: str, netbird_token: str) -> AsyncIterator[NetBirdClient]:
    # No list cache: every read below must show what the server stores now.
    options = ClientOptions(list_cache_ttl=0)
    async with NetBirdClient(netbird_url, netbird_token, options=options) as client:
        yield client


async def test_group_policy_and_setup_key_lifecycle_in_netbird(netbird: NetBirdClient) -> None:
    suffix = secrets.token_hex(3)

    group = await netbird.create_group(GroupRequest(name=f"smoke-{suffix}", peers=[], resources=[]))
    renamed = GroupRequest(name=f"smoke-renamed-{suffix}", peers=[], resources=[])
    await netbird.update_group(group.id, renamed)
    assert (await netbird.get_group(group.id)).name == f"smoke-renamed-{suffix}"

    rule = PolicyRuleRequest(
        name="web", protocol="tcp", ports=["443"], sources=[group.id], destinations=[group.id]
    )
    policy = await netbird.create_policy(PolicyRequest(name=f"smoke-{suffix}", rules=[rule]))
    stored_rule = (await netbird.get_policy(policy.id)).rules[0]
    assert (stored_rule.sources, stored_rule.destinations) == ([group.id], [group.id])
    assert stored_rule.ports == ["443"]
    wider = rule.model_copy(update={"id": stored_rule.id, "ports": ["8443"]})
    await netbird.update_policy(policy.id, PolicyRequest(name=f"smoke-{suffix}", rules=[wider]))
    assert (await netbird.get_policy(policy.id)).rules[0].ports == ["8443"]

    created_key = await netbird.create_setup_key(
        SetupKeyCreate(
            name=f"smoke-{suffix}", type="reusable", expires_in=86400, auto_groups=[group.id]
        )
    )
    assert created_key.auto_groups == [group.id]
    assert created_key.state == "valid"
    # Only the create response carries the usable key; reads show a masked prefix.
    read_key = await netbird.get_setup_key(created_key.id)
    assert read_key.key != created_key.key.get_secret_value()
    await netbird.update_setup_key(
        created_key.id, SetupKeyUpdate(revoked=True, auto_groups=[group.id])
    )
    assert (await netbird.get_setup_key(created_key.id)).state == "revoked"

    await netbird.delete_setup_key(created_key.id)
    await netbird.delete_policy(policy.id)
    await netbird.delete_group(group.id)
    with pytest.raises(NotFound):
        await netbird.get_setup_key(created_key.id)
    with pytest.raises(NotFound):
        await netbird.get_policy(policy.id)
    with pytest.raises(NotFound):
        await netbird.get_group(group.id)
