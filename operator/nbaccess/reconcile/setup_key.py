"""SetupKey: a NetBird setup key published in a Secret and replaced before it expires.

NetBird shows a key's value once, in the create answer; later reads show a 5-character prefix.
So the Secret is written right after the create, and a key is only ever retired after its
successor is in the Secret: the Secret always holds a key peers can enrol with.

A pass, in order:
1. The previous key (replaced by the last rotation) is deleted once
   `previousKey.revokeAfter` has passed; until then it stays valid so consumers that have not
   re-read the Secret can still enrol.
2. The current key is read by id and the Secret is compared with it (by prefix, all NetBird
   shows). A new key is needed when there is none, it was revoked or deleted outside Git, it
   expires within `rotation.before`, the Secret is missing or holds another key (its value
   cannot be re-created), or annotation `nbaccess.dev/rotate-requested-at` holds a value not
   acted on yet (`status.rotateRequestHandled`). A used-up key (state overused) is not
   replaced on its own: its usage limit was the point; the annotation asks for a fresh one.
3. One pass claims the Secret, writes `status.keyRequestedAt` (with the attempt's time, in
   one status write) before anything is created, then creates the key, writes the Secret,
   moves the old key to `previousKey` with `revokeAfter = now + gracePeriod` and clears
   `keyRequestedAt`.
   Why: setup keys carry no description to mark them as ours and their names are not unique,
   so a key created by a pass that died before recording its id could not be told from a
   user's key of the same name. With the request recorded first, a key is a leftover of ours
   only when it has our name and properties, was created at or after `keyRequestedAt` (its
   creation time is `expires - expiresIn`), is neither the current nor the previous key, and
   was never used (nobody but us could have had its value) or is the one in the Secret. The
   one in the Secret was published before the crash: it becomes the current key. The others
   are deleted. A user's key of the same name is never touched unless it matches
   all of that, created in the moment between the request and our create.
4. `autoGroups` are updated in place on the current and the previous key when they differ.

Status is kept across failures: a pass that fails half way still records what it did (a new
key in the Secret, a previous key to retire), because a failed outcome would otherwise clear
every field of this kind. `recheckAfter` is the earliest of the next rotation and the previous
key's revocation, so the tick acts on time rather than at the next resync.

Rotating while a previous key is still in its grace period (two requests in a row) revokes
that older key first: only one previous key is kept.

`adopt: true` is refused (Stalled) while the CR has no key yet: an existing key cannot be
adopted because its value, which the Secret must hold, is unknown. Once a key exists the
field has nothing to act on and is ignored.

A change of `secretName` is a Secret that does not hold the key: a new key is written to the
new Secret and the old Secret is deleted.

Deletion: `Delete` deletes the current and the previous key (and any leftover of a pending
create), then the Secret, if it is as the operator last saw it (else Kubernetes' garbage
collector deletes it, through its owner reference, once the CR is gone).
`Orphan` leaves both and rewrites the Secret without its owner reference, so the garbage
collector keeps it.

The key's value exists only as a SecretStr, passed from the create answer to the Secret; it is
never in status, events, logs or error messages.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import SecretStr

from nbaccess.access import object_rules
from nbaccess.conditions import Phase, timestamp
from nbaccess.netbird import errors as nb_errors
from nbaccess.netbird.client import NetBirdClient
from nbaccess.netbird.models import SetupKey, SetupKeyCreate, SetupKeyUpdate
from nbaccess.reconcile import drift, engine
from nbaccess.reconcile.engine import classify
from nbaccess.reconcile.kinds import Pass, Reading, Watched
from nbaccess.reconcile.outcome import Outcome, Permanent, ReconcileError, Transient
from nbaccess.reconcile.ports import SecretRef, SecretStore
from nbaccess.reconcile.refs import CrKey
from nbaccess.reconcile.resolve import group_id_by_name, group_ids, group_keys
from nbaccess.reconcile.schedule import REQUEST_ANNOTATIONS, pending_request
from nbaccess.reconcile.specs import parse_spec
from nbaccess.reconcile.status import parse_timestamp
from nbaccess.resources.common import duration_seconds
from nbaccess.resources.setup_key import SetupKeySpec

KIND = "SetupKey"
ROTATE_ANNOTATION = "nbaccess.dev/rotate-requested-at"
ROTATE_HANDLED = REQUEST_ANNOTATIONS["SetupKey"][ROTATE_ANNOTATION]
SECRET_DATA_KEY = "setupKey"  # noqa: S105 (the data key, not a value)
PREFIX_LENGTH = 5
# A leftover's creation time is NetBird's clock, the request time ours. Kept small: a key
# missed for skew merely expires on its own, a user's key taken for ours would be revoked.
CLOCK_SKEW = dt.timedelta(seconds=5)
STATES = ("valid", "expired", "revoked", "overused")

log = logging.getLogger(__name__)


# ------------------------------------------------------------------------- pure decisions


def key_prefix(key: SetupKey) -> str:
    """The characters NetBird shows of a stored key."""
    return key.key.split("*", 1)[0][:PREFIX_LENGTH]


def value_prefix(value: SecretStr | None) -> str | None:
    """The same prefix of a plain key (never more than NetBird itself shows)."""
    if value is None or not value.get_secret_value():
        return None
    return value.get_secret_value()[:PREFIX_LENGTH]


def created_at(key: SetupKey, lifetime: dt.timedelta) -> dt.datetime | None:
    """When NetBird created the key: its expiry minus the lifetime it was created with."""
    return key.expires - lifetime if key.expires is not None else None


def rotation_time(expires: dt.datetime | None, before: dt.timedelta) -> dt.datetime | None:
    return expires - before if expires is not None else None


def renewal_reasons(
    observed: SetupKey | None,
    *,
    had_key: bool,
    secret_prefix: str | None,
    now: dt.datetime,
    before: dt.timedelta,
    requested: str | None,
) -> list[str]:
    """Why the current key must be replaced by a new one; empty when it may stay."""
    if observed is None:
        return ["the key was deleted outside Git" if had_key else "there is no key yet"]
    reasons = []
    if observed.revoked:
        reasons.append("the key was revoked outside Git")
    elif observed.state == "expired" or (observed.expires and observed.expires <= now):
        reasons.append("the key expired")
    elif observed.expires is not None and observed.expires - before <= now:
        reasons.append(f"the key expires at {timestamp(observed.expires)}")
    if requested:
        reasons.append(f"{ROTATE_ANNOTATION} is {requested!r}")
    if secret_prefix is None:
        reasons.append("the Secret does not hold the key")
    elif secret_prefix != key_prefix(observed):
        reasons.append("the Secret holds another key")
    return reasons


def unhandled_request(annotations: Mapping[str, str], handled: str | None) -> str | None:
    return pending_request(annotations, ROTATE_ANNOTATION, handled)


def retire_due(revoke_after: dt.datetime, now: dt.datetime) -> bool:
    return now >= revoke_after


def next_recheck(now: dt.datetime, *times: dt.datetime | None) -> dt.datetime | None:
    """The earliest time still ahead that the outcome depends on. A time already passed was
    acted on, or the pass failed and the retry cadence applies: it would never fire."""
    ahead = [t for t in times if t is not None and t > now]
    return min(ahead) if ahead else None


@dataclass(frozen=True)
class KeyShape:
    """What the operator creates, for telling its own keys from others of the same name."""

    name: str
    type: str
    usage_limit: int
    ephemeral: bool
    allow_extra_dns_labels: bool
    lifetime: dt.timedelta

    @classmethod
    def of(cls, spec: SetupKeySpec, name: str) -> KeyShape:
        return cls(
            name=name,
            type=spec.type,
            # NetBird stores a one-off key's limit as 1, whatever was sent.
            usage_limit=1 if spec.type == "one-off" else spec.usage_limit,
            ephemeral=spec.ephemeral,
            allow_extra_dns_labels=spec.allow_extra_dns_labels,
            lifetime=dt.timedelta(seconds=duration_seconds(spec.expires_in)),
        )

    def matches(self, key: SetupKey) -> bool:
        return (
            key.name == self.name
            and key.type == self.type
            and key.usage_limit == self.usage_limit
            and key.ephemeral == self.ephemeral
            and key.allow_extra_dns_labels == self.allow_extra_dns_labels
        )


def is_leftover(
    key: SetupKey,
    *,
    shape: KeyShape,
    requested_at: dt.datetime,
    known_ids: set[str],
    secret_prefix: str | None,
) -> bool:
    """A key an interrupted pass created after `requested_at` and never recorded."""
    if key.id in known_ids or not shape.matches(key):
        return False
    created = created_at(key, shape.lifetime)
    if created is None or created < requested_at - CLOCK_SKEW:
        return False
    # Used by someone: only the published key may have been, anything else is not ours.
    return key.used_times == 0 or key_prefix(key) == secret_prefix


# ------------------------------------------------------------------------- the status record


@dataclass
class KeyRecord:
    """This kind's status fields, updated step by step so a failed pass keeps its progress."""

    id: str | None = None
    key_prefix: str | None = None
    expires_at: dt.datetime | None = None
    state: str | None = None
    used_times: int | None = None
    secret_name: str | None = None
    last_rotation: dt.datetime | None = None
    next_rotation: dt.datetime | None = None
    previous_id: str | None = None
    revoke_after: dt.datetime | None = None
    requested_at: dt.datetime | None = None
    request_handled: str | None = None

    @classmethod
    def from_status(cls, status: Mapping[str, Any], known_id: str | None) -> KeyRecord:
        previous = status.get("previousKey") or {}
        used = status.get("usedTimes")
        return cls(
            id=known_id,
            key_prefix=status.get("keyPrefix"),
            expires_at=parse_timestamp(status.get("expiresAt")),
            state=status.get("state"),
            used_times=used if isinstance(used, int) else None,
            secret_name=status.get("secretName"),
            last_rotation=parse_timestamp(status.get("lastRotationTime")),
            next_rotation=parse_timestamp(status.get("nextRotationTime")),
            previous_id=previous.get("id") or None,
            revoke_after=parse_timestamp(previous.get("revokeAfter")),
            requested_at=parse_timestamp(status.get("keyRequestedAt")),
            request_handled=status.get(ROTATE_HANDLED),
        )

    def observe(self, key: SetupKey, before: dt.timedelta) -> None:
        self.id = key.id
        self.key_prefix = key_prefix(key)
        self.expires_at = key.expires
        self.state = key.state if key.state in STATES else None
        self.used_times = key.used_times
        self.next_rotation = rotation_time(key.expires, before)

    def recheck_after(self, now: dt.datetime) -> dt.datetime | None:
        revoke = self.revoke_after if self.previous_id else None
        return next_recheck(now, self.next_rotation, revoke)

    def as_status(self, now: dt.datetime) -> dict[str, Any]:
        def ts(value: dt.datetime | None) -> str | None:
            return timestamp(value) if value is not None else None

        previous = None
        if self.previous_id:
            previous = {"id": self.previous_id, "revokeAfter": ts(self.revoke_after or now)}
        return {
            "keyPrefix": self.key_prefix,
            "expiresAt": ts(self.expires_at),
            "state": self.state,
            "usedTimes": self.used_times,
            "secretName": self.secret_name,
            "lastRotationTime": ts(self.last_rotation),
            "nextRotationTime": ts(self.next_rotation),
            "previousKey": previous,
            "recheckAfter": ts(self.recheck_after(now)),
            "keyRequestedAt": ts(self.requested_at),
            ROTATE_HANDLED: self.request_handled,
        }


