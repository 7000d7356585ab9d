"""`nbaccess run`: wire settings, the NetBird client, metrics and kopf into one process."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Any

import kopf
from kubernetes import client as k8s
from kubernetes import config as k8s_config

from nbaccess.config import Settings
from nbaccess.kube import handlers
from nbaccess.kube.leader import LeaderState, elector_from_settings, leadership, readiness_probe
from nbaccess.kube.runtime import Runtime
from nbaccess.kube.scope import needs_scanning
from nbaccess.kube.secrets import KubeSecretStore
from nbaccess.kube.wake import Waker
from nbaccess.metrics import Liveness, Metrics, serve
from nbaccess.netbird.client import ClientOptions, NetBirdClient, RequestRecord
from nbaccess.netbird.redact import RedactingFilter
from nbaccess.reconcile.kinds import KindReconciler
from nbaccess.reconcile.registry import all_kinds
from nbaccess.token_reload import follow_token_file

log = logging.getLogger(__name__)


def _kube_api() -> k8s.ApiClient:
    try:
        k8s_config.load_incluster_config()  # type: ignore[no-untyped-call]
    except k8s_config.ConfigException:
        k8s_config.load_kube_config()  # type: ignore[no-untyped-call]
    return k8s.ApiClient()


def build_registry(rt: Runtime, namespaces: Sequence[str] = ()) -> kopf.OperatorRegistry:
    registry = kopf.OperatorRegistry()
    kopf.on.login(registry=registry)(kopf.login_via_client)

    @kopf.on.startup(registry=registry)
    async def _startup(settings: kopf.OperatorSettings, **_: Any) -> None:
        handlers.configure(settings)
        settings.scanning.disabled = not needs_scanning(namespaces)

    for kind in rt.kinds:
        handlers.register_kind(registry, rt, kind)
    return registry


async def _heartbeat(liveness: Liveness) -> None:
    # Proves the event loop turns even when there is nothing to reconcile.
    while True:
        liveness.beat()
        await asyncio.sleep(10)


async def run_operator(
    settings: Settings,
    *,
    namespaces: Sequence[str],
    kinds: Sequence[KindReconciler[Any]] | None = None,
    metrics: Metrics | None = None,
) -> None:
    metrics = metrics or Metrics()
    liveness = Liveness()
    api = _kube_api()
    rt = Runtime(
        settings=settings,
        kinds=kinds or all_kinds(KubeSecretStore(api)),
        metrics=metrics,
        liveness=liveness,
    )
    rt.tracker.wake = Waker(api, {k.kind: k.plural for k in rt.kinds}).wake
    rt.tracker.on_readiness = lambda kind: metrics.set_resource_counts(
        kind, rt.tracker.readiness(kind).values()
    )
    leader = LeaderState(on_change=lambda role: metrics.leading.set(role == "leading"))
    elector = elector_from_settings(settings, api, leader)  # off: `leader` is leading
    ready = readiness_probe(leader, elector, liveness.alive)
    server = serve(metrics, liveness, settings.nbaccess_metrics_port, readiness=ready)
    log.info("metrics on :%d/metrics", server.server_address[1])

    def on_request(record: RequestRecord) -> None:
        # 0: no answer arrived (timeout, reset); the metric's help calls that 'error'.
        code = str(record.code) if record.code else "error"
        metrics.observe_request(record.method, record.route, code, record.duration_seconds)

    options = ClientOptions(
        rate_per_minute=settings.netbird_rate_limit_per_minute,
        burst=settings.netbird_rate_limit_burst,
        timeout_read=settings.netbird_timeout_seconds,
        list_cache_ttl=settings.netbird_list_cache_ttl_seconds,
    )
    heartbeat = asyncio.create_task(_heartbeat(liveness))
    try:
        # A standby waits here: no NetBird client, no watch, no write until it leads.
        async with leadership(elector):
            # Read now, not at start-up: a standby may have waited through a rotation.
            token = settings.api_token()
            async with NetBirdClient(
                str(settings.netbird_api_url).rstrip("/"),
                token,
                options=options,
                on_request=on_request,
            ) as nb:
                rt.netbird = nb
                # Belt and braces: whatever logs a token or a setup key by mistake is redacted.
                for handler in logging.getLogger().handlers:
                    handler.addFilter(RedactingFilter(nb.secrets))
                reload = asyncio.create_task(follow_token_file(settings, token, nb.set_token))
                try:
                    await kopf.operator(
                        registry=build_registry(rt, namespaces),
                        standalone=True,
                        clusterwide=not namespaces,
                        namespaces=list(namespaces),
                    )
                finally:
                    reload.cancel()
    finally:
        heartbeat.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await heartbeat
        server.shutdown()
