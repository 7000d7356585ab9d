"""How the fake fails, in the two shapes NetBird's handlers use.

NetBird writes most errors through a helper that maps its status type to an HTTP code and
lower-cases the whole message; a few handlers write a fixed code with the message as is. Both
produce the body {"message": ..., "code": ...}.
"""

from __future__ import annotations

from enum import IntEnum


class Kind(IntEnum):
    """NetBird's status types, valued with the HTTP status each maps to."""

    INVALID_ARGUMENT = 422
    ALREADY_EXISTS = 409
    PRECONDITION_FAILED = 412
    PERMISSION_DENIED = 403
    NOT_FOUND = 404
    INTERNAL = 500
    UNAUTHORIZED = 401
    BAD_REQUEST = 400
    TOO_MANY_REQUESTS = 429


class ApiError(Exception):
    """An error response; raise it from a handler and the router writes it."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    @classmethod
    def status(cls, kind: Kind, message: str) -> ApiError:
        """An error written through NetBird's status helper (message lower-cased)."""
        return cls(int(kind), message.lower())

    @classmethod
    def raw(cls, code: int, message: str) -> ApiError:
        """An error written with a fixed code and the message unchanged."""
        return cls(code, message)

    @classmethod
    def internal(cls) -> ApiError:
        """What NetBird answers for an error that carries no status type."""
        return cls(500, "internal server error")


class BadJson(ApiError):
    """The request body does not decode into the handler's request type."""

    def __init__(self) -> None:
        super().__init__(400, "couldn't parse JSON request")


class DropConnection(Exception):
    """The real server panics here (nil dereference) and Go closes the connection unanswered."""
