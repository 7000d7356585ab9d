"""Real NetBird peers for e2e tests: the NetBird client in netstack mode, one process each.

`start_peer` runs `netbird up --foreground-mode` enrolled with a setup key and returns once
NetBird's API lists the peer as connected. Stopping the process is how a test takes a peer
(e.g. a routing peer) down.

The client runs as whatever user pytest runs as, possibly root, so everything that would
touch the machine is switched off explicitly (facts from netbird v0.77.1 `client/`):

- `NB_USE_NETSTACK_MODE=true`: a userspace TUN (gVisor netstack) instead of a kernel device;
  the route manager becomes a no-op, no host DNS manager is installed, no fwmark routing rules.
- `NB_FORCE_USERSPACE_FIREWALL=true`: without it a root client still programs nftables or
  iptables for its ACLs even in netstack mode (`firewall/create_linux.go`).
- `NB_DISABLE_NAT_MAPPER=true`: otherwise it probes the LAN gateway with UPnP/NAT-PMP/PCP.
- `NB_METRICS_PUSH_ENABLED=false`: takes precedence over the management setting, so nothing
  is ever pushed to netbird.io.
- `NB_STATE_DIR`, `XDG_CONFIG_HOME`, `HOME`: its config, state and active-profile files go to
  the peer's own folder instead of /var/lib/netbird and ~/.config/netbird.
- `NB_SOCKS5_LISTENER_PORT`: netstack mode serves a SOCKS5 proxy into the mesh on loopback;
  each peer gets its own free port (the default 1080 would clash between peers).

The client reads any `NB_*`/`WT_*` variable as a flag value that overrides the command line,
so the inherited environment is stripped of them. The setup key goes in through `NB_SETUP_KEY`
rather than argv, where `ps` would show it.

What still binds outside loopback: the WireGuard UDP socket (`--wireguard-port`) listens on
the wildcard address, as the client offers no bind-address option; it gets a free port.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.stack.binaries import Binaries
from tests.e2e.stack.ports import free_tcp_port, free_udp_port
from tests.e2e.stack.processes import ServerProcess, _die_with_parent, log_tail

PEER_CONNECT_TIMEOUT = 60.0
PEER_LOG_TAIL_LINES = 30
# NetBird derives the peer's name and DNS label from the hostname; a plain DNS label keeps the
# name a test asks for the name NetBird shows.
_HOSTNAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
# Management's prefix for every refused registration (bad, expired or revoked key). The client
# keeps retrying with backoff instead of exiting, so without this a wrong key costs the timeout.
_REGISTRATION_REFUSED = "couldn't add peer:"


class PeerStartError(RuntimeError):
    """A peer did not enrol and connect; carries the last lines of its log."""

    def __init__(self, name: str, problem: str, log_path: Path) -> None:
        self.name = name
        self.log_path = log_path
        tail = log_tail(log_path, PEER_LOG_TAIL_LINES)
        super().__init__(
            f"netbird peer {name}: {problem}\n"
            f"--- last {PEER_LOG_TAIL_LINES} lines of {log_path} ---\n{tail}"
        )


@dataclass
class PeerProcess:
    """One running NetBird client, enrolled and connected."""

    name: str
    netbird_id: str
    process: ServerProcess
    folder: Path
    socks5_address: str
    enrolled_seconds: float = field(default=0.0)

    @property
    def log_path(self) -> Path:
        return self.process.log_path

    def running(self) -> bool:
        return self.process.exit_code() is None

    def stop(self, grace_seconds: float = 10.0) -> None:
        """SIGTERM (then SIGKILL) the client; NetBird then shows the peer disconnected."""
        self.process.stop(grace_seconds)

    def restart(
        self,
        management_url: str,
        *,
        admin_token: str,
        timeout_seconds: float = PEER_CONNECT_TIMEOUT,
    ) -> float:
        """Start the stopped client again from its folder (already registered: no setup key)
        and wait until NetBird shows it connected; returns the seconds that took."""
        if self.running():
            raise RuntimeError(f"peer {self.name} is still running")
        api = _PeersApi(management_url, admin_token)
        started = time.monotonic()
        try:
            self.process = _launch(
                Path(self.process.binary),
                management_url,
                None,
                self.name,
                self.folder,
                int(self.socks5_address.rsplit(":", 1)[1]),
            )
            _wait_reconnected(api, self.process, self.netbird_id, self.name, timeout_seconds)
        finally:
            api.close()
        return time.monotonic() - started

    def log_tail(self, lines: int = PEER_LOG_TAIL_LINES) -> str:
        return log_tail(self.log_path, lines)


def start_peer(
    binaries: Binaries,
    management_url: str,
    setup_key: str,
    name: str,
    workdir: Path,
    *,
    admin_token: str,
    timeout_seconds: float = PEER_CONNECT_TIMEOUT,
) -> PeerProcess:
    """Enrol a new peer called `name` with `setup_key` and wait until NetBird shows it connected.

    `management_url` is the combined server's base URL (management, signal and relay share it);
    `admin_token` is used only to watch `GET /api/peers`. The peer's config, state and log live
    in `workdir/<name>/`. Raises PeerStartError (with the log's tail) if the client exits or
    is not connected within `timeout_seconds`; the process is stopped in that case.
    """
    if not _HOSTNAME.match(name):
        raise ValueError(f"peer name {name!r} must be a lowercase DNS label")
    binaries.require("netbird")
    folder = workdir / name
    if folder.exists():
        raise ValueError(f"{folder} exists: a new peer needs a fresh folder")
    folder.mkdir(parents=True)
    api = _PeersApi(management_url, admin_token)
    try:
        earlier = {p["id"] for p in api.peers() if p.get("hostname") == name}
        socks5_port = free_tcp_port()
        started = time.monotonic()
        process = _launch(
            binaries.netbird_client, management_url, setup_key, name, folder, socks5_port
        )
        try:
            peer_id = _wait_connected(api, process, name, earlier, timeout_seconds)
        except BaseException:
            process.stop()
            raise
    finally:
        api.close()
    return PeerProcess(
        name=name,
        netbird_id=peer_id,
        process=process,
        folder=folder,
        socks5_address=f"127.0.0.1:{socks5_port}",
        enrolled_seconds=time.monotonic() - started,
    )


def _launch(
    binary: Path,
    management_url: str,
    setup_key: str | None,
    name: str,
    folder: Path,
    socks5_port: int,
) -> ServerProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NB_", "WT_"))}
    env.update(
        {
            "HOME": str(folder),
            "XDG_CONFIG_HOME": str(folder / "xdg"),
            "NB_STATE_DIR": str(folder / "state"),
            "NB_USE_NETSTACK_MODE": "true",
            "NB_FORCE_USERSPACE_FIREWALL": "true",
            "NB_DISABLE_NAT_MAPPER": "true",
            "NB_METRICS_PUSH_ENABLED": "false",
            "NB_SOCKS5_LISTENER_PORT": str(socks5_port),
        }
    )
    if setup_key is not None:
        env["NB_SETUP_KEY"] = setup_key
    argv = [
        str(binary),
        "up",
        "--foreground-mode",
        "--management-url",
        management_url,
        "--admin-url",
        management_url,
        "--hostname",
        name,
        # Foreground mode serves no daemon socket; set anyway so nothing dials the system one.
        "--daemon-addr",
        f"unix://{folder / 'daemon.sock'}",
        "--log-file",
        "console",
        "--wireguard-port",
        str(free_udp_port()),
        # Only a label in netstack mode (no kernel device), but unique keeps logs readable.
        "--interface-name",
        "nb" + hashlib.sha256(name.encode()).hexdigest()[:10],
    ]
    log_path = folder / "client.log"
    with log_path.open("ab") as log:
        popen = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=folder,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
    return ServerProcess(
        name=f"netbird peer {name}",
        pid=popen.pid,
        binary=str(binary),
        log_path=log_path,
        popen=popen,
    )


def _wait_connected(
    api: _PeersApi, process: ServerProcess, name: str, earlier: set[str], timeout: float
) -> str:
    """The id of the new peer with this hostname once NetBird shows it connected."""
    deadline = time.monotonic() + timeout
    seen = "not listed by GET /api/peers"
    while True:
        code = process.exit_code()
        if code is not None:
            raise PeerStartError(name, f"client exited with code {code}", process.log_path)
        if _REGISTRATION_REFUSED in process.log_path.read_text(errors="replace"):
            raise PeerStartError(name, "NetBird refused to register it", process.log_path)
        try:
            new = [p for p in api.peers() if p.get("hostname") == name and p["id"] not in earlier]
        except httpx.HTTPError as exc:
            seen = f"GET /api/peers failed: {type(exc).__name__}"
            new = []
        if len(new) > 1:
            raise PeerStartError(name, f"{len(new)} new peers with this hostname", process.log_path)
        if new:
            if new[0].get("connected") is True:
                return str(new[0]["id"])
            seen = f"registered as {new[0]['id']} but not connected"
        if time.monotonic() >= deadline:
            raise PeerStartError(
                name, f"not connected after {timeout:.0f}s ({seen})", process.log_path
            )
        time.sleep(0.25)


def _wait_reconnected(
    api: _PeersApi, process: ServerProcess, peer_id: str, name: str, timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        code = process.exit_code()
        if code is not None:
            raise PeerStartError(name, f"client exited with code {code}", process.log_path)
        try:
            if any(p["id"] == peer_id and p.get("connected") is True for p in api.peers()):
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() >= deadline:
            raise PeerStartError(name, f"not reconnected after {timeout:.0f}s", process.log_path)
        time.sleep(0.25)


class _PeersApi:
    def __init__(self, url: str, token: str) -> None:
        self._http = httpx.Client(
            base_url=f"{url}/api", headers={"Authorization": f"Token {token}"}, timeout=10
        )

    def peers(self) -> list[dict[str, Any]]:
        response = self._http.get("/peers")
        response.raise_for_status()
        return list(response.json())

    def close(self) -> None:
        self._http.close()
