"""Who may take the Lease, and what /readyz says about each replica."""

from __future__ import annotations

import pytest

from nbaccess.config import ConfigError, load_settings
from nbaccess.kube.leader import LeaderState, LeaseRecord, LeaseTiming, may_take, readiness

TIMING = LeaseTiming(lease_duration=15, renew_deadline=10, retry_period=2)


def record(holder: str | None, duration: float = 15) -> LeaseRecord:
    return LeaseRecord(holder=holder, duration_seconds=duration, renew_time=None, transitions=0)


@pytest.mark.parametrize(
    ("lease", "observed_at", "now", "allowed"),
    [
        pytest.param(None, 0, 0, True, id="no Lease yet"),
        pytest.param(record(None), 100, 100, True, id="released Lease"),
        pytest.param(record("me"), 100, 100, True, id="ours: renew"),
        pytest.param(record("other"), 100, 114.9, False, id="other holder, record still moving"),
        pytest.param(record("other"), 100, 115, True, id="other holder, silent a lease duration"),
        pytest.param(record("other", 1), 100, 101, True, id="released the client-go way"),
    ],
)
def test_who_may_take_the_lease(
    lease: LeaseRecord | None, observed_at: float, now: float, allowed: bool
) -> None:
    assert may_take(lease, "me", observed_at, now) is allowed


@pytest.mark.parametrize(
    ("state", "now", "ready", "says"),
    [
        pytest.param(LeaderState("leading", last_contact=0), 999, True, "leading", id="leader"),
        pytest.param(LeaderState("standby", last_contact=90), 100, True, "standby", id="standby"),
        pytest.param(
            LeaderState("standby", last_contact=80, last_error="Lease x/y: 403 Forbidden"),
            100,
            False,
            "403 Forbidden",
            id="standby that cannot read the Lease",
        ),
        pytest.param(LeaderState("standby"), 0, False, "no answer yet", id="standby, first try"),
        pytest.param(LeaderState("lost", last_contact=99), 100, False, "lost", id="lost"),
    ],
)
def test_readiness(state: LeaderState, now: float, ready: bool, says: str) -> None:
    answer, why = readiness(state, TIMING, now)
    assert answer is ready
    assert says in why


def test_lease_timings_must_nest(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NBACCESS_LEASE_DURATION_SECONDS", "10")
    monkeypatch.setenv("NBACCESS_RENEW_DEADLINE_SECONDS", "10")
    with pytest.raises(ConfigError, match="NBACCESS_RENEW_DEADLINE_SECONDS < NBACCESS_LEASE"):
        load_settings()
