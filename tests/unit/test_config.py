"""The rate limit in force depends on the server: NetBird cloud's by default there, none
for a self-hosted server unless asked for."""

from __future__ import annotations

import pytest

from nbaccess.config import Settings


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, (120.0, 1200)),
        ({"NETBIRD_API_URL": "https://api.netbird.io"}, (120.0, 1200)),
        ({"NETBIRD_API_URL": "https://netbird.example.com"}, None),
        ({"NETBIRD_API_URL": "http://127.0.0.1:33073"}, None),
        (
            {"NETBIRD_API_URL": "https://nb.example.com", "NETBIRD_RATE_LIMIT_PER_MINUTE": "600"},
            (600.0, 6000),
        ),
        (
            {"NETBIRD_RATE_LIMIT_PER_MINUTE": "60", "NETBIRD_RATE_LIMIT_BURST": "4"},
            (60.0, 4),
        ),
        ({"NETBIRD_RATE_LIMIT_PER_MINUTE": "0"}, None),
    ],
)
def test_the_effective_rate_limit(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: tuple[float, int] | None
) -> None:
    for name in ("NETBIRD_API_URL", "NETBIRD_RATE_LIMIT_PER_MINUTE", "NETBIRD_RATE_LIMIT_BURST"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    limit = Settings().rate_limit()
    assert (None if limit is None else (limit.per_minute, limit.burst)) == expected
