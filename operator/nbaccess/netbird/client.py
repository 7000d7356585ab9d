"""The async NetBird management API client: the only code that speaks NetBird HTTP.

One `NetBirdClient` per process. Every call goes through the same path: client-side rate limit
-> HTTP attempt -> error classification -> retry with backoff when retrying can help. Every
attempt is reported to `on_request` (for metrics) with the route *template*, never the raw
path. Reads are served from a short-lived per-kind list cache that our own writes invalidate.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from nbaccess.netbird.cache import ListCache
from nbaccess.netbird.collections import (
    GROUPS,
    NAMESERVER_GROUPS,
    NETWORK_RESOURCES,
    NETWORK_ROUTERS,
    NETWORKS,
    PEERS,
    POLICIES,
    POSTURE_CHECKS,
    SETUP_KEYS,
    Collection,
)
from nbaccess.netbird.errors import (
    NetBirdError,
    NotFound,
    RateLimited,
    TransportError,
    UnexpectedResponse,
    error_from_response,
    reason_of,
)
from nbaccess.netbird.models import (
    AccessiblePeer,
    Group,
    GroupRequest,
    Identified,
    NameserverGroup,
    NameserverGroupRequest,
    Network,
    NetworkRequest,
    NetworkResource,
    NetworkResourceRequest,
    NetworkRouter,
    NetworkRouterRequest,
    Peer,
    Policy,
    PolicyRequest,
    PostureCheck,
    PostureCheckRequest,
    Request,
    SetupKey,
    SetupKeyCreate,
    SetupKeyCreated,
    SetupKeyUpdate,
)
from nbaccess.netbird.ratelimit import TokenBucket
from nbaccess.netbird.redact import SecretRegistry
from nbaccess.netbird.retry import RetryPolicy, Uniform, call_with_retry, jitter_source

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)
I = TypeVar("I", bound=Identified)  # noqa: E741 - reads as "an identified model"


class ClientOptions(BaseModel):
    """Tuning of the client; defaults suit NetBird cloud."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    timeout_connect: float = Field(default=10.0, gt=0)
    timeout_read: float = Field(default=30.0, gt=0)
    # None: no client-side limit (a self-hosted server's limiter is off by default); NetBird
    # cloud documents 120 requests/minute with a burst of 1200 per token.
    rate_per_minute: float | None = Field(default=120.0, gt=0)
    burst: int = Field(default=1200, ge=1)
    max_attempts: int = Field(default=5, ge=1)
    backoff_base: float = Field(default=0.5, ge=0)
    backoff_max: float = Field(default=30.0, ge=0)
    retry_max_total: float = Field(default=120.0, ge=0)
    # 0 turns the list cache off (every get is a GET).
    list_cache_ttl: float = Field(default=10.0, ge=0)
    user_agent: str = "netbird-access-operator"

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(
            max_attempts=self.max_attempts,
            base_delay=self.backoff_base,
            max_delay=self.backoff_max,
            max_total=self.retry_max_total,
        )


@dataclass(frozen=True)
class RequestRecord:
    """One HTTP attempt, for metrics: `code` is the status, or 0 when no response came back."""

    method: str
    route: str
    code: int
    duration_seconds: float
    attempt: int
    # Why it failed (errors.reason_of), None when it succeeded.
    error: str | None = None
    # Time it waited for the client-side rate limiter before it went out.
    waited_seconds: float = 0.0


_ALL = "*"


def _validation_summary(exc: ValidationError) -> str:
    # Field locations and reasons only: the input values could hold a setup key.
    parts = [
        f"{'.'.join(str(p) for p in err['loc']) or '(body)'}: {err['msg']}"
        for err in exc.errors(include_input=False, include_url=False)
    ]
    return "; ".join(parts[:5])


