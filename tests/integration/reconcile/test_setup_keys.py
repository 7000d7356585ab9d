"""SetupKey against the fake NetBird: what a platform team checks is the Secret, and that a
peer can enrol with what it holds, before, during and after every rotation and failure."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
from pydantic import SecretStr

from nbaccess.conditions import Phase, kstatus_violations
from nbaccess.netbird.client import ClientOptions, NetBirdClient
from nbaccess.netbird.models import SetupKeyCreate
from nbaccess.reconcile.kinds import Pass
from nbaccess.reconcile.ports import MemorySecretStore, SecretRef
from nbaccess.reconcile.refs import CrKey
from nbaccess.reconcile.registry import all_kinds
from nbaccess.reconcile.status import parse_timestamp
from tests.fakes import FAKE_BASE_URL, DropKind, FakeNetBird
from tests.integration.reconcile.conftest import NOW, Clock, Cluster

ROTATE = "nbaccess.dev/rotate-requested-at"
SECRET = ("team", "routers-setup-key")


async def _no_sleep(_: float) -> None:
    return None


class FlakySecretStore(MemorySecretStore):
    """A Secret store whose next writes fail, as an apiserver outage would."""

    def __init__(self) -> None:
        super().__init__()
        self.failing_writes = 0
        self.refs: list[SecretRef] = []
        self.on_write: Callable[[], None] | None = None

    async def write(self, ref: SecretRef, data: Mapping[str, SecretStr]) -> None:
        if self.failing_writes:
            self.failing_writes -= 1
            raise ConnectionError("apiserver unavailable")
        self.refs.append(ref)
        await super().write(ref, data)
        if self.on_write is not None:
            self.on_write()


@dataclass
class Time:
    """One clock for NetBird and the operator, so expiry means the same to both."""

    now: dt.datetime = NOW


@dataclass
class KeyCluster(Cluster):
    """The shared Cluster plus what setup keys read: annotations, the uid, the Secrets."""

    store: FlakySecretStore = field(default_factory=FlakySecretStore)
    annotations: dict[CrKey, dict[str, str]] = field(default_factory=dict)
    cache_clock: Clock = field(default_factory=Clock)
    time: Time = field(default_factory=Time)

    def current(self, key: CrKey) -> Pass:
        return dataclasses.replace(super().current(key), annotations=self.annotations.get(key, {}))

    def advance(self, delta: dt.timedelta) -> None:
        """Time passes for everyone: NetBird, the operator, and the client's list cache."""
        self.now += delta
        self.time.now = self.now
        self.cache_clock.advance(delta.total_seconds())

    def status(self, key: CrKey) -> dict[str, Any]:
        return dict(self.objects[key]["status"])

    def secret(self, name: tuple[str, str] = SECRET) -> str | None:
        data = self.store.secrets.get(name)
        return data["setupKey"].get_secret_value() if data else None


@pytest.fixture
def time() -> Time:
    return Time()


@pytest.fixture
def fake(time: Time) -> FakeNetBird:
    return FakeNetBird(clock=lambda: time.now)


@pytest.fixture
async def keys(fake: FakeNetBird, clock: Clock, time: Time) -> AsyncIterator[KeyCluster]:
    store = FlakySecretStore()
    async with NetBirdClient(
        FAKE_BASE_URL,
        fake.token,
        options=ClientOptions(list_cache_ttl=10.0),
        transport=fake.transport(),
        clock=clock,
        sleep=_no_sleep,
    ) as nb:
        kinds = {k.kind: k for k in all_kinds(store)}
        yield KeyCluster(nb, kinds, store=store, cache_clock=clock, time=time)


def key_spec(**extra: Any) -> dict[str, Any]:
    return {
        "name": "routers",
        "autoGroups": [{"ref": "routing-peers"}],
        "rotation": {"before": "168h", "gracePeriod": "1h"},
        **extra,
    }


async def make_key(cluster: KeyCluster, **extra: Any) -> CrKey:
    group = cluster.apply("NetBirdGroup", "routing-peers", {})
    key = cluster.apply("SetupKey", "routers", key_spec(**extra))
    await cluster.converge(group, key)
    return key


