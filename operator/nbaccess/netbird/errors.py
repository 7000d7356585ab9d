"""What can go wrong when talking to NetBird, classified so callers can decide without parsing.

Every error carries the HTTP method, the route *template* (never the raw path, which would
leak ids into metric labels and mix up log grouping), the status (None when no response came
back), NetBird's own message and whether trying again can help. Nothing here ever holds the API
token: messages are built from NetBird's response body, which the client redacts first.
"""

from __future__ import annotations

import json
from typing import ClassVar

# Long bodies (an HTML error page from a proxy in front of NetBird) would flood status
# messages and logs; the first few hundred characters say what happened.
_MAX_MESSAGE_CHARS = 300


class NetBirdError(Exception):
    """A NetBird API call failed; `retryable` says whether the same call may succeed later."""

    default_retryable: ClassVar[bool] = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        method: str = "",
        route: str = "",
        retryable: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.method = method
        self.route = route
        self.retryable = self.default_retryable if retryable is None else retryable

    def __str__(self) -> str:
        where = f"{self.method} {self.route}".strip() or "NetBird API"
        answer = "no response" if self.status is None else str(self.status)
        return f"{where} -> {answer}: {self.message}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, method={self.method!r}, "
            f"route={self.route!r}, message={self.message!r}, retryable={self.retryable!r})"
        )


class Invalid(NetBirdError):
    """400 or 422: NetBird rejected the request; the message says which field and why."""


class Unauthorized(NetBirdError):
    """401 (or a 404 about the token itself): the token is wrong, expired or revoked."""


class Forbidden(NetBirdError):
    """403: the token's user lacks the role for this call (setup keys need `admin`)."""


class NotFound(NetBirdError):
    """404: the object (or, as plain text, the route) does not exist."""


class Conflict(NetBirdError):
    """409: an object with that name already exists (groups)."""


class PreconditionFailed(NetBirdError):
    """412: the object is still used elsewhere, or the server lacks a feature (GeoLite)."""


class RateLimited(NetBirdError):
    """429: NetBird's per-token rate limit; it sends no Retry-After, so we back off ourselves."""

    default_retryable = True


class ServerError(NetBirdError):
    """5xx: a fault in NetBird or in front of it; the same request may succeed later."""

    default_retryable = True


class TransportError(NetBirdError):
    """No usable response: timeout, connection refused or reset, broken protocol."""

    default_retryable = True

    def __init__(
        self,
        message: str,
        *,
        method: str = "",
        route: str = "",
        request_sent: bool = True,
        retryable: bool | None = None,
    ) -> None:
        super().__init__(message, status=None, method=method, route=route, retryable=retryable)
        # False only when the request certainly never reached the server (connect failed),
        # which is what makes retrying a non-idempotent POST safe.
        self.request_sent = request_sent


class UnexpectedResponse(NetBirdError):
    """A 2xx whose body is not the shape we expect: a NetBird version we do not understand."""


_BY_STATUS: dict[int, type[NetBirdError]] = {
    400: Invalid,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    412: PreconditionFailed,
    422: Invalid,
    429: RateLimited,
}


def message_from_body(body_text: str) -> str:
    """NetBird's `message` from its JSON error body, else the (trimmed) plain text."""
    text = body_text.strip()
    message = text
    try:
        decoded = json.loads(text)
    except ValueError:
        decoded = None
    if isinstance(decoded, dict) and isinstance(decoded.get("message"), str):
        message = decoded["message"]
    if len(message) > _MAX_MESSAGE_CHARS:
        message = message[:_MAX_MESSAGE_CHARS] + "..."
    return message or "(empty response body)"


def error_from_response(status: int, body_text: str, method: str, route: str) -> NetBirdError:
    """The error class for a non-2xx answer, carrying NetBird's message."""
    message = message_from_body(body_text)
    cls: type[NetBirdError]
    if status >= 500:
        cls = ServerError
    elif status == 404 and "token" in message.lower():
        # A well-formed PAT that NetBird does not know comes back as 404 "invalid token: pat:
        # ... not found"; calling it NotFound would make a delete look already done.
        cls = Unauthorized
    else:
        cls = _BY_STATUS.get(status, NetBirdError)
    return cls(message, status=status, method=method, route=route)


_IN_USE_PHRASES = ("linked to", "in use")


def is_in_use(exc: NetBirdError) -> bool:
    """True when NetBird refused because something still references the object.

    Group delete answers 400 "group has been linked to <kind>: <name>"; posture-check and peer
    deletes answer 412.
    """
    if isinstance(exc, PreconditionFailed):
        return True
    if isinstance(exc, Invalid) and exc.status == 400:
        text = exc.message.lower()
        return any(phrase in text for phrase in _IN_USE_PHRASES)
    return False


def is_not_found(exc: NetBirdError) -> bool:
    """True when the object does not exist: 404, or group delete's 400 "group: <id> not found"."""
    if isinstance(exc, NotFound):
        return True
    return isinstance(exc, Invalid) and exc.status == 400 and "not found" in exc.message.lower()


def reason_of(exc: NetBirdError) -> str:
    """A short, bounded name for why a request failed (metrics label)."""
    reasons: tuple[tuple[type[NetBirdError], str], ...] = (
        (Unauthorized, "unauthorized"),
        (Forbidden, "forbidden"),
        (RateLimited, "rate_limited"),
        (ServerError, "server_error"),
        (TransportError, "unreachable"),
        (NotFound, "not_found"),
        (Conflict, "conflict"),
    )
    for cls, reason in reasons:
        if isinstance(exc, cls):
            return reason
    return "rejected"
