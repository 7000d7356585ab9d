"""`nbaccess run`: wire settings, the NetBird client, metrics, the queue and kopf into one process.

kopf watches our five kinds and hands every event to the controller, which keeps the store and
queues passes; a bounded pool of workers runs them; a sweeper queues each kind's objects once
per resync interval. Before any worker starts, the store is filled from one list call per kind,
so the first passes resolve references against every object, not only the ones the watch has
delivered so far (a restart would otherwise flip Ready on objects whose dependencies arrive
later in the listing).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gc
import logging
import os
import socket
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import kopf
from kubernetes import client as k8s
from kubernetes import config as k8s_config

from nbaccess.config import Settings
from nbaccess.kube.apiserver import KubeApi
from nbaccess.kube.controller import Controller
from nbaccess.kube.leader import LeaderState, elector_from_settings, leadership, readiness_probe
from nbaccess.kube.scope import needs_scanning
from nbaccess.kube.secrets import KubeSecretStore
from nbaccess.kube.store import ObjectStore
from nbaccess.kube.tracker import Tracker
from nbaccess.metrics import Liveness, Metrics, serve
from nbaccess.netbird.client import ClientOptions, NetBirdClient, RequestRecord
from nbaccess.netbird.errors import NetBirdError
from nbaccess.netbird.redact import RedactingFilter
from nbaccess.reconcile.kinds import KindReconciler
from nbaccess.reconcile.outcome import ReconcileError
from nbaccess.reconcile.ownership import Claim
from nbaccess.reconcile.refs import CrKey
from nbaccess.reconcile.registry import all_kinds
from nbaccess.reconcile.schedule import queue_priority
from nbaccess.reconcile.workqueue import Backoff, WorkQueue
from nbaccess.resources.kinds import GROUP, VERSION
from nbaccess.token_reload import follow_token_file

log = logging.getLogger(__name__)


def _kube_api() -> k8s.ApiClient:
    try:
        k8s_config.load_incluster_config()  # type: ignore[no-untyped-call]
    except k8s_config.ConfigException:
        k8s_config.load_kube_config()  # type: ignore[no-untyped-call]
    return k8s.ApiClient()


class NoDiffBase(kopf.DiffBaseStorage):
    """kopf's diff base, kept for `on.create`/`on.update` handlers: we register none.

    kopf still builds one per event by deep-copying the body (and twice more to strip its
    progress marks): a twentieth of the operator's CPU in a bulk delete, for nothing. Every
    pass reads the object's spec itself, so an empty essence loses nothing.
    """

    def build(
        self, *, body: kopf.Body, extra_fields: Iterable[Any] | None = None
    ) -> kopf.BodyEssence:
        return kopf.BodyEssence()

    def fetch(self, *, body: kopf.Body) -> kopf.BodyEssence | None:
        return None

    def store(self, *, body: kopf.Body, patch: kopf.Patch, essence: kopf.BodyEssence) -> None:
        return None


def configure_kopf(settings: kopf.OperatorSettings, namespaces: Sequence[str]) -> None:
    # We post our own events (from `nbaccess`); kopf's per-handler chatter stays in the log.
    settings.posting.enabled = False
    settings.watching.server_timeout = 300
    settings.persistence.diffbase_storage = NoDiffBase()
    # Exact namespaces need no cluster-wide reads at all (the chart's namespaced RBAC).
    settings.scanning.disabled = not needs_scanning(namespaces)


def build_registry(
    kinds: Sequence[KindReconciler[Any]], controller: Controller, namespaces: Sequence[str] = ()
) -> kopf.OperatorRegistry:
    registry = kopf.OperatorRegistry()
    kopf.on.login(registry=registry)(kopf.login_via_client)

    @kopf.on.startup(registry=registry)
    async def _startup(settings: kopf.OperatorSettings, **_: Any) -> None:
        configure_kopf(settings, namespaces)

    for kind in kinds:
        _watch(registry, kind.kind, kind.plural, controller)
    return registry


def _watch(registry: kopf.OperatorRegistry, kind: str, plural: str, controller: Controller) -> None:
    @kopf.on.event(GROUP, VERSION, plural, registry=registry, id=f"{plural}-watch")
    async def _event(event: kopf.RawEvent, **_: Any) -> None:
        controller.observe(kind, event.get("type"), event["object"])


async def _heartbeat(liveness: Liveness) -> None:
    # Proves the event loop turns even when there is nothing to reconcile.
    while True:
        liveness.beat()
        await asyncio.sleep(10)


async def _sweep(controller: Controller, every: float) -> None:
    """Once per interval, every object is compared with one fresh list per NetBird
    collection; only drifted, not-Ready or twinned objects get a pass."""
    while True:
        await asyncio.sleep(every)
        try:
            queued = await controller.sweep()
        except (NetBirdError, ReconcileError) as exc:
            log.warning("resync failed, tried again next time: %s", exc)
            continue
        except Exception:
            # A bug must not end the sweeps for good (and with them drift repair).
            log.exception("resync failed unexpectedly, tried again next time")
            continue
        if queued:
            log.debug("resync: %d objects to pass", queued)


async def _monitor(controller: Controller, kind: KindReconciler[Any], every: float) -> None:
    while True:
        await asyncio.sleep(every)
        try:
            await controller.monitor(kind)
        except (NetBirdError, ReconcileError) as exc:
            log.warning("reading %s health failed, tried again next time: %s", kind.kind, exc)


async def _prime(
    api: KubeApi,
    controller: Controller,
    kinds: Sequence[KindReconciler[Any]],
    namespaces: Sequence[str],
) -> None:
    for kind in kinds:
        for body in await api.list_kind(kind.kind, namespaces):
            controller.observe(kind.kind, None, body)
    log.info("watching %d objects", len(controller.store))


async def run_operator(
    settings: Settings,
    *,
    namespaces: Sequence[str],
    kinds: Sequence[KindReconciler[Any]] | None = None,
    metrics: Metrics | None = None,
) -> None:
    # Every apiserver call is a blocking kubernetes-client call in a thread. asyncio's own
    # pool has cpu_count + 4 threads (6 on 2 cores): fewer than the workers' calls, the event
    # sender and a sweep's Secret reads together, so passes waited in line for a thread.
    asyncio.get_running_loop().set_default_executor(
        ThreadPoolExecutor(max_workers=2 * settings.nbaccess_workers, thread_name_prefix="kube")
    )
    metrics = metrics or Metrics()
    liveness = Liveness()
    api = _kube_api()
    kinds = list(
        kinds
        or all_kinds(
            KubeSecretStore(api), flap_window_seconds=settings.nbaccess_flap_window_seconds
        )
    )
    instance = os.environ.get("POD_NAME") or socket.gethostname()
    kube = KubeApi(api, {k.kind: k.plural for k in kinds}, instance)
    queue: WorkQueue[CrKey] = WorkQueue(
        Backoff(settings.nbaccess_retry_seconds, settings.nbaccess_retry_max_seconds),
        priority=queue_priority,
        lane=lambda key: key.namespace,
    )
    holder: dict[str, NetBirdClient] = {}

    def netbird() -> NetBirdClient:
        return holder["client"]

    tracker = Tracker()
    controller = Controller(
        kinds=kinds,
        store=ObjectStore(),
        queue=queue,
        tracker=tracker,
        api=kube,
        netbird=netbird,
        metrics=metrics,
        liveness=liveness,
        cluster=settings.nbaccess_cluster_name,
        create_grace=dt.timedelta(seconds=settings.create_grace_seconds),
    )
    log.info(
        "cluster %r: NetBird objects are claimed as 'managed by nbaccess: %s'",
        settings.nbaccess_cluster_name,
        Claim(settings.nbaccess_cluster_name, "<namespace>", "<name>").claimant,
    )
    tracker.on_readiness = lambda kind: metrics.set_resource_counts(kind, *tracker.counts(kind))
    leader = LeaderState(on_change=lambda role: metrics.leading.set(role == "leading"))
    elector = elector_from_settings(settings, api, leader)  # off: `leader` is leading
    ready = readiness_probe(leader, elector, liveness.alive)
    server = serve(metrics, liveness, settings.nbaccess_metrics_port, readiness=ready)
    log.info("metrics on :%d/metrics", server.server_address[1])

    def on_request(record: RequestRecord) -> None:
        # 0: no answer arrived (timeout, reset); the metric's help calls that 'error'.
        code = str(record.code) if record.code else "error"
        metrics.observe_request(record.method, record.route, code, record.duration_seconds)
        if record.error is not None:
            metrics.netbird_errors.labels(reason=record.error).inc()
        if record.waited_seconds:
            metrics.rate_limit_wait.inc(record.waited_seconds)

    def on_retry(reason: str) -> None:
        metrics.netbird_retries.labels(reason=reason).inc()

    limit = settings.rate_limit()
    log.info(
        "NetBird at %s, client-side rate limit: %s",
        settings.netbird_api_url,
        limit.describe() if limit else "none (set NETBIRD_RATE_LIMIT_PER_MINUTE for one)",
    )
    options = ClientOptions(
        rate_per_minute=limit.per_minute if limit else None,
        burst=limit.burst if limit else 1,
        timeout_read=settings.netbird_timeout_seconds,
        list_cache_ttl=settings.netbird_list_cache_ttl_seconds,
    )
    tasks: list[asyncio.Task[None]] = [asyncio.create_task(_heartbeat(liveness))]
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
                on_retry=on_retry,
            ) as nb:
                holder["client"] = nb
                # Belt and braces: whatever logs a token or a setup key by mistake is redacted.
                for handler in logging.getLogger().handlers:
                    handler.addFilter(RedactingFilter(nb.secrets))
                tasks.append(asyncio.create_task(follow_token_file(settings, token, nb.set_token)))
                await _prime(kube, controller, kinds, namespaces)
                # What is alive now (the kubernetes client's and pydantic's classes, the
                # start-up listing) lives as long as the process: the collector need not walk
                # it again. Each full collection walked all of it, 0.1 to 0.3 s at N = 500.
                # Garbage first: a cycle frozen would never be freed.
                gc.collect()
                gc.freeze()
                tasks += [
                    asyncio.create_task(controller.work()) for _ in range(settings.nbaccess_workers)
                ]
                tasks.append(
                    asyncio.create_task(_sweep(controller, settings.nbaccess_resync_seconds))
                )
                tasks += [
                    asyncio.create_task(
                        _monitor(controller, kind, settings.nbaccess_health_seconds or every)
                    )
                    for kind in kinds
                    if (every := kind.monitor_seconds) is not None
                ]
                await kopf.operator(
                    registry=build_registry(kinds, controller, namespaces),
                    standalone=True,
                    clusterwide=not namespaces,
                    namespaces=list(namespaces),
                )
    finally:
        queue.close()
        tasks += controller.background()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        server.shutdown()