def group_id(cluster: KeyCluster) -> str:
    return str(cluster.objects[CrKey("NetBirdGroup", "team", "routing-peers")]["status"]["id"])


def netbird_keys(fake: FakeNetBird, name: str = "routers") -> dict[str, Any]:
    with fake.lock:
        return {k.id: k for k in fake.account.setup_keys.values() if k.name == name}


def enrolls(fake: FakeNetBird, value: str | None, peer: str) -> bool:
    """True when a peer can register with `value`, as a NetBird client would."""
    if value is None:
        return False
    try:
        fake.add_peer(peer, setup_key=value)
    except ValueError:
        return False
    return True


async def rotate(cluster: KeyCluster, key: CrKey) -> None:
    """One pass records the decision, creates the new key and publishes it."""
    outcome = await cluster.reconcile(key)
    assert outcome.phase is Phase.READY, outcome
    assert any(change.startswith("created setup key") for change in outcome.changes), outcome


async def test_the_secret_holds_a_key_that_enrols_peers_into_the_auto_groups(
    keys: KeyCluster, fake: FakeNetBird
) -> None:
    key = await make_key(keys)

    value = keys.secret()
    assert value is not None
    stored = netbird_keys(fake)
    assert len(stored) == 1
    (netbird_key,) = stored.values()
    assert netbird_key.plain_key == value
    assert netbird_key.auto_groups == [group_id(keys)]

    peer = fake.add_peer("router-1", setup_key=value)
    with fake.lock:
        assert peer in fake.account.groups[group_id(keys)].peers

    status = keys.status(key)
    assert status["id"] == netbird_key.id
    assert status["keyPrefix"] == value[:5]
    assert status["secretName"] == "routers-setup-key"
    assert status["state"] == "valid"
    expires = parse_timestamp(status["expiresAt"])
    assert expires == NOW + dt.timedelta(hours=720)
    assert parse_timestamp(status["nextRotationTime"]) == NOW + dt.timedelta(hours=720 - 168)
    assert status["recheckAfter"] == status["nextRotationTime"]
    assert "previousKey" not in status
    assert "keyRequestedAt" not in status
    assert kstatus_violations(status, 1) == []
    assert value not in json.dumps(status)
    assert keys.store.refs[-1].owner_uid == "uid-routers"


async def test_a_resync_writes_nothing_to_netbird_or_the_secret(
    keys: KeyCluster, fake: FakeNetBird
) -> None:
    key = await make_key(keys)
    netbird_writes, secret_writes = len(fake.writes()), keys.store.writes

    keys.advance(dt.timedelta(minutes=5))
    outcome = await keys.reconcile(key)

    assert outcome.phase is Phase.READY
    assert outcome.reason == "Synced"
    assert outcome.changes == []
    assert len(fake.writes()) == netbird_writes
    assert keys.store.writes == secret_writes


async def test_rotation_before_expiry_keeps_the_old_key_valid_for_the_grace_period(
    keys: KeyCluster, fake: FakeNetBird
) -> None:
    key = await make_key(keys)
    old_value, old_id = keys.secret(), keys.status(key)["id"]

    # Just inside rotation.before: one pass creates the successor and publishes it.
    keys.advance(dt.timedelta(hours=720 - 168, seconds=11))
    rotated_at = keys.now
    outcome = await keys.reconcile(key)
    assert outcome.phase is Phase.READY
    new_value = keys.secret()
    status = keys.status(key)
    assert new_value != old_value
    assert status["id"] != old_id
    assert status["previousKey"] == {"id": old_id, "revokeAfter": "2026-12-18T13:00:11Z"}
    assert status["recheckAfter"] == status["previousKey"]["revokeAfter"]
    assert parse_timestamp(status["lastRotationTime"]) == rotated_at
    assert set(netbird_keys(fake)) == {old_id, status["id"]}

    # During the grace period both keys enrol: consumers pick up the new one at their pace.
    keys.advance(dt.timedelta(minutes=30))
    assert (await keys.reconcile(key)).changes == []
    assert enrolls(fake, old_value, "late-reader")
    assert enrolls(fake, new_value, "prompt-reader")

    keys.advance(dt.timedelta(minutes=31))
    outcome = await keys.reconcile(key)
    assert outcome.changes == [f"deleted previous setup key {old_id}"]
    assert not enrolls(fake, old_value, "too-late")
    assert enrolls(fake, new_value, "router-2")
    status = keys.status(key)
    assert "previousKey" not in status
    assert set(netbird_keys(fake)) == {status["id"]}
    assert status["recheckAfter"] == status["nextRotationTime"]


