"""A loopback HTTP proxy between the operator and the real netbird-server that misbehaves.

Each request, while faults are on, meets one fault drawn from a seeded mix, or passes through:
- `rate_limited`: 429 "too many requests", as NetBird's limiter answers (not forwarded);
- `gateway_error`: a 502/503/504 from "a load balancer" (not forwarded);
- `server_error_after`: forwarded, applied by NetBird, then answered with a 500;
- `reset`: the connection is reset before anything is forwarded;
- `hang`: nothing is forwarded or answered until the client gives up;
- `drop_after`: forwarded and applied, then the connection closes without an answer;
- `late` (writes only): held while the client times out, then forwarded a few seconds later,
  after the client has moved on: the write that lands late.

It speaks just enough HTTP/1.1 for the operator's client (keep-alive, Content-Length bodies).
The upstream is reached with httpx; nothing here leaves loopback.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import struct
import threading
from collections import Counter
from dataclasses import dataclass, fields

import httpx

WRITES = ("POST", "PUT", "DELETE")


@dataclass(frozen=True)
class FaultMix:
    """The chance of each fault per request (their sum is the fault rate)."""

    rate_limited: float = 0.05
    gateway_error: float = 0.05
    server_error_after: float = 0.04
    reset: float = 0.05
    hang: float = 0.03
    drop_after: float = 0.06
    late: float = 0.07
    # A late write lands this many seconds after the client's timeout has passed.
    late_after: tuple[float, float] = (0.5, 3.0)

    @property
    def rate(self) -> float:
        return sum(getattr(self, f.name) for f in fields(self) if f.name != "late_after")

    def draw(self, rng: random.Random, method: str) -> str | None:
        roll = rng.random()
        for f in fields(self):
            if f.name == "late_after":
                continue
            chance = getattr(self, f.name)
            if roll < chance:
                if f.name == "late" and method not in WRITES:
                    return None
                return f.name
            roll -= chance
        return None


@dataclass
class Request:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes


async def _read_request(reader: asyncio.StreamReader) -> Request | None:
    line = await reader.readline()
    if not line:
        return None
    method, target, _ = line.decode("latin-1").split(" ", 2)
    headers: dict[str, str] = {}
    while True:
        raw = await reader.readline()
        if raw in (b"\r\n", b"\n", b""):
            break
        name, _, value = raw.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length") or 0)
    body = await reader.readexactly(length) if length else b""
    return Request(method.upper(), target, headers, body)


def _response(status: int, body: bytes, content_type: str = "application/json") -> bytes:
    head = (
        f"HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: keep-alive\r\n\r\n"
    )
    return head.encode("latin-1") + body


class FaultProxy:
    def __init__(
        self, upstream: str, mix: FaultMix, *, seed: int = 0, client_timeout: float = 2.0
    ) -> None:
        self.upstream = upstream.rstrip("/")
        self.mix = mix
        self.client_timeout = client_timeout
        self.enabled = False
        self.counts: Counter[str] = Counter()
        self._rng = random.Random(seed)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._client: httpx.AsyncClient | None = None
        self._late: set[asyncio.Task[None]] = set()
        self.url = ""

    # ------------------------------------------------------------------ control

    def start(self) -> str:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self.url

    async def _start(self) -> None:
        self._client = httpx.AsyncClient(base_url=self.upstream, timeout=30)
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"

    def settle(self, timeout: float = 30) -> None:
        """Stop injecting, and wait until every late write has landed."""
        self.enabled = False
        asyncio.run_coroutine_threadsafe(self._drain(), self._loop).result(timeout)

    async def _drain(self) -> None:
        while self._late:
            await asyncio.gather(*list(self._late), return_exceptions=True)

    def stop(self) -> None:
        async def close() -> None:
            if self._server is not None:
                self._server.close()
            await self._drain()
            if self._client is not None:
                await self._client.aclose()

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(close(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    @property
    def faults(self) -> int:
        """Faults injected; `counts` holds these and the requests passed while faults were on."""
        return sum(v for k, v in self.counts.items() if k != "passed")

    # ------------------------------------------------------------------ serving

    async def _forward(self, request: Request) -> httpx.Response:
        assert self._client is not None
        headers = {
            k: v for k, v in request.headers.items() if k in ("authorization", "content-type")
        }
        return await self._client.request(
            request.method, request.target, headers=headers, content=request.body
        )

    async def _land_later(self, request: Request, delay: float) -> None:
        await asyncio.sleep(delay)
        with contextlib.suppress(httpx.HTTPError):
            await self._forward(request)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                request = await _read_request(reader)
                if request is None:
                    return
                fault = self.mix.draw(self._rng, request.method) if self.enabled else None
                if self.enabled:
                    self.counts[fault or "passed"] += 1
                if not await self._answer(request, fault, reader, writer):
                    return
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            return
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    async def _answer(
        self,
        request: Request,
        fault: str | None,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> bool:
        """Serve one request under `fault`; False when the connection must end."""
        if fault == "rate_limited":
            writer.write(_response(429, b'{"message":"too many requests","code":429}'))
        elif fault == "gateway_error":
            status = self._rng.choice((502, 503, 504))
            writer.write(_response(status, b"<html>bad gateway</html>", "text/html"))
        elif fault == "reset":
            sock = writer.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return False
        elif fault in ("hang", "late"):
            if fault == "late":
                low, high = self.mix.late_after
                # The client's timeout plus a little: it has given up by the time this lands.
                task = asyncio.ensure_future(
                    self._land_later(request, self.client_timeout + self._rng.uniform(low, high))
                )
                self._late.add(task)
                task.add_done_callback(self._late.discard)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(reader.read(), 60)  # until the client hangs up
            return False
        else:
            try:
                upstream = await self._forward(request)
            except httpx.HTTPError:
                return False
            if fault == "drop_after":
                return False
            if fault == "server_error_after":
                writer.write(_response(500, b'{"message":"internal error","code":500}'))
            else:
                content_type = upstream.headers.get("content-type", "application/json")
                writer.write(_response(upstream.status_code, upstream.content, content_type))
        await writer.drain()
        return True
