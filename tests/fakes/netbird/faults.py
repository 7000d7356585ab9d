"""Faults a test switches on: error statuses, slow answers and dropped connections.

Each fault applies to the next `count` requests that match its optional method and path prefix.
Failing and dropping-before-processing leave the account untouched; a drop after processing
applies the write and loses the answer (the case that makes clients create duplicates); a late
drop holds the request back and applies it only when the test says so, after the client has
given up (the write that lands after a timeout, and after the client has moved on).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class DropKind(Enum):
    """How a dropped connection looks to the client."""

    DISCONNECT = "disconnect"  # closed without an answer: httpx.RemoteProtocolError
    CONNECT = "connect"  # never connected: httpx.ConnectError (the mock transport only)
    RESET = "reset"  # reset by peer: httpx.ReadError
    # Sent, held back, applied only later (`land_late`): the client timed out meanwhile.
    LATE = "late"


@dataclass
class Fault:
    remaining: int
    method: str | None = None
    path_prefix: str | None = None

    def matches(self, method: str, path: str) -> bool:
        if self.remaining <= 0:
            return False
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self.path_prefix is None or path.startswith(self.path_prefix)


@dataclass
class FailFault(Fault):
    status: int = 500
    message: str | None = None
    body: bytes | None = None


@dataclass
class DelayFault(Fault):
    seconds: float = 0.0


@dataclass
class DropFault(Fault):
    kind: DropKind = DropKind.DISCONNECT
    after_processing: bool = False


@dataclass
class FaultsForRequest:
    fail: FailFault | None = None
    delay: float = 0.0
    drop: DropFault | None = None


DEFAULT_MESSAGES = {
    429: "too many requests",
    500: "internal server error",
}


class FaultPlan:
    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        self._faults.append(fault)

    def clear(self) -> None:
        self._faults.clear()

    def pending(self) -> int:
        return sum(fault.remaining for fault in self._faults)

    def take(self, method: str, path: str) -> FaultsForRequest:
        """Consume at most one fault of each sort that matches this request."""
        taken = FaultsForRequest()
        for fault in self._faults:
            if not fault.matches(method, path):
                continue
            if isinstance(fault, FailFault) and taken.fail is None and taken.drop is None:
                taken.fail = fault
            elif isinstance(fault, DropFault) and taken.drop is None and taken.fail is None:
                taken.drop = fault
            elif isinstance(fault, DelayFault) and not taken.delay:
                taken.delay = fault.seconds
            else:
                continue
            fault.remaining -= 1
        self._faults = [fault for fault in self._faults if fault.remaining > 0]
        return taken