async def test_the_rotate_annotation_rotates_once_per_value(
    keys: KeyCluster, fake: FakeNetBird
) -> None:
    key = await make_key(keys)
    first_value, first_id = keys.secret(), keys.status(key)["id"]

    keys.annotations[key] = {ROTATE: "2026-11-25T12:05:00Z"}
    await rotate(keys, key)
    second_value, second_id = keys.secret(), keys.status(key)["id"]
    assert second_value != first_value
    assert keys.status(key)["rotateRequestHandled"] == "2026-11-25T12:05:00Z"
    assert keys.status(key)["previousKey"]["id"] == first_id

    # The same value again is not a new request.
    writes = len(fake.writes())
    assert (await keys.reconcile(key)).changes == []
    assert len(fake.writes()) == writes

    # A second request within the grace period: only one previous key is kept, so the
    # oldest goes now; the Secret's key and its predecessor stay valid.
    keys.annotations[key] = {ROTATE: "again"}
    await rotate(keys, key)
    assert not enrolls(fake, first_value, "oldest")
    assert enrolls(fake, second_value, "previous")
    assert enrolls(fake, keys.secret(), "current")
    assert keys.status(key)["previousKey"]["id"] == second_id
    assert set(netbird_keys(fake)) == {second_id, keys.status(key)["id"]}


async def test_a_key_revoked_outside_git_is_replaced_and_cleaned_up(
    keys: KeyCluster, fake: FakeNetBird
) -> None:
    key = await make_key(keys)
    old_id = keys.status(key)["id"]
    with fake.lock:
        fake.account.setup_keys[old_id].revoked = True
    keys.advance(dt.timedelta(minutes=1))

    outcome = await keys.reconcile(key)
    assert outcome.phase is Phase.READY
    assert any("revoked outside Git" in change for change in outcome.changes)

    assert enrolls(fake, keys.secret(), "router-1")
    # The revoked key had no grace to give: it is deleted in the same pass.
    assert set(netbird_keys(fake)) == {keys.status(key)["id"]}
    assert "previousKey" not in keys.status(key)


async def test_a_key_deleted_outside_git_is_replaced(keys: KeyCluster, fake: FakeNetBird) -> None:
    key = await make_key(keys)
    with fake.lock:
        fake.account.setup_keys.clear()
    keys.advance(dt.timedelta(minutes=1))
    await rotate(keys, key)
    assert enrolls(fake, keys.secret(), "router-1")
    assert "previousKey" not in keys.status(key)


async def test_a_deleted_secret_gets_a_new_key_and_the_old_one_its_grace(
    keys: KeyCluster, fake: FakeNetBird
) -> None:
    key = await make_key(keys)
    old_value = keys.secret()
    keys.store.secrets.clear()
    keys.advance(dt.timedelta(minutes=1))

    outcome = await keys.reconcile(key)
    assert outcome.phase is Phase.READY
    assert any("does not hold the key" in change for change in outcome.changes)

    assert keys.secret() not in (None, old_value)
    assert enrolls(fake, keys.secret(), "router-1")
    assert enrolls(fake, old_value, "still-in-grace")


async def test_a_new_secret_name_moves_the_key_and_removes_the_old_secret(
    keys: KeyCluster, fake: FakeNetBird
) -> None:
    key = await make_key(keys)
    keys.apply("SetupKey", "routers", key_spec(secretName="join-routers"))
    await rotate(keys, key)
    assert keys.secret() is None
    assert enrolls(fake, keys.secret(("team", "join-routers")), "router-1")
    assert keys.status(key)["secretName"] == "join-routers"


