"""Identifiers and secrets shaped like NetBird's, so code that parses or logs them sees real shapes.

NetBird object ids are xid strings (20 lowercase base32hex characters, e.g. "d1fs3k2r0b7c73f5n8g0").
Personal access tokens are "nbp_" + 30 random characters + a 6-character base62 CRC32 of them;
the server rejects a malformed token with 401 but answers a well-formed unknown one with 404.
"""

from __future__ import annotations

import base64
import itertools
import os
import secrets
import string
import threading
import time
import uuid
import zlib

_BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
_PAT_PREFIX = "nbp_"
_PAT_SECRET_LENGTH = 30
_PAT_CHECKSUM_LENGTH = 6
PAT_LENGTH = len(_PAT_PREFIX) + _PAT_SECRET_LENGTH + _PAT_CHECKSUM_LENGTH

_machine_and_pid = os.urandom(5)
_counter = itertools.count(int.from_bytes(os.urandom(3), "big"))
_counter_lock = threading.Lock()


def new_xid(at: float | None = None) -> str:
    """A fresh xid: 4 bytes of seconds, 5 bytes of machine+pid, a 3-byte counter, base32hex.

    `at` (Unix seconds) is the creation time it carries, the fake's clock (default: now).
    """
    with _counter_lock:
        count = next(_counter) % (1 << 24)
    seconds = int(time.time() if at is None else at)
    raw = seconds.to_bytes(4, "big") + _machine_and_pid + count.to_bytes(3, "big")
    return base64.b32hexencode(raw).decode().lower().rstrip("=")


def _base62(number: int) -> str:
    digits = ""
    while number:
        number, remainder = divmod(number, 62)
        digits = _BASE62[remainder] + digits
    return digits or "0"


def _pat_checksum(secret: str) -> str:
    return _base62(zlib.crc32(secret.encode())).rjust(_PAT_CHECKSUM_LENGTH, "0")


def new_personal_access_token() -> str:
    secret = "".join(secrets.choice(_BASE62) for _ in range(_PAT_SECRET_LENGTH))
    return _PAT_PREFIX + secret + _pat_checksum(secret)


def is_well_formed_token(token: str) -> bool:
    """True when NetBird would look the token up (and answer 404 if unknown) rather than 401."""
    if len(token) != PAT_LENGTH or not token.startswith(_PAT_PREFIX):
        return False
    secret = token[len(_PAT_PREFIX) : len(_PAT_PREFIX) + _PAT_SECRET_LENGTH]
    return token[-_PAT_CHECKSUM_LENGTH:] == _pat_checksum(secret)


def new_setup_key() -> str:
    """The plain setup key: an upper-case UUID, as NetBird generates it."""
    return str(uuid.uuid4()).upper()


def hidden_setup_key(plain: str) -> str:
    """What reads show after creation: a 5-character prefix and four stars."""
    return plain[:5] + "****"
