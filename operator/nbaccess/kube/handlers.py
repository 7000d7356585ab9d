"""Thin kopf registrations: turn a kopf call into a `Pass`, run the kind, write status once.

Change handlers never raise for a classified failure: the status says what happened and the
per-object tick (`pass_due`) decides when to try again. That keeps retries under our control
(kopf would otherwise keep a delayed handler asleep even when a dependency turns Ready).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Mapping
from typing import Any

import kopf

from nbaccess.conditions import Phase
from nbaccess.kube import indexes
from nbaccess.kube.runtime import Runtime
from nbaccess.reconcile.kinds import ID_ANNOTATION, KindReconciler, Pass
from nbaccess.reconcile.outcome import Outcome, ReconcileError
from nbaccess.reconcile.refs import CrKey
from nbaccess.reconcile.schedule import pass_due
from nbaccess.reconcile.status import build_status, condition, parse_timestamp
from nbaccess.resources.kinds import GROUP, VERSION

FINALIZER = f"{GROUP}/finalizer"
log = logging.getLogger(__name__)


def configure(settings: kopf.OperatorSettings) -> None:
    """Our finalizer and annotation prefix instead of kopf's defaults (architecture.md)."""
    settings.persistence.finalizer = FINALIZER
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix=GROUP)
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
        prefix=GROUP, key="last-handled-configuration"
    )
    # Only our explicit events reach Kubernetes; kopf's own per-handler chatter stays in the log.
    settings.posting.level = logging.WARNING
    settings.watching.server_timeout = 300


def _known_id(status: Mapping[str, Any], annotations: Mapping[str, str]) -> str | None:
    value = status.get("id") or annotations.get(ID_ANNOTATION)
    return str(value) if value else None


def _status(rt: Runtime, kind: KindReconciler[Any], body: kopf.Body) -> dict[str, Any]:
    """The freshest status we know: the body's, or what we wrote if the watch lags behind.

    kopf applies a pass's patch after the handler returns, and a timer's body is refreshed only
    by watch events, so a tick queued behind a change handler would otherwise act on the
    status from before that pass (e.g. without the id it just recorded).
    """
    seen = dict(body.get("status") or {})
    key = CrKey(kind.kind, body.metadata.namespace or "", body.metadata.name or "")
    written = rt.written.get(key)
    if written is None:
        return seen
    when_written = parse_timestamp(written.get("lastSyncedTime"))
    when_seen = parse_timestamp(seen.get("lastSyncedTime"))
    if when_seen is None or (when_written is not None and when_written >= when_seen):
        return dict(written)
    return seen


def _current(
    rt: Runtime, kind: KindReconciler[Any], body: kopf.Body, extra: Mapping[str, Any]
) -> Pass:
    meta = body.get("metadata", {})
    status = _status(rt, kind, body)
    annotations = dict(meta.get("annotations") or {})
    return Pass(
        namespace=str(meta.get("namespace")),
        name=str(meta.get("name")),
        generation=int(meta.get("generation") or 0),
        known_id=_known_id(status, annotations),
        directory=indexes.directory(extra, rt.plurals),
        now=dt.datetime.now(dt.UTC),
        previous_status=status,
        annotations=annotations,
        uid=str(meta.get("uid") or ""),
    )


async def run_pass(
    rt: Runtime,
    kind: KindReconciler[Any],
    body: kopf.Body,
    patch: kopf.Patch,
    extra: Mapping[str, Any],
) -> Outcome:
    current = _current(rt, kind, body, extra)
    started = time.monotonic()
    try:
        spec = kind.parse(body.get("spec") or {})
        outcome = await kind.reconcile(rt.client(), current, spec)
    except ReconcileError as err:
        outcome = Outcome.failed(err, netbird_id=current.known_id)
    except Exception as exc:  # a bug must not leave the CR without a status
        log.exception("%s %s: unexpected failure", kind.kind, current.owner)
        outcome = Outcome(
            Phase.PROGRESSING, "InternalError", f"unexpected {type(exc).__name__}; will retry"
        )
    result = "error" if outcome.reason == "InternalError" else outcome.phase.value
    rt.metrics.observe_reconcile(kind.kind, result, time.monotonic() - started)
    rt.liveness.beat()
    written = _write(kind, body, patch, current, outcome)
    key = CrKey(kind.kind, current.namespace, current.name)
    merged = {**current.previous_status, **written}
    rt.written[key] = {k: v for k, v in merged.items() if v is not None}
    _measure(rt, current, outcome)
    return outcome


