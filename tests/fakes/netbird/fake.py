"""FakeNetBird: the fake API with fault injection, a request log, and two ways to serve it."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlsplit

import httpx

from tests.fakes.loopback import serving
from tests.fakes.netbird.api import (
    JSON_HEADERS,
    NetBirdApi,
    RawResponse,
    TokenBucket,
    Unanswered,
    error_response,
)
from tests.fakes.netbird.faults import (
    DEFAULT_MESSAGES,
    DelayFault,
    DropFault,
    DropKind,
    FailFault,
    FaultPlan,
)
from tests.fakes.netbird.ids import new_xid
from tests.fakes.netbird.model import Account, Clock, Peer, utc_now
from tests.fakes.netbird.setup_keys import key_state

_PEER_NETWORK = ipaddress.ip_network("100.64.0.0/10")


@dataclass(frozen=True)
class LoggedRequest:
    """One request as the fake saw it; status is None when the connection was dropped."""

    method: str
    path: str
    query: str
    status: int | None
    body: Any

    @property
    def is_write(self) -> bool:
        return self.method in ("POST", "PUT", "DELETE", "PATCH")


@dataclass(frozen=True)
class Outcome:
    delay: float
    response: RawResponse | None
    drop: DropKind | None


class FakeNetBird:
    """An in-memory NetBird management API (v0.77.1 behaviour) for tests.

    Serve it with `transport()` (an httpx.MockTransport for httpx.AsyncClient) or `serve()`
    (a loopback HTTP server for other processes). Authenticate with `Authorization: Token
    <fake.token>`. State lives in `fake.account`; hold `fake.lock` to read it from another thread.
    """

    def __init__(
        self,
        *,
        token: str | None = None,
        clock: Clock = utc_now,
        geolocation_enabled: bool = False,
        default_policy: bool = True,
    ) -> None:
        account = Account(
            clock=clock, geolocation_enabled=geolocation_enabled, with_default_policy=default_policy
        )
        self.api = NetBirdApi(account, token)
        self._faults = FaultPlan()
        self._log: list[LoggedRequest] = []
        # Requests a LATE drop held back: (method, path, query, headers, body).
        self._held: list[tuple[str, str, str, dict[str, str], bytes]] = []
        self._next_peer_ip = iter(_PEER_NETWORK.hosts())

    # ---- state ------------------------------------------------------------------------------

    @property
    def token(self) -> str:
        return self.api.token

    @property
    def account(self) -> Account:
        return self.api.account

    @property
    def lock(self) -> threading.RLock:
        return self.api.lock

    @property
    def all_group_id(self) -> str:
        return self.api.account.all_group_id

    def add_peer(
        self,
        name: str,
        *,
        groups: Sequence[str] = (),
        connected: bool = True,
        setup_key: str | None = None,
        os: str = "linux",
        version: str = "0.77.1",
        approval_required: bool = False,
        login_expired: bool = False,
        ephemeral: bool = False,
    ) -> str:
        """Enrol a peer as a NetBird client would; returns its id.

        The peer joins All, the given group ids and, when enrolled with a setup key (the plain
        value), that key's auto_groups; the key's usage is counted and must be valid.
        """
        with self.lock:
            account = self.account
            member_of = list(groups)
            if setup_key is not None:
                key = next(
                    (k for k in account.setup_keys.values() if k.plain_key == setup_key), None
                )
                if key is None or key_state(account, key) != "valid":
                    raise ValueError("setup key is unknown or not valid")
                key.used_times += 1
                key.last_used = account.clock()
                member_of.extend(key.auto_groups)
                ephemeral = ephemeral or key.ephemeral
            unknown = [group_id for group_id in member_of if group_id not in account.groups]
            if unknown:
                raise ValueError(f"unknown group ids: {unknown}")
            now = account.clock()
            peer = Peer(
                id=new_xid(),
                name=name,
                ip=str(next(self._next_peer_ip)),
                created_at=now,
                last_seen=now,
                connected=connected,
                os=os,
                version=version,
                hostname=name,
                approval_required=approval_required,
                login_expired=login_expired,
                ephemeral=ephemeral,
                connection_ip="127.0.0.1",
            )
            account.peers[peer.id] = peer
            for group_id in [account.all_group_id, *member_of]:
                group = account.groups[group_id]
                if peer.id not in group.peers:
                    group.peers.append(peer.id)
            account.bump_serial()
            return peer.id

    def set_peer_connected(self, peer_id: str, connected: bool) -> None:
        with self.lock:
            peer = self.account.peers[peer_id]
            peer.connected = connected
            peer.last_seen = self.account.clock()

    def remove_peer(self, peer_id: str) -> None:
        with self.lock:
            for group in self.account.groups_of_peer(peer_id):
                group.peers.remove(peer_id)
            del self.account.peers[peer_id]
            self.account.bump_serial()

    # ---- faults ------------------------------------------------------------------------------

    def fail_next(
        self,
        count: int = 1,
        status: int = 500,
        *,
        message: str | None = None,
        body: bytes | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        """Answer the next matching requests with `status` instead of handling them.

        The body is NetBird's {"message", "code"} unless `body` (e.g. a proxy's HTML) is given.
        `path` is a prefix of the request path, e.g. "/api/groups".
        """
        text = message if message is not None else DEFAULT_MESSAGES.get(status, "error")
        fault = FailFault(count, method, path, status=status, message=text, body=body)
        with self.lock:
            self._faults.add(fault)

    def delay_next(
        self, count: int, seconds: float, *, method: str | None = None, path: str | None = None
    ) -> None:
        """Handle the next matching requests at once but answer them `seconds` later.

        Through transport(), a delay at or beyond the client's read timeout raises
        httpx.ReadTimeout after that timeout, as a real slow server would.
        """
        with self.lock:
            self._faults.add(DelayFault(count, method, path, seconds=seconds))

    def drop_next(
        self,
        count: int = 1,
        *,
        kind: DropKind = DropKind.DISCONNECT,
        after_processing: bool = False,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        """Drop the connection of the next matching requests without an answer.

        With after_processing the write is applied first, so the client cannot know it landed.
        """
        fault = DropFault(count, method, path, kind=kind, after_processing=after_processing)
        with self.lock:
            self._faults.add(fault)

    def land_late(self) -> int:
        """Apply every request a LATE drop held back, as NetBird finally would; how many."""
        with self.lock:
            held, self._held = self._held, []
            for method, path, query, headers, body in held:
                self.api.respond(method, path, query, headers, body)
            return len(held)

    def rate_limit(
        self, per_minute: float | None, burst: int = 1, clock: Callable[[], float] = time.monotonic
    ) -> None:
        """Turn on NetBird's per-token limiter (429 "too many requests", no Retry-After)."""
        with self.lock:
            self.api.rate_limiter = (
                None if per_minute is None else TokenBucket(per_minute, burst, clock)
            )

    def clear_faults(self) -> None:
        with self.lock:
            self._faults.clear()
            self.api.rate_limiter = None

    def pending_faults(self) -> int:
        with self.lock:
            return self._faults.pending()

    # ---- request log -------------------------------------------------------------------------

    @property
    def requests(self) -> list[LoggedRequest]:
        with self.lock:
            return list(self._log)

    def writes(self) -> list[LoggedRequest]:
        return [entry for entry in self.requests if entry.is_write]

    def count(self, method: str | None = None, path: str | None = None) -> int:
        """Requests seen, optionally by method and path prefix."""
        return sum(
            1
            for entry in self.requests
            if (method is None or entry.method == method.upper())
            and (path is None or entry.path.startswith(path))
        )

    def clear_log(self) -> None:
        with self.lock:
            self._log.clear()

    # ---- processing --------------------------------------------------------------------------

    def process(
        self, method: str, path: str, query: str, headers: dict[str, str], body: bytes
    ) -> Outcome:
        """Apply faults and the API to one request; transports turn the outcome into I/O."""
        method = method.upper()
        with self.lock:
            faults = self._faults.take(method, path)
            response: RawResponse | None = None
            drop: DropKind | None = None
            if faults.fail is not None:
                fail = faults.fail
                if fail.body is not None:
                    response = (fail.status, {"Content-Type": "text/html"}, fail.body)
                else:
                    response = error_response(fail.status, fail.message or "")
            elif faults.drop is not None and faults.drop.kind is DropKind.LATE:
                self._held.append((method, path, query, headers, body))
                drop = DropKind.LATE
            elif faults.drop is not None and not faults.drop.after_processing:
                drop = faults.drop.kind
            else:
                answered = self.api.respond(method, path, query, headers, body)
                if isinstance(answered, Unanswered):
                    drop = DropKind.DISCONNECT
                elif faults.drop is not None:
                    drop = faults.drop.kind
                else:
                    response = answered
            self._log.append(
                LoggedRequest(
                    method=method,
                    path=path,
                    query=query,
                    status=None if response is None else response[0],
                    body=_decoded(body),
                )
            )
        return Outcome(delay=faults.delay, response=response, drop=drop)

    def handle(
        self, method: str, path: str, query: str, headers: dict[str, str], body: bytes
    ) -> RawResponse:
        """One request without a transport: (status, headers, body). Faults apply, except that
        delays are not waited for; a dropped connection raises ConnectionAbortedError."""
        outcome = self.process(method, path, query, headers, body)
        if outcome.response is None:
            raise ConnectionAbortedError("the fake dropped this connection")
        return outcome.response

    # ---- serving -----------------------------------------------------------------------------

    def transport(self) -> httpx.MockTransport:
        """An httpx transport for httpx.AsyncClient(transport=..., base_url=FAKE_BASE_URL)."""

        async def handler(request: httpx.Request) -> httpx.Response:
            body = await request.aread()
            outcome = self.process(
                request.method,
                request.url.path,
                request.url.query.decode(),
                dict(request.headers),
                body,
            )
            if outcome.delay:
                read_timeout = (request.extensions.get("timeout") or {}).get("read")
                if read_timeout is not None and outcome.delay >= read_timeout:
                    await asyncio.sleep(read_timeout)
                    raise httpx.ReadTimeout("fake NetBird answered too late", request=request)
                await asyncio.sleep(outcome.delay)
            if outcome.drop is DropKind.CONNECT:
                raise httpx.ConnectError("fake NetBird refused the connection", request=request)
            if outcome.drop is DropKind.RESET:
                raise httpx.ReadError("fake NetBird reset the connection", request=request)
            if outcome.drop is DropKind.LATE:
                raise httpx.ReadTimeout("fake NetBird has not answered yet", request=request)
            if outcome.drop is not None or outcome.response is None:
                raise httpx.RemoteProtocolError(
                    "Server disconnected without sending a response.", request=request
                )
            status, headers, content = outcome.response
            return httpx.Response(status, headers=headers, content=content)

        return httpx.MockTransport(handler)

    @contextmanager
    def serve(self) -> Iterator[str]:
        """Serve on a free loopback port; yields the base URL (e.g. http://127.0.0.1:40123)."""
        fake = self

        class Handler(_RequestHandler):
            netbird = fake

        with serving(Handler, "fake-netbird") as url:
            yield url


FAKE_BASE_URL = "http://netbird.fake"


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    netbird: FakeNetBird

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        url = urlsplit(self.path)
        outcome = self.netbird.process(self.command, url.path, url.query, dict(self.headers), body)
        if outcome.delay:
            time.sleep(outcome.delay)
        if outcome.drop is not None or outcome.response is None:
            if outcome.drop is DropKind.RESET:
                # SO_LINGER 0 makes close() send a reset instead of an orderly FIN.
                linger = struct.pack("ii", 1, 0)
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
            self.close_connection = True
            return
        status, headers, content = outcome.response
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _serve

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the fake's request log is the record tests assert on."""


def _decoded(body: bytes) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return body


__all__ = ["FAKE_BASE_URL", "JSON_HEADERS", "DropKind", "FakeNetBird", "LoggedRequest"]