async def test_auto_groups_change_in_place_without_a_new_key(
    keys: KeyCluster, fake: FakeNetBird
) -> None:
    key = await make_key(keys)
    key_id, value = keys.status(key)["id"], keys.secret()
    other = keys.apply("NetBirdGroup", "gateways", {})
    await keys.converge(other)
    keys.apply("SetupKey", "routers", key_spec(autoGroups=[{"ref": "gateways"}]))

    outcome = await keys.reconcile(key)

    assert outcome.changes == ["updated auto groups"]
    assert keys.status(key)["id"] == key_id
    assert keys.secret() == value
    gateways = keys.objects[other]["status"]["id"]
    peer = fake.add_peer("gw-1", setup_key=value)
    with fake.lock:
        assert peer in fake.account.groups[gateways].peers


async def test_a_failed_create_during_rotation_leaves_the_old_key_published(
    keys: KeyCluster, fake: FakeNetBird
) -> None:
    key = await make_key(keys)
    old_value = keys.secret()
    before = keys.status(key)
    keys.annotations[key] = {ROTATE: "now"}
    fake.fail_next(1, 500, method="POST", path="/api/setup-keys")
    outcome = await keys.reconcile(key)

    assert outcome.phase is Phase.PROGRESSING
    assert keys.secret() == old_value
    assert enrolls(fake, old_value, "router-1")
    status = keys.status(key)
    # The failed pass kept what status knew instead of wiping this kind's fields.
    assert status["expiresAt"] == before["expiresAt"]
    assert status["keyRequestedAt"]
    assert kstatus_violations(status, 1) == []
    assert (await keys.reconcile(key)).phase is Phase.READY
    assert enrolls(fake, keys.secret(), "router-2")
    assert keys.secret() != old_value


async def test_a_create_whose_answer_was_lost_leaves_no_stray_key(
    keys: KeyCluster, fake: FakeNetBird
) -> None:
    key = await make_key(keys)
    old_id, old_value = keys.status(key)["id"], keys.secret()
    keys.annotations[key] = {ROTATE: "now"}
    fake.drop_next(
        1, kind=DropKind.RESET, method="POST", path="/api/setup-keys", after_processing=True
    )
    assert (await keys.reconcile(key)).phase is Phase.PROGRESSING
    assert len(netbird_keys(fake)) == 2  # created, but the operator never saw its value
    assert keys.secret() == old_value

    # No answer: the create may still be landing, so nothing is made again before it could.
    keys.advance(dt.timedelta(seconds=15))
    waiting = await keys.reconcile(key)
    assert waiting.reason == "CreatePending"
    assert len(netbird_keys(fake)) == 2

    keys.advance(dt.timedelta(seconds=60))
    outcome = await keys.reconcile(key)

    assert outcome.phase is Phase.READY
    assert any("left by an interrupted pass" in c for c in outcome.changes)
    assert set(netbird_keys(fake)) == {old_id, keys.status(key)["id"]}
    assert enrolls(fake, keys.secret(), "router-1")


async def test_a_failed_secret_write_never_publishes_a_revoked_key(
    keys: KeyCluster, fake: FakeNetBird
) -> None:
    key = await make_key(keys)
    old_id, old_value = keys.status(key)["id"], keys.secret()
    keys.annotations[key] = {ROTATE: "now"}
    keys.store.failing_writes = 1
    outcome = await keys.reconcile(key)
    assert outcome.reason == "SecretUnavailable"
    assert "apiserver unavailable" not in outcome.message  # the store's text never leaks
    assert keys.secret() == old_value
    assert enrolls(fake, old_value, "router-1")

    await keys.reconcile(key)
    assert enrolls(fake, keys.secret(), "router-2")
    assert set(netbird_keys(fake)) == {old_id, keys.status(key)["id"]}


