"""The fake's HTTP semantics without a transport: authentication, routing, error bodies.

`NetBirdApi.handle(method, path, query, headers, body) -> (status, headers, body)` is a pure
function of the in-memory account; FakeNetBird adds fault injection and the two ways to serve it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs

from tests.fakes.netbird import dns, groups, networks, peers, policies, posture_checks, setup_keys
from tests.fakes.netbird.errors import ApiError, DropConnection, Kind
from tests.fakes.netbird.ids import is_well_formed_token, new_personal_access_token
from tests.fakes.netbird.model import Account
from tests.fakes.netbird.routing import Json, Request, find_route

# NetBird registers its handlers in this order; the first match wins as in gorilla/mux.
ROUTES = [
    *peers.ROUTES,
    *setup_keys.ROUTES,
    *policies.ROUTES,
    *posture_checks.ROUTES,
    *groups.ROUTES,
    *dns.ROUTES,
    *networks.ROUTES,
]

JSON_HEADERS = {"Content-Type": "application/json; charset=UTF-8"}
NOT_FOUND_BODY = b"404 page not found\n"

RawResponse = tuple[int, dict[str, str], bytes]


def encode_json(value: Json) -> bytes:
    """JSON as Go's encoder writes it: compact, HTML characters escaped, newline-terminated."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return (text + "\n").encode()


def error_response(code: int, message: str) -> RawResponse:
    return code, dict(JSON_HEADERS), encode_json({"message": message, "code": code})


class TokenBucket:
    """NetBird's optional per-token API rate limit (off unless configured)."""

    def __init__(self, per_minute: float, burst: int, clock: Callable[[], float]) -> None:
        self._rate = per_minute / 60.0
        self._burst = float(burst)
        self._clock = clock
        self._tokens: dict[str, tuple[float, float]] = {}

    def allow(self, token: str) -> bool:
        now = self._clock()
        available, stamp = self._tokens.get(token, (self._burst, now))
        available = min(self._burst, available + (now - stamp) * self._rate)
        if available < 1:
            self._tokens[token] = (available, now)
            return False
        self._tokens[token] = (available - 1, now)
        return True


@dataclass
class Unanswered:
    """The server closed the connection without a response (a handler panic in NetBird)."""


class NetBirdApi:
    def __init__(self, account: Account | None = None, token: str | None = None) -> None:
        self.account = account or Account()
        self.token = token or new_personal_access_token()
        self.lock = threading.RLock()
        self.rate_limiter: TokenBucket | None = None

    def handle(
        self,
        method: str,
        path: str,
        query: str | Mapping[str, str],
        headers: Mapping[str, str],
        body: bytes,
    ) -> RawResponse:
        outcome = self.respond(method, path, query, headers, body)
        if isinstance(outcome, Unanswered):
            raise ConnectionAbortedError("the real server would close this connection unanswered")
        return outcome

    def respond(
        self,
        method: str,
        path: str,
        query: str | Mapping[str, str],
        headers: Mapping[str, str],
        body: bytes,
    ) -> RawResponse | Unanswered:
        method = method.upper()
        if not path.startswith("/api/"):
            return self._page_not_found()
        found = find_route(ROUTES, method, path[len("/api") :])
        if found == "not found":
            return self._page_not_found()
        if found == "method not allowed":
            # The real router (v0.77.1) answers a wrong method like an unknown route, not 405.
            return self._page_not_found()
        assert not isinstance(found, str)
        route, params = found
        lowered = {name.lower(): value for name, value in headers.items()}
        with self.lock:
            denied = self._authenticate(lowered.get("authorization", ""), lowered)
            if denied is not None:
                return denied
            request = Request(method=method, params=params, query=_query(query), raw_body=body)
            try:
                result = route.handler(self.account, request)
            except ApiError as error:
                return error_response(error.code, error.message)
            except DropConnection:
                return Unanswered()
        return 200, dict(JSON_HEADERS), encode_json(result)

    @staticmethod
    def _page_not_found() -> RawResponse:
        headers = {"Content-Type": "text/plain; charset=utf-8", "X-Content-Type-Options": "nosniff"}
        return 404, headers, NOT_FOUND_BODY

    def _authenticate(self, header: str, headers: Mapping[str, str]) -> RawResponse | None:
        parts = header.split(" ")
        scheme = parts[0].lower()
        if len(parts) >= 2 and scheme == "bearer" and parts[1].startswith("nbp_"):
            scheme = "token"  # NetBird accepts a PAT sent as a bearer token
        if scheme == "bearer":
            return error_response(401, "token invalid")
        if scheme != "token":
            return error_response(401, "no valid authentication provided")
        if len(parts) != 2:
            return error_response(401, "token invalid")
        token = parts[1]
        terraform = "terraform" in headers.get("user-agent", "").lower()
        if self.rate_limiter is not None and not terraform and not self.rate_limiter.allow(token):
            return error_response(int(Kind.TOO_MANY_REQUESTS), "too many requests")
        if token == self.token:
            return None
        if is_well_formed_token(token):
            digest = base64.b64encode(hashlib.sha256(token.encode()).digest()).decode()
            return error_response(404, f"invalid token: pat: {digest} not found".lower())
        return error_response(401, "token invalid")


def _query(query: str | Mapping[str, str]) -> dict[str, str]:
    if isinstance(query, str):
        return {name: values[0] for name, values in parse_qs(query).items()}
    return dict(query)
