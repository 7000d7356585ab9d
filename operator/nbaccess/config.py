"""Operator settings, read from the environment and validated before anything starts.

Every error names the environment variable at fault, because that is what a person edits
(a Helm value, a Deployment env entry), not a Python field name.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import (
    AnyHttpUrl,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

CLOUD_HOST = "api.netbird.io"


class ConfigError(ValueError):
    """The environment does not describe a usable configuration."""


@dataclass(frozen=True)
class RateLimit:
    per_minute: float
    burst: int
    why: str

    def describe(self) -> str:
        return f"{self.per_minute:g} requests/min, burst {self.burst} ({self.why})"


class Settings(BaseSettings):
    """What `nbaccess run` needs to talk to NetBird and to serve metrics."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", frozen=True)

    netbird_api_url: AnyHttpUrl = Field(
        default=AnyHttpUrl("https://api.netbird.io"),
        description="Base URL of the NetBird management API (cloud or self-hosted).",
    )
    netbird_api_token: SecretStr | None = Field(
        default=None, description="Personal access token of a NetBird service user (admin)."
    )
    netbird_api_token_file: Path | None = Field(
        default=None, description="File holding the token (a mounted Secret), instead of the value."
    )
    netbird_rate_limit_per_minute: float | None = Field(
        default=None,
        ge=0,
        description=(
            "Client-side limit on NetBird requests per minute. Unset: NetBird cloud's documented "
            "limit (120/min, burst 1200) when the URL is NetBird cloud, none for a self-hosted "
            "server (whose limiter is off unless NB_API_RATE_LIMITING_ENABLED); 0: none."
        ),
    )
    netbird_rate_limit_burst: int | None = Field(
        default=None,
        ge=1,
        description="Requests allowed at once (default: 10 x the per-minute rate).",
    )
    netbird_timeout_seconds: float = Field(default=30.0, gt=0)
    netbird_list_cache_ttl_seconds: float = Field(default=10.0, ge=0)
    nbaccess_resync_seconds: float = Field(
        default=300.0, gt=0, description="How often a converged object is re-checked for drift."
    )
    nbaccess_retry_seconds: float = Field(
        default=10.0,
        gt=0,
        description="How often an object waiting for a dependency or NetBird is tried again.",
    )
    nbaccess_retry_max_seconds: float = Field(
        default=300.0,
        gt=0,
        description="Longest wait between retries of an object that keeps failing (backoff cap).",
    )
    nbaccess_health_seconds: float | None = Field(
        default=None,
        gt=0,
        description="How often routing-peer health is read for every network (default 30).",
    )
    nbaccess_flap_window_seconds: float = Field(
        default=600.0,
        gt=0,
        description=(
            "Window over which routing peers' connects and disconnects are counted; 3 within it "
            "make a network RoutingPeersFlapping."
        ),
    )
    nbaccess_workers: int = Field(
        default=8, ge=1, le=256, description="How many passes run at the same time."
    )
    nbaccess_metrics_port: int = Field(default=8080, ge=0, le=65535)
    nbaccess_log_level: Literal["debug", "info", "warning", "error"] = Field(
        default="info", description="Level of the operator's own log lines."
    )
    nbaccess_cluster_name: str = Field(
        default="default",
        min_length=1,
        max_length=63,
        pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
        description=(
            "This cluster's name in the claims the operator writes into NetBird. Required (and "
            "different per cluster) when several clusters' operators share one NetBird account."
        ),
    )
    nbaccess_create_grace_seconds: float | None = Field(
        default=None,
        gt=0,
        description=(
            "How long an unanswered create may still land in NetBird before it is tried again "
            "(default: twice NETBIRD_TIMEOUT_SECONDS)."
        ),
    )

    def rate_limit(self) -> RateLimit | None:
        """The client-side limit in force for this NetBird URL, or None for none."""
        rate = self.netbird_rate_limit_per_minute
        if rate is None:
            host = (self.netbird_api_url.host or "").lower()
            if host == CLOUD_HOST or host.endswith(".netbird.io"):
                return RateLimit(120.0, self.netbird_rate_limit_burst or 1200, "NetBird cloud")
            return None
        if rate == 0:
            return None
        burst = self.netbird_rate_limit_burst or max(1, int(rate * 10))
        return RateLimit(rate, burst, "NETBIRD_RATE_LIMIT_PER_MINUTE")

    @property
    def create_grace_seconds(self) -> float:
        if self.nbaccess_create_grace_seconds is not None:
            return self.nbaccess_create_grace_seconds
        return 2 * self.netbird_timeout_seconds

    # Leader election on a coordination.k8s.io Lease (kube/leader.py); the timings are
    # controller-runtime's defaults, which people running operators already know.
    nbaccess_leader_election: bool = Field(
        default=False, description="Only the replica holding the Lease reconciles."
    )
    nbaccess_leader_election_namespace: str | None = Field(
        default=None, description="Namespace of the Lease; default: the pod's own namespace."
    )
    nbaccess_leader_election_lease_name: str = Field(default="nbaccess-leader", min_length=1)
    nbaccess_lease_duration_seconds: float = Field(default=15.0, gt=0)
    nbaccess_renew_deadline_seconds: float = Field(default=10.0, gt=0)
    nbaccess_retry_period_seconds: float = Field(default=2.0, gt=0)
    nbaccess_token_reload_seconds: float = Field(
        default=10.0,
        gt=0,
        description="How often NETBIRD_API_TOKEN_FILE is checked for a rotated token.",
    )

    @model_validator(mode="after")
    def _lease_timings_nest(self) -> Settings:
        # A leader must give up (renew deadline) before its lease can expire for the others,
        # and must try to renew more than once within that deadline.
        if not (
            self.nbaccess_retry_period_seconds
            < self.nbaccess_renew_deadline_seconds
            < self.nbaccess_lease_duration_seconds
        ):
            raise ValueError(
                "NBACCESS_RETRY_PERIOD_SECONDS < NBACCESS_RENEW_DEADLINE_SECONDS < "
                "NBACCESS_LEASE_DURATION_SECONDS must hold (got "
                f"{self.nbaccess_retry_period_seconds:g} / "
                f"{self.nbaccess_renew_deadline_seconds:g} / "
                f"{self.nbaccess_lease_duration_seconds:g})"
            )
        return self

    @field_validator("netbird_api_url")
    @classmethod
    def _no_api_suffix(cls, v: AnyHttpUrl) -> AnyHttpUrl:
        if v.path and v.path.rstrip("/").endswith("/api"):
            raise ValueError("give the server's base URL without the trailing /api")
        return v

    def api_token(self) -> SecretStr:
        """The token, from NETBIRD_API_TOKEN or the file NETBIRD_API_TOKEN_FILE names."""
        if self.netbird_api_token is not None and self.netbird_api_token_file is not None:
            raise ConfigError("set only one of NETBIRD_API_TOKEN and NETBIRD_API_TOKEN_FILE")
        if self.netbird_api_token_file is not None:
            path = self.netbird_api_token_file
            try:
                value = path.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ConfigError(
                    f"NETBIRD_API_TOKEN_FILE={path}: cannot read it ({exc.strerror})"
                ) from None
            if not value:
                raise ConfigError(f"NETBIRD_API_TOKEN_FILE={path}: the file is empty")
            return SecretStr(value)
        if self.netbird_api_token is None or not self.netbird_api_token.get_secret_value():
            raise ConfigError(
                "NETBIRD_API_TOKEN is not set: give a NetBird personal access token "
                "(or NETBIRD_API_TOKEN_FILE, the path of a file holding it)"
            )
        token = self.netbird_api_token.get_secret_value()
        if any(c.isspace() for c in token):
            raise ConfigError("NETBIRD_API_TOKEN contains whitespace; a token is one word")
        return self.netbird_api_token


def load_settings() -> Settings:
    """Read the environment; raise ConfigError naming the variable when a value is wrong."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            var = "_".join(str(p) for p in err["loc"]).upper() or "environment"
            # The input is deliberately not echoed: it may be the token.
            problems.append(f"{var}: {err['msg']}")
        raise ConfigError("invalid configuration: " + "; ".join(problems)) from None
