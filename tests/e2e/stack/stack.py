"""The stack as one object: starts what is asked for, records timings, stops it all by pid."""

from __future__ import annotations

import atexit
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.e2e.stack import kube, netbird
from tests.e2e.stack.binaries import Binaries, cache_dir, find_binaries
from tests.e2e.stack.kube import KubeEndpoint
from tests.e2e.stack.netbird import NetBirdEndpoint
from tests.e2e.stack.processes import ServerProcess, wait_ready

STATE_FILE = "state.json"


def state_dir() -> Path:
    """Where `python -m tests.e2e.stack up` keeps its stack: $NBACCESS_STACK_DIR or the cache."""
    override = os.environ.get("NBACCESS_STACK_DIR")
    return Path(override) if override else cache_dir() / "run"


@dataclass
class Stack:
    """etcd + kube-apiserver and netbird-server, each started on first need.

    `die_with_parent` ties the servers' lives to this Python process (pytest); the command
    line's `up` turns it off so the servers outlive the command. `owns_workdir` means stop()
    deletes the folder (logs included) unless NBACCESS_STACK_KEEP=1.
    """

    workdir: Path
    die_with_parent: bool = True
    owns_workdir: bool = False
    binaries: Binaries = field(default_factory=find_binaries)
    servers: list[ServerProcess] = field(default_factory=list)
    kube: KubeEndpoint | None = None
    kube_version: str | None = None
    netbird: NetBirdEndpoint | None = None
    timings: dict[str, float] = field(default_factory=dict)
    reused: bool = False
    _start_failure: Exception | None = field(default=None, repr=False)

    @classmethod
    def in_temp_dir(cls) -> Stack:
        return cls(workdir=Path(tempfile.mkdtemp(prefix="nbaccess-e2e-")), owns_workdir=True)

    def ensure_kube(self) -> KubeEndpoint:
        self.start(kube=True, netbird=False)
        assert self.kube is not None
        return self.kube

    def ensure_netbird(self) -> NetBirdEndpoint:
        self.start(kube=False, netbird=True)
        assert self.netbird is not None
        return self.netbird

    def start(self, *, kube: bool = True, netbird: bool = True) -> None:
        """Start the parts asked for that are not running yet.

        NetBird starts first and readies while etcd and the apiserver come up, so the
        slowest part sets the wall time. A failure stops everything and is remembered: a
        session asking again gets the same error at once instead of another slow attempt.
        """
        if self._start_failure is not None:
            raise self._start_failure
        want_kube = kube and self.kube is None
        want_netbird = netbird and self.netbird is None
        needed = (["kubernetes", "controller-manager", "etcd"] if want_kube else []) + (
            ["netbird"] if want_netbird else []
        )
        self.binaries.require(*needed)
        try:
            pending_netbird = self._spawn_netbird() if want_netbird else None
            if want_kube:
                self._start_kube()
            if pending_netbird is not None:
                self._finish_netbird(*pending_netbird)
        except Exception as exc:
            self._start_failure = exc
            self.stop()
            raise

    def _spawn_netbird(self) -> tuple[ServerProcess, str, float]:
        server, url = netbird.start_netbird(
            self.binaries.netbird_server, self.workdir, die_with_parent=self.die_with_parent
        )
        self.servers.append(server)
        return server, url, time.monotonic()

    def _finish_netbird(self, server: ServerProcess, url: str, spawned: float) -> None:
        wait_ready(server, lambda: netbird.instance_answers(url), netbird.NETBIRD_READY_TIMEOUT)
        self.timings["netbird-server"] = time.monotonic() - spawned
        setup_started = time.monotonic()
        self.netbird = netbird.create_admin_token(server, url)
        self.timings["netbird setup (admin token)"] = time.monotonic() - setup_started

    def _start_kube(self) -> None:
        started = time.monotonic()
        etcd, etcd_url = kube.start_etcd(
            self.binaries.etcd, self.workdir, die_with_parent=self.die_with_parent
        )
        self.servers.append(etcd)
        wait_ready(etcd, lambda: kube.etcd_is_healthy(etcd_url), kube.ETCD_READY_TIMEOUT)
        self.timings["etcd"] = time.monotonic() - started

        started = time.monotonic()
        apiserver, endpoint = kube.start_apiserver(
            self.binaries.kube_apiserver,
            self.workdir,
            etcd_url,
            die_with_parent=self.die_with_parent,
        )
        self.servers.append(apiserver)
        wait_ready(
            apiserver, lambda: kube.apiserver_is_ready(endpoint), kube.APISERVER_READY_TIMEOUT
        )
        self.timings["kube-apiserver"] = time.monotonic() - started
        kube.write_kubeconfig(endpoint)
        self.kube_version = kube.apiserver_version(endpoint)

        started = time.monotonic()
        manager, healthz = kube.start_controller_manager(
            self.binaries.kube_controller_manager,
            self.workdir,
            endpoint.kubeconfig,
            die_with_parent=self.die_with_parent,
        )
        self.servers.append(manager)
        wait_ready(
            manager,
            lambda: kube.controller_manager_is_ready(healthz),
            kube.CONTROLLER_MANAGER_READY_TIMEOUT,
        )
        self.timings["kube-controller-manager"] = time.monotonic() - started
        self.kube = endpoint

    def stop(self) -> None:
        """Stop every server this stack started (newest first), then drop its workdir."""
        for server in reversed(self.servers):
            server.stop()
        self.servers.clear()
        self.kube = None
        self.netbird = None
        if self._removes_workdir():
            shutil.rmtree(self.workdir, ignore_errors=True)

    def describe(self) -> str:
        """One line for test output: what ran and how long each part took to become ready."""
        parts = [f"{name} {seconds:.1f}s" for name, seconds in self.timings.items()]
        versions = []
        if self.kube_version:
            versions.append(f"kube-apiserver {self.kube_version}")
        if self.netbird is not None:
            versions.append(f"netbird-server {self.binaries.netbird_version}")
        origin = "reused from `python -m tests.e2e.stack up`, " if self.reused else ""
        return (
            f"e2e stack ({origin}{', '.join(versions) or 'nothing started'}); ready after: "
            f"{', '.join(parts) or '-'}; {self._where_logs_stay()}"
        )

    def _removes_workdir(self) -> bool:
        return self.owns_workdir and os.environ.get("NBACCESS_STACK_KEEP") != "1"

    def _where_logs_stay(self) -> str:
        if self._removes_workdir():
            return "server logs are removed at the end (NBACCESS_STACK_KEEP=1 keeps them)"
        return f"server logs in {self.workdir / 'logs'}"

    # --- state file, so `python -m tests.e2e.stack down/env` can find a stack `up` started ---

    def save_state(self) -> Path:
        state: dict[str, Any] = {
            "workdir": str(self.workdir),
            "servers": [
                {"name": s.name, "pid": s.pid, "binary": s.binary, "log": str(s.log_path)}
                for s in self.servers
            ],
            "timings": self.timings,
            "kube_version": self.kube_version,
        }
        if self.kube is not None:
            state["kube"] = {
                "url": self.kube.url,
                "kubeconfig": str(self.kube.kubeconfig),
                "ca_file": str(self.kube.ca_file),
                "token": self.kube.token,
                "audit_log": str(self.kube.audit_log) if self.kube.audit_log else None,
            }
        if self.netbird is not None:
            state["netbird"] = {"url": self.netbird.url, "token": self.netbird.token}
        path = self.workdir / STATE_FILE
        # The file holds both admin tokens: readable by its owner only.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump(state, out, indent=2)
        return path

    @classmethod
    def from_state(cls, workdir: Path) -> Stack:
        """The stack a previous `up` left running in workdir (it is not stopped on exit)."""
        state = json.loads((workdir / STATE_FILE).read_text())
        stack = cls(workdir=workdir, die_with_parent=False, owns_workdir=False, reused=True)
        stack.servers = [
            ServerProcess(name=s["name"], pid=s["pid"], binary=s["binary"], log_path=Path(s["log"]))
            for s in state["servers"]
        ]
        stack.timings = state.get("timings", {})
        stack.kube_version = state.get("kube_version")
        if "kube" in state:
            k = state["kube"]
            stack.kube = KubeEndpoint(
                url=k["url"],
                kubeconfig=Path(k["kubeconfig"]),
                ca_file=Path(k["ca_file"]),
                token=k["token"],
                audit_log=Path(k["audit_log"]) if k.get("audit_log") else None,
            )
        if "netbird" in state:
            stack.netbird = NetBirdEndpoint(
                url=state["netbird"]["url"], token=state["netbird"]["token"]
            )
        return stack

    def dead_servers(self) -> list[str]:
        return [s.name for s in self.servers if s.exit_code() is not None]


# --- one stack per test session, shared by every conftest that needs it ---

_session: Stack | None = None
_session_started_here = False


def session_stack() -> Stack:
    """The test session's shared stack (nothing started until ensure_kube/ensure_netbird).

    With NBACCESS_STACK_REUSE=1 the stack a person started with `python -m tests.e2e.stack up`
    is used instead (found through NBACCESS_STACK_DIR or the default state folder) and left
    running afterwards: saves the start-up time when iterating on a test.
    """
    global _session, _session_started_here
    if _session is None:
        if os.environ.get("NBACCESS_STACK_REUSE") == "1":
            _session = Stack.from_state(state_dir())
        else:
            _session = Stack.in_temp_dir()
            _session_started_here = True
            # Safety net for runs that end without fixture teardown; the servers also die
            # with this process (die_with_parent) if it is killed outright.
            atexit.register(stop_session_stack)
    return _session


def stop_session_stack() -> None:
    """Stop the session's stack if this process started one; safe to call more than once."""
    global _session, _session_started_here
    if _session is not None and _session_started_here:
        _session.stop()
    _session = None
    _session_started_here = False
