"""How the Secret store reads, over a loopback socket: the apiserver's path, the client's
credentials (as they are when a sweep starts) and what each answer means."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException

from nbaccess.kube.secrets import KubeSecretStore
from nbaccess.reconcile.outcome import Permanent
from nbaccess.reconcile.ports import SecretRef
from tests.fakes.loopback import serving

UID = "uid-of-keys"
OURS = {
    "metadata": {
        "name": "keys-setup-key",
        "resourceVersion": "7",
        "ownerReferences": [{"kind": "SetupKey", "name": "keys", "uid": UID, "controller": True}],
    },
    "data": {"setupKey": "QUJDREU="},  # ABCDE
}


class Apiserver:
    """Answers GETs of Secrets from `answers` (path -> (status, body)) and notes each request."""

    def __init__(self) -> None:
        self.answers: dict[str, tuple[int, dict[str, Any]]] = {}
        self.seen: list[tuple[str, str | None]] = []  # (path, Authorization)

    @contextmanager
    def serve(self) -> Iterator[str]:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.seen.append((self.path, self.headers.get("Authorization")))
                status, body = outer.answers.get(self.path, (404, {"kind": "Status"}))
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        with serving(Handler, "apiserver") as url:
            yield url


def client(host: str, token: str) -> k8s.ApiClient:
    config = k8s.Configuration(host=host, api_key={"authorization": token})
    config.api_key_prefix = {"authorization": "Bearer"}
    return k8s.ApiClient(config)


def ref(name: str = "keys-setup-key") -> SecretRef:
    return SecretRef("team-a", name, "SetupKey", "keys", UID)


PATH = "/api/v1/namespaces/team-a/secrets/keys-setup-key"


async def test_a_sweep_reads_each_secret_under_the_apiservers_path_with_current_credentials() -> (
    None
):
    apiserver = Apiserver()
    with apiserver.serve() as url:
        api = client(f"{url}/clusters/east", "first")
        apiserver.answers[f"/clusters/east{PATH}"] = (200, OURS)
        store = KubeSecretStore(api)

        (first,) = await store.read_each([ref()])
        api.configuration.api_key["authorization"] = "rotated"  # a refreshed token
        (second,) = await store.read_each([ref()])

    assert isinstance(first, dict)
    assert first["setupKey"].get_secret_value() == "ABCDE"
    assert second == first
    assert apiserver.seen == [
        (f"/clusters/east{PATH}", "Bearer first"),
        (f"/clusters/east{PATH}", "Bearer rotated"),
    ]


async def test_what_each_answer_means() -> None:
    apiserver = Apiserver()
    theirs = {**OURS, "metadata": {**OURS["metadata"], "ownerReferences": []}}
    apiserver.answers[PATH] = (200, OURS)
    apiserver.answers["/api/v1/namespaces/team-a/secrets/theirs"] = (200, theirs)
    apiserver.answers["/api/v1/namespaces/team-a/secrets/forbidden"] = (403, {"kind": "Status"})
    with apiserver.serve() as url:
        store = KubeSecretStore(client(url, "t"))
        ours, gone, not_ours, forbidden = await store.read_each(
            [ref(), ref("missing"), ref("theirs"), ref("forbidden")]
        )
        with pytest.raises(ApiException) as refused:
            await store.read(ref("forbidden"))

    assert isinstance(ours, dict)
    assert gone is None
    assert isinstance(not_ours, Permanent)
    assert not_ours.reason == "SecretNotOwned"
    assert isinstance(forbidden, ApiException)
    assert forbidden.status == 403
    assert refused.value.status == 403


async def test_credentials_that_cannot_be_refreshed_fail_each_read_not_the_sweep() -> None:
    api = client("http://127.0.0.1:9", "t")

    def refresh(_: k8s.Configuration) -> None:
        raise RuntimeError("token file exists but is empty")

    api.configuration.refresh_api_key_hook = refresh
    store = KubeSecretStore(api)

    readings = await store.read_each([ref(), ref("other")])

    assert [str(r) for r in readings] == ["token file exists but is empty"] * 2
    assert await store.read_each([]) == []


async def test_through_a_proxy_a_plain_http_apiserver_is_asked_by_its_whole_url() -> None:
    proxy = Apiserver()
    proxy.answers[f"http://apiserver.example/clusters/east{PATH}"] = (200, OURS)
    with proxy.serve() as url:
        api_config = k8s.Configuration(
            host="http://apiserver.example/clusters/east", api_key={"authorization": "t"}
        )
        api_config.proxy = url
        store = KubeSecretStore(k8s.ApiClient(api_config))

        (reading,) = await store.read_each([ref()])

    assert isinstance(reading, dict)
    assert proxy.seen == [(f"http://apiserver.example/clusters/east{PATH}", "t")]