# ------------------------------------------------------------------------- NetBird calls


class Keys:
    """The setup-key calls a pass makes, with every NetBird error classified."""

    def __init__(self, nb: NetBirdClient) -> None:
        self.nb = nb

    async def get(self, key_id: str, *, fresh: bool = False) -> SetupKey | None:
        try:
            return await self.nb.get_setup_key(key_id, fresh=fresh)
        except nb_errors.NotFound:
            return None
        except nb_errors.NetBirdError as exc:
            raise classify(exc, f"reading setup key {key_id}") from exc

    async def named(self, name: str) -> list[SetupKey]:
        try:
            return [k for k in await self.nb.list_setup_keys() if k.name == name]
        except nb_errors.NetBirdError as exc:
            raise classify(exc, "listing setup keys") from exc

    async def create(self, request: SetupKeyCreate, current: Pass) -> tuple[SetupKey, SecretStr]:
        try:
            created = await self.nb.create_setup_key(request)
        except nb_errors.NetBirdError as exc:
            fate = engine.create_fate(exc)
            if fate != "in-flight":
                # Nothing of it can still land; "answered" is judged by the leftover rule.
                current.recorder.note({engine.CREATE_ANSWERED: True})
            raise classify(exc, f"creating setup key {request.name!r}") from exc
        current.recorder.note({engine.CREATE_ATTEMPTED: None, engine.CREATE_ANSWERED: None})
        value = created.key
        # The create answer's copy without the value, showing the prefix as later reads do.
        shown = f"{value_prefix(value) or ''}****"
        return created.as_setup_key().model_copy(update={"key": shown}), value

    async def set_groups(self, key: SetupKey, groups: list[str]) -> SetupKey:
        try:
            return await self.nb.update_setup_key(
                key.id, SetupKeyUpdate(revoked=False, auto_groups=groups)
            )
        except nb_errors.NetBirdError as exc:
            raise classify(exc, f"updating the auto groups of setup key {key.id}") from exc

    async def retire(self, key_id: str) -> bool:
        """Delete the key; False when it was already gone.

        One call: NetBird deletes a setup key outright (DeleteSetupKey checks no state and
        needs no revocation first), and a peer can no more enrol with a deleted key than with a
        revoked one. A failed delete is retried by the next pass, so revoking first would only
        add two calls per key.
        """
        try:
            await self.nb.delete_setup_key(key_id)
        except nb_errors.NotFound:
            return False
        except nb_errors.NetBirdError as exc:
            raise classify(exc, f"deleting setup key {key_id}") from exc
        return True


