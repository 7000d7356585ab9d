"""Free loopback ports for the stack's listeners."""

from __future__ import annotations

import socket


def free_tcp_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now.

    The port is released before the server binds it, so another process could take it in
    between; on a test machine that race is rare and shows up as a clear bind error in the
    server's log, which StackStartError reports.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_udp_port() -> int:
    """A UDP port free on every interface (NetBird's STUN listener binds the wildcard)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("", 0))
        return int(sock.getsockname()[1])
