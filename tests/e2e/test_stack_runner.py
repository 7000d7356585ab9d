"""The stack runner's own promises, checked with ordinary programs instead of the servers:
failures name the process and show its log, and stopping leaves nothing behind."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.e2e.stack.binaries import StackUnavailable, find_binaries
from tests.e2e.stack.processes import (
    StackStartError,
    start_server,
    stop_process_group,
    wait_ready,
)

SH = shutil.which("sh") or "/bin/sh"
SLEEP = shutil.which("sleep") or "/bin/sleep"


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead for our purposes.
    return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


def test_a_server_that_exits_is_reported_with_its_last_log_lines(tmp_path: Path) -> None:
    server = start_server(
        "chatty",
        [SH, "-c", "for i in $(seq 1 40); do echo log-line-$i; done; exit 3"],
        tmp_path / "chatty.log",
    )

    with pytest.raises(StackStartError) as failure:
        wait_ready(server, lambda: False, timeout_seconds=30)

    message = str(failure.value)
    assert message.startswith("chatty: exited with code 3")
    assert "log-line-40" in message
    assert "log-line-11\n" in message
    assert "log-line-10\n" not in message  # only the last 30 lines


def test_a_server_that_never_gets_ready_is_reported_with_the_probe_error(tmp_path: Path) -> None:
    server = start_server("silent", [SLEEP, "60"], tmp_path / "silent.log")

    def probe() -> bool:
        raise ConnectionRefusedError("nothing listens")

    try:
        with pytest.raises(StackStartError) as failure:
            wait_ready(server, probe, timeout_seconds=0.5)
    finally:
        server.stop()

    assert "silent: not ready after" in str(failure.value)
    assert "nothing listens" in str(failure.value)
    assert not alive(server.pid)


def test_stopping_a_server_also_stops_its_children(tmp_path: Path) -> None:
    child_pid_file = tmp_path / "child.pid"
    server = start_server(
        "parent",
        [SH, "-c", f"{SLEEP} 300 & echo $! > {child_pid_file}; wait"],
        tmp_path / "parent.log",
    )
    wait_ready(server, lambda: child_pid_file.exists() and child_pid_file.read_text() != "", 10)
    child = int(child_pid_file.read_text())

    server.stop()

    assert not alive(server.pid)
    assert not alive(child)


def test_a_recycled_pid_running_another_program_is_not_killed(tmp_path: Path) -> None:
    bystander = start_server("bystander", [SLEEP, "60"], tmp_path / "bystander.log")
    try:
        # A stale state file names this pid, but for a different binary.
        stop_process_group(bystander.pid, "/usr/local/bin/kube-apiserver", grace_seconds=0.1)
        assert alive(bystander.pid)
    finally:
        bystander.stop()


def test_missing_binaries_name_the_component_and_the_build_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NBACCESS_E2E_CACHE", str(tmp_path))
    binaries = find_binaries()
    (binaries.folders["netbird"] / "bin").mkdir(parents=True)  # built, but not completed

    with pytest.raises(StackUnavailable) as missing:
        binaries.require("netbird")

    assert "missing netbird" in str(missing.value)
    assert "tests/e2e/stack/build.sh" in str(missing.value)
    (binaries.folders["netbird"] / ".complete").touch()
    binaries.require("netbird")
