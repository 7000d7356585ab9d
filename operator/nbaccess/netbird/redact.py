"""Keeping the API token and setup-key values out of logs, exception text and reprs.

The client never formats a secret into a message on purpose; these helpers are the second
line of defence for text that comes from elsewhere (a NetBird error body, a library's log
record) and might echo one back.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from pydantic import SecretStr

REDACTED = "[redacted]"

# Short strings would turn every occurrence of, say, "a" into [redacted] and destroy the text;
# real tokens (nbp_ + 36 chars) and setup keys (UUIDs) are far longer.
_MIN_SECRET_LEN = 8


def _plain(secret: str | SecretStr) -> str:
    return secret.get_secret_value() if isinstance(secret, SecretStr) else secret


def redact(text: str, secrets: Iterable[str | SecretStr]) -> str:
    """`text` with every occurrence of each secret replaced by a marker."""
    for secret in secrets:
        value = _plain(secret)
        if len(value) >= _MIN_SECRET_LEN and value in text:
            text = text.replace(value, REDACTED)
    return text


class SecretRegistry:
    """The secrets one client knows about: its token plus every setup key it has created."""

    def __init__(self, *secrets: str | SecretStr) -> None:
        self._values: set[str] = set()
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | SecretStr) -> None:
        value = _plain(secret)
        if len(value) >= _MIN_SECRET_LEN:
            self._values.add(value)

    def redact(self, text: str) -> str:
        return redact(text, self._values)

    def __repr__(self) -> str:
        return f"SecretRegistry({len(self._values)} secrets)"


class RedactingFilter(logging.Filter):
    """A logging filter that rewrites records so no registered secret reaches a handler.

    Attach it to handlers (a filter on a logger does not see records from its children).
    """

    def __init__(self, registry: SecretRegistry) -> None:
        super().__init__()
        self._registry = registry

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = self._registry.redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            # Formatting the traceback happens later in the handler; pre-render it redacted.
            formatter = logging.Formatter()
            record.exc_text = self._registry.redact(formatter.formatException(record.exc_info))
            record.exc_info = None
        return True