class NetBirdClient:
    """Async client for the NetBird management API; use as `async with NetBirdClient(...)`."""

    def __init__(
        self,
        base_url: str,
        token: SecretStr | str,
        *,
        options: ClientOptions | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        on_request: Callable[[RequestRecord], None] | None = None,
        on_retry: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: Uniform | None = None,
    ) -> None:
        base = base_url.rstrip("/")
        if base.endswith("/api"):
            raise ValueError("base_url is the server's URL without /api; the client adds it")
        secret = token if isinstance(token, SecretStr) else SecretStr(token)
        if not secret.get_secret_value():
            raise ValueError("the NetBird API token is empty")
        self.options = options or ClientOptions()
        self._base_url = base
        self._secrets = SecretRegistry(secret)
        self._on_request = on_request
        self._on_retry = on_retry
        self._clock = clock
        self._sleep = sleep
        self._rng: Uniform = rng if rng is not None else jitter_source()
        self._policy = self.options.retry_policy()
        rate = self.options.rate_per_minute
        self._bucket = TokenBucket(rate, self.options.burst, clock, sleep) if rate else None
        self._cache = ListCache(self.options.list_cache_ttl, clock)
        timeout = httpx.Timeout(
            connect=self.options.timeout_connect,
            read=self.options.timeout_read,
            write=self.options.timeout_read,
            pool=self.options.timeout_connect,
        )
        self._http = httpx.AsyncClient(
            base_url=base,
            # httpx masks Authorization in the repr of its Headers.
            headers={
                "Authorization": f"Token {secret.get_secret_value()}",
                "Accept": "application/json",
                "User-Agent": self.options.user_agent,
            },
            timeout=timeout,
            transport=transport,
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return f"NetBirdClient(base_url={self._base_url!r}, token=SecretStr('**********'))"

    async def __aenter__(self) -> NetBirdClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    def set_token(self, token: SecretStr) -> None:
        """Use a rotated token from the next request on; the old one stays redacted."""
        if not token.get_secret_value():
            raise ValueError("the NetBird API token is empty")
        self._secrets.add(token)
        self._http.headers["Authorization"] = f"Token {token.get_secret_value()}"

    @property
    def secrets(self) -> SecretRegistry:
        """The token and every setup key this client created, for log redaction filters."""
        return self._secrets

    # ------------------------------------------------------------------ transport core

    async def _send(
        self,
        method: str,
        route: str,
        *,
        path_params: Mapping[str, str] | None = None,
        query: Mapping[str, str] | None = None,
        body: Request | None = None,
    ) -> Any:
        """One logical call: rate limit, attempts, retries. Returns the decoded JSON body."""
        path = route.format_map({k: quote(v, safe="") for k, v in (path_params or {}).items()})
        payload = body.to_wire() if body is not None else None

        async def attempt(number: int) -> Any:
            return await self._attempt(method, route, path, query, payload, number)

        def on_retry(exc: NetBirdError, failed: int, delay: float) -> None:
            if self._on_retry is not None:
                self._on_retry(reason_of(exc))
            log.warning(
                "%s; retrying in %.1fs (attempt %d of %d)",
                exc,
                delay,
                failed + 1,
                self._policy.max_attempts,
            )

        return await call_with_retry(
            attempt,
            self._policy,
            clock=self._clock,
            sleep=self._sleep,
            rng=self._rng,
            may_retry=lambda exc: self._may_retry(method, exc),
            on_retry=on_retry,
        )

    @staticmethod
    def _may_retry(method: str, exc: NetBirdError) -> bool:
        if not exc.retryable:
            return False
        if method != "POST":
            return True
        # A POST that may have reached NetBird could have created the object already; a second
        # POST would create a duplicate (policy and network names are not unique). Retry only
        # when it certainly was not applied; otherwise the next reconcile finds the object.
        if isinstance(exc, RateLimited):
            return True
        return isinstance(exc, TransportError) and not exc.request_sent

    async def _attempt(
        self,
        method: str,
        route: str,
        path: str,
        query: Mapping[str, str] | None,
        payload: dict[str, Any] | None,
        number: int,
    ) -> Any:
        waited = await self._bucket.acquire() if self._bucket is not None else 0.0
        started = self._clock()
        try:
            response = await self._http.request(method, path, params=query, json=payload)
        except httpx.TransportError as exc:
            error = self._transport_error(exc, method, route)
            self._record(method, route, 0, started, number, reason_of(error), waited)
            raise error from exc
        log.debug("%s %s -> %d (attempt %d)", method, route, response.status_code, number)
        if not response.is_success:
            refused = error_from_response(
                response.status_code, self._secrets.redact(response.text), method, route
            )
            self._record(
                method, route, response.status_code, started, number, reason_of(refused), waited
            )
            raise refused
        self._record(method, route, response.status_code, started, number, None, waited)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise UnexpectedResponse(
                "the response body is not JSON",
                status=response.status_code,
                method=method,
                route=route,
            ) from None

    def _transport_error(
        self, exc: httpx.TransportError, method: str, route: str
    ) -> TransportError:
        # A failed connect means the request never left; anything later may have been applied.
        not_sent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
        retryable = not isinstance(exc, httpx.UnsupportedProtocol)
        kind = "timed out" if isinstance(exc, httpx.TimeoutException) else "failed"
        detail = self._secrets.redact(str(exc)) or type(exc).__name__
        return TransportError(
            f"request {kind}: {type(exc).__name__}: {detail}",
            method=method,
            route=route,
            request_sent=not not_sent,
            retryable=retryable,
        )

    def _record(
        self,
        method: str,
        route: str,
        code: int,
        started: float,
        attempt: int,
        error: str | None = None,
        waited: float = 0.0,
    ) -> None:
        if self._on_request is None:
            return
        elapsed = max(0.0, self._clock() - started)
        record = RequestRecord(method, route, code, elapsed, attempt, error, waited)
        try:
            self._on_request(record)
        except Exception:
            # Metrics must never break an API call.
            log.exception("on_request hook failed for %s %s", method, route)

    # ------------------------------------------------------------------ parsing and caching

    def _parse(self, model: type[M], data: Any, method: str, route: str) -> M:
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            raise UnexpectedResponse(
                f"response is not a valid {model.__name__}: {_validation_summary(exc)}",
                method=method,
                route=route,
            ) from None

    def _parse_list(self, model: type[M], data: Any, method: str, route: str) -> list[M]:
        if data is None:
            return []
        if not isinstance(data, list):
            raise UnexpectedResponse(
                f"expected a list of {model.__name__}", method=method, route=route
            )
        return [self._parse(model, item, method, route) for item in data]

    async def _list(
        self,
        kind: str,
        route: str,
        model: type[I],
        *,
        path_params: Mapping[str, str] | None = None,
        scope: str = _ALL,
        fresh: bool = False,
        max_age: float | None = None,
    ) -> list[I]:
        async def load() -> list[I]:
            data = await self._send("GET", route, path_params=path_params)
            return self._parse_list(model, data, "GET", route)

        return await self._cache.get_or_load(kind, load, scope, fresh=fresh, max_age=max_age)

    async def _get(
        self,
        kind: str,
        list_route: str,
        item_route: str,
        model: type[I],
        path_params: Mapping[str, str],
        item_id: str,
        *,
        scope: str = _ALL,
        fresh: bool = False,
    ) -> I:
        """From the fresh list when it holds the id; otherwise (or when `fresh`) a real GET.

        The fallback makes an object created since the list was loaded (by someone else; our
        own writes invalidate) visible, and makes a missing one a real 404 from NetBird.
        `fresh=True` is for read-modify-write, where a copy up to one TTL old could undo a
        change made meanwhile (a peer enrolled into a group).
        """
        if self._cache.enabled and not fresh:
            items = await self._list(kind, list_route, model, path_params=path_params, scope=scope)
            for item in items:
                if item.id == item_id:
                    return item
        data = await self._send("GET", item_route, path_params={**path_params, "id": item_id})
        return self._parse(model, data, "GET", item_route)

    async def _write(
        self,
        collection: Collection[I],
        method: str,
        route: str,
        *,
        path_params: Mapping[str, str] | None = None,
        body: Request | None = None,
    ) -> Any:
        affects = collection.affects
        if method == "DELETE":
            affects = (*affects, *collection.affects_on_delete)
        try:
            data = await self._send(method, route, path_params=path_params, body=body)
        except NetBirdError:
            # Even a failed write may have been applied (a timeout after sending): every list
            # it may have changed, its own included, is read again.
            self._cache.invalidate((collection.kind, *affects))
            raise
        self._cache.invalidate(affects)
        return data

    # ------------------------------------------------------------------ one collection

    async def _list_of(
        self,
        collection: Collection[I],
        *,
        network_id: str | None = None,
        fresh: bool = False,
        max_age: float | None = None,
    ) -> list[I]:
        if network_id is None:
            route = collection.all_route or collection.route
            return await self._list(
                collection.kind, route, collection.model, fresh=fresh, max_age=max_age
            )
        return await self._list(
            collection.kind,
            collection.route,
            collection.model,
            path_params={"network_id": network_id},
            scope=network_id,
            fresh=fresh,
        )

    async def _get_of(
        self,
        collection: Collection[I],
        item_id: str,
        *,
        network_id: str | None = None,
        fresh: bool = False,
    ) -> I:
        params = _params(network_id)
        return await self._get(
            collection.kind,
            collection.route,
            collection.item_route,
            collection.model,
            params,
            item_id,
            scope=network_id or _ALL,
            fresh=fresh,
        )

    def _scopes(self, network_id: str | None) -> tuple[str, ...]:
        return (_ALL,) if network_id is None else (_ALL, network_id)

    async def _create_in(
        self,
        collection: Collection[I],
        body: Request,
        *,
        network_id: str | None = None,
    ) -> Any:
        """POST; returns the raw answer (the caller parses: a setup key's is special)."""
        params = {"network_id": network_id} if network_id is not None else None
        return await self._write(
            collection, "POST", collection.route, path_params=params, body=body
        )

    async def _create_of(
        self, collection: Collection[I], body: Request, *, network_id: str | None = None
    ) -> I:
        data = await self._create_in(collection, body, network_id=network_id)
        created = self._parse(collection.model, data, "POST", collection.route)
        # Write-through: the cached list shows it at once, without being read again.
        self._cache.upsert(collection.kind, created, self._scopes(network_id))
        return created

    async def _update_of(
        self,
        collection: Collection[I],
        item_id: str,
        body: Request,
        *,
        network_id: str | None = None,
    ) -> I:
        params = (
            {"id": item_id} if network_id is None else {"network_id": network_id, "id": item_id}
        )
        data = await self._write(
            collection, "PUT", collection.item_route, path_params=params, body=body
        )
        updated = self._parse(collection.model, data, "PUT", collection.item_route)
        self._cache.upsert(collection.kind, updated, self._scopes(network_id))
        return updated

    async def _delete_of(
        self, collection: Collection[I], item_id: str, *, network_id: str | None = None
    ) -> None:
        params = (
            {"id": item_id} if network_id is None else {"network_id": network_id, "id": item_id}
        )
        try:
            await self._write(collection, "DELETE", collection.item_route, path_params=params)
        except NotFound:
            self._cache.discard(collection.kind, item_id)  # gone either way
            raise
        self._cache.discard(collection.kind, item_id)

    # ------------------------------------------------------------------ groups

    async def list_groups(
        self, *, fresh: bool = False, max_age: float | None = None
    ) -> list[Group]:
        return await self._list_of(GROUPS, fresh=fresh, max_age=max_age)

    async def get_group(self, group_id: str, *, fresh: bool = False) -> Group:
        return await self._get_of(GROUPS, group_id, fresh=fresh)

    async def find_groups(self, name: str) -> list[Group]:
        """Groups with exactly this name ([] when none): from the fresh list, else ?name=."""
        cached = self._cache.fresh("groups")
        if cached is not None:
            return [g for g in cached if g.name == name]
        try:
            data = await self._send("GET", "/api/groups", query={"name": name})
        except NotFound as exc:
            # NetBird answers 404 "group: <name> not found"; a 404 about the route is a real error.
            if "group" in exc.message.lower():
                return []
            raise
        return [g for g in self._parse_list(Group, data, "GET", "/api/groups") if g.name == name]

    async def create_group(self, group: GroupRequest) -> Group:
        return await self._create_of(GROUPS, group)

    async def update_group(self, group_id: str, group: GroupRequest) -> Group:
        return await self._update_of(GROUPS, group_id, group)

    async def delete_group(self, group_id: str) -> None:
        await self._delete_of(GROUPS, group_id)

    # ------------------------------------------------------------------ policies

    async def list_policies(self, *, fresh: bool = False) -> list[Policy]:
        return await self._list_of(POLICIES, fresh=fresh)

    async def get_policy(self, policy_id: str, *, fresh: bool = False) -> Policy:
        return await self._get_of(POLICIES, policy_id, fresh=fresh)

    async def create_policy(self, policy: PolicyRequest) -> Policy:
        return await self._create_of(POLICIES, policy)

    async def update_policy(self, policy_id: str, policy: PolicyRequest) -> Policy:
        return await self._update_of(POLICIES, policy_id, policy)

    async def delete_policy(self, policy_id: str) -> None:
        await self._delete_of(POLICIES, policy_id)

    # ------------------------------------------------------------------ posture checks

    async def list_posture_checks(
        self, *, fresh: bool = False, max_age: float | None = None
    ) -> list[PostureCheck]:
        return await self._list_of(POSTURE_CHECKS, fresh=fresh, max_age=max_age)

    async def get_posture_check(self, check_id: str, *, fresh: bool = False) -> PostureCheck:
        return await self._get_of(POSTURE_CHECKS, check_id, fresh=fresh)

    async def create_posture_check(self, check: PostureCheckRequest) -> PostureCheck:
        return await self._create_of(POSTURE_CHECKS, check)

    async def update_posture_check(self, check_id: str, check: PostureCheckRequest) -> PostureCheck:
        return await self._update_of(POSTURE_CHECKS, check_id, check)

    async def delete_posture_check(self, check_id: str) -> None:
        await self._delete_of(POSTURE_CHECKS, check_id)

    # ------------------------------------------------------------------ setup keys

    async def list_setup_keys(self, *, fresh: bool = False) -> list[SetupKey]:
        return await self._list_of(SETUP_KEYS, fresh=fresh)

    async def get_setup_key(self, key_id: str, *, fresh: bool = False) -> SetupKey:
        return await self._get_of(SETUP_KEYS, key_id, fresh=fresh)

    async def create_setup_key(self, key: SetupKeyCreate) -> SetupKeyCreated:
        """Create a key; the returned `key` (a SecretStr) is the only copy of its value."""
        data = await self._create_in(SETUP_KEYS, key)
        created = self._parse(SetupKeyCreated, data, "POST", SETUP_KEYS.route)
        self._secrets.add(created.key)
        # Cached as later reads show it: the prefix only.
        self._cache.upsert(SETUP_KEYS.kind, created.as_setup_key(), self._scopes(None))
        return created

    async def update_setup_key(self, key_id: str, update: SetupKeyUpdate) -> SetupKey:
        return await self._update_of(SETUP_KEYS, key_id, update)

    async def delete_setup_key(self, key_id: str) -> None:
        await self._delete_of(SETUP_KEYS, key_id)

    # ------------------------------------------------------------------ networks

    async def list_networks(self, *, fresh: bool = False) -> list[Network]:
        return await self._list_of(NETWORKS, fresh=fresh)

    async def get_network(self, network_id: str, *, fresh: bool = False) -> Network:
        return await self._get_of(NETWORKS, network_id, fresh=fresh)

    async def create_network(self, network: NetworkRequest) -> Network:
        return await self._create_of(NETWORKS, network)

    async def update_network(self, network_id: str, network: NetworkRequest) -> Network:
        return await self._update_of(NETWORKS, network_id, network)

    async def delete_network(self, network_id: str) -> None:
        """Delete a network; NetBird deletes its resources and routers with it."""
        await self._delete_of(NETWORKS, network_id)

    # ------------------------------------------------------------------ network resources

    async def list_all_network_resources(self, *, fresh: bool = False) -> list[NetworkResource]:
        return await self._list_of(NETWORK_RESOURCES, fresh=fresh)

    async def list_network_resources(
        self, network_id: str, *, fresh: bool = False
    ) -> list[NetworkResource]:
        return await self._list_of(NETWORK_RESOURCES, network_id=network_id, fresh=fresh)

    async def get_network_resource(
        self, network_id: str, resource_id: str, *, fresh: bool = False
    ) -> NetworkResource:
        return await self._get_of(
            NETWORK_RESOURCES, resource_id, network_id=network_id, fresh=fresh
        )

    async def create_network_resource(
        self, network_id: str, resource: NetworkResourceRequest
    ) -> NetworkResource:
        return await self._create_of(NETWORK_RESOURCES, resource, network_id=network_id)

    async def update_network_resource(
        self, network_id: str, resource_id: str, resource: NetworkResourceRequest
    ) -> NetworkResource:
        return await self._update_of(
            NETWORK_RESOURCES, resource_id, resource, network_id=network_id
        )

    async def delete_network_resource(self, network_id: str, resource_id: str) -> None:
        await self._delete_of(NETWORK_RESOURCES, resource_id, network_id=network_id)

    # ------------------------------------------------------------------ network routers

    async def list_all_network_routers(self, *, fresh: bool = False) -> list[NetworkRouter]:
        return await self._list_of(NETWORK_ROUTERS, fresh=fresh)

    async def list_network_routers(
        self, network_id: str, *, fresh: bool = False
    ) -> list[NetworkRouter]:
        return await self._list_of(NETWORK_ROUTERS, network_id=network_id, fresh=fresh)

    async def get_network_router(
        self, network_id: str, router_id: str, *, fresh: bool = False
    ) -> NetworkRouter:
        return await self._get_of(NETWORK_ROUTERS, router_id, network_id=network_id, fresh=fresh)

    async def create_network_router(
        self, network_id: str, router: NetworkRouterRequest
    ) -> NetworkRouter:
        """Create a router. NetBird always creates it enabled: PUT afterwards to disable it."""
        return await self._create_of(NETWORK_ROUTERS, router, network_id=network_id)

    async def update_network_router(
        self, network_id: str, router_id: str, router: NetworkRouterRequest
    ) -> NetworkRouter:
        return await self._update_of(NETWORK_ROUTERS, router_id, router, network_id=network_id)

    async def delete_network_router(self, network_id: str, router_id: str) -> None:
        await self._delete_of(NETWORK_ROUTERS, router_id, network_id=network_id)

    # ------------------------------------------------------------------ peers

    async def list_peers(self, *, fresh: bool = False, max_age: float | None = None) -> list[Peer]:
        return await self._list_of(PEERS, fresh=fresh, max_age=max_age)

    async def get_peer(self, peer_id: str, *, fresh: bool = False) -> Peer:
        return await self._get_of(PEERS, peer_id, fresh=fresh)

    async def list_accessible_peers(self, peer_id: str) -> list[AccessiblePeer]:
        """The peers `peer_id` may connect to under the current policies (not cached)."""
        route = "/api/peers/{id}/accessible-peers"
        data = await self._send("GET", route, path_params={"id": peer_id})
        return self._parse_list(AccessiblePeer, data, "GET", route)

    # ------------------------------------------------------------------ DNS nameserver groups

    async def list_nameserver_groups(self) -> list[NameserverGroup]:
        return await self._list_of(NAMESERVER_GROUPS)

    async def get_nameserver_group(self, group_id: str, *, fresh: bool = False) -> NameserverGroup:
        return await self._get_of(NAMESERVER_GROUPS, group_id, fresh=fresh)

    async def create_nameserver_group(self, group: NameserverGroupRequest) -> NameserverGroup:
        return await self._create_of(NAMESERVER_GROUPS, group)

    async def update_nameserver_group(
        self, group_id: str, group: NameserverGroupRequest
    ) -> NameserverGroup:
        return await self._update_of(NAMESERVER_GROUPS, group_id, group)

    async def delete_nameserver_group(self, group_id: str) -> None:
        await self._delete_of(NAMESERVER_GROUPS, group_id)


def _params(network_id: str | None) -> dict[str, str]:
    """Path parameters of a collection that may live inside a network."""
    return {} if network_id is None else {"network_id": network_id}


def policy_dropped_ids(sent: PolicyRequest, stored: Policy) -> dict[str, list[str]]:
    """Ids we sent that NetBird did not store, by field; empty when everything was kept.

    NetBird silently drops group and posture-check ids it does not know, so a write that
    "succeeded" can still have lost a reference: compare what came back after every write.
    """
    dropped: dict[str, list[str]] = {}

    def note(field: str, sent_ids: list[str], stored_ids: list[str]) -> None:
        missing = sorted(set(sent_ids) - set(stored_ids))
        if missing:
            dropped[field] = missing

    note("source_posture_checks", sent.source_posture_checks, stored.source_posture_checks)
    rule = sent.rules[0]
    kept = stored.rules[0] if stored.rules else None
    note("sources", rule.sources or [], kept.sources if kept else [])
    note("destinations", rule.destinations or [], kept.destinations if kept else [])
    for field, sent_ref, kept_ref in (
        ("source_resource", rule.source_resource, kept.source_resource if kept else None),
        (
            "destination_resource",
            rule.destination_resource,
            kept.destination_resource if kept else None,
        ),
    ):
        if sent_ref is not None and (kept_ref is None or kept_ref.id != sent_ref.id):
            dropped[field] = [sent_ref.id]
    return dropped