async def test_a_crash_after_publishing_adopts_the_published_key(
    keys: KeyCluster, fake: FakeNetBird
) -> None:
    key = await make_key(keys)
    old_id = keys.status(key)["id"]
    keys.annotations[key] = {ROTATE: "now"}
    # The pass records its intent, creates and publishes, then the operator dies before the
    # final status write: status is left as it was when the Secret was written.
    at_publish: list[dict[str, Any]] = []
    keys.store.on_write = lambda: at_publish.append(keys.status(key))
    await keys.reconcile(key)
    published = keys.secret()
    keys.objects[key]["status"] = at_publish[-1]
    assert at_publish[-1]["keyRequestedAt"]

    keys.advance(dt.timedelta(seconds=61))  # past the time an unanswered create may land
    outcome = await keys.reconcile(key)

    assert outcome.phase is Phase.READY
    status = keys.status(key)
    assert published is not None
    assert keys.secret() == published
    assert status["keyPrefix"] == published[:5]
    assert status["previousKey"]["id"] == old_id
    assert len(netbird_keys(fake)) == 2  # no third key was minted
    assert enrolls(fake, published, "router-1")


async def test_a_failed_retirement_is_retried_and_the_secret_stays_valid(
    keys: KeyCluster, fake: FakeNetBird
) -> None:
    key = await make_key(keys)
    old_id = keys.status(key)["id"]
    keys.annotations[key] = {ROTATE: "now"}
    await rotate(keys, key)

    keys.advance(dt.timedelta(hours=2))
    fake.fail_next(10, 503, method="DELETE", path="/api/setup-keys")  # past the client's retries
    outcome = await keys.reconcile(key)
    assert outcome.phase is Phase.PROGRESSING
    assert keys.status(key)["previousKey"]["id"] == old_id
    assert enrolls(fake, keys.secret(), "router-1")

    fake.clear_faults()
    assert (await keys.reconcile(key)).phase is Phase.READY
    assert set(netbird_keys(fake)) == {keys.status(key)["id"]}


async def test_retiring_a_key_is_one_call(keys: KeyCluster, fake: FakeNetBird) -> None:
    key = await make_key(keys)
    keys.annotations[key] = {ROTATE: "now"}
    await rotate(keys, key)
    keys.advance(dt.timedelta(hours=2))
    fake.clear_log()
    await keys.reconcile(key)
    writes = [(w.method, w.path.rsplit("/", 1)[0]) for w in fake.writes()]
    assert writes == [("DELETE", "/api/setup-keys")]


async def test_a_users_key_of_the_same_name_is_never_touched(
    keys: KeyCluster, fake: FakeNetBird
) -> None:
    # Made by hand before the CR exists, with the very same shape.
    with fake.lock:
        fake.account.setup_keys.clear()
    group = keys.apply("NetBirdGroup", "routing-peers", {})
    await keys.converge(group)
    hand_made = await keys.nb.create_setup_key(
        SetupKeyCreate(
            name="routers", type="reusable", expires_in=720 * 3600, auto_groups=[group_id(keys)]
        )
    )
    keys.advance(dt.timedelta(minutes=10))

    key = keys.apply("SetupKey", "routers", key_spec())
    await keys.converge(key)
    keys.annotations[key] = {ROTATE: "now"}
    await rotate(keys, key)
    keys.advance(dt.timedelta(hours=2))
    await keys.reconcile(key)
    await keys.delete(key)

    stored = netbird_keys(fake)
    assert set(stored) == {hand_made.id}
    assert not stored[hand_made.id].revoked


async def test_deletion_deletes_both_keys_and_the_secret(
    keys: KeyCluster, fake: FakeNetBird
) -> None:
    key = await make_key(keys)
    keys.annotations[key] = {ROTATE: "now"}
    await rotate(keys, key)
    assert len(netbird_keys(fake)) == 2

    await keys.delete(key)

    assert netbird_keys(fake) == {}
    assert SECRET not in keys.store.secrets


async def test_orphan_leaves_the_key_and_a_secret_that_outlives_the_cr(
    keys: KeyCluster, fake: FakeNetBird
) -> None:
    key = await make_key(keys, deletionPolicy="Orphan")
    value = keys.secret()

    await keys.delete(key)

    assert keys.secret() == value
    assert keys.store.refs[-1].owner_uid == ""  # no owner: the garbage collector keeps it
    assert enrolls(fake, value, "router-1")