# ------------------------------------------------------------------------- the Secret


@dataclass
class Publisher:
    """The Secret the key goes to, with store failures as retryable outcomes."""

    store: SecretStore
    ref: SecretRef

    async def read_prefix(self) -> str | None:
        try:
            data = await self.store.read(self.ref)
        except ReconcileError:
            raise  # the store's own verdict: a Secret that is not ours stops us before NetBird
        except Exception as exc:  # the store is the kube layer's; its errors are not ours
            raise self._failed("reading", exc) from None
        return value_prefix((data or {}).get(SECRET_DATA_KEY))

    async def claim(self) -> None:
        """Make the Secret ours before a key exists for it (two SetupKeys naming one Secret:
        the second stops here, Stalled, without a key in NetBird)."""
        try:
            await self.store.claim(self.ref)
        except ReconcileError:
            raise
        except Exception as exc:
            raise self._failed("claiming", exc) from None

    async def write(self, value: SecretStr) -> None:
        try:
            await self.store.write(self.ref, {SECRET_DATA_KEY: value})
        except ReconcileError:
            raise  # the store's own verdict, e.g. a Secret that is not ours
        except Exception as exc:
            raise self._failed("writing", exc) from None

    async def delete(self, name: str) -> None:
        ref = dataclasses.replace(self.ref, name=name)
        try:
            await self.store.delete(ref)
        except Exception as exc:
            raise self._failed("deleting", exc, name) from None

    async def discard(self) -> None:
        """Delete the Secret with its resource: it holds only a key that no longer exists.

        A failure costs nothing but a little time: the Secret is owned by the resource, so
        the garbage collector deletes it once the resource is gone.
        """
        try:
            await self.store.discard(self.ref)
        except Exception as exc:
            log.warning(
                "Secret %s/%s left to the garbage collector (%s)",
                self.ref.namespace,
                self.ref.name,
                type(exc).__name__,
            )

    async def detach(self) -> None:
        """Keep the Secret but drop its owner reference, so it outlives the CR."""
        bare = SecretRef(self.ref.namespace, self.ref.name)
        try:
            data = await self.store.read(self.ref)
            if data is not None:
                await self.store.write(bare, data)
        except ReconcileError:
            raise
        except Exception as exc:
            raise self._failed("detaching", exc) from None

    def _failed(self, doing: str, exc: Exception, name: str | None = None) -> Transient:
        # Only the exception's type: a store error could carry the request, and so the value.
        secret = f"{self.ref.namespace}/{name or self.ref.name}"
        failure = type(exc).__name__
        return Transient(
            "SecretUnavailable", f"{doing} Secret {secret} failed ({failure}); will retry"
        )


