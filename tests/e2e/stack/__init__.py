"""The real test stack: etcd + kube-apiserver and a NetBird combined server on loopback.

Used two ways:
- by pytest, through `session_stack()` (one shared, lazily started `Stack` per test session,
  so tests/e2e and the real-server contract tests in tests/integration share one NetBird);
- by a person, through `python -m tests.e2e.stack up|env|down` (see `__main__`).

Binaries come from `build.sh`; when they are missing `StackUnavailable` says how to build them.
"""

from tests.e2e.stack.binaries import Binaries, StackUnavailable, find_binaries
from tests.e2e.stack.kube import KubeEndpoint
from tests.e2e.stack.netbird import NetBirdEndpoint
from tests.e2e.stack.processes import StackStartError
from tests.e2e.stack.stack import Stack, session_stack, stop_session_stack

__all__ = [
    "Binaries",
    "KubeEndpoint",
    "NetBirdEndpoint",
    "Stack",
    "StackStartError",
    "StackUnavailable",
    "find_binaries",
    "session_stack",
    "stop_session_stack",
]
