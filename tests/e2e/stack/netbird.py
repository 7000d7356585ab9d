"""NetBird's combined server (management, signal, relay, embedded IdP) run offline on loopback.

Facts from netbird v0.77.1 `combined/cmd/config.go` and its own e2e harness: the metrics,
healthcheck and STUN listeners default to fixed ports (9090, :9000, 3478), so each gets a free
port here; geolocation must be off or the server tries to download GeoLite and exits; and
`NB_SETUP_PAT_ENABLED=true` lets the first-run `/api/setup` call return an admin token.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from tests.e2e.stack.ports import free_tcp_port, free_udp_port
from tests.e2e.stack.processes import ServerProcess, StackStartError, start_server

NETBIRD_READY_TIMEOUT = 120.0
# The combined server always opens a second gRPC listener on :33073 (management's legacy
# port, all interfaces, not configurable), so two servers cannot run on one machine at once.
LEGACY_PORT_WAIT_SECONDS = 1800.0
SETUP_ADMIN = {
    "email": "admin@nbaccess-e2e.test",
    "name": "nbaccess e2e admin",
}


@dataclass(frozen=True)
class NetBirdEndpoint:
    """The management API base URL (without /api) and an admin personal access token."""

    url: str
    token: str = field(repr=False)


def server_config(port: int, data_dir: Path) -> dict[str, Any]:
    """The combined server's offline config, all listeners on loopback or free ports."""
    address = f"http://127.0.0.1:{port}"
    return {
        "server": {
            "listenAddress": f"127.0.0.1:{port}",
            "exposedAddress": address,
            "healthcheckAddress": f"127.0.0.1:{free_tcp_port()}",
            "metricsPort": free_tcp_port(),
            "stunPorts": [free_udp_port()],
            "logLevel": "info",
            "logFile": "console",
            "authSecret": secrets.token_urlsafe(24),
            "dataDir": str(data_dir),
            "disableAnonymousMetrics": True,
            "disableGeoliteUpdate": True,
            "auth": {"issuer": f"{address}/oauth2"},
            "store": {"engine": "sqlite"},
        }
    }


def start_netbird(
    binary: Path, workdir: Path, *, die_with_parent: bool
) -> tuple[ServerProcess, str]:
    """Start netbird-server; returns the process and its base URL (not yet ready)."""
    port = free_tcp_port()
    folder = workdir / "netbird"
    data_dir = folder / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    config_path = folder / "config.yaml"
    config_path.write_text(yaml.safe_dump(server_config(port, data_dir), sort_keys=False))
    config_path.chmod(0o600)
    lock = _legacy_port_lock()
    try:
        server = start_server(
            "netbird-server",
            [binary, "--config", config_path],
            workdir / "logs" / "netbird-server.log",
            env={"NB_DISABLE_GEOLOCATION": "true", "NB_SETUP_PAT_ENABLED": "true"},
            die_with_parent=die_with_parent,
            pass_fds=[lock],
        )
    finally:
        # The server holds the inherited lock until it exits; ours is not needed any more.
        os.close(lock)
    return server, f"http://127.0.0.1:{port}"


def _legacy_port_lock() -> int:
    """An fd holding the machine-wide netbird-server lock; waits while another stack has it."""
    # Machine-wide, not per build cache: the port is machine-wide.
    path = Path(tempfile.gettempdir()) / "nbaccess-netbird-server.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + LEGACY_PORT_WAIT_SECONDS
    announced = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if time.monotonic() > deadline:
                os.close(fd)
                raise StackStartError(
                    "netbird-server", f"another netbird-server held {path} too long", path
                ) from None
            if not announced:
                print(
                    "waiting for another test stack's netbird-server to stop (it owns port 33073)",
                    file=sys.stderr,
                )
                announced = True
            time.sleep(1)


def instance_answers(url: str) -> bool:
    return httpx.get(f"{url}/api/instance", timeout=2).status_code == 200


def create_admin_token(server: ServerProcess, url: str) -> NetBirdEndpoint:
    """First-run setup: creates the owner user and returns a one-day admin PAT."""
    body = {
        **SETUP_ADMIN,
        "password": secrets.token_urlsafe(18),
        "create_pat": True,
        "pat_expire_in": 1,
    }
    response = httpx.post(f"{url}/api/setup", json=body, timeout=30)
    if response.status_code != 200:
        # The body is safe to show: a failed setup returns no token.
        raise StackStartError(
            server.name,
            f"POST /api/setup answered {response.status_code}: {response.text[:300]}",
            server.log_path,
        )
    token = response.json().get("personal_access_token")
    if not token:
        raise StackStartError(
            server.name,
            "POST /api/setup returned no personal_access_token (NB_SETUP_PAT_ENABLED unset?)",
            server.log_path,
        )
    return NetBirdEndpoint(url=url, token=str(token))
