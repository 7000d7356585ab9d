"""Small tools e2e tests share: bounded waiting, a NetBird API client, /metrics."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import httpx
from prometheus_client.parser import text_string_to_metric_families

T = TypeVar("T")
API_VERSION = "nbaccess.dev/v1alpha1"


def unique(prefix: str) -> str:
    """A name no other test (or earlier run against the same NetBird) has used."""
    return f"{prefix}-{secrets.token_hex(3)}"


def manifest(kind: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": API_VERSION, "kind": kind, "metadata": {"name": name}, "spec": spec}


def eventually(check: Callable[[], T], timeout: float = 60.0, interval: float = 0.5) -> T:
    """`check()` once it stops raising AssertionError; its last error after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return check()
        except AssertionError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(interval)


class NetBirdApi:
    """Direct NetBird API access, for asserting what the operator did and for making drift."""

    def __init__(self, url: str, token: str) -> None:
        self.http = httpx.Client(
            base_url=f"{url}/api", headers={"Authorization": f"Token {token}"}, timeout=30
        )

    def close(self) -> None:
        self.http.close()

    def get(self, path: str) -> Any:
        response = self.http.get(path)
        response.raise_for_status()
        return response.json()

    def raw(self, path: str) -> bytes:
        response = self.http.get(path)
        response.raise_for_status()
        return response.content

    def post(self, path: str, body: dict[str, Any]) -> Any:
        response = self.http.post(path, json=body)
        response.raise_for_status()
        return response.json()

    def put(self, path: str, body: dict[str, Any]) -> Any:
        response = self.http.put(path, json=body)
        response.raise_for_status()
        return response.json()

    def delete(self, path: str) -> None:
        self.http.delete(path)

    def by_name(self, collection: str, name: str) -> list[dict[str, Any]]:
        return [o for o in self.get(collection) if o.get("name") == name]

    def one(self, collection: str, name: str) -> dict[str, Any]:
        found = self.by_name(collection, name)
        assert len(found) == 1, f"expected one {collection} named {name!r}, found {len(found)}"
        return found[0]


def metric_samples(url: str) -> Iterator[tuple[str, dict[str, str], float]]:
    text = httpx.get(url, timeout=10).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            yield sample.name, dict(sample.labels), float(sample.value)


def metric_sum(url: str, name: str, **labels: str) -> float:
    return sum(
        value
        for sample, have, value in metric_samples(url)
        if sample == name and all(have.get(k) == v for k, v in labels.items())
    )


def write_requests(url: str) -> float:
    """NetBird write calls the operator has made so far (any route, any answer)."""
    return sum(
        metric_sum(url, "nbaccess_netbird_requests_total", method=m)
        for m in ("POST", "PUT", "DELETE")
    )