def _write(
    kind: KindReconciler[Any], body: kopf.Body, patch: kopf.Patch, current: Pass, outcome: Outcome
) -> dict[str, Any]:
    status = build_status(
        outcome, current.previous_status, generation=current.generation, now=current.now
    )
    patch.setdefault("status", {}).update(status)
    if outcome.netbird_id and current.annotations.get(ID_ANNOTATION) != outcome.netbird_id:
        patch.setdefault("metadata", {}).setdefault("annotations", {})[ID_ANNOTATION] = (
            outcome.netbird_id
        )
    for change in outcome.changes:
        log.info("%s %s: %s", kind.kind, current.owner, change)
        kopf.event(body, type="Normal", reason="Synced", message=f"NetBird {change}")
    prev = current.previous_status
    changed_verdict = (outcome.reason, outcome.message) != _previous_verdict(prev)
    if outcome.phase is not Phase.READY and changed_verdict:
        log.warning("%s %s: %s: %s", kind.kind, current.owner, outcome.reason, outcome.message)
        kopf.warn(body, reason=outcome.reason, message=outcome.message[:1000])
    new_warnings = [w for w in outcome.warnings if w not in (prev.get("warnings") or [])]
    for warning in new_warnings:
        kopf.warn(body, reason="RiskyPolicy", message=warning)
    for cond in outcome.conditions:
        # Data-plane health (routing peers) changes without any spec change: say so when it
        # flips, not on every pass.
        before = condition(prev, cond.type)
        if before is not None and before.get("status") != cond.status:
            healthy = cond.status == "True"
            log.log(
                logging.INFO if healthy else logging.WARNING,
                "%s %s: %s=%s: %s",
                kind.kind,
                current.owner,
                cond.type,
                cond.status,
                cond.message,
            )
            kopf.event(
                body,
                type="Normal" if healthy else "Warning",
                reason=cond.reason,
                message=f"{cond.type} is {cond.status}: {cond.message}"[:1000],
            )

    return status


def _previous_verdict(status: Mapping[str, Any]) -> tuple[str, str] | None:
    ready = condition(status, "Ready")
    return None if ready is None else (str(ready.get("reason")), str(ready.get("message")))


def _measure(rt: Runtime, current: Pass, outcome: Outcome) -> None:
    # nbaccess_resources follows the tracker, which the watch feeds (see runner.py).
    for name, value in outcome.measurements.items():
        rt.metrics.set_object_gauge(name, current.namespace, current.name, value)


def register_kind(registry: kopf.OperatorRegistry, rt: Runtime, kind: KindReconciler[Any]) -> None:
    indexes.register_indexes(registry, kind, rt.tracker)

    def key_of(body: kopf.Body) -> CrKey:
        return CrKey(kind.kind, body.metadata.namespace or "", body.metadata.name or "")

    async def on_change(body: kopf.Body, patch: kopf.Patch, **extra: Any) -> None:
        async with rt.locks[key_of(body)]:
            await run_pass(rt, kind, body, patch, extra)

    async def on_tick(body: kopf.Body, patch: kopf.Patch, **extra: Any) -> None:
        # Decided inside the lock, on the freshest status: a pass that just ran counts.
        async with rt.locks[key_of(body)]:
            due = pass_due(
                _status(rt, kind, body),
                kind=kind.kind,
                now=dt.datetime.now(dt.UTC),
                resync_seconds=rt.settings.nbaccess_resync_seconds,
                retry_seconds=rt.settings.nbaccess_retry_seconds,
                annotations=body.metadata.annotations,
            )
            if due:
                await run_pass(rt, kind, body, patch, extra)

    async def on_delete(body: kopf.Body, retry: int, **extra: Any) -> None:
        current = _current(rt, kind, body, extra)
        key = CrKey(kind.kind, current.namespace, current.name)
        async with rt.locks[key]:
            try:
                spec = kind.parse(body.get("spec") or {})
            except ReconcileError as err:
                if current.known_id is None:
                    spec = None  # nothing was created in NetBird: nothing to clean up
                else:
                    # Which NetBird object to delete, and whether to, is in the spec we cannot
                    # read: keep the CR so nothing is lost silently; fixing the spec (or
                    # removing the finalizer deliberately) lets the deletion finish.
                    kopf.warn(body, reason=err.reason, message=err.message[:1000])
                    raise kopf.TemporaryError(
                        err.message, delay=rt.settings.nbaccess_resync_seconds
                    ) from err
            if spec is not None:
                try:
                    await kind.finalize(rt.client(), current, spec)
                except ReconcileError as err:
                    kopf.warn(body, reason=err.reason, message=err.message[:1000])
                    # Still in use, NetBird busy: wait longer each time, up to the resync, so a
                    # long-lived dependant does not cost a DELETE every few seconds.
                    delay = min(
                        rt.settings.nbaccess_resync_seconds,
                        rt.settings.nbaccess_retry_seconds * 2 ** min(retry, 10),
                    )
                    if err.phase is not Phase.PROGRESSING:
                        delay = rt.settings.nbaccess_resync_seconds
                    raise kopf.TemporaryError(err.message, delay=delay) from err
        rt.locks.pop(key, None)
        rt.written.pop(key, None)
        rt.tracker.forget(key)
        rt.metrics.forget_object(current.namespace, current.name)

    resource = (GROUP, VERSION, kind.plural)
    prefix = kind.plural
    kopf.on.create(*resource, registry=registry, id=f"{prefix}-create")(on_change)
    kopf.on.update(*resource, registry=registry, id=f"{prefix}-update")(on_change)
    kopf.on.resume(*resource, registry=registry, id=f"{prefix}-resume")(on_change)
    kopf.on.delete(*resource, registry=registry, id=f"{prefix}-delete")(on_delete)
    tick = min(rt.settings.nbaccess_retry_seconds, rt.settings.nbaccess_resync_seconds)
    kopf.timer(
        *resource, registry=registry, id=f"{prefix}-tick", interval=tick, initial_delay=tick
    )(on_tick)