async def test_adopt_is_refused_with_a_reason_a_person_can_act_on(
    keys: KeyCluster, fake: FakeNetBird
) -> None:
    key = keys.apply("SetupKey", "routers", {"name": "routers", "adopt": True})
    outcome = await keys.reconcile(key)
    assert outcome.phase is Phase.STALLED
    assert outcome.reason == "AdoptionUnsupported"
    assert "Remove spec.adopt" in outcome.message
    assert netbird_keys(fake) == {}


async def test_the_all_group_is_refused_before_netbird_is_asked(
    keys: KeyCluster, fake: FakeNetBird
) -> None:
    key = keys.apply("SetupKey", "routers", {"autoGroups": [{"id": fake.all_group_id}]})
    await keys.reconcile(key)
    outcome = await keys.reconcile(key)
    assert outcome.phase is Phase.STALLED
    assert outcome.reason == "InvalidSpec"
    assert fake.count("POST", "/api/setup-keys") == 0


async def test_no_key_value_reaches_logs_status_or_outcomes(
    keys: KeyCluster, fake: FakeNetBird, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    key = await make_key(keys)
    said: list[str] = []
    statuses: list[str] = []
    values: set[str] = set()

    async def run(passes: int) -> None:
        for _ in range(passes):
            outcome = await keys.reconcile(key)
            said.extend([outcome.message, *outcome.changes])
            statuses.append(json.dumps(keys.status(key)))
            with fake.lock:
                values.update(k.plain_key for k in fake.account.setup_keys.values())
            keys.advance(dt.timedelta(seconds=15))

    keys.annotations[key] = {ROTATE: "now"}
    await run(2)
    # A create whose answer is lost, then the leftover's removal.
    fake.drop_next(1, method="POST", path="/api/setup-keys", after_processing=True)
    keys.annotations[key] = {ROTATE: "again"}
    await run(3)
    keys.store.failing_writes = 1
    keys.annotations[key] = {ROTATE: "once more"}
    await run(3)

    assert len(values) >= 5
    for value in values:
        assert value not in caplog.text
        assert all(value not in text for text in statuses)
        assert all(value not in text for text in said)
    secret = keys.secret()
    assert secret is not None
    assert keys.status(key)["keyPrefix"] == secret[:5]


async def test_a_secret_that_is_not_ours_is_never_overwritten(
    keys: KeyCluster, fake: FakeNetBird
) -> None:
    keys.store.foreign.add(("team", "theirs"))
    group = keys.apply("NetBirdGroup", "routing-peers", {})
    await keys.converge(group)
    fake.clear_log()
    key = keys.apply("SetupKey", "routers", key_spec(secretName="theirs"))
    outcomes = [await keys.reconcile(key) for _ in range(3)]
    assert outcomes[-1].phase is Phase.STALLED
    assert outcomes[-1].reason == "SecretNotOwned"
    assert ("team", "theirs") not in keys.store.secrets
    # Stopped before NetBird: no key is minted and revoked over and over.
    assert [w for w in fake.writes() if w.path.startswith("/api/setup-keys")] == []


async def test_two_setup_keys_cannot_share_a_secret(keys: KeyCluster, fake: FakeNetBird) -> None:
    first = await make_key(keys, secretName="shared")
    second = keys.apply("SetupKey", "other", key_spec(name="other", secretName="shared"))
    outcomes = [await keys.reconcile(second) for _ in range(3)]
    assert outcomes[-1].reason == "SecretNotOwned"
    assert "SetupKey routers" in outcomes[-1].message or "not managed" in outcomes[-1].message
    # Stopped before NetBird: the second never had a key of its own, so none can leak.
    assert netbird_keys(fake, "other") == {}
    writes = len(fake.writes())
    assert (await keys.reconcile(first)).phase is Phase.READY
    assert len(fake.writes()) == writes  # the first key is not rotated by the clash
    await keys.delete(second)  # nothing of its own to clean up: it does not wait
    assert keys.secret(("team", "shared")) is not None


async def test_the_key_expiry_is_measured_for_alerts(keys: KeyCluster) -> None:
    key = await make_key(keys)
    outcome = await keys.reconcile(key)
    expires = keys.status(key)["expiresAt"]
    assert outcome.measurements["setup_key_expiry"] == (
        dt.datetime.fromisoformat(expires.replace("Z", "+00:00")).timestamp()
    )