# ------------------------------------------------------------------------- the kind


@dataclass
class Step:
    """One pass's working state: what it observed and what it changed."""

    current: Pass
    spec: SetupKeySpec
    record: KeyRecord
    keys: Keys
    secret: Publisher
    name: str
    before: dt.timedelta
    grace: dt.timedelta
    changes: list[str] = field(default_factory=list)
    observed: SetupKey | None = None
    # The previous key as last read, while it is in its grace period.
    previous: SetupKey | None = None
    secret_prefix: str | None = None
    # Why this pass creates a key (for the event that says it did).
    reasons: list[str] = field(default_factory=list)

    @property
    def now(self) -> dt.datetime:
        return self.current.now


class SetupKeyReconciler:
    kind = KIND
    plural = "setupkeys"
    surveyed: tuple[str, ...] = ("setup_keys",)
    claimed_in: str | None = None
    monitor_seconds: float | None = None

    async def monitor(self, nb: NetBirdClient, watched: Sequence[Watched]) -> list[Reading]:
        return []

    async def drift_elsewhere(self, watched: Sequence[Watched]) -> list[bool]:
        """The Secret deleted, emptied or overwritten since the last pass: NetBird cannot
        show that, and peers could no longer enrol, so each is read (one GET: the operator
        may not list Secrets) at every sweep, all in one call to the store."""
        refs: list[SecretRef | None] = []
        for one in watched:
            try:
                refs.append(self.secret_ref(one.current, self.parse(one.spec)))
            except ReconcileError:
                refs.append(None)  # a pass says what is wrong with the spec
        readings = iter(await self.secrets.read_each([r for r in refs if r is not None]))
        drifted = []
        for one, ref in zip(watched, refs, strict=True):
            reading = next(readings) if ref is not None else None
            if ref is None or isinstance(reading, Exception):
                drifted.append(True)
                continue
            prefix = value_prefix((reading or {}).get(SECRET_DATA_KEY))
            drifted.append(prefix != one.current.previous_status.get("keyPrefix"))
        return drifted

    def __init__(self, secrets: SecretStore) -> None:
        self.secrets = secrets

    def parse(self, spec: Mapping[str, Any]) -> SetupKeySpec:
        return parse_spec(SetupKeySpec, spec)

    def references(self, namespace: str, spec: SetupKeySpec) -> Sequence[CrKey]:
        return group_keys(namespace, spec.auto_groups)

    def facts(self, status: Mapping[str, Any]) -> Mapping[str, str] | None:
        return None

    def secret_ref(self, current: Pass, spec: SetupKeySpec) -> SecretRef:
        return SecretRef(
            current.namespace,
            spec.secret_name or f"{current.name}-setup-key",
            owner_kind=KIND,
            owner_name=current.name,
            owner_uid=current.uid,
        )

    def _step_secret(self, current: Pass, spec: SetupKeySpec) -> Publisher:
        return Publisher(self.secrets, self.secret_ref(current, spec))

    def _step(self, nb: NetBirdClient, current: Pass, spec: SetupKeySpec) -> Step:
        return Step(
            current=current,
            spec=spec,
            record=KeyRecord.from_status(current.previous_status, current.known_id),
            keys=Keys(nb),
            secret=Publisher(self.secrets, self.secret_ref(current, spec)),
            name=spec.name or current.claim.claimant,
            before=dt.timedelta(seconds=duration_seconds(spec.rotation.before)),
            grace=dt.timedelta(seconds=duration_seconds(spec.rotation.grace_period)),
        )

    async def reconcile(self, nb: NetBirdClient, current: Pass, spec: SetupKeySpec) -> Outcome:
        step = self._step(nb, current, spec)
        try:
            outcome = await self._converge(nb, step)
        except ReconcileError as err:
            outcome = Outcome.failed(err, netbird_id=step.record.id)
            outcome.changes = step.changes
        outcome.status = step.record.as_status(current.now)
        outcome.warnings = [f.message for f in object_rules.setup_key_risks(spec)]
        outcome.observed = drift.observed("setup_keys", step.observed, step.previous)
        return outcome

    async def _converge(self, nb: NetBirdClient, step: Step) -> Outcome:
        record, spec = step.record, step.spec
        if spec.adopt and record.id is None:
            raise Permanent(
                "AdoptionUnsupported",
                "an existing setup key cannot be adopted: NetBird shows its value only when "
                "it is created, so it could not be published in the Secret. Remove "
                "spec.adopt and the operator creates a new key (existing keys are left alone)",
            )
        await self._tend_previous(step, groups=None)
        step.observed = await step.keys.get(record.id) if record.id else None
        if step.observed is not None:
            record.observe(step.observed, step.before)
        if record.id or record.requested_at:
            # A key that never existed cannot be in the Secret: a first pass leaves it to
            # the claim (one request fewer), which stops at someone else's Secret all the same.
            step.secret_prefix = await step.secret.read_prefix()

        groups = await self._auto_groups(nb, step)
        if record.requested_at is not None:
            # A pass set out to create a key and did not record the outcome: wait until any
            # create still in flight could have landed, then adopt or remove what it left.
            engine.wait_for_unconfirmed_create(step.current)
            await self._recover_leftovers(step)
        if record.requested_at is None:
            requested = unhandled_request(step.current.annotations, record.request_handled)
            reasons = renewal_reasons(
                step.observed,
                had_key=record.id is not None,
                secret_prefix=step.secret_prefix,
                now=step.now,
                before=step.before,
                requested=requested,
            )
            if reasons:
                await self._announce(step, reasons, requested)
        if record.requested_at is not None:
            await self._create(step, groups)
        # Again after a create: a zero grace period, or an old key that was already unusable.
        await self._tend_previous(step, groups=groups)
        await self._sync_groups(step, groups)
        return self._settled(step)

    # ---- steps

    async def _auto_groups(self, nb: NetBirdClient, step: Step) -> list[str]:
        current = step.current
        ids = await group_ids(nb, current.directory, current.namespace, step.spec.auto_groups or [])
        if ids:
            everyone = await group_id_by_name(nb, "All")
            if everyone in ids:
                raise Permanent(
                    "InvalidSpec",
                    "spec.autoGroups: a reference resolves to NetBird's All group, which a "
                    "setup key cannot carry (every peer is in it anyway)",
                )
        return ids

    async def _announce(self, step: Step, reasons: list[str], requested: str | None) -> None:
        """Decide on a new key: claim the Secret, and note the request for status. `_create`
        writes it, with its attempt, before anything is created, so a crash after the
        create cannot leak the key (see above); one status write instead of two."""
        record = step.record
        # A Secret another resource holds stops us here, before any key exists in NetBird.
        await step.secret.claim()
        record.requested_at = step.now
        if requested:
            record.request_handled = requested
        step.current.recorder.note(
            {"keyRequestedAt": timestamp(step.now), ROTATE_HANDLED: record.request_handled}
        )
        step.reasons = reasons
        log.info("%s %s: creating a new key (%s)", KIND, step.current.owner, "; ".join(reasons))

    async def _recover_leftovers(self, step: Step) -> None:
        """Keys an interrupted create left behind: the published one is adopted, the rest go."""
        record = step.record
        assert record.requested_at is not None
        shape = KeyShape.of(step.spec, step.name)
        known = {i for i in (record.id, record.previous_id) if i}
        leftovers = [
            key
            for key in await step.keys.named(step.name)
            if is_leftover(
                key,
                shape=shape,
                requested_at=record.requested_at,
                known_ids=known,
                secret_prefix=step.secret_prefix,
            )
        ]
        current_in_secret = (
            step.observed is not None and key_prefix(step.observed) == step.secret_prefix
        )
        published = next(
            (k for k in leftovers if not current_in_secret and key_prefix(k) == step.secret_prefix),
            None,
        )
        for key in leftovers:
            if key is published:
                continue
            if await step.keys.retire(key.id):
                step.changes.append(f"removed setup key {key.id} left by an interrupted pass")
                log.info("%s %s: removed leftover setup key %s", KIND, step.current.owner, key.id)
        if published is not None:
            step.changes.append(f"recorded setup key {published.id}, already in the Secret")
            await self._promote(step, published, created=created_at(published, shape.lifetime))

    async def _create(self, step: Step, groups: list[str]) -> None:
        record, spec = step.record, step.spec
        if record.previous_id:
            # Superseded twice: only one previous key is kept, the older one goes now.
            await self._retire_previous(step)
        request = SetupKeyCreate(
            name=step.name,
            type=spec.type,
            expires_in=duration_seconds(spec.expires_in),
            auto_groups=groups,
            usage_limit=spec.usage_limit,
            ephemeral=spec.ephemeral,
            allow_extra_dns_labels=spec.allow_extra_dns_labels,
        )
        current = step.current
        # When this attempt was sent: a deletion waits for it to land (which key is ours is
        # told by keyRequestedAt, the decision, and the key's creation time).
        await current.recorder.record(
            {engine.CREATE_ATTEMPTED: timestamp(current.clock()), engine.CREATE_ANSWERED: None}
        )
        created, value = await step.keys.create(request, current)
        # Published before it is recorded: if this write fails, the key is a leftover the
        # next pass removes, and the Secret still holds the old, valid key.
        await step.secret.write(value)
        replaced = record.id
        why = f" ({'; '.join(step.reasons)})" if step.reasons else ""
        step.changes.append(
            f"created setup key {created.id}"
            + (f", replacing {replaced}" if replaced else "")
            + why
        )
        await self._promote(step, created, created=current.clock())
        log.info(
            "%s %s: published setup key %s in Secret %s",
            KIND,
            step.current.owner,
            created.id,
            step.secret.ref.name,
        )

    async def _promote(self, step: Step, key: SetupKey, *, created: dt.datetime | None) -> None:
        """`key` is now the one in the Secret; the key it replaces gets its grace period."""
        record = step.record
        old, old_secret = step.observed, record.secret_name
        if old is not None and old.id != key.id:
            if record.previous_id and record.previous_id != old.id:
                await self._retire_previous(step)
            usable = old.state == "valid"
            record.previous_id = old.id
            # From when the successor is in the Secret, not from when the pass began.
            published = step.current.clock()
            record.revoke_after = published + step.grace if usable else published
        record.observe(key, step.before)
        record.secret_name = step.secret.ref.name
        record.last_rotation = created
        record.requested_at = None
        step.observed = key
        step.secret_prefix = key_prefix(key)
        if old_secret and old_secret != step.secret.ref.name:
            await step.secret.delete(old_secret)
            step.changes.append(f"deleted Secret {old_secret} (secretName changed)")

    async def _tend_previous(self, step: Step, groups: list[str] | None) -> None:
        """Retire the previous key when its grace is over; otherwise keep its groups in step."""
        record = step.record
        if not record.previous_id:
            return
        if retire_due(record.revoke_after or step.now, step.now):
            await self._retire_previous(step)
            return
        if groups is None:
            return
        previous = step.previous = await step.keys.get(record.previous_id)
        if previous is None:
            record.previous_id, record.revoke_after = None, None
        elif not previous.revoked and previous.auto_groups != groups:
            await step.keys.set_groups(previous, groups)
            step.changes.append(f"updated auto groups of previous setup key {previous.id}")

    async def _retire_previous(self, step: Step) -> None:
        record = step.record
        if record.previous_id is None:
            return
        if await step.keys.retire(record.previous_id):
            step.changes.append(f"deleted previous setup key {record.previous_id}")
        record.previous_id, record.revoke_after = None, None

    async def _sync_groups(self, step: Step, groups: list[str]) -> None:
        key = step.observed
        if key is None or key.revoked or key.auto_groups == groups:
            return
        updated = await step.keys.set_groups(key, groups)
        step.record.observe(updated, step.before)
        step.observed = updated
        step.changes.append("updated auto groups")

    def _settled(self, step: Step) -> Outcome:
        record = step.record
        key = step.observed
        assert key is not None  # a pass that found no key created one or returned earlier
        expires = timestamp(key.expires) if key.expires else "never"
        where = f"Secret {record.secret_name}"
        # For an alert before enrollment breaks, should rotation ever stop working.
        measured = {"setup_key_rotation_window": step.before.total_seconds()}
        if key.expires:
            measured["setup_key_expiry"] = key.expires.timestamp()
        if key.state == "overused":
            return Outcome(
                Phase.READY,
                "UsedUp",
                f"setup key {key.id} has reached its usage limit ({key.used_times} uses); "
                f"set annotation {ROTATE_ANNOTATION} to a new value for a fresh key in {where}",
                netbird_id=key.id,
                changes=step.changes,
                measurements=measured,
            )
        nxt = timestamp(record.next_rotation) if record.next_rotation else "never"
        return Outcome(
            Phase.READY,
            "Synced",
            f"setup key {key.id} ({record.key_prefix}...) is in {where}, valid until {expires}; "
            f"next rotation at {nxt}",
            netbird_id=key.id,
            changes=step.changes,
            measurements=measured,
        )

    # ---- deletion

    async def finalize(self, nb: NetBirdClient, current: Pass, spec: SetupKeySpec) -> None:
        step = self._step(nb, current, spec)
        record = step.record
        # A key still landing from an interrupted create would outlive us, valid, in no Secret.
        engine.wait_for_unconfirmed_create(current)
        leftovers = await self._leftovers_of_a_pending_create(step)
        if spec.deletion_policy == "Orphan":
            if record.id:
                await step.secret.detach()
            # In no Secret any more, so nobody enrolls with them: do not leave them valid.
            unpublished = [k.id for k in leftovers if key_prefix(k) != step.secret_prefix]
            for key_id in [*([record.previous_id] if record.previous_id else []), *unpublished]:
                await step.keys.retire(key_id)
            return
        ids = [i for i in (record.id, record.previous_id) if i] + [k.id for k in leftovers]
        for key_id in ids:
            await step.keys.retire(key_id)
        # One conditional delete, where the garbage collector would read, then delete, after
        # the resource is gone; and the Secret goes with the resource, not some time later.
        await step.secret.discard()

    async def _leftovers_of_a_pending_create(self, step: Step) -> list[SetupKey]:
        record = step.record
        if record.requested_at is None:
            return []
        try:
            step.secret_prefix = await step.secret.read_prefix()
        except Permanent:
            step.secret_prefix = None  # not our Secret: nothing of ours can be in it
        shape = KeyShape.of(step.spec, step.name)
        known = {i for i in (record.id, record.previous_id) if i}
        return [
            key
            for key in await step.keys.named(step.name)
            if is_leftover(
                key,
                shape=shape,
                requested_at=record.requested_at,
                known_ids=known,
                secret_prefix=step.secret_prefix,
            )
        ]
