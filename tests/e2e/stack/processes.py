"""Starting, waiting for and stopping the stack's server processes."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

LOG_TAIL_LINES = 30
_PR_SET_PDEATHSIG = 1


class StackStartError(RuntimeError):
    """A server of the stack did not become ready; carries its name and last log lines."""

    def __init__(self, name: str, problem: str, log_path: Path) -> None:
        self.name = name
        self.log_path = log_path
        tail = log_tail(log_path)
        super().__init__(
            f"{name}: {problem}\n--- last {LOG_TAIL_LINES} lines of {log_path} ---\n{tail}"
        )


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        return f"(no log: {exc})"
    return "\n".join(text.splitlines()[-lines:])


def _die_with_parent() -> None:
    # Runs in the child between fork and exec: the kernel sends SIGTERM when the parent (the
    # pytest process) dies, so a crashed or killed test run leaves no servers behind.
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class ServerProcess:
    """One started server; its own process group so it and any children stop together."""

    name: str
    pid: int
    binary: str
    log_path: Path
    popen: subprocess.Popen[bytes] | None = None

    def exit_code(self) -> int | None:
        """The exit code if the process has ended, None while it runs."""
        if self.popen is not None:
            return self.popen.poll()
        return None if _is_our_process(self.pid, self.binary) else -1

    def stop(self, grace_seconds: float = 10.0) -> None:
        stop_process_group(self.pid, self.binary, grace_seconds)
        if self.popen is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=1)


def start_server(
    name: str,
    argv: Sequence[str | os.PathLike[str]],
    log_path: Path,
    *,
    env: Mapping[str, str] | None = None,
    die_with_parent: bool = True,
    pass_fds: Sequence[int] = (),
) -> ServerProcess:
    """Start argv in a new session with stdout and stderr going to log_path.

    `pass_fds` are inherited by the server, e.g. a lock that must live exactly as long as it.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    full_env = dict(os.environ)
    full_env.update(env or {})
    with log_path.open("ab") as log:
        popen = subprocess.Popen(
            [os.fspath(a) for a in argv],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=full_env,
            start_new_session=True,
            preexec_fn=_die_with_parent if die_with_parent else None,
            pass_fds=tuple(pass_fds),
        )
    return ServerProcess(
        name=name, pid=popen.pid, binary=os.fspath(argv[0]), log_path=log_path, popen=popen
    )


def wait_ready(
    server: ServerProcess,
    probe: Callable[[], bool],
    timeout_seconds: float,
    interval_seconds: float = 0.2,
) -> float:
    """Poll probe until it returns True; returns the seconds waited.

    A probe that raises counts as not ready (connection refused while the server starts).
    Raises StackStartError when the process exits or the deadline passes.
    """
    started = time.monotonic()
    deadline = started + timeout_seconds
    last_problem = ""
    while True:
        code = server.exit_code()
        if code is not None:
            raise StackStartError(server.name, f"exited with code {code}", server.log_path)
        try:
            if probe():
                return time.monotonic() - started
        except Exception as exc:  # any failure of a readiness probe means "not yet"
            last_problem = f"{type(exc).__name__}: {exc}"
        if time.monotonic() >= deadline:
            detail = f" (last probe error: {last_problem})" if last_problem else ""
            raise StackStartError(
                server.name, f"not ready after {timeout_seconds:.0f}s{detail}", server.log_path
            )
        time.sleep(interval_seconds)


def _is_our_process(pid: int, binary: str) -> bool:
    """True while pid is alive and still runs binary (guards against a recycled pid)."""
    try:
        exe = os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return False
    # A deleted or replaced binary shows as "<path> (deleted)".
    return exe.removesuffix(" (deleted)") == os.path.realpath(binary)


def stop_process_group(pid: int, binary: str, grace_seconds: float = 10.0) -> None:
    """SIGTERM the process group led by pid, then SIGKILL what is left after the grace time.

    Does nothing when pid no longer runs binary, so a stale state file cannot kill an
    unrelated process that got the same pid.
    """
    if not _is_our_process(pid, binary):
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_seconds
    while time.monotonic() < deadline:
        if not _group_alive(pid):
            return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    # A zombie child of ours still counts as a group member until reaped.
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pgid, os.WNOHANG)
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True
