"""Setup-key decisions without NetBird: when to replace a key, when to retire the old one,
which same-named keys are leftovers of ours, and when the tick must look again."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from nbaccess.netbird.models import SetupKey
from nbaccess.reconcile.kinds import Pass
from nbaccess.reconcile.ports import MemorySecretStore
from nbaccess.reconcile.refs import CrDirectory
from nbaccess.reconcile.setup_key import (
    KeyRecord,
    KeyShape,
    SetupKeyReconciler,
    is_leftover,
    renewal_reasons,
    retire_due,
    unhandled_request,
)
from nbaccess.resources.setup_key import SetupKeySpec

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
BEFORE = 7 * DAY  # rotation.before default: 168h
LIFETIME = 30 * DAY  # expiresIn default: 720h


def key(**fields: Any) -> SetupKey:
    """A key as NetBird reads it back: prefix and stars, created an hour ago by default."""
    base: dict[str, Any] = {
        "id": "k1",
        "key": "ABCDE****",
        "name": "routers",
        "type": "reusable",
        "expires": NOW - HOUR + LIFETIME,
        "state": "valid",
        "used_times": 0,
        "usage_limit": 0,
    }
    base.update(fields)
    return SetupKey.model_validate(base)


def reasons(observed: SetupKey | None, **overrides: Any) -> list[str]:
    args: dict[str, Any] = {
        "had_key": True,
        "secret_prefix": "ABCDE",
        "now": NOW,
        "before": BEFORE,
        "requested": None,
    }
    args.update(overrides)
    return renewal_reasons(observed, **args)


def test_a_fresh_key_that_the_secret_holds_stays() -> None:
    assert reasons(key()) == []


@pytest.mark.parametrize(
    ("observed", "overrides", "expected"),
    [
        (None, {"had_key": False}, "there is no key yet"),
        (None, {}, "deleted outside Git"),
        (key(revoked=True, state="revoked"), {}, "revoked outside Git"),
        (key(expires=NOW - HOUR, state="expired"), {}, "expired"),
        (key(expires=NOW + BEFORE), {}, "expires at 2026-12-02T12:00:00Z"),
        (key(), {"requested": "2026-11-25"}, "rotate-requested-at is '2026-11-25'"),
        (key(), {"secret_prefix": None}, "the Secret does not hold the key"),
        (key(), {"secret_prefix": "FGHIJ"}, "the Secret holds another key"),
    ],
)
def test_why_a_key_is_replaced(
    observed: SetupKey | None, overrides: dict[str, Any], expected: str
) -> None:
    found = reasons(observed, **overrides)
    assert any(expected in r for r in found), found


def test_rotation_starts_exactly_when_less_than_before_is_left() -> None:
    assert reasons(key(expires=NOW + BEFORE + dt.timedelta(seconds=1))) == []
    assert reasons(key(expires=NOW + BEFORE)) != []


def test_a_used_up_key_is_not_replaced_on_its_own() -> None:
    # One-off keys and usage limits exist to stop enrolments; a fresh key would defeat them.
    assert reasons(key(type="one-off", used_times=1, usage_limit=1, state="overused")) == []


def test_the_annotation_asks_once_per_value() -> None:
    ann = {"nbaccess.dev/rotate-requested-at": "t1"}
    assert unhandled_request(ann, None) == "t1"
    assert unhandled_request(ann, "t1") is None
    assert unhandled_request({"nbaccess.dev/rotate-requested-at": "t2"}, "t1") == "t2"
    assert unhandled_request({}, "t1") is None
    assert unhandled_request({"nbaccess.dev/rotate-requested-at": ""}, None) is None


def test_the_previous_key_is_retired_at_revoke_after_not_before() -> None:
    assert not retire_due(NOW + dt.timedelta(seconds=1), NOW)
    assert retire_due(NOW, NOW)
    assert retire_due(NOW - HOUR, NOW)


SHAPE = KeyShape(
    name="routers",
    type="reusable",
    usage_limit=0,
    ephemeral=False,
    allow_extra_dns_labels=False,
    lifetime=LIFETIME,
)
REQUESTED = NOW - 10 * dt.timedelta(seconds=1)


OTHER_PREFIX = "ZZZZZ"  # what the Secret holds unless a test says otherwise


def leftover(candidate: SetupKey, secret_prefix: str | None = OTHER_PREFIX) -> bool:
    return is_leftover(
        candidate,
        shape=SHAPE,
        requested_at=REQUESTED,
        known_ids={"current", "previous"},
        secret_prefix=secret_prefix,
    )


def created(at: dt.datetime, **fields: Any) -> SetupKey:
    return key(expires=at + LIFETIME, **fields)


def test_an_unrecorded_unused_key_created_after_the_request_is_a_leftover() -> None:
    assert leftover(created(NOW, id="new"))


@pytest.mark.parametrize(
    ("candidate", "why"),
    [
        (created(NOW, id="current"), "the recorded current key"),
        (created(NOW, id="previous"), "the recorded previous key"),
        (created(NOW - HOUR, id="old"), "created before the request"),
        (created(NOW, id="other", name="someone-elses"), "another name"),
        (created(NOW, id="other", type="one-off", usage_limit=1), "another type"),
        (created(NOW, id="other", usage_limit=5), "another usage limit"),
        (created(NOW, id="other", ephemeral=True), "another ephemeral flag"),
        (created(NOW, id="used", used_times=2), "used by someone: its value is not ours"),
        (key(id="forever", expires=None), "no expiry, so not one we created"),
    ],
)
def test_keys_that_are_not_leftovers_of_ours(candidate: SetupKey, why: str) -> None:
    assert not leftover(candidate), why


def test_a_used_key_that_the_secret_holds_is_ours() -> None:
    # Published before the crash, so consumers may already have enrolled with it.
    assert leftover(created(NOW, id="published", key="QWERT****", used_times=3), "QWERT")


def test_a_little_clock_skew_between_operator_and_netbird_is_tolerated() -> None:
    assert leftover(created(REQUESTED - dt.timedelta(seconds=3), id="skewed"))
    assert not leftover(created(REQUESTED - dt.timedelta(seconds=30), id="earlier"))


def record(**fields: Any) -> KeyRecord:
    return KeyRecord(**fields)


def test_recheck_is_the_next_rotation_when_nothing_else_waits() -> None:
    status = record(next_rotation=NOW + DAY).as_status(NOW)
    assert status["recheckAfter"] == "2026-11-26T12:00:00Z"


def test_recheck_is_the_previous_keys_revocation_when_that_comes_first() -> None:
    status = record(next_rotation=NOW + DAY, previous_id="old", revoke_after=NOW + HOUR).as_status(
        NOW
    )
    assert status["recheckAfter"] == "2026-11-25T13:00:00Z"
    assert status["previousKey"] == {"id": "old", "revokeAfter": "2026-11-25T13:00:00Z"}


def test_a_pending_request_is_recorded_and_no_longer_needs_a_tick_of_its_own() -> None:
    # The key is created in the pass that decides on it; a recorded request that survives
    # means that pass failed, and the retry backoff decides when to try again.
    status = record(next_rotation=NOW - HOUR, requested_at=NOW).as_status(NOW)
    assert status["keyRequestedAt"] == "2026-11-25T12:00:00Z"
    assert status["recheckAfter"] is None


def test_status_round_trips_through_the_record() -> None:
    first = record(
        id="k1",
        key_prefix="ABCDE",
        expires_at=NOW + LIFETIME,
        state="valid",
        used_times=2,
        secret_name="routers-setup-key",
        last_rotation=NOW,
        next_rotation=NOW + LIFETIME - BEFORE,
        previous_id="k0",
        revoke_after=NOW + HOUR,
        request_handled="t1",
    ).as_status(NOW)
    again = KeyRecord.from_status(first, "k1").as_status(NOW)
    assert again == first
    assert first["rotateRequestHandled"] == "t1"


def test_the_secret_defaults_to_the_cr_name_and_is_owned_by_the_cr() -> None:
    kind = SetupKeyReconciler(MemorySecretStore())
    current = Pass("team", "routers", 1, None, CrDirectory({}), NOW, uid="u-1")
    ref = kind.secret_ref(current, SetupKeySpec.model_validate({}))
    assert (ref.namespace, ref.name) == ("team", "routers-setup-key")
    assert (ref.owner_kind, ref.owner_name, ref.owner_uid) == ("SetupKey", "routers", "u-1")
    named = kind.secret_ref(current, SetupKeySpec.model_validate({"secretName": "join"}))
    assert named.name == "join"
