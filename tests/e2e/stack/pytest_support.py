"""Skip-or-fail rules shared by every conftest that uses the real stack.

A missing toolchain skips loudly; with NBACCESS_E2E_REQUIRED=1 (CI) it fails instead, so a
CI run can never pass with the e2e tier silently left out.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

from tests.e2e.stack.binaries import StackUnavailable
from tests.e2e.stack.netbird import NetBirdEndpoint
from tests.e2e.stack.stack import session_stack

REQUIRED_ENV = "NBACCESS_E2E_REQUIRED"


def e2e_required() -> bool:
    return os.environ.get(REQUIRED_ENV) == "1"


def skip_or_fail(reason: str) -> NoReturn:
    if e2e_required():
        pytest.fail(f"{REQUIRED_ENV}=1 but the real test stack cannot run: {reason}", pytrace=False)
    pytest.skip(f"REAL TEST STACK NOT AVAILABLE, e2e test skipped: {reason}")


def real_netbird() -> NetBirdEndpoint:
    """The session's real netbird-server (started once, shared), or skip/fail as above.

    For conftests outside tests/e2e, e.g. a session fixture backing the client contract
    tests with the real server. Its teardown should call `stop_session_stack()`.
    """
    try:
        return session_stack().ensure_netbird()
    except StackUnavailable as exc:
        skip_or_fail(str(exc))
